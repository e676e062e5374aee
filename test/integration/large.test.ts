// A 100,000-character record: the visible part is decided first, typing stays responsive.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { Controller } from '../../src/extension/controller';
import { waitFor } from './helpers';

describe('MedNER on a large document', function () {
  this.timeout(180_000);

  it('analyses the visible range first and keeps the event loop free', async () => {
    const c = await vscode.extensions.getExtension<Controller>('medner.medner')!.activate();
    const folder = vscode.workspace.workspaceFolders![0];
    const sample = new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(folder.uri, '01-cholecystitis.txt')));
    const text = Array.from({ length: Math.ceil(100_000 / sample.length) }, (_, i) => `【第${i + 1}份】${sample}`).join('');
    const uri = vscode.Uri.joinPath(folder.uri, 'large-record.txt');
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text));
    const doc = await vscode.workspace.openTextDocument(uri);
    const editor = await vscode.window.showTextDocument(doc);
    const middle = doc.positionAt(Math.floor(doc.getText().length / 2));
    editor.revealRange(new vscode.Range(middle, middle), vscode.TextEditorRevealType.AtTop);

    // Timer lag while the model runs: inference must not block the extension host.
    let worstLag = 0;
    let last = Date.now();
    const ticker = setInterval(() => {
      const now = Date.now();
      worstLag = Math.max(worstLag, now - last - 20);
      last = now;
    }, 20);
    const started = Date.now();
    let firstPartialAt: number | undefined;
    const sub = c.analyzer.onDidChange((changed) => {
      const r = c.analyzer.get(doc.uri);
      if (changed.toString() === doc.uri.toString() && r && !r.fresh && firstPartialAt === undefined) firstPartialAt = Date.now() - started;
    });
    await vscode.commands.executeCommand('medner.analyzeDocument');
    clearInterval(ticker);
    sub.dispose();
    const total = Date.now() - started;
    const result = c.analyzer.get(doc.uri)!;
    assert.ok(result.fresh);
    assert.ok(firstPartialAt !== undefined && firstPartialAt < total, `partial at ${firstPartialAt} ms of ${total} ms`);
    const visible = editor.visibleRanges[0];
    assert.ok(
      result.placed.some((p) => visible.contains(doc.positionAt(p.start))),
      'entities in the visible range',
    );
    console.log(
      `      100k chars: visible range after ${firstPartialAt} ms, whole document after ${total} ms, worst timer lag ${worstLag} ms`,
    );
    assert.ok(worstLag < 1000, `the extension host was blocked for ${worstLag} ms`);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  it('says "analysing" with a percent while a long record is first read, never a partial count', async () => {
    const c = await vscode.extensions.getExtension<Controller>('medner.medner')!.activate();
    const folder = vscode.workspace.workspaceFolders![0];
    const sample = new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(folder.uri, '03-coronary-crlf.txt')));
    // Text the model has not read before (its windows are not cached), so the reading takes many runs.
    const text = Array.from({ length: Math.ceil(100_000 / sample.length) }, (_, i) => `〔记录${i * 7 + 3}〕${sample}`).join('');
    const uri = vscode.Uri.joinPath(folder.uri, 'large-analysing.txt');
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text));
    // What the status bar says at each step of the reading, and whenever the document's entities change.
    const said: { text: string; analysing?: number; fresh?: boolean }[] = [];
    const note = (changed: vscode.Uri) => {
      if (changed.toString() !== uri.toString() || vscode.window.activeTextEditor?.document.uri.toString() !== uri.toString()) return;
      said.push({ text: c.status.text, analysing: c.analyzer.analysing(uri), fresh: c.analyzer.get(uri)?.fresh });
    };
    const subs = [c.analyzer.onDidChangeProgress(note), c.curation.onDidChange(note)];
    try {
      const doc = await vscode.workspace.openTextDocument(uri);
      await vscode.window.showTextDocument(doc);
      await vscode.commands.executeCommand('medner.analyzeDocument');
      await waitFor('the complete reading counted', () => c.analyzer.get(uri)?.fresh && c.analyzer.analysing(uri) === undefined);
    } finally {
      for (const s of subs) s.dispose();
    }
    const during = said.filter((s) => s.analysing !== undefined);
    assert.ok(during.length >= 3, JSON.stringify(said.slice(0, 5)));
    for (const s of during) assert.match(s.text, /^\$\(loading~spin\) MedNER analysing \d+%$/);
    assert.ok(
      during.some((s) => s.analysing! > 0 && s.analysing! < 100),
      during.map((s) => s.analysing).join(' '),
    );
    assert.ok(!said.some((s) => !s.fresh && /MedNER \d+$/.test(s.text)), 'no partial count shown');
    await waitFor(
      'the count',
      () => c.status.text === `$(symbol-keyword) MedNER ${c.placed(vscode.window.activeTextEditor!.document)!.length}`,
    );
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });
});
