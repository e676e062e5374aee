// Highlights, hovers, live analysis and settings, in a real extension host with the shipped model.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { Controller } from '../../src/extension/controller';
import { controller, waitFor } from './helpers';

function drawnCount(c: Controller, doc: vscode.TextDocument): number {
  const byLabel = c.decorations.drawn.get(doc.uri.toString());
  return byLabel ? [...byLabel.values()].reduce((n, r) => n + r.length, 0) : 0;
}

async function open(name: string): Promise<{ doc: vscode.TextDocument; editor: vscode.TextEditor }> {
  const folder = vscode.workspace.workspaceFolders![0];
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder.uri, name));
  const editor = await vscode.window.showTextDocument(doc);
  return { doc, editor };
}

async function setting(key: string, value: unknown): Promise<void> {
  await vscode.workspace.getConfiguration('medner').update(key, value, vscode.ConfigurationTarget.Global);
}

describe('MedNER in the editor', function () {
  this.timeout(60_000);

  afterEach(async () => {
    for (const key of ['enabled', 'shownTypes', 'minConfidence', 'debounceMs', 'modelPath']) await setting(key, undefined);
  });

  it('highlights a plain-text record when it is opened, with the entities on their text', async () => {
    const c = await controller();
    const { doc } = await open('01-cholecystitis.txt');
    const result = await waitFor('fresh entities', () => {
      const r = c.analyzer.get(doc.uri);
      return r?.fresh && r.version === doc.version && r;
    });
    assert.ok(result.placed.length >= 5, `found ${result.placed.length} entities`);
    for (const p of result.placed) assert.equal(doc.getText().slice(p.start, p.end), p.entity.text);
    await waitFor('decorations', () => drawnCount(c, doc) === result.placed.length);
    assert.equal(c.model.state, 'ready');
  });

  it('keeps CRLF documents aligned: ranges cover exactly the entity text', async () => {
    const c = await controller();
    const { doc } = await open('03-coronary-crlf.txt');
    assert.equal(doc.eol, vscode.EndOfLine.CRLF);
    await waitFor('fresh entities', () => c.analyzer.get(doc.uri)?.fresh);
    const drawn = await waitFor('decorations', () => c.decorations.drawn.get(doc.uri.toString()));
    const entities = c.analyzer.get(doc.uri)!.placed;
    const ranges = [...drawn.values()].flat();
    assert.ok(ranges.length > 0);
    for (const r of ranges)
      assert.ok(
        entities.some((p) => doc.getText(r) === p.entity.text),
        doc.getText(r),
      );
  });

  it('shows a hover with the type, the confidence and command links', async () => {
    const c = await controller();
    const { doc } = await open('01-cholecystitis.txt');
    const result = await waitFor('entities', () => c.analyzer.get(doc.uri)?.fresh && c.analyzer.get(doc.uri));
    const target = result.placed[0];
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>(
      'vscode.executeHoverProvider',
      doc.uri,
      doc.positionAt(target.start),
    );
    const text = hovers.flatMap((h) => h.contents.map((m) => (typeof m === 'string' ? m : m.value))).join('\n');
    assert.ok(text.includes(target.entity.label), text);
    assert.match(text, /confidence \d+\.\d%/);
    assert.match(text, /command:medner\.copyEntityJson/);
    assert.match(text, /command:medner\.showEntitiesOfType/);
  });

  it('shifts highlights with an edit at once, then re-analyses after the debounce', async () => {
    const c = await controller();
    await setting('debounceMs', 300);
    const { doc, editor } = await open('01-cholecystitis.txt');
    const before = await waitFor('entities', () => c.analyzer.get(doc.uri)?.fresh && c.analyzer.get(doc.uri));
    const last = before.placed.at(-1)!;
    await editor.edit((b) => b.insert(doc.positionAt(0), '入院记录：'));
    const shifted = c.analyzer.get(doc.uri)!;
    assert.equal(shifted.fresh, false, 'the edit marks the entities stale');
    assert.equal(shifted.version, doc.version);
    assert.equal(shifted.placed.at(-1)!.start, last.start + 5, 'entities after the edit moved with their text');
    assert.equal(doc.getText().slice(shifted.placed.at(-1)!.start, shifted.placed.at(-1)!.end), last.entity.text);
    const after = await waitFor('re-analysis', () => c.analyzer.get(doc.uri)?.fresh && c.analyzer.get(doc.uri));
    assert.equal(after.version, doc.version);
    for (const p of after.placed) assert.equal(doc.getText().slice(p.start, p.end), p.entity.text);
    await vscode.commands.executeCommand('workbench.action.files.revert');
  });

  it('re-renders when settings change: shown types, confidence, off and on', async () => {
    const c = await controller();
    const { doc } = await open('01-cholecystitis.txt');
    const result = await waitFor('entities', () => c.analyzer.get(doc.uri)?.fresh && c.analyzer.get(doc.uri));
    const drugs = result.placed.filter((p) => p.entity.label === '药物').length;
    await setting('shownTypes', ['drug']);
    await waitFor('only drugs drawn', () => drawnCount(c, doc) === drugs);
    await setting('minConfidence', 1.01);
    await waitFor('nothing drawn above confidence 1', () => drawnCount(c, doc) === 0);
    await setting('minConfidence', undefined);
    await setting('shownTypes', undefined);
    await waitFor('all drawn again', () => drawnCount(c, doc) === result.placed.length);
    await vscode.commands.executeCommand('medner.toggle');
    await waitFor('highlighting off', () => !c.config.enabled && drawnCount(c, doc) === 0);
    await vscode.commands.executeCommand('medner.toggle');
    await waitFor('highlighting on', () => c.config.enabled && drawnCount(c, doc) > 0, 30_000);
  });

  it('reports a model that cannot be loaded, and recovers when the setting is fixed', async () => {
    const c = await controller();
    const { doc } = await open('01-cholecystitis.txt');
    await waitFor('entities', () => c.analyzer.get(doc.uri)?.fresh);
    await setting('modelPath', '/nonexistent/medner-model');
    await waitFor('error state', () => c.model.state === 'error');
    assert.match(c.model.lastError ?? '', /cannot read model metadata/);
    assert.equal(c.analyzer.get(doc.uri), undefined, "the old model's entities are gone");
    await setting('modelPath', undefined);
    await waitFor('ready again', () => c.model.state === 'ready' && c.analyzer.get(doc.uri)?.fresh);
  });

  it('clears a document on request and analyses it again on the Analyze command', async () => {
    const c = await controller();
    const { doc } = await open('01-cholecystitis.txt');
    await waitFor('entities', () => c.analyzer.get(doc.uri)?.fresh);
    await vscode.commands.executeCommand('medner.clear');
    assert.equal(c.analyzer.get(doc.uri), undefined);
    await waitFor('cleared', () => drawnCount(c, doc) === 0);
    await vscode.commands.executeCommand('medner.analyzeDocument');
    assert.ok(c.analyzer.get(doc.uri)?.fresh);
    await waitFor('drawn again', () => drawnCount(c, doc) > 0);
  });

  it('copies the entities of the document in the jsonl schema', async () => {
    const c = await controller();
    const { doc } = await open('01-cholecystitis.txt');
    const result = await waitFor('entities', () => c.analyzer.get(doc.uri)?.fresh && c.analyzer.get(doc.uri));
    await vscode.commands.executeCommand('medner.copyEntitiesJson');
    const copied = JSON.parse(await vscode.env.clipboard.readText()) as {
      text: string;
      entities: { start: number; end: number; text: string }[];
    };
    assert.equal(copied.text, doc.getText());
    assert.equal(copied.entities.length, result.placed.length);
    const chars = Array.from(copied.text);
    for (const e of copied.entities) assert.equal(chars.slice(e.start, e.end).join(''), e.text);
  });
});
