// The README pictures: `TEST_GREP=scene SCREENSHOT_DIR=$PWD/media npm run test:integration`.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { OffsetMap } from '../../src/core/offsets';
import type { Controller } from '../../src/extension/controller';
import { screenshot } from './screenshot';

async function showRecord(): Promise<{ c: Controller; editor: vscode.TextEditor }> {
  const c = await vscode.extensions.getExtension<Controller>('medner.medner')!.activate();
  const folder = vscode.workspace.workspaceFolders![0];
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder.uri, '01-cholecystitis.txt'));
  const editor = await vscode.window.showTextDocument(doc);
  await vscode.commands.executeCommand('medner.analyzeDocument');
  await vscode.commands.executeCommand('workbench.view.extension.medner');
  await vscode.window.showTextDocument(doc);
  return { c, editor };
}

describe('MedNER scenes', function () {
  this.timeout(60_000);

  it('scene: highlights — a record with its entities and the legend', async () => {
    const { c, editor } = await showRecord();
    assert.ok((c.analyzer.get(editor.document.uri)?.placed.length ?? 0) > 0);
    await new Promise((r) => setTimeout(r, 500));
    await screenshot('screenshot-highlights');
  });

  it('scene: hover — the hover of a drug', async () => {
    const { c, editor } = await showRecord();
    const placed = c.analyzer.get(editor.document.uri)!.placed;
    const target = placed.find((p) => p.entity.label === '药物') ?? placed[0];
    const pos = editor.document.positionAt(target.start + 1);
    editor.selection = new vscode.Selection(pos, pos);
    await vscode.commands.executeCommand('editor.action.showHover');
    await new Promise((r) => setTimeout(r, 1500));
    await screenshot('screenshot-hover');
  });
});

describe('MedNER type label scene', function () {
  this.timeout(60_000);

  it('scene: type labels — each entity with its type written after it (medner.showTypeLabels)', async () => {
    // Closed first: the hover of the scene before would cover the record.
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const { c, editor } = await showRecord();
    await vscode.workspace.getConfiguration('medner').update('showTypeLabels', true, vscode.ConfigurationTarget.Global);
    try {
      const key = editor.document.uri.toString();
      for (let i = 0; i < 200 && !c.decorations.drawnTags.get(key); i++) await new Promise((r) => setTimeout(r, 50));
      assert.ok(c.decorations.drawnTags.get(key));
      await new Promise((r) => setTimeout(r, 500));
      await screenshot('screenshot-type-labels');
    } finally {
      await vscode.workspace.getConfiguration('medner').update('showTypeLabels', undefined, vscode.ConfigurationTarget.Global);
    }
  });
});

describe('MedNER theme scenes', function () {
  this.timeout(60_000);

  for (const [theme, name] of [
    ['Default Dark Modern', 'screenshot-highlights-dark'],
    ['Default High Contrast', 'screenshot-highlights-high-contrast'],
  ]) {
    it(`scene: ${theme} — the palette and line styles in another kind of theme`, async () => {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      await vscode.workspace.getConfiguration('workbench').update('colorTheme', theme, vscode.ConfigurationTarget.Global);
      try {
        const { c, editor } = await showRecord();
        assert.ok((c.analyzer.get(editor.document.uri)?.placed.length ?? 0) > 0);
        await new Promise((r) => setTimeout(r, 1000));
        await screenshot(name);
      } finally {
        await vscode.workspace.getConfiguration('workbench').update('colorTheme', undefined, vscode.ConfigurationTarget.Global);
      }
    });
  }
});

describe('MedNER curation scenes', function () {
  this.timeout(120_000);

  it('scene: curation — decided, open and rejected entities, the Entities view with its queue', async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const { c, editor } = await showRecord();
    await vscode.workspace.getConfiguration('medner').update('curation.showRejected', true, vscode.ConfigurationTarget.Global);
    try {
      const doc = editor.document;
      const map = new OffsetMap(doc.getText());
      const open = () => c.curation.get(doc.uri)!.entities.filter((e) => e.status === 'predicted');
      const cursor = (start: number) => {
        const pos = doc.positionAt(map.toUtf16(start));
        editor.selection = new vscode.Selection(pos, pos);
      };
      // A morning's work on the first half of the record: accept, reject, retype, add.
      cursor(open()[0].start);
      for (let i = 0; i < 4; i++) await vscode.commands.executeCommand('medner.accept');
      await vscode.commands.executeCommand('medner.reject');
      await vscode.commands.executeCommand('medner.accept');
      const at = doc.getText().indexOf('恶心');
      editor.selection = new vscode.Selection(doc.positionAt(at), doc.positionAt(at + 2));
      await vscode.commands.executeCommand('medner.addEntity', 'disease');
      await vscode.commands.executeCommand('medner.prepareReview', '0*.txt');
      await vscode.window.showTextDocument(doc);
      cursor(open()[0].start);
      await new Promise((r) => setTimeout(r, 800));
      await screenshot('screenshot-curation');
    } finally {
      await vscode.workspace.getConfiguration('medner').update('curation.showRejected', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('scene: evaluation — the model against the curated documents', async () => {
    const { editor } = await showRecord();
    // The record finished: the rest of its predictions accepted, the document done.
    await vscode.window.showTextDocument(editor.document);
    await vscode.commands.executeCommand('medner.acceptAll');
    await vscode.commands.executeCommand('medner.evaluate', { source: 'done' });
    await new Promise((r) => setTimeout(r, 3000));
    await screenshot('screenshot-evaluation');
  });
});
