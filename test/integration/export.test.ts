// MedNER: Export Annotations… on the active document, in a real extension host.
import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Controller } from '../../src/extension/controller';
import { waitFor } from './helpers';
import { acceptPromptsUntil, clickNotificationButton } from './prompts';

describe('MedNER: Export Annotations', function () {
  this.timeout(60_000);

  it('exports the analysed document as brat (source bytes kept) and as Label Studio tasks', async () => {
    const c = await vscode.extensions.getExtension<Controller>('medner.medner')!.activate();
    const folder = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const source = path.join(folder, '03-coronary-crlf.txt');
    const doc = await vscode.workspace.openTextDocument(source);
    await vscode.window.showTextDocument(doc);
    await vscode.commands.executeCommand('medner.analyzeDocument');
    const entities = c.analyzer.get(doc.uri)!.placed.length;
    assert.ok(entities > 0);

    const bratDir = mkdtempSync(path.join(tmpdir(), 'medner-export-brat-'));
    const brat = await vscode.commands.executeCommand<string[]>('medner.exportAnnotations', {
      format: 'brat',
      labelNames: 'english',
      target: bratDir,
    });
    assert.deepEqual(brat.map((f) => path.basename(f)).sort(), ['03-coronary-crlf.ann', '03-coronary-crlf.txt']);
    assert.deepEqual(
      readFileSync(path.join(bratDir, '03-coronary-crlf.txt')),
      readFileSync(source),
      '.txt is byte-identical, CRLF included',
    );
    const ann = readFileSync(path.join(bratDir, '03-coronary-crlf.ann'), 'utf8').trim().split('\n');
    assert.equal(ann.length, entities);
    assert.match(ann[0], /^T1\t(disease|anatomy|drug|lab|operation|imaging) \d+ \d+\t/);

    const lsFile = path.join(mkdtempSync(path.join(tmpdir(), 'medner-export-ls-')), 'tasks.json');
    await vscode.commands.executeCommand('medner.exportAnnotations', { format: 'labelstudio', labelNames: 'chinese', target: lsFile });
    const tasks = JSON.parse(readFileSync(lsFile, 'utf8')) as { data: { text: string }; predictions: { result: unknown[] }[] }[];
    assert.equal(tasks.length, 1);
    assert.equal(tasks[0].data.text, doc.getText());
    assert.equal(tasks[0].predictions[0].result.length, entities);
  });

  it('confirms with the path and an Open button; brat goes to a new folder beside the records, never onto a record', async () => {
    const c = await vscode.extensions.getExtension<Controller>('medner.medner')!.activate();
    const folder = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const source = path.join(folder, '01-cholecystitis.txt');
    const original = readFileSync(source);
    const doc = await vscode.workspace.openTextDocument(source);
    await vscode.window.showTextDocument(doc);
    await vscode.commands.executeCommand('medner.analyzeDocument');
    assert.ok(c.analyzer.get(doc.uri)!.placed.length > 0);

    const file = path.join(mkdtempSync(path.join(tmpdir(), 'medner-export-open-')), 'one.jsonl');
    await vscode.commands.executeCommand('medner.exportAnnotations', { format: 'jsonl', target: file });
    await clickNotificationButton();
    await waitFor('the export opened from its notification', () => vscode.window.activeTextEditor?.document.uri.fsPath === file);

    await vscode.window.showTextDocument(doc);
    const proposed = `${folder}-medner`;
    const brat = await acceptPromptsUntil(
      vscode.commands.executeCommand<string[] | undefined>('medner.exportAnnotations', { format: 'brat', labelNames: 'english' }),
    );
    assert.deepEqual(brat?.sort(), [path.join(proposed, '01-cholecystitis.ann'), path.join(proposed, '01-cholecystitis.txt')]);

    const ontoRecord = await vscode.commands.executeCommand<string[] | undefined>('medner.exportAnnotations', {
      format: 'brat',
      labelNames: 'english',
      target: folder,
    });
    assert.equal(ontoRecord, undefined);
    assert.ok(!existsSync(path.join(folder, '01-cholecystitis.ann')));
    assert.deepEqual(readFileSync(source), original);
  });

  it('Export Curated offers a file named after the workspace for a one-file format, and confirms with Open', async () => {
    const c = await vscode.extensions.getExtension<Controller>('medner.medner')!.activate();
    const folder = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const doc = await vscode.workspace.openTextDocument(path.join(folder, '03-coronary-crlf.txt'));
    const editor = await vscode.window.showTextDocument(doc);
    await vscode.commands.executeCommand('medner.analyzeDocument');
    const first = c.analyzer.get(doc.uri)!.placed[0];
    editor.selection = new vscode.Selection(doc.positionAt(first.start), doc.positionAt(first.start));
    assert.equal(await vscode.commands.executeCommand('medner.accept'), true);
    await c.curation.flushAll();

    const written = await acceptPromptsUntil(
      vscode.commands.executeCommand<string[] | undefined>('medner.exportCurated', { scope: 'all', format: 'jsonl' }),
    );
    const expected = path.join(folder, `${path.basename(folder)}-curated.jsonl`);
    assert.deepEqual(written, [expected]);
    assert.match(readFileSync(expected, 'utf8'), /03-coronary-crlf\.txt/);
    await clickNotificationButton();
    await waitFor(
      'the curated export opened from its notification',
      () => vscode.window.activeTextEditor?.document.uri.fsPath === expected,
    );
  });
});
