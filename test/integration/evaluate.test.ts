// Evaluate's examples: misses and rejected (spurious) predictions among them, each shown in its document.
import * as assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { EvaluationResult } from '../../src/extension/evaluateCommand';
import { controller } from './helpers';

describe('MedNER Evaluate examples', function () {
  this.timeout(60_000);

  it('lists a miss and a rejected prediction, and shows an example in its document with its text selected', async () => {
    const c = await controller();
    const folder = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const file = path.join(folder, 'evaluate-examples.txt');
    copyFileSync(path.join(folder, '01-cholecystitis.txt'), file);
    const doc = await vscode.workspace.openTextDocument(file);
    const editor = await vscode.window.showTextDocument(doc);
    await vscode.commands.executeCommand('medner.analyzeDocument');
    const [first] = c.placed(doc)!;
    editor.selection = new vscode.Selection(doc.positionAt(first.start), doc.positionAt(first.start));
    assert.equal(await vscode.commands.executeCommand('medner.reject'), true);
    // "患者" (the patient) is no entity the model finds: added by a person, the model misses it.
    const at = doc.getText().indexOf('患者');
    editor.selection = new vscode.Selection(doc.positionAt(at), doc.positionAt(at + 2));
    assert.equal(await vscode.commands.executeCommand('medner.addEntity', 'disease'), true);

    const result = (await vscode.commands.executeCommand<EvaluationResult>('medner.evaluate', { source: 'all' }))!;
    const mine = result.comparison.examples.filter((e) => e.document === 'evaluate-examples.txt');
    const missed = mine.find((e) => e.kind === 'missed');
    const spurious = mine.find((e) => e.kind === 'spurious');
    assert.ok(missed && missed.gold?.startsWith('患者'), JSON.stringify(mine));
    assert.ok(spurious && spurious.predicted?.startsWith(first.entity.text), JSON.stringify(mine));
    assert.match(c.evaluation.html!, /data-example="\d+"/);

    assert.equal(await c.evaluation.reveal(spurious, result.documentOf), true);
    const shown = vscode.window.activeTextEditor!;
    assert.equal(shown.document.uri.fsPath, file);
    assert.equal(shown.document.getText(shown.selection), first.entity.text);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });
});
