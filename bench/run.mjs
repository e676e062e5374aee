// `npm run bench`: side by side on this machine, in one run — chars/s of the shipped model through
// the TypeScript core (fp32 and int8, 1 and 2 threads), the fp32 GEMM peak, FLOPs per character and
// the share of the peak reached, first-highlight latency (cold, warm) and peak RSS, dev F1 of fp32
// and int8, and the CLI's peak RSS on a 20 MB one-line file and on 100,000 tiny files (memory.mjs).
// Writes out/bench/results.json and out/bench/results.md.
//   --model A --model B: the sections below for A, and A and B side by side (bench/compare.mjs:
//   chars/s through the core and the CLI, fp32 and int8, dev F1) on the same texts in the same run.
//   BENCH_QUICK=1: 20 texts, one repetition, a 256 KB line and 1,000 files, written to
//   out/bench/smoke/ (the CI smoke run: it proves every measurement still runs; its figures are
//   not ones to quote).
import { execFileSync, spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compareModels, parseCompareArgs } from './compare.mjs';
import { measureMemory, memoryMarkdown } from './memory.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PY = process.env.MEDNER_PYTHON ?? '/usr/bin/python3';
const quick = !!process.env.BENCH_QUICK;
const OUT = path.join(ROOT, 'out', 'bench', ...(quick ? ['smoke'] : []));
mkdirSync(OUT, { recursive: true });
const node = (args) => execFileSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8' });
const json = (file) => JSON.parse(readFileSync(file, 'utf8'));

// The fixed texts: our dev split (100 Yidu-S4K records), regenerated from ../shared/data.
const dev = path.join(OUT, 'dev.yidu.jsonl');
execFileSync(PY, ['models/training/pipeline.py', '--write-dev', dev], { cwd: ROOT, stdio: 'inherit' });
if (quick) writeFileSync(dev, readFileSync(dev, 'utf8').trim().split('\n').slice(0, 20).join('\n') + '\n');
const texts = readFileSync(dev, 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l).originalText);

const { models } = parseCompareArgs(process.argv.slice(2));
// The model every section below measures: the first named, else the shipped one.
const primary = models[0] ?? path.join(ROOT, 'models', 'bbrac');
const withModel = ['--model', primary];
const meta = json(path.join(primary, 'model.json'));
const repeat = quick ? '1' : '3';
/** One of bench's JSON-writing measurements of the primary model, fp32 and int8: `{fp32, int8}`. */
function measure(script, threads) {
  const result = {};
  for (const precision of ['fp32', 'int8']) {
    const out = path.join(OUT, `${path.basename(script, '.js')}-${precision}.json`);
    process.stdout.write(
      node([
        script,
        '--texts',
        dev,
        '--threads',
        threads,
        '--repeat',
        repeat,
        '--json',
        out,
        ...withModel,
        ...(precision === 'int8' ? ['--int8'] : []),
      ]),
    );
    result[precision] = json(out);
  }
  return result;
}
const speed = measure('out/bench/speed.js', '1,2');
// Where the time goes (tokenising, network, CRF) and the onnxruntime settings, on 2 threads.
const profile = measure('out/bench/profile.js', '2');
const latency = {};
for (const precision of ['fp32', 'int8']) {
  latency[precision] = JSON.parse(
    node(['out/bench/latency.js', '--threads', '2', ...withModel, ...(precision === 'int8' ? ['--int8'] : [])]).trim(),
  );
}
// The PyTorch eager peer: the same weights (read back from model.onnx and verified) in Python.
const peer = [1, 2].map((t) =>
  JSON.parse(
    execFileSync(PY, ['bench/peer.py', '--texts', dev, '--model', primary, '--threads', String(t), '--repeat', repeat], {
      cwd: ROOT,
      encoding: 'utf8',
    }),
  ),
);
const gemm = [1, 2].map((t) => JSON.parse(execFileSync(PY, ['bench/gemm.py', String(t)], { cwd: ROOT, encoding: 'utf8' })));

// FLOPs per character of the graph, counted from the architecture (multiply-add = 2 FLOPs) at the
// dev set's mean window length (attention grows with it).
const a = meta.architecture;
const windowLen = Math.min(meta.maxLength, texts.reduce((n, t) => n + Math.min([...t].length, meta.maxLength), 0) / texts.length);
const enc = a.layers * (2 * (4 * a.hidden * a.hidden + 2 * a.hidden * a.ffn) + 4 * windowLen * a.hidden);
const g = a.gru_hidden;
const gru = a.gru ? 2 * 2 * 3 * (a.hidden * g + g * g) : 0;
const w = a.gru ? 2 * g : a.hidden;
const attn = a.attn ? 2 * 4 * w * w + 4 * windowLen * w : 0;
const flopsPerChar = enc + gru + attn + 2 * w * meta.tags.length;

