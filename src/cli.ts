/** The `medner` command line: label texts and evaluate predictions, through the same core as the extension. */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { promises as fs } from 'node:fs';
import { openAtomic, writeFileAtomic } from './core/atomic';
import { NerEngine } from './core/engine';
import { evaluate, formatEvalTable } from './core/eval';
import { compare } from './core/curation/compare';
import { markdownReport } from './core/curation/report';
import { labelBatch } from './core/batch';
import { type DocumentResult, parseDocuments, serializeDocumentPieces } from './core/formats/jsonl';
import { FORMAT_NAMES, type FormatFile, type FormatName, FORMATS } from './core/formats/registry';
import type { LabelNames } from './core/formats/shared';
import { readAnnotations } from './core/formats/detect';
import { serializeYidu } from './core/formats/yidu';
import { DEFAULT_MAX_BYTES, type InputFormat, type InputItem, type InputOptions, readInputs } from './core/inputs';
import { labelStream } from './core/label';
import { defaultModelDir, ModelError } from './core/model';
import { compareDocPaths, inShard, parseShard, type Shard } from './core/shard';

const USAGE = `Usage:
  medner label [PATH...] [options]     label text files, folders or Yidu JSON lines (default: the bundled samples)
      --input-format auto|text|yidu    how to read inputs (default auto: Yidu JSON lines are recognised)
      --format FORMAT                  jsonl (default), yidu, conll, doccano, labelstudio, or brat (needs --out-dir)
      --labels chinese|english         type names in brat, conll, doccano and labelstudio (default chinese)
      --out FILE                       write atomically to FILE instead of stdout ('-')
      --out-dir DIR                    label into a folder, resumably: unchanged inputs are not relabelled;
                                       writes the annotations, summary.json and summary.md
      --glob PATTERN                   files to take from folders (default '**/*.txt')
      --model DIR                      model directory (default: the shipped BBRAC model)
      --threads N                      inference threads (default: all cores)
      --int8                           the weight-quantised model (faster; dev F1 within 0.2 points, see the model card)
      --max-bytes N                    skip files larger than N bytes (default ${DEFAULT_MAX_BYTES})
      --shard I/N                      label only the I-th of N deterministic parts (by document path),
                                       for N parallel jobs; join their jsonl outputs with merge
      --quiet                          no progress on stderr
  medner merge --out FILE [--format F] PART...
                                       join the jsonl outputs (or --out-dir folders) of --shard jobs,
                                       in the order an unsharded run writes them
  medner eval --gold PATH --pred PATH [--gold-format F] [--pred-format F] [--json] [--report FILE]
                                       strict entity-level P/R/F1 per type and micro; any format above
                                       (a brat folder of .txt/.ann), told from the file unless given;
                                       --report writes a Markdown error analysis: type confusion,
                                       boundary errors, examples, and calibration (jsonl scores)
  medner --version | --help

Exit status: 0 all inputs labelled, 1 some inputs skipped, 2 usage or model error, or a run that
could not finish (a full disk, an interrupt).`;

class UsageError extends Error {}

type Flags = Map<string, string | true>;

const VALUE_FLAGS = new Set(['input-format', 'format', 'labels', 'shard', 'gold-format', 'pred-format', 'out', 'out-dir', 'glob', 'model', 'threads', 'max-bytes', 'gold', 'pred', 'report']);
const BOOL_FLAGS = new Set(['quiet', 'json', 'help', 'version', 'int8']);

function parseArgs(argv: string[]): { positional: string[]; flags: Flags } {
  const positional: string[] = [];
  const flags: Flags = new Map();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    if (BOOL_FLAGS.has(name)) {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      flags.set(name, true);
    } else if (VALUE_FLAGS.has(name)) {
      const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
      flags.set(name, value);
    } else {
      throw new UsageError(`unknown option ${arg}`);
    }
  }
  return { positional, flags };
}

function choice<T extends string>(flags: Flags, name: string, allowed: readonly T[], fallback: T): T {
  const v = flags.get(name);
  if (v === undefined) return fallback;
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw new UsageError(`--${name} must be one of ${allowed.join(', ')}`);
  }
  return v as T;
}

