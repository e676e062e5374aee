// MedNER makes no network calls, ever: neither our sources nor the shipped bundles may reach for a
// network API. (onnxruntime-node stays external to the bundles; it loads a local model file.)
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ROOT, SHIPPED_MODEL } from './support';

const NETWORK_MODULES = ['http', 'https', 'http2', 'net', 'dgram', 'tls', 'dns', 'undici', 'ws'];
const MODULE_USE = new RegExp(String.raw`(?:require\(\s*|from\s+|import\(\s*)['"](?:node:)?(${NETWORK_MODULES.join('|')})['"]`, 'g');
const GLOBAL_USE = /\b(fetch|WebSocket|XMLHttpRequest|EventSource)\s*\(|new\s+(WebSocket|XMLHttpRequest|EventSource)\b/g;

function files(dir: string, ext: RegExp): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => ext.test(f))
    .map((f) => path.join(dir, f));
}

function offences(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(MODULE_USE), ...text.matchAll(GLOBAL_USE)].map((m) => `${path.relative(ROOT, file)}: ${m[0]}`);
}

describe('privacy: no network code', () => {
  it('our sources import no network module and call no network API', () => {
    const sources = files(path.join(ROOT, 'src'), /\.ts$/);
    assert.ok(sources.length > 20);
    assert.deepEqual(sources.flatMap(offences), []);
  });

  it('the shipped bundles contain none either', () => {
    const bundles = files(path.join(ROOT, 'dist'), /\.js$/);
    assert.deepEqual(bundles.map((b) => path.basename(b)).sort(), ['cli.js', 'extension.js', 'inferenceWorker.js']);
    assert.deepEqual(bundles.flatMap(offences), []);
  });

  it('the check itself catches network use', () => {
    const probe = "import * as https from 'node:https'; const r = require('net'); fetch(url); new WebSocket(u);";
    assert.equal([...probe.matchAll(MODULE_USE), ...probe.matchAll(GLOBAL_USE)].length, 4);
  });
});

// ONNX Runtime is native code we load but do not write: what it does is seen only in the system calls
// of a real run. Its telemetry starts about 17 s after the library loads, so each run stays alive
// past that (idle, on stdin) before it labels. Needs Debian's strace (npm run deps installs it).
describe('privacy: no system call reaches the network', function () {
  const IDLE_S = 25;
  this.timeout((IDLE_S + 60) * 1000);

  interface Traced {
    status: number | null;
    stdout: string;
    calls: string[];
    home: string[];
  }

  /** Runs node ARGS under `strace -f -e trace=network` with an empty HOME; stdin gets TEXT after IDLE_S seconds. */
  function traced(args: string[], env: Record<string, string> = {}): Promise<Traced> {
    const dir = mkdtempSync(path.join(tmpdir(), 'medner-strace-'));
    const home = path.join(dir, 'home');
    mkdirSync(home);
    const log = path.join(dir, 'trace.txt');
    const child = spawn('strace', ['-f', '-e', 'trace=network', '-o', log, process.execPath, ...args], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, ...env },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const timer = setTimeout(() => child.stdin.end(readFileSync(path.join(ROOT, 'samples', '01-cholecystitis.txt'))), IDLE_S * 1000);
    return new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (status) => {
        clearTimeout(timer);
        // Not network use: strace's own notes (a thread exiting, a signal), and Node asking what
        // kind of file its stdio is (the test's pipes are Unix socket pairs).
        const calls = readFileSync(log, 'utf8')
          .split('\n')
          .filter((l) => l && !/^\d+\s+(\+\+\+|---)/.test(l) && !/^\d+\s+(getsockname|getsockopt)\([012],/.test(l));
        resolve({ status, stdout, calls, home: readdirSync(home, { recursive: true, encoding: 'utf8' }) });
      });
    });
  }

  before(function () {
    if (spawnSync('strace', ['-V']).status !== 0) throw new Error('strace is not installed: run `npm run deps`');
  });

  it('labels through the CLI (in-process ONNX Runtime) with no network call and nothing written to HOME', async () => {
    const cli = traced([path.join(ROOT, 'dist', 'cli.js'), 'label', '-']);
    // The extension's path: the engine's worker thread, started by a main thread.
    const worker = traced([path.join(ROOT, 'out', 'test', 'unit', 'probes', 'workerHost.js'), SHIPPED_MODEL], {
      MEDNER_PROBE_IDLE_S: String(IDLE_S),
    });
    // The check itself: ONNX Runtime loaded without MedNER's setting does phone home.
    const bare = traced(['-e', BARE_ORT, SHIPPED_MODEL]);
    const [c, w, b] = await Promise.all([cli, worker, bare]);
    assert.equal(c.status, 0);
    assert.ok(c.stdout.includes('"entities"'), 'the CLI labelled the record');
    assert.deepEqual(c.calls, [], 'no network system call from the CLI');
    assert.deepEqual(c.home, [], 'nothing written under HOME by the CLI');
    assert.equal(w.status, 0);
    assert.ok(Number(w.stdout) > 0, 'the worker labelled the record');
    assert.deepEqual(w.calls, [], 'no network system call from the worker path');
    assert.deepEqual(w.home, [], 'nothing written under HOME by the worker path');
    assert.equal(b.status, 0);
    assert.ok(
      b.calls.some((l) => /\b(socket|connect|sendto)\(/.test(l)),
      'without the setting ONNX Runtime makes network calls: the trace would see them',
    );
    assert.ok(b.home.length > 0, 'without the setting ONNX Runtime writes its telemetry store under HOME');
  });
});

// onnxruntime-node loaded directly, as a library user who does not know about its telemetry would.
const BARE_ORT = `
const ort = require(${JSON.stringify(path.join(ROOT, 'node_modules', 'onnxruntime-node'))});
ort.InferenceSession.create(require('path').join(process.argv[1], 'model.onnx')).then(() => process.stdin.resume().on('end', () => process.exit(0)));
`;
