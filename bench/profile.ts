/**
 * Where the time of a labelling run goes, and which onnxruntime settings pay for themselves.
 * Windows are cut and batched exactly as NerEngine does (sorted by length, a token budget per
 * batch); the network runs through OnnxRunner and decoding through the core's CRF.
 *
 *   node out/bench/profile.js --texts DEV.yidu.jsonl [--threads 2] [--repeat 3] [--int8] [--json OUT]
 */
import { writeFileSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { marginals, viterbi } from '../src/core/crf';
import { DEFAULT_BATCH_TOKENS, planBatches } from '../src/core/engine';
import { parseYidu } from '../src/core/formats/yidu';
import { loadModelMeta } from '../src/core/model';
import { OnnxRunner, type RunnerOptions } from '../src/core/onnxRunner';
import { Tokenizer } from '../src/core/tokenizer';
import { makeWindows } from '../src/core/windowing';

function arg(name: string, fallback?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const texts = parseYidu(readFileSync(arg('texts')!, 'utf8')).map((r) => r.text);
  const threads = Number(arg('threads', '2'));
  const repeat = Number(arg('repeat', '3'));
  const precision = process.argv.includes('--int8') ? 'int8' : 'fp32';
  const meta = loadModelMeta(arg('model', path.join(__dirname, '..', '..', 'models', 'bbrac'))!, true, precision);

  let t0 = process.hrtime.bigint();
  const tokenizer = new Tokenizer(meta.vocab, meta.normalization);
  const windows: Int32Array[] = [];
  // A model with a lexicon: each window's dictionary features, looked up here as the engine does.
  const features = new Map<Int32Array, Int32Array>();
  let chars = 0;
  for (const text of texts) {
    const ws = makeWindows(text, meta.maxLength);
    chars += ws[ws.length - 1].end;
    for (const w of ws) {
      const ids = tokenizer.encode(text, w.from, w.to);
      windows.push(ids);
      if (meta.lexicon) features.set(ids, meta.lexicon.terms.features(text, w.from, w.to));
    }
  }
  const lexiconOf = (batch: Int32Array[]) => (meta.lexicon ? batch.map((ids) => features.get(ids)!) : undefined);
  const prepareMs = ms(t0);
  const tokens = windows.reduce((n, w) => n + w.length, 0);

  const network = async (options: RunnerOptions, budget: number) => {
    const runner = await OnnxRunner.create(meta, { threads, ...options });
    const plan = planBatches(windows, (w) => w.length, budget);
    await runner.run(plan[plan.length - 1], lexiconOf(plan[plan.length - 1])); // first run allocates; not part of the steady state
    const times: number[] = [];
    let emissions: Float32Array[] = [];
    for (let r = 0; r < repeat; r++) {
      emissions = [];
      const t = process.hrtime.bigint();
      for (const b of plan) emissions.push(...(await runner.run(b, lexiconOf(b))));
      times.push(ms(t));
    }
    await runner.dispose();
    const padded = plan.reduce((n, b) => n + b.length * Math.max(...b.map((w) => w.length)), 0);
    return { ms: median(times), tokensPerSecond: (tokens / median(times)) * 1000, paddedTokens: padded, emissions, plan };
  };

  // Session options and batch budgets, each measured rather than assumed. The shipped settings run
  // first and again last: the gap between the two is the run's noise (and any warm-up effect).
  const shippedBudget = DEFAULT_BATCH_TOKENS;
  const shippedName = `optimisation all, arena on, ${shippedBudget.toLocaleString('en')}-token batches (shipped)`;
  const variants: { name: string; options: RunnerOptions; budget: number }[] = [
    { name: shippedName, options: {}, budget: shippedBudget },
    { name: 'optimisation extended', options: { session: { graphOptimizationLevel: 'extended' } }, budget: shippedBudget },
    { name: 'optimisation basic', options: { session: { graphOptimizationLevel: 'basic' } }, budget: shippedBudget },
    { name: 'optimisation disabled', options: { session: { graphOptimizationLevel: 'disabled' } }, budget: shippedBudget },
    { name: 'memory arena off', options: { session: { enableCpuMemArena: false } }, budget: shippedBudget },
    { name: 'one window per run', options: {}, budget: 1 },
    ...[512, 1024, 2048, 4096, 16384]
      .filter((b) => b !== shippedBudget)
      .map((budget) => ({ name: `${budget.toLocaleString('en')}-token batches`, options: {}, budget })),
    { name: `${shippedName}, again`, options: {}, budget: shippedBudget },
  ];
  const rows = [];
  let shipped: Awaited<ReturnType<typeof network>> | undefined;
  for (const v of variants) {
    const r = await network(v.options, v.budget);
    shipped ??= r;
    rows.push({
      variant: v.name,
      networkMs: Math.round(r.ms),
      tokensPerSecond: Math.round(r.tokensPerSecond),
      paddingPercent: +((100 * (r.paddedTokens - tokens)) / tokens).toFixed(1),
    });
    console.log(`${precision} ${threads}t ${v.name}: ${Math.round(r.tokensPerSecond).toLocaleString('en')} tokens/s`);
  }

  // Decoding the shipped run's emissions: Viterbi plus the marginals behind each span's confidence.
  const flat = shipped!.plan.flat();
  const k = meta.tags.length;
  const decodeTimes: number[] = [];
  for (let r = 0; r < repeat; r++) {
    t0 = process.hrtime.bigint();
    flat.forEach((w, i) => {
      viterbi(shipped!.emissions[i], w.length, k, meta.crf);
      marginals(shipped!.emissions[i], w.length, k, meta.crf);
    });
    decodeTimes.push(ms(t0));
  }
  const result = {
    precision,
    threads,
    texts: texts.length,
    chars,
    windows: windows.length,
    tokens,
    breakdownMs: { tokenizeAndWindow: Math.round(prepareMs), network: Math.round(shipped!.ms), decode: Math.round(median(decodeTimes)) },
    rows,
  };
  const out = arg('json');
  if (out) writeFileSync(out, JSON.stringify(result, null, 1) + '\n');
  console.log(JSON.stringify(result.breakdownMs));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
