// MedNER makes no network calls, ever: neither our sources nor the shipped bundles may reach for a
// network API. (onnxruntime-node stays external to the bundles; it loads a local model file.)
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ROOT } from './support';

const NETWORK_MODULES = ['http', 'https', 'http2', 'net', 'dgram', 'tls', 'dns', 'undici', 'ws'];
const MODULE_USE = new RegExp(String.raw`(?:require\(\s*|from\s+|import\(\s*)['"](?:node:)?(${NETWORK_MODULES.join('|')})['"]`, 'g');
const GLOBAL_USE = /\b(fetch|WebSocket|XMLHttpRequest|EventSource)\s*\(|new\s+(WebSocket|XMLHttpRequest|EventSource)\b/g;

function files(dir: string, ext: RegExp): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => ext.test(f)).map((f) => path.join(dir, f));
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
    assert.deepEqual(bundles.map((b) => path.basename(b)).sort(), ['cli.js', 'extension.js', 'runnerWorker.js']);
    assert.deepEqual(bundles.flatMap(offences), []);
  });

  it('the check itself catches network use', () => {
    const probe = "import * as https from 'node:https'; const r = require('net'); fetch(url); new WebSocket(u);";
    assert.equal([...probe.matchAll(MODULE_USE), ...probe.matchAll(GLOBAL_USE)].length, 4);
  });
});
