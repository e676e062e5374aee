// The README pictures: `TEST_GREP=scene SCREENSHOT_DIR=$PWD/media npm run test:integration`.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
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
