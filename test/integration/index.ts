// The extension-host test entry: VS Code loads this module (`extensionTestsPath`) inside the
// extension host and awaits run(). Same contract under test/integration/run.sh (code-server)
// and test/integration/electron.mjs (@vscode/test-electron).
import { appendFileSync, readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { format } from 'node:util';
import Mocha from 'mocha';

export async function run(): Promise<void> {
  // Under code-server the extension host's console only reaches the browser, mixed with workbench
  // logging, so run.mjs asks for a copy of the report in a file.
  const logFile = process.env.EXT_TEST_LOG_FILE;
  const log = (...data: unknown[]) => {
    if (logFile) appendFileSync(logFile, format(...data) + '\n');
  };
  const consoleLog = Mocha.reporters.Base.consoleLog;
  Mocha.reporters.Base.consoleLog = (...data: unknown[]) => {
    consoleLog(...data);
    log(...data);
  };

  const mocha = new Mocha({ ui: 'bdd', color: false, reporter: 'spec', timeout: 60_000, grep: process.env.TEST_GREP });
  const files = readdirSync(__dirname, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.test.js'))
    .sort();
  for (const f of files) mocha.addFile(path.join(__dirname, f));

  let stats: Mocha.Stats | undefined;
  try {
    await new Promise<void>((resolve) => {
      const runner = mocha.run(() => {
        stats = runner.stats;
        resolve();
      });
    });
  } catch (e) {
    // mocha.run() throws when a test file fails to load.
    log('could not load the tests:', e);
    throw e;
  }
  const { passes = 0, failures = 0, pending = 0 } = stats ?? {};
  // The runners read the counts from this file: the extension host's exit code alone cannot
  // tell "all passed" from "no tests were loaded".
  const out = process.env.EXT_TEST_RESULT_FILE;
  if (out) writeFileSync(out, JSON.stringify({ passes, failures, pending, files: files.length }));
  if (failures > 0) throw new Error(`${failures} integration test(s) failed`);
}
