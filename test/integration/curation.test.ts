// Curation end to end in a real extension host: steps, undo/redo, the store on disk, re-anchoring
// after edits, the Entities view and its queue, Evaluate and the export of curated data.
import * as assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { countByStatus } from '../../src/core/curation/queue';
import { type CuratedEntity, hashText, serializeRecord } from '../../src/core/curation/record';
import { CurationStore } from '../../src/core/curation/store';
import { FORMAT_NAMES } from '../../src/core/formats/registry';
import { OffsetMap } from '../../src/core/offsets';
import type { Controller } from '../../src/extension/controller';
import { controller, waitFor } from './helpers';
import type { EntitiesNode } from '../../src/extension/entitiesView';
import type { EvaluationResult } from '../../src/extension/evaluateCommand';

const folder = () => vscode.workspace.workspaceFolders![0].uri;

/** A fresh copy of a fixture under another name, so other suites' documents stay uncurated. */
async function copyOf(fixture: string, name: string): Promise<vscode.Uri> {
  const uri = vscode.Uri.joinPath(folder(), name);
  await vscode.workspace.fs.writeFile(uri, await vscode.workspace.fs.readFile(vscode.Uri.joinPath(folder(), fixture)));
  return uri;
}

/** Opens the document and waits for the model's predictions in its curation session. */
async function openCurated(c: Controller, uri: vscode.Uri): Promise<{ doc: vscode.TextDocument; editor: vscode.TextEditor }> {
  const doc = await vscode.workspace.openTextDocument(uri);
  const editor = await vscode.window.showTextDocument(doc);
  await waitFor('predictions', () => c.analyzer.get(uri)?.fresh && c.curation.get(uri)?.entities.some((e) => e.status === 'predicted'));
  return { doc, editor };
}

function entities(c: Controller, uri: vscode.Uri): readonly CuratedEntity[] {
  return c.curation.get(uri)!.entities;
}

function cursorAt(editor: vscode.TextEditor, e: CuratedEntity): void {
  const map = new OffsetMap(editor.document.getText());
  const pos = editor.document.positionAt(map.toUtf16(e.start));
  editor.selection = new vscode.Selection(pos, pos);
}

async function stored(uri: vscode.Uri, c: Controller) {
  await c.curation.flushAll();
  const { store, key } = c.curation.storeFor(uri)!;
  return (await new CurationStore(store.root).read(key))!;
}