// Two CLI processes of one thread each (--shard, then merge) against one process of two threads,
// on the same texts as files: wall time of the whole command, model loading included.
const corpus = path.join(OUT, 'corpus');
rmSync(corpus, { recursive: true, force: true });
mkdirSync(corpus);
texts.forEach((t, i) => writeFileSync(path.join(corpus, `${String(i).padStart(4, '0')}.txt`), t));
const cli = (args) =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['dist/cli.js', ...args], { cwd: ROOT, stdio: 'inherit' });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`medner ${args.join(' ')} exited with ${code}`))));
  });
const wall = async (fn) => {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
};
const processes = { onePerTwoThreads: [], twoPerOneThread: [] };
for (let r = 0; r < Number(repeat); r++) {
  processes.onePerTwoThreads.push(
    await wall(() => cli(['label', corpus, ...withModel, '--threads', '2', '--quiet', '--out', path.join(OUT, 'one.jsonl')])),
  );
  processes.twoPerOneThread.push(
    await wall(async () => {
      await Promise.all(
        [1, 2].map((i) =>
          cli(['label', corpus, ...withModel, '--shard', `${i}/2`, '--threads', '1', '--quiet', '--out', path.join(OUT, `part${i}.jsonl`)]),
        ),
      );
      await cli(['merge', '--out', path.join(OUT, 'two.jsonl'), path.join(OUT, 'part1.jsonl'), path.join(OUT, 'part2.jsonl')]);
    }),
  );
}
// The shipped settings run first and last in the profile; their mean is the network's speed.
const networkTps = Object.fromEntries(
  ['fp32', 'int8'].map((p) => {
    const r = profile[p].rows;
    return [p, (r[0].tokensPerSecond + r[r.length - 1].tokensPerSecond) / 2];
  }),
);
const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const chars = speed.fp32.chars;
const scaleOut = {
  onePerTwoThreads: Math.round(chars / med(processes.onePerTwoThreads)),
  twoPerOneThread: Math.round(chars / med(processes.twoPerOneThread)),
  sameOutput: readFileSync(path.join(OUT, 'one.jsonl'), 'utf8') === readFileSync(path.join(OUT, 'two.jsonl'), 'utf8'),
};

const f1 = {};
for (const precision of ['fp32', 'int8']) {
  const pred = path.join(OUT, `pred-${precision}.jsonl`);
  node([
    'dist/cli.js',
    'label',
    '--quiet',
    '--input-format',
    'yidu',
    '--format',
    'yidu',
    dev,
    '--out',
    pred,
    ...withModel,
    ...(precision === 'int8' ? ['--int8'] : []),
  ]);
  f1[precision] = JSON.parse(node(['dist/cli.js', 'eval', '--gold', dev, '--pred', pred, '--json'])).micro.f1;
}

// Two or more models: side by side, on the same texts (before the memory section's minutes).
const compared = models.length > 1 ? compareModels(models, { dev, out: OUT, repeat: Number(repeat) }) : undefined;

// Last: the 20 MB line and the 100,000 files take minutes each through the real model.
const memory = measureMemory(path.join(OUT, 'memory'), { quick, extra: withModel });

