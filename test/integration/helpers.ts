// What every extension-host test needs: the activated extension and a poll for asynchronous results.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { Controller } from '../../src/extension/controller';

export const EXTENSION_ID = 'medner.medner';

export async function controller(): Promise<Controller> {
  const ext = vscode.extensions.getExtension<Controller>(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is loaded`);
  return ext.activate();
}

/** Polls `probe` every 50 ms until it returns something truthy. */
export async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 30_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