describe('MedNER curation', function () {
  this.timeout(120_000);

  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('accepts, rejects, retypes and adds with the curation commands, undoes and redoes, and saves every step to .medner', async () => {
    const c = await controller();
    const uri = await copyOf('01-cholecystitis.txt', 'curation-steps.txt');
    const { doc, editor } = await openCurated(c, uri);
    const [first, second, third] = entities(c, uri).filter((e) => e.status === 'predicted');

    cursorAt(editor, first);
    assert.equal(await vscode.commands.executeCommand('medner.accept'), true);
    assert.equal(entities(c, uri).find((e) => e.start === first.start)!.status, 'accepted');
    const next = new OffsetMap(doc.getText()).toCodePoint(doc.offsetAt(editor.selection.start));
    assert.equal(next, second.start, 'the cursor moved on to the next open prediction');

    assert.equal(await vscode.commands.executeCommand('medner.reject'), true);
    assert.equal(entities(c, uri).find((e) => e.start === second.start)!.status, 'rejected');

    cursorAt(editor, third);
    const other = third.label === '药物' ? 'disease' : 'drug';
    assert.equal(await vscode.commands.executeCommand('medner.changeType', other), true);
    const retyped = entities(c, uri).find((e) => e.start === third.start)!;
    assert.deepEqual([retyped.status, retyped.label], ['edited', other === 'drug' ? '药物' : '疾病和诊断']);

    // 恢复良好 ("recovered well") is no entity: mark it by hand.
    const text = doc.getText();
    const at = text.indexOf('恢复良好');
    editor.selection = new vscode.Selection(doc.positionAt(at), doc.positionAt(at + 4));
    assert.equal(await vscode.commands.executeCommand('medner.addEntity', 'disease'), true);
    const manual = () => entities(c, uri).find((e) => e.text === '恢复良好');
    assert.equal(manual()?.status, 'manual');

    assert.equal(await vscode.commands.executeCommand('medner.undoCuration'), true);
    assert.equal(manual(), undefined, 'undo removes the added entity');
    assert.equal(await vscode.commands.executeCommand('medner.undoCuration'), true);
    assert.equal(entities(c, uri).find((e) => e.start === third.start)!.status, 'predicted', 'a second undo restores the type');
    assert.equal(await vscode.commands.executeCommand('medner.redoCuration'), true);
    assert.equal(await vscode.commands.executeCommand('medner.redoCuration'), true);
    assert.equal(manual()?.status, 'manual', 'redo brings both back');

    await waitFor('status decorations', () => {
      const drawn = c.decorations.drawnByStatus.get(uri.toString());
      return drawn?.get('accepted') === 1 && drawn.get('edited') === 1 && drawn.get('manual') === 1 && drawn;
    });

    const record = await stored(uri, c);
    assert.equal(record.path, 'curation-steps.txt');
    assert.equal(record.status, 'in-progress');
    const counts = countByStatus(record.entities);
    assert.deepEqual([counts.accepted, counts.rejected, counts.edited, counts.manual], [1, 1, 1, 1]);
    for (const e of record.entities) assert.equal(Array.from(text).slice(e.start, e.end).join(''), e.text);

    const retypedAt = doc.positionAt(new OffsetMap(text).toUtf16(third.start));
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>(
      'vscode.executeCodeActionProvider',
      uri,
      new vscode.Range(retypedAt, retypedAt),
    );
    const titles = actions.map((a) => a.title).filter((t) => t.startsWith('MedNER'));
    assert.deepEqual(titles, [`MedNER: Reject “${retyped.text}”`, `MedNER: Change the type of “${retyped.text}”…`]);
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, retypedAt);
    const hover = hovers.flatMap((h) => h.contents.map((m) => (typeof m === 'string' ? m : m.value))).join('\n');
    assert.match(hover, /edited/);
    assert.match(hover, /command:medner\.reject/);
  });

  it('grows and shrinks a boundary, accepts the rest, and navigates to the next and the next uncertain entity', async () => {
    const c = await controller();
    const uri = await copyOf('01-cholecystitis.txt', 'curation-keys.txt');
    const { editor } = await openCurated(c, uri);
    const [first, second] = entities(c, uri).filter((e) => e.status === 'predicted');
    cursorAt(editor, first);
    assert.equal(await vscode.commands.executeCommand('medner.nextEntity'), true);
    assert.equal(editor.document.getText(editor.selection), second.text, 'next entity selects it');
    assert.equal(await vscode.commands.executeCommand('medner.previousEntity'), true);
    assert.equal(editor.document.getText(editor.selection), first.text);

    assert.equal(await vscode.commands.executeCommand('medner.growEnd'), true);
    const grown = entities(c, uri)[0];
    assert.deepEqual([grown.end, grown.status], [first.end + 1, 'edited']);
    assert.equal(editor.document.getText(editor.selection), grown.text, 'the resized entity stays selected');
    assert.equal(await vscode.commands.executeCommand('medner.shrinkEnd'), true);
    assert.equal(entities(c, uri)[0].end, first.end);

    await vscode.workspace.getConfiguration('medner').update('curation.uncertainBelow', 1.01, vscode.ConfigurationTarget.Global);
    try {
      cursorAt(editor, first);
      assert.equal(await vscode.commands.executeCommand('medner.nextUncertain'), true);
      const at = new OffsetMap(editor.document.getText()).toCodePoint(editor.document.offsetAt(editor.selection.start));
      const selected = entities(c, uri).find((e) => e.start === at)!;
      assert.equal(selected.status, 'predicted', 'next uncertain skips decided entities');
    } finally {
      await vscode.workspace.getConfiguration('medner').update('curation.uncertainBelow', undefined, vscode.ConfigurationTarget.Global);
    }

    assert.equal(await vscode.commands.executeCommand('medner.acceptAll'), true);
    assert.equal(entities(c, uri).filter((e) => e.status === 'predicted').length, 0);
    assert.equal(c.curation.get(uri)!.status, 'done');
    assert.equal((await stored(uri, c)).status, 'done');
  });

  it('keeps the curation across a reload: the session is re-created from the store on disk', async () => {
    const c = await controller();
    const uri = await copyOf('01-cholecystitis.txt', 'curation-reload.txt');
    const { editor } = await openCurated(c, uri);
    const target = entities(c, uri).filter((e) => e.status === 'predicted')[1];
    cursorAt(editor, target);
    await vscode.commands.executeCommand('medner.reject');
    await vscode.commands.executeCommand('medner.markDone');
    const before = entities(c, uri).filter((e) => e.status !== 'predicted');

    await c.curation.close(uri);
    assert.equal(c.curation.get(uri), undefined, 'the session is gone');
    const { ready } = c.curation.open(editor.document);
    await ready;
    const after = entities(c, uri).filter((e) => e.status !== 'predicted');
    assert.deepEqual(after, before);
    assert.equal(c.curation.get(uri)!.status, 'done');
    assert.ok(
      !c.curation.shown(editor.document)!.some((s) => s.entity.start === target.start && s.entity.status !== 'rejected'),
      'the rejected prediction stays rejected after the model reads the document again',
    );
  });

  it('never overwrites a record it cannot read', async () => {
    const c = await controller();
    const uri = await copyOf('01-cholecystitis.txt', 'curation-broken.txt');
    const { store, key } = c.curation.storeFor(uri)!;
    const file = store.fileOf(key);
    await vscode.workspace.fs.writeFile(
      vscode.Uri.file(file),
      new TextEncoder().encode('{"format": "medner-curation", "version": 1, oops'),
    );
    const { editor } = await openCurated(c, uri);
    cursorAt(editor, entities(c, uri)[0]);
    assert.equal(await vscode.commands.executeCommand('medner.accept'), false);
    await c.curation.flushAll();
    assert.equal(
      readFileSync(file, 'utf8'),
      '{"format": "medner-curation", "version": 1, oops',
      'the broken record is left for a person to fix',
    );
    await vscode.workspace.fs.delete(vscode.Uri.file(file));
  });

  it('re-anchors curated entities after edits and flags the ones whose text is gone', async () => {
    const c = await controller();
    await vscode.workspace.getConfiguration('medner').update('liveAnalysis', false, vscode.ConfigurationTarget.Global);
    try {
      const uri = await copyOf('01-cholecystitis.txt', 'curation-edits.txt');
      const doc = await vscode.workspace.openTextDocument(uri);
      const editor = await vscode.window.showTextDocument(doc);
      await vscode.commands.executeCommand('medner.analyzeDocument');
      await waitFor('predictions', () => c.curation.get(uri)?.entities.length);
      await vscode.commands.executeCommand('medner.acceptAll');
      const accepted = entities(c, uri);
      const victim = accepted[2];
      const map = new OffsetMap(doc.getText());
      // Curating made the text read-only: editing it is a deliberate step.
      assert.equal(await vscode.commands.executeCommand('medner.stopReview'), true);
      await editor.edit((b) => {
        b.insert(doc.positionAt(0), '入院记录：');
        // Replace the victim's first character: its text is no longer in the document.
        b.replace(new vscode.Range(doc.positionAt(map.toUtf16(victim.start)), doc.positionAt(map.toUtf16(victim.start) + 1)), '某');
      });
      const moved = entities(c, uri);
      assert.equal(moved.length, accepted.length, 'nothing is dropped');
      const text = Array.from(doc.getText());
      for (const e of moved) {
        if (e.unanchored) continue;
        assert.equal(text.slice(e.start, e.end).join(''), e.text, e.text);
      }
      const flagged = moved.filter((e) => e.unanchored);
      assert.deepEqual(
        flagged.map((e) => e.text),
        [victim.text],
      );
      assert.ok(!c.curation.shown(doc)!.some((s) => s.entity.unanchored), 'an unanchored entity is not drawn');
      const record = await stored(uri, c);
      assert.equal(record.entities.filter((e) => e.unanchored).length, 1, 'the flag is saved');
      // The Entities view's item for it has a Remove action; Undo brings the entity back.
      const lost = flagged[0];
      assert.equal(await vscode.commands.executeCommand('medner.removeUnanchored', { uri, entity: lost }), true);
      assert.equal(entities(c, uri).length, accepted.length - 1);
      await vscode.commands.executeCommand('medner.undoCuration');
      assert.equal(entities(c, uri).filter((e) => e.unanchored).length, 1);

      // The file changes behind the editor's back: the record is re-anchored on load.
      await vscode.commands.executeCommand('workbench.action.files.revert');
      await c.curation.close(uri);
      const original = readFileSync(uri.fsPath, 'utf8');
      await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode('【补充】' + original));
      const store = c.curation.storeFor(uri)!;
      const loaded = (await store.store.load(store.key, '【补充】' + original))!;
      assert.equal(loaded.reanchored, true);
      const chars = Array.from('【补充】' + original);
      for (const e of loaded.entities.filter((x) => !x.unanchored)) assert.equal(chars.slice(e.start, e.end).join(''), e.text);
    } finally {
      await vscode.workspace.getConfiguration('medner').update('liveAnalysis', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('prepares the folder for review: the Entities view counts by status, and the queue runs least certain first', async () => {
    const c = await controller();
    await copyOf('03-coronary-crlf.txt', 'curation-queue.txt');
    const summary = await vscode.commands.executeCommand<{ documents: number }>('medner.prepareReview', 'curation-*.txt');
    assert.ok(summary.documents >= 2, `prepared ${summary.documents}`);
    const view = c.entitiesView;
    const roots = await view.getChildren();
    assert.equal(roots[0].kind, 'queue');
    const docs = roots.filter((n): n is Extract<EntitiesNode, { kind: 'document' }> => n.kind === 'document');
    assert.ok(docs.some((d) => d.doc.key === 'curation-queue.txt'));
    for (const d of docs) {
      const counts = countByStatus(d.doc.entities);
      const tooltip = String(view.getTreeItem(d).tooltip);
      if (counts.predicted) assert.match(tooltip, new RegExp(`${counts.predicted} open`));
      if (counts.rejected) assert.match(String(view.getTreeItem(d).description), new RegExp(` · ${counts.rejected} rejected`));
      const types = await view.getChildren(d);
      const perType = await Promise.all(types.map((t) => view.getChildren(t)));
      assert.equal(perType.flat().length, d.doc.entities.length, 'every entity is listed under its type');
    }
    const steps = docs.find((d) => d.doc.key === 'curation-steps.txt')!;
    assert.match(String(view.getTreeItem(steps).description), /^in progress · \d+ shown · 1 rejected$/);
    assert.match(String(view.getTreeItem(steps).tooltip), /\d+ open · 1 accepted · 1 edited · 1 added · 1 rejected/);
    const queue = (await view.getChildren(roots[0])) as Extract<EntitiesNode, { kind: 'entity' }>[];
    assert.ok(queue.length > 0);
    const scores = queue.map((q) => q.entity.score!);
    assert.deepEqual(
      scores,
      [...scores].sort((a, b) => a - b),
      'least certain first',
    );
    assert.ok(
      queue.every((q) => q.entity.status === 'predicted' && q.key !== 'curation-keys.txt'),
      'only open predictions of documents not done',
    );

    assert.equal(await vscode.commands.executeCommand('medner.nextInQueue'), true);
    const editor = vscode.window.activeTextEditor!;
    assert.equal(editor.document.uri.toString(), queue[0].uri.toString());
    assert.equal(editor.document.getText(editor.selection), queue[0].entity.text, 'the least certain entity is selected');
  });

  it('evaluates the model on the curated documents and writes a Markdown report', async () => {
    const c = await controller();
    await c.curation.flushAll();
    const result = await vscode.commands.executeCommand<EvaluationResult>('medner.evaluate', { source: 'all' });
    assert.ok(result.comparison.documents >= 3);
    const m = result.comparison.strict.micro;
    assert.ok(
      m.tp > 0 && m.fp > 0 && m.fn > 0,
      `tp ${m.tp}, fp ${m.fp}, fn ${m.fn}: the rejected, retyped and added entities count against the model`,
    );
    const report = readFileSync(result.report, 'utf8');
    assert.match(report, /^# MedNER evaluation on \d+ curated documents/);
    assert.match(report, /## Confusion/);
    assert.match(report, /## Confidence calibration/);
    const html = c.evaluation.html!;
    assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
    assert.match(html, /<svg role="img" aria-label="Reliability diagram"/);
  });

  it('exports the curated data in every format of the registry', async () => {
    const c = await controller();
    for (const format of FORMAT_NAMES) {
      const dir = mkdtempSync(path.join(tmpdir(), `medner-curated-${format}-`));
      const written = await vscode.commands.executeCommand<string[]>('medner.exportCurated', {
        scope: 'all',
        format,
        labelNames: 'chinese',
        target: dir,
      });
      assert.ok(written.length > 0 && written.every((f) => existsSync(f)), `${format}: ${readdirSync(dir).join(', ')}`);
    }
    const dir = mkdtempSync(path.join(tmpdir(), 'medner-curated-yidu-'));
    const [file] = await vscode.commands.executeCommand<string[]>('medner.exportCurated', {
      scope: 'done',
      format: 'yidu',
      target: dir,
      labelNames: 'chinese',
    });
    const lines = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { originalText: string; entities: { start_pos: number; end_pos: number; label_type: string }[] });
    assert.ok(lines.length >= 2, 'the documents marked done');
    const keys = c.curation.get(vscode.Uri.joinPath(folder(), 'curation-keys.txt'));
    assert.ok(!keys || keys.status === 'done');
    assert.ok(lines.some((l) => l.entities.length > 0));
    // The export is gold for Evaluate too, imported like any annotation file.
    const imported = await vscode.commands.executeCommand<EvaluationResult>('medner.evaluate', {
      source: file,
      report: path.join(dir, 'report.md'),
    });
    assert.equal(imported.comparison.documents, lines.length);
    assert.match(readFileSync(path.join(dir, 'report.md'), 'utf8'), new RegExp(`^# MedNER evaluation on ${path.basename(file)}`));
    for (const l of lines) {
      for (const e of l.entities) assert.ok(e.end_pos > e.start_pos && e.end_pos <= Array.from(l.originalText).length);
    }
  });

  it('refuses planted records (a path out of the folder, an entity past its text) and never saves through a linked store folder', async () => {
    const c = await controller();
    const root = folder().fsPath;
    const store = path.join(root, '.medner', 'annotations');
    const text = '患者因胆囊炎入院。';
    const record = (p: string, end: number) =>
      serializeRecord({
        path: p,
        sha256: hashText(text),
        status: 'done',
        entities: [{ start: 3, end, label: '疾病和诊断', text: '胆囊炎', status: 'accepted', before: '患者因', after: '入院。' }],
      });
    const outside = mkdtempSync(path.join(tmpdir(), 'medner-outside-'));
    writeFileSync(path.join(outside, 'secret.txt'), text);
    mkdirSync(store, { recursive: true });
    writeFileSync(
      path.join(store, 'planted-outside.txt.json'),
      record(path.relative(root, path.join(outside, 'secret.txt')).split(path.sep).join('/'), 6),
    );
    writeFileSync(path.join(root, 'planted-far.txt'), text);
    writeFileSync(path.join(store, 'planted-far.txt.json'), record('planted-far.txt', 100_000_000));
    writeFileSync(path.join(root, 'planted-good.txt'), text);
    writeFileSync(path.join(store, 'planted-good.txt.json'), record('planted-good.txt', 6));
    c.curation.reloadIndex();
    const keys = (await c.curation.documents()).map((d) => d.key);
    assert.ok(!keys.some((k) => k.includes('..')), keys.join(', '));
    // The one with a bad entity is listed (its text is not read for the view), but never placed: the export leaves it out, and ends.
    const dir = mkdtempSync(path.join(tmpdir(), 'medner-planted-'));
    const [written] = await vscode.commands.executeCommand<string[]>('medner.exportCurated', {
      scope: 'done',
      format: 'jsonl',
      target: dir,
    });
    const exported = readFileSync(written, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { path: string; entities: unknown[] });
    assert.deepEqual(
      exported.filter((d) => d.path.includes('planted') || d.path.includes('secret')).map((d) => [d.path, d.entities.length]),
      [['planted-good.txt', 1]],
    );
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder(), 'planted-far.txt'));
    c.curation.open(doc);
    await c.curation.open(doc).ready;
    assert.match(
      c.curation.refused(doc.uri) ?? '',
      /planted-far\.txt\.json: entity 0 \("胆囊炎" at 3–100000000\) ends past the document's 9 characters; record refused/,
    );
    // A linked folder inside the store: saving a document under it writes nothing through the link.
    mkdirSync(path.join(root, 'linked'), { recursive: true });
    writeFileSync(path.join(root, 'linked', 'note.txt'), text);
    symlinkSync(outside, path.join(store, 'linked'));
    const note = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder(), 'linked', 'note.txt'));
    await c.curation.open(note).ready;
    assert.equal(c.curation.setStatus(note, 'done'), true);
    await c.curation.flushAll();
    assert.deepEqual(readdirSync(outside), ['secret.txt'], 'nothing written outside the workspace');
    for (const planted of ['planted-outside.txt.json', 'planted-far.txt.json', 'planted-good.txt.json', 'linked'])
      rmSync(path.join(store, planted));
    c.curation.reloadIndex();
  });

  it('contributes keybindings under the Ctrl+Alt+M chord, only where MedNER curates', () => {
    const pkg = vscode.extensions.getExtension('medner.medner')!.packageJSON as {
      contributes: { keybindings: { key: string; when: string; command: string }[] };
    };
    const bindings = pkg.contributes.keybindings;
    assert.ok(bindings.length >= 15);
    for (const b of bindings) {
      assert.match(b.key, /^ctrl\+alt\+m /, `${b.command}: ${b.key}`);
      assert.ok(b.when, `${b.command} has a when clause`);
    }
    for (const command of [
      'medner.accept',
      'medner.reject',
      'medner.changeType',
      'medner.addEntity',
      'medner.acceptAll',
      'medner.undoCuration',
      'medner.redoCuration',
      'medner.nextEntity',
      'medner.previousEntity',
      'medner.nextUncertain',
      'medner.nextInQueue',
      'medner.growEnd',
      'medner.shrinkEnd',
      'medner.growStart',
      'medner.shrinkStart',
      'medner.markDone',
    ]) {
      assert.ok(
        bindings.some((b) => b.command === command),
        `${command} has a key`,
      );
    }
  });
});
