// medner.showTypeLabels (each entity's type written after it), and Show Entities of Type asking for the type.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { controller, waitFor } from './helpers';
import { acceptPromptsUntil } from './prompts';

describe('MedNER type labels and the type picker', function () {
  this.timeout(60_000);

  afterEach(async () => {
    await vscode.workspace.getConfiguration('medner').update('showTypeLabels', undefined, vscode.ConfigurationTarget.Global);
  });

  it('writes the type after every highlighted entity when medner.showTypeLabels is on, and none when off', async () => {
    const c = await controller();
    const folder = vscode.workspace.workspaceFolders![0];
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder.uri, '03-coronary-crlf.txt'));
    await vscode.window.showTextDocument(doc);
    await vscode.commands.executeCommand('medner.analyzeDocument');
    const key = doc.uri.toString();
    const highlighted = () => [...(c.decorations.drawn.get(key)?.values() ?? [])].reduce((n, r) => n + r.length, 0);
    await waitFor('highlights', () => highlighted() > 0);
    assert.equal(c.decorations.drawnTags.get(key), 0, 'off by default');
    await vscode.workspace.getConfiguration('medner').update('showTypeLabels', true, vscode.ConfigurationTarget.Global);
    await waitFor('a tag per highlighted entity', () => c.decorations.drawnTags.get(key) === highlighted());
    await vscode.workspace.getConfiguration('medner').update('showTypeLabels', false, vscode.ConfigurationTarget.Global);
    await waitFor('no tags', () => c.decorations.drawnTags.get(key) === 0);
  });

  it('Show Entities of Type from the palette asks for the type, then lists only entities of it', async () => {
    const c = await controller();
    const folder = vscode.workspace.workspaceFolders![0];
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder.uri, '01-cholecystitis.txt'));
    const editor = await vscode.window.showTextDocument(doc);
    await vscode.commands.executeCommand('medner.analyzeDocument');
    const placed = c.placed(doc)!;
    assert.notEqual(placed[0].entity.label, '疾病和诊断', 'the first entity is of another type than the first in the list');
    editor.selection = new vscode.Selection(0, 0, 0, 0);
    // Enter in each list: the first type (disease), then its first entity.
    await acceptPromptsUntil(vscode.commands.executeCommand('medner.showEntitiesOfType'));
    const firstDisease = placed.find((p) => p.entity.label === '疾病和诊断')!;
    assert.equal(doc.getText(editor.selection), firstDisease.entity.text);
  });
});
