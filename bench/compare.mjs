// Two or more model folders side by side, in one run on the same texts and machine: chars/s through
// the TypeScript core (bench/speed.ts: windows, dictionary features of a lexicon model, network, CRF)
// and through whole CLI runs (model and lexicon loading included), fp32 and int8, and dev strict
// micro F1. Repetitions alternate the models, so a machine that slows down mid-run slows all alike.
//   node bench/compare.mjs --model models/bbrac --model NEW_MODEL_DIR [--threads 2] [--repeat 3] [--texts DEV.yidu.jsonl]
// (`npm run bench:compare -- --model A --model B`; `npm run bench -- --model A --model B` adds it to the full bench.)
// Writes compare.json and compare.md to out/bench/ (BENCH_QUICK=1: out/bench/smoke/).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PY = process.env.MEDNER_PYTHON ?? '/usr/bin/python3';

/** `--model` values in order (repeatable) and the other `--name value` options. */
export function parseCompareArgs(argv) {
  const models = [];
  const options = {};
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].replace(/^--/, '');
    const value = argv[i + 1];
    if (!argv[i].startsWith('--') || value === undefined) throw new Error(`bench: expected --name value, got ${argv[i]}`);
    if (name === 'model') models.push(path.resolve(value));
    else options[name] = value;
    i++;
  }
  return { models, options };
}

/**
 * @param models model folders; the first is the baseline the others are compared to
 * @param dev Yidu JSON lines: the texts, and the gold for F1
 */
export function compareModels(models, { dev, out, threads = 2, repeat = 3 }) {
  if (models.length < 2) throw new Error('bench: name two or more model folders (--model A --model B)');
  for (const m of models) if (!existsSync(path.join(m, 'model.json'))) throw new Error(`bench: ${m} has no model.json`);
  mkdirSync(out, { recursive: true });
  const node = (args) => execFileSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8' });
  const texts = readFileSync(dev, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l).originalText);
  const chars = texts.reduce((n, t) => n + Array.from(t).length, 0);
  const runs = models.map(() => ({ fp32: { engine: [], cli: [] }, int8: { engine: [], cli: [] } }));
  for (let r = 0; r < repeat; r++) {
    models.forEach((model, m) => {
      for (const precision of ['fp32', 'int8']) {
        const flag = precision === 'int8' ? ['--int8'] : [];
        const json = path.join(out, `compare-speed-${m}-${precision}.json`);
        node([
          'out/bench/speed.js',
          '--texts',
          dev,
          '--model',
          model,
          '--threads',
          String(threads),
          '--repeat',
          '1',
          '--json',
          json,
          ...flag,
        ]);
        runs[m][precision].engine.push(JSON.parse(readFileSync(json, 'utf8')).rows[0].charsPerSecond);
        const pred = path.join(out, `compare-pred-${m}-${precision}.jsonl`);
        const t0 = performance.now();
        node([
          'dist/cli.js',
          'label',
          dev,
          '--input-format',
          'yidu',
          '--format',
          'yidu',
          '--model',
          model,
          '--threads',
          String(threads),
          '--quiet',
          '--out',
          pred,
          ...flag,
        ]);
        runs[m][precision].cli.push(chars / ((performance.now() - t0) / 1000));
      }
    });
  }
  const shown = (dir) => (path.relative(ROOT, dir).startsWith('..') ? dir : path.relative(ROOT, dir));
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const rows = models.flatMap((model, m) => {
    const meta = JSON.parse(readFileSync(path.join(model, 'model.json'), 'utf8'));
    return ['fp32', 'int8'].map((precision) => {
      const pred = path.join(out, `compare-pred-${m}-${precision}.jsonl`);
      const f1 = JSON.parse(node(['dist/cli.js', 'eval', '--gold', dev, '--pred', pred, '--json'])).micro.f1;
      return {
        model,
        name: meta.name,
        architecture: meta.architecture ? `${meta.architecture.hidden}×${meta.architecture.layers}` : null,
        lexiconTerms: meta.lexicon?.terms ?? 0,
        precision,
        engineCharsPerSecond: Math.round(median(runs[m][precision].engine)),
        cliCharsPerSecond: Math.round(median(runs[m][precision].cli)),
        f1,
      };
    });
  });
  for (const row of rows) {
    const base = rows.find((r) => r.model === models[0] && r.precision === row.precision);
    row.engineVsFirst = +(row.engineCharsPerSecond / base.engineCharsPerSecond).toFixed(2);
    row.cliVsFirst = +(row.cliCharsPerSecond / base.cliCharsPerSecond).toFixed(2);
  }
  const results = { texts: { count: texts.length, chars }, threads, repeat, rows };
  writeFileSync(path.join(out, 'compare.json'), JSON.stringify(results, null, 1) + '\n');
  const md = [
    `Models side by side (${texts.length} texts, ${chars.toLocaleString('en')} chars, ${threads} threads, median of ${repeat} alternating runs; ` +
      `engine: the TypeScript core, dictionary features included; CLI: whole \`medner label\` runs, model loading included):`,
    '',
    '| model | lexicon terms | precision | engine chars/s | × first | CLI chars/s | × first | dev F1 |',
    '|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.name} (${shown(r.model)}) | ${r.lexiconTerms.toLocaleString('en')} | ${r.precision} | ` +
        `${r.engineCharsPerSecond.toLocaleString('en')} | ${r.engineVsFirst} | ${r.cliCharsPerSecond.toLocaleString('en')} | ${r.cliVsFirst} | ${r.f1.toFixed(4)} |`,
    ),
  ].join('\n');
  writeFileSync(path.join(out, 'compare.md'), md + '\n');
  return { results, md };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { models, options } = parseCompareArgs(process.argv.slice(2));
  const quick = !!process.env.BENCH_QUICK;
  const out = path.join(ROOT, 'out', 'bench', ...(quick ? ['smoke'] : []));
  mkdirSync(out, { recursive: true });
  let dev = options.texts;
  if (!dev) {
    dev = path.join(out, 'dev.yidu.jsonl');
    execFileSync(PY, ['models/training/pipeline.py', '--write-dev', dev], { cwd: ROOT, stdio: 'inherit' });
    if (quick) writeFileSync(dev, readFileSync(dev, 'utf8').trim().split('\n').slice(0, 20).join('\n') + '\n');
  }
  const { md } = compareModels(models, {
    dev,
    out,
    threads: Number(options.threads ?? 2),
    repeat: Number(options.repeat ?? (quick ? 1 : 3)),
  });
  console.log(md);
}
