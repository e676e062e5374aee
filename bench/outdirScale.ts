// `npm run build && npm run build:bench && node out/bench/outdirScale.js [FILES]`: labels FILES
// (default 100,000) one-line records into --out-dir with the tiny test model (the model's speed is
// not what this measures), twice: a fresh run and a rerun that reuses every result. For each run:
// bytes the process passed to write(2) (/proc/self/io wchar: results, manifest, journal, exports,
// summaries), peak RSS (VmHWM) and seconds. Linux only (/proc).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { writeTinyModel } from '../test/unit/tinyModel';

const files = Number(process.argv[2] ?? 100_000);
const root = mkdtempSync(path.join(tmpdir(), 'medner-outdir-scale-'));
const cli = path.join(__dirname, '..', '..', 'dist', 'cli.js');
try {
  const input = path.join(root, 'in');
  for (let i = 0; i < files; i += 1000) {
    const dir = path.join(input, `d${i / 1000}`);
    mkdirSync(dir, { recursive: true });
    for (let j = i; j < Math.min(files, i + 1000); j++) writeFileSync(path.join(dir, `r${j}.txt`), `记录${j}：病病a。病a，患者无病史。`);
  }
  const model = writeTinyModel({}, mkdtempSync(path.join(root, 'model-')));
  // Read by the measured process itself as it exits: its own counters, not a sampled guess.
  const probe = path.join(root, 'probe.cjs');
  writeFileSync(
    probe,
    `process.on('exit', () => {
    const fs = require('fs');
    const io = fs.readFileSync('/proc/self/io', 'utf8');
    const status = fs.readFileSync('/proc/self/status', 'utf8');
    fs.writeFileSync(process.env.MEDNER_PROBE_OUT, JSON.stringify({
      wchar: Number(/wchar: (\\d+)/.exec(io)[1]),
      peakRssKb: Number(/VmHWM:\\s+(\\d+)/.exec(status)[1]),
    }));
  });\n`,
  );
  const out = path.join(root, 'out');
  for (const run of ['fresh', 'rerun']) {
    const report = path.join(root, `${run}.json`);
    const started = Date.now();
    const r = spawnSync(
      process.execPath,
      ['--require', probe, cli, 'label', input, '--model', model, '--threads', '1', '--quiet', '--out-dir', out],
      {
        env: { ...process.env, MEDNER_PROBE_OUT: report },
        encoding: 'utf8',
      },
    );
    const seconds = (Date.now() - started) / 1000;
    if (r.status !== 0) throw new Error(`${run}: exit ${r.status}: ${r.stderr}`);
    const m = JSON.parse(readFileSync(report, 'utf8')) as { wchar: number; peakRssKb: number };
    const summary = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8')) as { documents: number; reused: number };
    console.log(
      `${run}: ${files} files (${summary.reused} reused, ${summary.documents} documents): ` +
        `${(m.wchar / 1e6).toFixed(1)} MB written, peak RSS ${(m.peakRssKb / 1024).toFixed(0)} MB, ${seconds.toFixed(1)} s`,
    );
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
