// The extension as VS Code sees it: found by id, activated by its command, every contributed
// command registered. Runs in a real extension host (see test/integration/run.sh).
import * as assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Controller } from '../../src/extension/controller';
import { EXTENSION_ID } from './helpers';

const ROOT = path.resolve(__dirname, '..', '..', '..');

interface Manifest {
  contributes?: { commands?: { command: string }[] };
}

describe('MedNER extension activation', () => {
  it('opens the fixture workspace', async () => {
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'a workspace folder is open');
    const names = (await vscode.workspace.fs.readDirectory(folder.uri)).map(([name]) => name);
    assert.ok(names.includes('01-cholecystitis.txt'), `fixture files in ${folder.uri.fsPath}: ${names.join(', ')}`);
  });

  it('is installed and activates on medner.analyzeDocument', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is loaded (the working tree or the installed VSIX)`);
    // Give the command a document to work on, as a user would.
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder);
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder.uri, '01-cholecystitis.txt'));
    await vscode.window.showTextDocument(doc);
    await vscode.commands.executeCommand('medner.analyzeDocument');
    assert.equal(ext.isActive, true);
    // The benchmark (bench/run.mjs) reports the activation time measured in this real extension host.
    const { activationMs } = ext.exports as Controller;
    assert.ok(activationMs > 0);
    const out = path.join(ROOT, 'out', 'bench');
    mkdirSync(out, { recursive: true });
    writeFileSync(path.join(out, 'activation.json'), JSON.stringify({ activationMs, vscode: vscode.version }) + '\n');
  });

  it('is the build under test: the working tree, or the installed VSIX', () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext);
    if (process.env.MEDNER_TEST_VSIX) {
      assert.ok(!ext.extensionPath.startsWith(ROOT), `${ext.extensionPath} is an installed copy`);
      assert.match(path.basename(ext.extensionPath), /^medner\.medner-\d+\.\d+\.\d+/);
    } else {
      assert.equal(ext.extensionPath, ROOT);
    }
  });

  it('registers every command contributed in package.json', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext);
    await ext.activate();
    const contributed = ((ext.packageJSON as Manifest).contributes?.commands ?? []).map((c) => c.command);
    assert.ok(contributed.length > 0, 'package.json contributes commands');
    const registered = new Set(await vscode.commands.getCommands(true));
    assert.deepEqual(
      contributed.filter((c) => !registered.has(c)),
      [],
      'contributed commands that the extension does not register',
    );
  });
});