const rows = [];
for (const precision of ['fp32', 'int8']) {
  for (const r of speed[precision].rows) {
    const peak = gemm.find((x) => x.threads === r.threads).gflops;
    const eff = (r.charsPerSecond * flopsPerChar) / 1e9;
    const p = peer.find((x) => x.threads === r.threads);
    rows.push({
      precision,
      threads: r.threads,
      charsPerSecond: Math.round(r.charsPerSecond),
      vsPytorch: +(r.charsPerSecond / p.charsPerSecond).toFixed(2),
      vsPytorchEmissions: +(r.charsPerSecond / p.emissionsOnlyCharsPerSecond).toFixed(2),
      effectiveGflops: +eff.toFixed(2),
      peakGflops: +peak.toFixed(1),
      percentOfPeak: +((100 * eff) / peak).toFixed(1),
    });
  }
}
// Activation time comes from the extension-host tests (test/integration/activation.test.ts), which
// measure it inside a real VS Code: run `npm run test:integration` first to include it.
const activationFile = path.join(OUT, 'activation.json');
const activation = existsSync(activationFile) ? json(activationFile) : undefined;
const results = {
  activationMs: activation ? +activation.activationMs.toFixed(1) : null,
  machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
  texts: { count: texts.length, chars: speed.fp32.chars, meanWindow: Math.round(windowLen) },
  flopsPerChar: Math.round(flopsPerChar),
  rows,
  latency,
  f1,
  profile,
  scaleOut,
  pytorch: peer.map((p) => ({
    threads: p.threads,
    charsPerSecond: Math.round(p.charsPerSecond),
    emissionsOnlyCharsPerSecond: Math.round(p.emissionsOnlyCharsPerSecond),
  })),
  peakRssMb: { fp32: Math.round(speed.fp32.peakRssMb), int8: Math.round(speed.int8.peakRssMb) },
  memory,
  models: compared?.results ?? null,
  quick,
};
writeFileSync(path.join(OUT, 'results.json'), JSON.stringify(results, null, 1) + '\n');
const md = [
  `| precision | threads | chars/s | × PyTorch eager (whole job / network only) | effective GFLOP/s | GEMM peak GFLOP/s | % of peak |`,
  `|---|---|---|---|---|---|---|`,
  ...rows.map(
    (r) =>
      `| ${r.precision} | ${r.threads} | ${r.charsPerSecond.toLocaleString('en')} | ${r.vsPytorch} / ${r.vsPytorchEmissions} | ${r.effectiveGflops} | ${r.peakGflops} | ${r.percentOfPeak} |`,
  ),
  '',
  `PyTorch eager peer (same weights, same windows, CRF in PyTorch): ` +
    peer
      .map(
        (p) =>
          `${p.threads} thread(s) ${Math.round(p.charsPerSecond).toLocaleString('en')} chars/s, network alone ${Math.round(p.emissionsOnlyCharsPerSecond).toLocaleString('en')}`,
      )
      .join('; ') +
    '.',
  '',
  `FLOPs per character: ${(flopsPerChar / 1e6).toFixed(2)} M (mean window ${Math.round(windowLen)} chars). ` +
    `Dev strict micro F1: fp32 ${f1.fp32.toFixed(4)}, int8 ${f1.int8.toFixed(4)}. ` +
    `First highlights, 2,000 chars, 2 threads: fp32 cold ${latency.fp32.coldMs} ms / warm ${latency.fp32.warmMedianMs} ms; ` +
    `int8 cold ${latency.int8.coldMs} ms / warm ${latency.int8.warmMedianMs} ms. Peak RSS: fp32 ${results.peakRssMb.fp32} MB, int8 ${results.peakRssMb.int8} MB. ` +
    `Extension activation: ${activation ? `${results.activationMs} ms (VS Code ${activation.vscode})` : 'not measured (run npm run test:integration first)'}.`,
  '',
  `Where the time goes (2 threads, shipped settings): ` +
    ['fp32', 'int8']
      .map((p) => {
        const b = profile[p].breakdownMs;
        return `${p}: tokenising and windowing ${b.tokenizeAndWindow} ms, network ${b.network} ms, CRF decoding ${b.decode} ms`;
      })
      .join('; ') +
    `; the fp32 network alone runs at ${((networkTps.fp32 * flopsPerChar) / 1e9).toFixed(1)} GFLOP/s, ` +
    `${((100 * networkTps.fp32 * flopsPerChar) / 1e9 / gemm[1].gflops).toFixed(1)}% of the 2-thread GEMM peak, and int8's network is ` +
    `${(networkTps.int8 / networkTps.fp32).toFixed(2)}× fp32's (shipped settings, mean of their first and last runs).`,
  '',
  `| onnxruntime setting (2 threads) | fp32 tokens/s | int8 tokens/s | padding % |`,
  `|---|---|---|---|`,
  ...profile.fp32.rows.map(
    (r, i) =>
      `| ${r.variant} | ${r.tokensPerSecond.toLocaleString('en')} | ${profile.int8.rows[i].tokensPerSecond.toLocaleString('en')} | ${r.paddingPercent} |`,
  ),
  '',
  `Whole CLI runs over the texts as files, fp32: one process with 2 threads ${scaleOut.onePerTwoThreads.toLocaleString('en')} chars/s; ` +
    `two processes (--shard 1/2, 2/2) with 1 thread each, then merge: ${scaleOut.twoPerOneThread.toLocaleString('en')} chars/s ` +
    `(ratio ${(scaleOut.twoPerOneThread / scaleOut.onePerTwoThreads).toFixed(2)}; merged output ${scaleOut.sameOutput ? 'identical' : 'DIFFERENT'}).`,
  '',
  `Memory of whole CLI runs (fp32, default threads; peak RSS of the process, from getrusage):`,
  '',
  memoryMarkdown(memory),
  ...(compared ? ['', compared.md] : []),
].join('\n');
writeFileSync(path.join(OUT, 'results.md'), md + '\n');
if (!scaleOut.sameOutput) throw new Error('sharded and merged output differs from the single run');
console.log('\n' + md);
