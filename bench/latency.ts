/**
 * Time to first highlights for a record of about 2,000 characters, through the extension's path
 * (model in a worker thread): cold (model load included) and warm (a new text, cache cold).
 *
 *   node out/bench/latency.js [--model DIR] [--threads N] [--int8]
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { NerEngine } from '../src/core/engine';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

async function main(): Promise<void> {
  const root = path.join(__dirname, '..', '..');
  const samples = path.join(root, 'samples');
  const corpus = readdirSync(samples)
    .sort()
    .map((f) => readFileSync(path.join(samples, f), 'utf8'))
    .join('');
  const record = (shift: number) =>
    Array.from(corpus.repeat(3))
      .slice(shift, shift + 2000)
      .join('');
  const threads = Number(arg('threads', '0'));
  const modelDir = arg('model', path.join(root, 'models', 'bbrac'));
  const t0 = performance.now();
  const precision = process.argv.includes('--int8') ? 'int8' : 'fp32';
  const engine = await NerEngine.load(modelDir, { threads, inWorker: true, precision });
  await engine.analyze(record(0));
  const cold = performance.now() - t0;
  const warm: number[] = [];
  for (let i = 1; i <= 10; i++) {
    const t = performance.now();
    await engine.analyze(record(i * 37)); // a different text each time: no cache hits
    warm.push(performance.now() - t);
  }
  warm.sort((a, b) => a - b);
  const t = performance.now();
  await engine.analyze(record(37));
  const cached = performance.now() - t;
  await engine.dispose();
  console.log(
    JSON.stringify({
      precision,
      chars: 2000,
      threads,
      coldMs: Math.round(cold),
      warmMedianMs: Math.round(warm[5]),
      warmMaxMs: Math.round(warm[9]),
      reopenMs: +cached.toFixed(2),
    }),
  );
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
