// MedNER: Export Annotations… on the active document, in a real extension host.
import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Controller } from '../../src/extension/controller';

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
});
