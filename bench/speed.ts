/**
 * Throughput of the shipped model through the TypeScript core (the path the CLI and the extension
 * use), on a fixed set of clinical texts, for each thread count. Every measurement uses a fresh
 * engine, so the window cache never serves a repeated text.
 *
 *   node out/bench/speed.js --texts DEV.yidu.jsonl [--threads 1,2] [--repeat 3] [--model DIR] [--int8] [--json OUT]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { NerEngine } from '../src/core/engine';
import { parseYidu } from '../src/core/formats/yidu';
import { loadModelMeta } from '../src/core/model';
import { OnnxRunner } from '../src/core/onnxRunner';

function arg(name: string, fallback?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

async function main(): Promise<void> {
  const textsPath = arg('texts');
  if (!textsPath) throw new Error('--texts FILE (Yidu JSON lines) is required');
  const texts = parseYidu(readFileSync(textsPath, 'utf8')).map((r) => r.text);
  const chars = texts.reduce((n, t) => n + Array.from(t).length, 0);
  const modelDir = arg('model', path.join(__dirname, '..', '..', 'models', 'bbrac'))!;
  const threads = arg('threads', '1,2')!.split(',').map(Number);
  const repeat = Number(arg('repeat', '3'));
  const precision = process.argv.includes('--int8') ? 'int8' : 'fp32';
  const meta = loadModelMeta(modelDir, true, precision);
  const rows = [];
  for (const t of threads) {
    const runs: number[] = [];
    for (let r = 0; r < repeat; r++) {
      const engine = new NerEngine(meta, await OnnxRunner.create(meta, { threads: t }), 0);
      const started = process.hrtime.bigint();
      for (let i = 0; i < texts.length; i += 64) await engine.analyzeMany(texts.slice(i, i + 64));
      runs.push(Number(process.hrtime.bigint() - started) / 1e9);
      await engine.dispose();
    }
    runs.sort((a, b) => a - b);
    const median = runs[Math.floor(runs.length / 2)];
    rows.push({ threads: t, seconds: median, charsPerSecond: chars / median });
    console.log(
      `${precision} ${t} thread(s): ${Math.round(chars / median).toLocaleString('en')} chars/s (median of ${repeat}, ${chars.toLocaleString('en')} chars in ${texts.length} texts)`,
    );
  }
  const out = arg('json');
  // Peak RSS of this process: the same engine, runner and model a CLI run holds.
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  if (out) writeFileSync(out, JSON.stringify({ model: meta.name, precision, texts: texts.length, chars, rows, peakRssMb }, null, 1) + '\n');
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
