// Settings as a real extension host registers them from package.json's categories, and the scope
// of medner.modelPath: a (trusted) workspace may point it at a model.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { DEFAULTS, SECTION, type SettingKey } from '../../src/extension/settings';
import { controller, waitFor } from './helpers';

describe('MedNER settings', function () {
  this.timeout(90_000);

  it("registers every setting with settings.ts's default", async () => {
    await controller();
    const config = vscode.workspace.getConfiguration(SECTION);
    for (const key of Object.keys(DEFAULTS) as SettingKey[]) {
      assert.deepEqual(config.inspect(key)?.defaultValue, DEFAULTS[key], `${SECTION}.${key}`);
    }
  });

  it("uses a workspace's medner.modelPath", async () => {
    const c = await controller();
    const config = () => vscode.workspace.getConfiguration(SECTION);
    try {
      await config().update('modelPath', '/nonexistent/medner-workspace-model', vscode.ConfigurationTarget.Workspace);
      await waitFor('the workspace value read', () => c.config.modelPath === '/nonexistent/medner-workspace-model');
      // As the README writes it: a folder of the workspace, not of the host's working directory.
      await config().update('modelPath', 'models/curated', vscode.ConfigurationTarget.Workspace);
      const folder = vscode.workspace.workspaceFolders![0].uri.fsPath;
      await waitFor('a relative value resolved in the workspace', () => c.config.modelPath === path.join(folder, 'models', 'curated'));
    } finally {
      await config().update('modelPath', undefined, vscode.ConfigurationTarget.Workspace);
    }
    await waitFor('the shipped model again', () => c.config.modelPath === '');
  });
});