function integer(flags: Flags, name: string, min: number): number | undefined {
  const v = flags.get(name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer >= ${min}`);
  return n;
}

async function label(positional: string[], flags: Flags): Promise<number> {
  const inputFormat = choice<InputFormat>(flags, 'input-format', ['auto', 'text', 'yidu'], 'auto');
  const format = choice<FormatName>(flags, 'format', FORMAT_NAMES, 'jsonl');
  const labelNames = choice<LabelNames>(flags, 'labels', ['chinese', 'english'], 'chinese');
  const out = (flags.get('out') as string | undefined) ?? '-';
  const threads = integer(flags, 'threads', 0);
  const maxBytes = integer(flags, 'max-bytes', 1);
  const glob = flags.get('glob') as string | undefined;
  const paths = positional.length ? positional : [path.join(__dirname, '..', 'samples')];
  if (paths.filter((p) => p === '-').length > 1) throw new UsageError("stdin ('-') can be read only once");

  const shard = flags.has('shard') ? parseShardFlag(flags.get('shard') as string) : undefined;
  const outDir = flags.get('out-dir') as string | undefined;
  if (outDir !== undefined && flags.has('out')) throw new UsageError('--out and --out-dir exclude each other');
  if (outDir !== undefined && paths.includes('-')) throw new UsageError("stdin ('-') cannot be labelled into --out-dir");
  if (outDir === undefined && format === 'brat') throw new UsageError('brat writes a .txt and an .ann per document: use --out-dir');

  const precision = flags.has('int8') ? 'int8' : 'fp32';
  const engine = await NerEngine.load((flags.get('model') as string | undefined) ?? defaultModelDir(), { threads, precision });
  if (outDir !== undefined) {
    try {
      const exportFiles = (docs: DocumentResult[]) => FORMATS[format].export(docs, { labelNames });
      return await labelFolder(engine, paths, { outDir, format: inputFormat, glob, maxBytes, shard }, exportFiles, !flags.has('quiet') && process.stderr.isTTY === true);
    } finally {
      await engine.dispose();
    }
  }
  const sink = out === '-' ? stdoutSink() : await openAtomic(out);
  const progress = new Progress(!flags.has('quiet') && process.stderr.isTTY === true);
  const interrupt = onInterrupt('interrupted');
  let skipped = 0;
  // jsonl and yidu stream a line per document; the other formats are written whole at the end.
  const collected: DocumentResult[] = [];
  try {
    const all = readInputs(paths, { format: inputFormat, glob, maxBytes });
    const items = shard ? onlyShard(all, shard) : all;
    for await (const item of labelStream(engine, items, { signal: interrupt.signal })) {
      if ('skipped' in item) {
        skipped++;
        progress.clear();
        process.stderr.write(`medner: skipped ${item.skipped.path}: ${item.skipped.reason}\n`);
        continue;
      }
      const { doc, entities } = item;
      const result: DocumentResult = { path: doc.line ? `${doc.path}:${doc.line}` : doc.path, encoding: doc.encoding, text: doc.text, entities };
      if (format === 'yidu') await sink.write(serializeYidu([result]));
      else if (format === 'jsonl') for (const piece of serializeDocumentPieces(result, '\n')) await sink.write(piece);
      else collected.push(result);
      progress.update(doc.text.length);
    }
    if (format !== 'jsonl' && format !== 'yidu') {
      for (const file of FORMATS[format].export(collected, { labelNames })) await sink.write(file.content);
    }
    await sink.commit();
  } catch (e) {
    await sink.abort();
    throw e;
  } finally {
    interrupt.dispose();
    progress.finish();
    await engine.dispose();
  }
  return skipped ? 1 : 0;
}

async function labelFolder(
  engine: NerEngine,
  paths: string[],
  input: InputOptions & { outDir: string; shard?: Shard },
  exportFiles: (docs: DocumentResult[]) => FormatFile[],
  tty: boolean,
): Promise<number> {
  const interrupt = onInterrupt('interrupted: finished results are kept; rerun to resume');
  try {
    const summary = await labelBatch(engine, paths, {
      ...input,
      signal: interrupt.signal,
      exportFiles,
      onProgress: (p) => {
        if (!tty) return;
        const eta = p.etaSeconds === undefined ? '' : `, ETA ${Math.ceil(p.etaSeconds)} s`;
        process.stderr.write(`\r\x1b[Kmedner: ${p.filesDone}/${p.filesTotal} files, ${Math.round(p.charsPerSecond).toLocaleString('en')} chars/s${eta}`);
      },
    });
    if (tty) process.stderr.write('\r\x1b[K');
    for (const s of summary.skipped) process.stderr.write(`medner: skipped ${s.path}: ${s.reason}\n`);
    process.stderr.write(`medner: ${summary.documents} documents from ${summary.files} files (${summary.reused} unchanged, reused), ` +
      `${summary.characters.toLocaleString('en')} chars in ${summary.seconds.toFixed(1)} s -> ${path.join(input.outDir, summary.outputs[0] ?? '')}\n`);
    return summary.skipped.length ? 1 : 0;
  } finally {
    interrupt.dispose();
  }
}

/** Ctrl-C / SIGTERM abort the run (so outputs are committed or removed cleanly) instead of killing it. */
function onInterrupt(message: string): { signal: AbortSignal; dispose(): void } {
  const abort = new AbortController();
  const onSignal = () => {
    if (!abort.signal.aborted) {
      abort.abort(new Error(message));
      return;
    }
    // A second one does not wait for the run to wind down; atomic.ts still removes partial files
    // on exit, which the default action of the signal would skip.
    process.stderr.write(`medner: ${message}\n`);
    process.exit(2);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: abort.signal,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

function parseShardFlag(spec: string): Shard {
  try {
    return parseShard(spec);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

async function* onlyShard(items: AsyncIterable<InputItem>, shard: Shard): AsyncGenerator<InputItem> {
  for await (const item of items) {
    const key = 'doc' in item ? (item.doc.line ? `${item.doc.path}:${item.doc.line}` : item.doc.path) : item.skipped.path;
    if (inShard(key, shard)) yield item;
  }
}

async function merge(positional: string[], flags: Flags): Promise<number> {
  const out = flags.get('out');
  if (typeof out !== 'string') throw new UsageError('merge needs --out FILE');
  if (!positional.length) throw new UsageError('merge needs the shard outputs to join');
  const format = choice<FormatName>(flags, 'format', FORMAT_NAMES, 'jsonl');
  if (format === 'brat') throw new UsageError('merge writes one file: choose a single-file --format');
  const labelNames = choice<LabelNames>(flags, 'labels', ['chinese', 'english'], 'chinese');
  const docs: DocumentResult[] = [];
  for (const part of positional) {
    const file = (await fs.stat(part)).isDirectory() ? path.join(part, 'annotations.jsonl') : part;
    docs.push(...parseDocuments(await fs.readFile(file, 'utf8')));
  }
  docs.sort((a, b) => compareDocPaths(a.path, b.path));
  for (let i = 1; i < docs.length; i++) {
    if (docs[i].path === docs[i - 1].path) throw new Error(`${docs[i].path} is in more than one part: were the parts made with different --shard counts?`);
  }
  const [file] = FORMATS[format].export(docs, { labelNames });
  await writeFileAtomic(out, file.content);
  process.stderr.write(`medner: merged ${docs.length} documents from ${positional.length} parts into ${out}\n`);
  return 0;
}

function stdoutSink() {
  return {
    write: (chunk: string) => new Promise<void>((resolve, reject) => {
      process.stdout.write(chunk, (err) => (err ? reject(err) : resolve()));
    }),
    commit: async () => undefined,
    abort: async () => undefined,
  };
}

class Progress {
  private docs = 0;
  private chars = 0;
  private readonly started = Date.now();
  private lastDraw = 0;

  constructor(private readonly enabled: boolean) {}

  update(chars: number): void {
    this.docs++;
    this.chars += chars;
    const now = Date.now();
    if (this.enabled && now - this.lastDraw > 200) {
      this.lastDraw = now;
      const rate = this.chars / Math.max(0.001, (now - this.started) / 1000);
      process.stderr.write(`\rmedner: ${this.docs} documents, ${this.chars.toLocaleString('en')} chars, ${Math.round(rate).toLocaleString('en')} chars/s`);
    }
  }

  clear(): void {
    if (this.enabled && this.lastDraw) process.stderr.write('\r\x1b[K');
  }

  finish(): void {
    this.clear();
  }
}

async function evalCommand(flags: Flags): Promise<number> {
  const goldPath = flags.get('gold');
  const predPath = flags.get('pred');
  if (typeof goldPath !== 'string' || typeof predPath !== 'string') throw new UsageError('eval needs --gold PATH and --pred PATH');
  const formatOf = (name: string) => (flags.has(name) ? choice<FormatName>(flags, name, FORMAT_NAMES, 'jsonl') : undefined);
  const gold = await readAnnotations(goldPath, formatOf('gold-format'));
  const pred = await readAnnotations(predPath, formatOf('pred-format'));
  const result = evaluate(gold, pred);
  const report = flags.get('report');
  if (report !== undefined) {
    if (typeof report !== 'string') throw new UsageError('--report needs a file path');
    const docs = gold.map((g, i) => ({ name: g.path || `record ${i + 1}`, text: g.text, gold: g.entities, predicted: pred[i].entities }));
    await writeFileAtomic(report, markdownReport(compare(docs), `${path.basename(predPath)} against ${path.basename(goldPath)}`));
  }
  if (flags.has('json')) {
    process.stdout.write(JSON.stringify({ micro: result.micro, types: Object.fromEntries(result.perLabel) }, null, 1) + '\n');
  } else {
    process.stdout.write(formatEvalTable(result));
  }
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE + '\n');
    return command === undefined ? 2 : 0;
  }
  if (command === '--version') {
    process.stdout.write(`${(JSON.parse(readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }).version}\n`);
    return 0;
  }
  const { positional, flags } = parseArgs(rest);
  if (flags.has('help')) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (command === 'label') return label(positional, flags);
  if (command === 'merge') return merge(positional, flags);
  if (command === 'eval') {
    if (positional.length) throw new UsageError(`eval takes no positional arguments (got ${positional[0]})`);
    return evalCommand(flags);
  }
  throw new UsageError(`unknown command ${command}`);
}

// A closed pipe (`medner label | head`) is the reader's choice, not an error worth a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (e: unknown) => {
    const err = e as Error;
    if (err instanceof UsageError) process.stderr.write(`medner: ${err.message}\n${USAGE}\n`);
    else if (err instanceof ModelError) process.stderr.write(`medner: model error: ${err.message}\n`);
    else process.stderr.write(`medner: ${err.message ?? String(e)}\n`);
    process.exitCode = 2;
  },
);
