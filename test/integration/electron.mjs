// The same suite in desktop VS Code, through @vscode/test-electron, which downloads VS Code into
// .vscode-test/ (so only where the network allows; on our offline machines use run.sh).
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTests } from '@vscode/test-electron';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const work = mkdtempSync(path.join(tmpdir(), 'medner-electron-'));
// Tests may edit files: give them a throwaway copy of the fixture folder, as run.mjs does.
const workspace = path.join(work, 'workspace');
cpSync(path.join(ROOT, 'test/fixtures/workspace'), workspace, { recursive: true });
const result = path.join(work, 'result.json');

let code = 1;
try {
  await runTests({
    extensionDevelopmentPath: ROOT,
    extensionTestsPath: path.join(ROOT, 'out/test/integration/index.js'),
    extensionTestsEnv: { EXT_TEST_RESULT_FILE: result },
    launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust'],
  });
  code = 0;
} catch (e) {
  console.error(`[electron] ${e?.message ?? e}`);
}
if (existsSync(result)) {
  const r = JSON.parse(readFileSync(result, 'utf8'));
  console.log(`${r.passes} passed, ${r.failures} failed, ${r.pending} skipped`);
  if (r.passes + r.failures === 0) code = 1;
} else {
  console.error('[electron] no result file: the tests did not run');
  code = 1;
}
rmSync(work, { recursive: true, force: true });
process.exit(code);
