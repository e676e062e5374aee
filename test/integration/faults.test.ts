// The extension's side of the fault fixtures (test/unit/faults.test.ts has the rest): a binary
// file, a document over medner.maxDocumentSize, and a corrupt model behind medner.modelPath.
import * as assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { controller, waitFor } from './helpers';

const settle = () => new Promise((r) => setTimeout(r, 1500));

async function setting(key: string, value: unknown): Promise<void> {
  await vscode.workspace.getConfiguration('medner').update(key, value, vscode.ConfigurationTarget.Global);
}

describe('MedNER on faulty input', function () {
  this.timeout(90_000);

  afterEach(async () => {
    for (const key of ['maxDocumentSize', 'modelPath']) await setting(key, undefined);
    // Discards the untitled documents too: closing a dirty one would wait on a save dialog.
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it('leaves a binary document to the Analyze command', async () => {
    const c = await controller();
    const folder = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const file = path.join(folder, 'scan.txt');
    writeFileSync(
      file,
      Buffer.concat([
        Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]),
        Buffer.from('病病患者'),
        Buffer.alloc(32),
      ]),
    );
    // VS Code itself may refuse a binary file; opened anyway, MedNER must not label it on its own.
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file)).then(
      (d) => d,
      (e: Error) => {
        assert.match(e.message, /binary/i);
        return vscode.workspace.openTextDocument({ language: 'plaintext', content: readFileSync(file, 'latin1') });
      },
    );
    await vscode.window.showTextDocument(doc);
    await settle();
    assert.equal(c.analyzer.get(doc.uri), undefined, 'not analysed automatically');
    assert.notEqual(c.model.state, 'error');
    await vscode.commands.executeCommand('medner.analyzeDocument');
    assert.ok(c.analyzer.get(doc.uri)?.fresh, 'analysed on request');
  });

  it('leaves a document over medner.maxDocumentSize to the Analyze command', async () => {
    const c = await controller();
    await setting('maxDocumentSize', 1000);
    const doc = await vscode.workspace.openTextDocument({ language: 'plaintext', content: '患者因胆囊炎入院。'.repeat(200) });
    await vscode.window.showTextDocument(doc);
    await settle();
    assert.equal(c.analyzer.get(doc.uri), undefined, 'not analysed automatically');
    await vscode.commands.executeCommand('medner.analyzeDocument');
    const result = c.analyzer.get(doc.uri);
    assert.ok(result?.fresh && result.placed.length > 0, 'analysed on request');
  });

  it('reports a corrupt model file behind medner.modelPath, and recovers from the shipped one', async () => {
    const c = await controller();
    const shipped = path.join(vscode.extensions.getExtension('medner.medner')!.extensionPath, 'models', 'bbrac');
    const broken = mkdtempSync(path.join(tmpdir(), 'medner-corrupt-model-'));
    copyFileSync(path.join(shipped, 'model.json'), path.join(broken, 'model.json'));
    // The editor's default precision is int8.
    const onnx = readFileSync(path.join(shipped, 'model.int8.onnx'));
    writeFileSync(path.join(broken, 'model.int8.onnx'), onnx.subarray(0, onnx.length >> 1));
    const doc = await vscode.workspace.openTextDocument({ language: 'plaintext', content: '患者行胆囊切除术。' });
    await vscode.window.showTextDocument(doc);
    await setting('modelPath', broken);
    await vscode.commands.executeCommand('medner.analyzeDocument');
    await waitFor('error state', () => c.model.state === 'error');
    assert.match(c.model.lastError ?? '', /model\.int8\.onnx does not match its metadata .*corrupt, truncated or from another export/);
    assert.equal(c.analyzer.get(doc.uri), undefined);
    await setting('modelPath', undefined);
    await waitFor('the shipped model again', () => c.model.state === 'ready' && c.analyzer.get(doc.uri)?.fresh);
    rmSync(broken, { recursive: true, force: true });
  });
});
