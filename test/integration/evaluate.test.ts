// Evaluate's examples: misses and spurious predictions among them, each shown in its document.
import * as assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { EvaluationResult } from '../../src/extension/evaluateCommand';
import { controller } from './helpers';

describe('MedNER Evaluate examples', function () {
  this.timeout(60_000);

  it('lists a miss and a spurious prediction, and shows an example in its document with its text selected', async () => {
    const c = await controller();
    const folder = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const file = path.join(folder, 'evaluate-examples.txt');
    copyFileSync(path.join(folder, '01-cholecystitis.txt'), file);
    const text = readFileSync(file, 'utf8');
    // Gold of one entity the model does not find ("患者", the patient): every prediction is spurious
    // (as those a person rejected are, in curated gold), and this one is missed.
    const gold = path.join(folder, 'evaluate-gold.jsonl');
    const entity = { start: 0, end: 2, label: '疾病和诊断', text: '患者', score: 1 };
    writeFileSync(gold, JSON.stringify({ path: 'evaluate-examples.txt', encoding: 'utf-8', text, entities: [entity] }) + '\n');
    const doc = await vscode.workspace.openTextDocument(file);
    await vscode.window.showTextDocument(doc);
    await vscode.commands.executeCommand('medner.analyzeDocument');
    const [first] = c.placed(doc)!;

    const result = (await vscode.commands.executeCommand<EvaluationResult>('medner.evaluate', {
      source: gold,
      report: path.join(folder, 'evaluate-report.md'),
    }))!;
    const missed = result.comparison.examples.find((e) => e.kind === 'missed');
    const spurious = result.comparison.examples.find((e) => e.kind === 'spurious');
    assert.ok(missed?.gold?.startsWith('患者'), JSON.stringify(result.comparison.examples));
    assert.ok(spurious?.predicted?.startsWith(first.entity.text), JSON.stringify(result.comparison.examples));
    assert.match(c.evaluation.html!, /data-example="\d+"/);

    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    assert.equal(await c.evaluation.reveal(spurious, result.documentOf), true);
    const shown = vscode.window.activeTextEditor!;
    assert.equal(shown.document.uri.fsPath, file);
    assert.equal(shown.document.getText(shown.selection), first.entity.text);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });
});
