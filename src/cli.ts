/** The `medner` command line: label texts and evaluate predictions, through the same core as the extension. */
import { constants, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { promises as fs } from 'node:fs';
import { clip } from './core/clip';
import { collectGarbagePeriodically } from './heap';
import { type AtomicStream, openAtomic, writeFileAtomic } from './core/atomic';
import { NerEngine } from './core/engine';
import { evaluate, formatEvalTable } from './core/eval';
import { compare } from './core/curation/compare';
import { markdownReport } from './core/curation/report';
import { labelBatch } from './core/batch';
import { type DocumentResult, parseDocument, serializeDocumentPieces } from './core/formats/jsonl';
import { FormatError } from './core/formats/lines';
import { fileIdentity, readRegularFile } from './core/files';
import { FORMAT_NAMES, type FormatFile, type FormatName, FORMATS } from './core/formats/registry';
import type { LabelNames } from './core/formats/shared';
import { readAnnotations } from './core/formats/detect';
import { serializeYidu } from './core/formats/yidu';
import {
  DEFAULT_MAX_BYTES,
  expandInputs,
  INPUT_FORMATS,
  type InputFormat,
  type InputOptions,
  nothingMatched,
  readInputs,
  resultOf,
} from './core/inputs';
import type { LabelStudioSource } from './core/formats/labelstudio';
import { labelStream } from './core/labelStream';
import { defaultModelDir, ModelError } from './core/model';
import {
  compareDocPaths,
  formatShard,
  inShard,
  InputSetHash,
  MAX_SHARDS,
  parseShard,
  type PartInfo,
  readPartInfo,
  serializePartTrailer,
  type Shard,
} from './core/shard';

/** More inference threads than any machine has cores: a typo. */
const MAX_THREADS = 256;

const USAGE = `Usage:
  medner label [PATH...] [options]     label text files, folders or files of records (default: the bundled samples)
      --input-format F                 auto (default), text, yidu, jsonl, doccano, csv, tsv or labelstudio;
                                       auto reads .csv/.tsv as tables, Yidu JSON lines as Yidu, a .json/.jsonl
                                       array as Label Studio tasks and .json/.jsonl lines with the text field
                                       as JSON lines; every other file is one text document
      --text-field NAME                the field or column holding the text (default text; Yidu: originalText)
      --id-field NAME                  the field or column holding the record's id, carried into every output
                                       (default id, when a record has one)
      --format FORMAT                  jsonl (default), yidu, conll, doccano, labelstudio, or brat (needs --out-dir)
      --labels chinese|english         type names in brat, conll, doccano and labelstudio (default chinese)
      --out FILE                       write atomically to FILE instead of stdout ('-')
      --out-dir DIR                    label into a folder, resumably: unchanged inputs are not relabelled;
                                       writes the annotations, summary.json and summary.md
      --glob PATTERN                   files to take from folders (default '**/*.txt'; by --input-format:
                                       yidu *.{json,jsonl,txt}, jsonl/doccano *.{jsonl,json}, csv *.csv,
                                       tsv *.tsv, labelstudio *.json)
      --model DIR                      model directory (default: the shipped BBRAC model)
      --threads N                      inference threads, 0..${MAX_THREADS} (default 0: all cores)
      --int8                           the weight-quantised model (faster; dev F1 within 0.2 points, see the model card)
      --lexicon FILE                   your terms (term<TAB>type lines, as the model's lexicon.tsv) added to the
                                       dictionary of a model with dictionary features
      --max-bytes N                    skip files larger than N bytes (default ${DEFAULT_MAX_BYTES})
      --shard I/N                      label only the I-th of N deterministic parts, for N parallel jobs
                                       (N <= ${MAX_SHARDS}); a document's part depends on its path relative
                                       to the argument it came from (a named file: its base name; a folder:
                                       the path below it; a record: plus :N), so nodes may mount the
                                       corpus at different paths. Single-file output must be jsonl: its last
                                       line is a trailer {"medner_part": {"shard", "inputs", "model",
                                       "documents"}} (an --out-dir keeps it in .medner/part.json) that
                                       merge checks
      --quiet                          no progress on stderr
  medner merge --out FILE [--format F] PART...
                                       join the jsonl outputs (or --out-dir folders) of --shard jobs,
                                       in the order an unsharded run writes them; refuses a missing,
                                       repeated or cut part, and parts of another model, input set or
                                       shard count
  medner eval --gold PATH --pred PATH [--gold-format F] [--pred-format F] [--json] [--report FILE]
                                       strict entity-level P/R/F1 per type and micro; any format above
                                       (a brat folder of .txt/.ann), told from the file unless given;
                                       empty documents on either side are passed over;
      --gold-source S, --pred-source S of Label Studio tasks, read auto (default: the latest annotation,
                                       else the first prediction), annotations or predictions
                                       (--text-field names their text's data field);
                                       --report writes a Markdown error analysis: type confusion,
                                       boundary errors, examples, and calibration (jsonl scores)
  medner --version | --help

Exit status: 0 all inputs labelled, 1 some inputs skipped, 2 usage or model error, or a run that
could not finish (a full disk, an interrupt).`;

class UsageError extends Error {}

/** An entity or document an output format cannot hold as it is: reported, and the run goes on. */
function warn(message: string): void {
  process.stderr.write(`medner: warning: ${clip(message.replace(/\s*[\r\n]+\s*/g, ' '), 1000)}\n`);
}

type Flags = Map<string, string | true>;

const VALUE_FLAGS = new Set([
  'input-format',
  'format',
  'labels',
  'shard',
  'gold-format',
  'pred-format',
  'gold-source',
  'pred-source',
  'text-field',
  'id-field',
  'out',
  'out-dir',
  'glob',
  'model',
  'lexicon',
  'threads',
  'max-bytes',
  'gold',
  'pred',
  'report',
]);
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

function integer(flags: Flags, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const v = flags.get(name);
  if (v === undefined) return undefined;
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
    throw new UsageError(`--${name} must be an integer ${range} (got ${clip(JSON.stringify(v))})`);
  }
  return n;
}

/**
 * Refuses an output that is one of the inputs (the same file through symlinks or hard links), a
 * folder, or in a folder that cannot take it, before anything is written.
 */
async function checkOutput(flag: string, out: string, inputs: readonly string[]): Promise<void> {
  const info = await fs.stat(out).catch(() => undefined);
  if (info?.isDirectory()) throw new Error(`${flag} ${clip(out)} is a folder, not a file`);
  // Replacing a device or FIFO (/dev/stdout as root) with a file would break the system, not write to it.
  if (info && !info.isFile()) throw new Error(`${flag} ${clip(out)} is not a regular file (a FIFO, socket or device): name a file`);
  const id = info && (await fileIdentity(out));
  if (id !== undefined) {
    for (const input of inputs) {
      if (input !== '-' && (await fileIdentity(input)) === id) {
        throw new Error(`${flag} ${clip(out)} is the input ${clip(input)}: refusing to overwrite it; write elsewhere`);
      }
    }
  }
  const dir = path.dirname(path.resolve(out));
  const parent = await fs.stat(dir).catch(() => undefined);
  if (!parent) throw new Error(`cannot write ${clip(out)}: the folder ${clip(dir)} does not exist`);
  if (!parent.isDirectory()) throw new Error(`cannot write ${clip(out)}: ${clip(dir)} is not a folder`);
  if (
    !(await fs.access(dir, constants.W_OK).then(
      () => true,
      () => false,
    ))
  ) {
    throw new Error(`cannot write ${clip(out)}: the folder ${clip(dir)} is read-only for this user`);
  }
}

/** The files a --gold / --pred path stands for: the file, or every file in its folder. */
async function filesOf(target: string): Promise<string[]> {
  const info = await fs.stat(target).catch(() => undefined);
  if (!info?.isDirectory()) return [target];
  const entries = await fs.readdir(target, { recursive: true, withFileTypes: true });
  return entries.filter((e) => !e.isDirectory()).map((e) => path.join(e.parentPath ?? e.path, e.name));
}

async function label(positional: string[], flags: Flags): Promise<number> {
  const inputFormat = choice<InputFormat>(flags, 'input-format', INPUT_FORMATS, 'auto');
  const textField = flags.get('text-field') as string | undefined;
  const idField = flags.get('id-field') as string | undefined;
  const format = choice<FormatName>(flags, 'format', FORMAT_NAMES, 'jsonl');
  const labelNames = choice<LabelNames>(flags, 'labels', ['chinese', 'english'], 'chinese');
  const out = (flags.get('out') as string | undefined) ?? '-';
  const threads = integer(flags, 'threads', 0, MAX_THREADS);
  const maxBytes = integer(flags, 'max-bytes', 1);
  const glob = flags.get('glob') as string | undefined;
  const paths = positional.length ? positional : [path.join(__dirname, '..', 'samples')];
  if (paths.filter((p) => p === '-').length > 1) throw new UsageError("stdin ('-') can be read only once");

  const shard = flags.has('shard') ? parseShardFlag(flags.get('shard') as string) : undefined;
  const outDir = flags.get('out-dir') as string | undefined;
  if (outDir !== undefined && flags.has('out')) throw new UsageError('--out and --out-dir exclude each other');
  if (outDir !== undefined && paths.includes('-')) throw new UsageError("stdin ('-') cannot be labelled into --out-dir");
  if (outDir === undefined && format === 'brat') throw new UsageError('brat writes a .txt and an .ann per document: use --out-dir');
  if (outDir === undefined && shard && format !== 'jsonl')
    throw new UsageError('--shard parts end in a trailer that merge checks, which only jsonl carries: use --format jsonl (merge converts)');

  const precision = flags.has('int8') ? 'int8' : 'fp32';
  const modelDir = (flags.get('model') as string | undefined) ?? defaultModelDir();
  const userLexicon = flags.get('lexicon') as string | undefined;
  if (outDir !== undefined) {
    // From before the model loads: an interrupt in any phase stops the run with status 2.
    const interrupt = onInterrupt('interrupted: finished results are kept; rerun to resume');
    const stopCollecting = collectGarbagePeriodically();
    try {
      const engine = await NerEngine.load(modelDir, { threads, precision, userLexicon });
      try {
        interrupt.signal.throwIfAborted();
        const exportFiles = (docs: DocumentResult[]) => FORMATS[format].export(docs, { labelNames, onWarning: warn });
        const input = {
          outDir,
          format: inputFormat,
          textField,
          idField,
          glob,
          maxBytes,
          shard,
          signal: interrupt.signal,
          exportConcatenates: FORMATS[format].concatenates,
        };
        return await labelFolder(engine, paths, input, exportFiles, !flags.has('quiet') && process.stderr.isTTY === true);
      } finally {
        await engine.dispose();
      }
    } finally {
      stopCollecting();
      interrupt.dispose();
    }
  }
  const interrupt = onInterrupt('interrupted');
  let engine: NerEngine;
  let sink: AtomicStream;
  let expanded: Awaited<ReturnType<typeof expandInputs>>;
  try {
    expanded = await expandInputs(paths, { format: inputFormat, glob });
    if (!expanded.files.length && !expanded.problems.length) {
      interrupt.dispose();
      process.stderr.write(`medner: ${nothingMatched(paths, { format: inputFormat, glob })}\n`);
      return 1;
    }
    if (out !== '-') await checkOutput('--out', out, userLexicon ? [...expanded.files, userLexicon] : expanded.files);
    engine = await NerEngine.load(modelDir, { threads, precision, userLexicon });
    try {
      interrupt.signal.throwIfAborted();
      sink = out === '-' ? stdoutSink() : await openAtomic(out);
    } catch (e) {
      await engine.dispose();
      throw e;
    }
  } catch (e) {
    interrupt.dispose();
    throw e;
  }
  const progress = new Progress(!flags.has('quiet') && process.stderr.isTTY === true);
  let skipped = 0;
  let written = 0;
  const inputSet = new InputSetHash();
  // jsonl and yidu stream a line per document; the other formats are written whole at the end.
  const collected: DocumentResult[] = [];
  try {
    const items = readInputs(paths, {
      format: inputFormat,
      textField,
      idField,
      glob,
      maxBytes,
      expanded,
      only: shard && ((key) => inShard(key, shard)),
      onKey: (key) => inputSet.add(key),
    });
    for await (const item of labelStream(engine, items, { signal: interrupt.signal })) {
      if ('skipped' in item) {
        skipped++;
        progress.clear();
        process.stderr.write(`medner: skipped ${item.skipped.path}: ${item.skipped.reason}\n`);
        continue;
      }
      const { doc, entities } = item;
      const result = resultOf(doc, entities);
      if (format === 'yidu') await sink.write(serializeYidu([result]));
      else if (format === 'jsonl') for (const piece of serializeDocumentPieces(result, '\n')) await sink.write(piece);
      else collected.push(result);
      written++;
      progress.update(doc.text.length);
    }
    if (format !== 'jsonl' && format !== 'yidu') {
      for (const file of FORMATS[format].export(collected, { labelNames, onWarning: warn })) await sink.write(file.content);
    }
    if (shard)
      await sink.write(
        serializePartTrailer({ shard: formatShard(shard), inputs: inputSet.digest(), model: engine.meta.key, documents: written }),
      );
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
  input: InputOptions & { outDir: string; shard?: Shard; signal: AbortSignal; exportConcatenates: boolean },
  exportFiles: (docs: DocumentResult[]) => FormatFile[],
  tty: boolean,
): Promise<number> {
  const summary = await labelBatch(engine, paths, {
    ...input,
    exportFiles,
    onProgress: (p) => {
      if (!tty) return;
      const eta = p.etaSeconds === undefined ? '' : `, ETA ${Math.ceil(p.etaSeconds)} s`;
      process.stderr.write(
        `\r\x1b[Kmedner: ${p.filesDone}/${p.filesTotal} files, ${Math.round(p.charsPerSecond).toLocaleString('en')} chars/s${eta}`,
      );
    },
  });
  if (tty) process.stderr.write('\r\x1b[K');
  if (!summary.matched) {
    process.stderr.write(`medner: ${nothingMatched(paths, input)}\n`);
    return 1;
  }
  for (const s of summary.skipped) process.stderr.write(`medner: skipped ${s.path}: ${s.reason}\n`);
  process.stderr.write(
    `medner: ${summary.documents} documents from ${summary.files} files (${summary.reused} unchanged, reused), ` +
      `${summary.characters.toLocaleString('en')} chars in ${summary.seconds.toFixed(1)} s -> ${path.join(input.outDir, summary.outputs[0] ?? '')}\n`,
  );
  return summary.skipped.length ? 1 : 0;
}

/** Set by the first Ctrl-C or SIGTERM; from then on the process only winds down. */
let interrupted = false;

/** Ctrl-C / SIGTERM abort the run (so outputs are committed or removed cleanly) instead of killing it. */
function onInterrupt(message: string): { signal: AbortSignal; dispose(): void } {
  const abort = new AbortController();
  const onSignal = () => {
    if (!interrupted) {
      interrupted = true;
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
    // Once interrupted, the handlers stay until the process exits: removed while the run winds
    // down, a second signal would take its default action and kill the process mid-cleanup.
    dispose: () => {
      if (interrupted) return;
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

interface Part {
  name: string;
  info: PartInfo;
  docs: DocumentResult[];
}

async function merge(positional: string[], flags: Flags): Promise<number> {
  const out = flags.get('out');
  if (typeof out !== 'string') throw new UsageError('merge needs --out FILE');
  if (!positional.length) throw new UsageError('merge needs the shard outputs to join');
  const format = choice<FormatName>(flags, 'format', FORMAT_NAMES, 'jsonl');
  if (format === 'brat') throw new UsageError('merge writes one file: choose a single-file --format');
  const labelNames = choice<LabelNames>(flags, 'labels', ['chinese', 'english'], 'chinese');
  const partFiles = (await Promise.all(positional.map(filesOf))).flat();
  await checkOutput('--out', out, partFiles);
  const parts: Part[] = [];
  for (const name of positional) parts.push(await readPart(name));
  checkParts(parts);
  const docs = parts.flatMap((p) => p.docs);
  docs.sort((a, b) => compareDocPaths(a.path, b.path));
  for (let i = 1; i < docs.length; i++) {
    if (docs[i].path === docs[i - 1].path) throw new Error(`${clip(docs[i].path)} is in more than one part`);
  }
  const [file] = FORMATS[format].export(docs, { labelNames, onWarning: warn });
  await writeFileAtomic(out, file.content);
  process.stderr.write(`medner: merged ${docs.length} documents from ${positional.length} parts into ${out}\n`);
  return 0;
}

/** A --shard output: a jsonl file ending in its trailer, or an --out-dir with .medner/part.json. */
async function readPart(name: string): Promise<Part> {
  const isDir = (await fs.stat(name).catch(() => undefined))?.isDirectory() === true;
  const file = isDir ? path.join(name, 'annotations.jsonl') : name;
  let info: PartInfo | undefined;
  if (isDir) {
    const infoFile = path.join(name, '.medner', 'part.json');
    const raw = await readText(infoFile).catch(() => undefined);
    if (raw === undefined) throw new Error(`${clip(name)}: no .medner/part.json: not an --out-dir labelled with --shard`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw new Error(`${clip(infoFile)}: invalid JSON`);
    }
    const found = readPartInfo({ medner_part: parsed });
    if (typeof found !== 'object') throw new Error(`${clip(infoFile)}: ${found ?? 'not a part description'}`);
    info = found;
  }
  const docs: DocumentResult[] = [];
  const lines = (await readText(file)).split('\n');
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i].endsWith('\r') ? lines[i].slice(0, -1) : lines[i];
    if (text.trim() === '') continue;
    const where = `${clip(file)}:${i + 1}`;
    if (!isDir && info) throw new Error(`${where}: a line after the part trailer`);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      // Every line we write ends in a newline: a last line without one was cut off mid-write.
      if (i === lines.length - 1) throw new Error(`${where}: the last line stops mid-record: the part is cut short`);
      throw new Error(`${where}: invalid JSON (${clip((e as Error).message)})`);
    }
    const trailer = isDir ? undefined : readPartInfo(value);
    if (typeof trailer === 'string') throw new Error(`${where}: ${trailer}`);
    if (trailer) {
      info = trailer;
      continue;
    }
    try {
      docs.push(parseDocument(value, i + 1));
    } catch (e) {
      throw e instanceof FormatError ? new Error(`${where}: ${e.what}`) : e;
    }
  }
  if (!info)
    throw new Error(
      `${clip(file)}: no part trailer ({"medner_part": ...} last line): cut short, or not the output of medner label --shard`,
    );
  if (info.documents !== docs.length) {
    throw new Error(`${clip(name)}: holds ${docs.length} documents but was written with ${info.documents}: the part is cut or damaged`);
  }
  return { name, info, docs };
}

/** One model, one input set, one shard count, every shard exactly once. */
function checkParts(parts: readonly Part[]): void {
  const [first] = parts;
  const count = parseShard(first.info.shard).count;
  const byIndex = new Map<number, Part>();
  for (const part of parts) {
    const shard = parseShard(part.info.shard);
    const name = clip(part.name);
    if (part.info.model !== first.info.model) throw new Error(`${name}: labelled with another model than ${clip(first.name)}`);
    if (part.info.inputs !== first.info.inputs) throw new Error(`${name}: labelled from another input set than ${clip(first.name)}`);
    if (shard.count !== count)
      throw new Error(`${name}: shard ${part.info.shard}, but ${clip(first.name)} is shard ${first.info.shard}: different shard counts`);
    const twin = byIndex.get(shard.index);
    if (twin) throw new Error(`${name}: shard ${part.info.shard} again (also ${clip(twin.name)})`);
    byIndex.set(shard.index, part);
  }
  if (byIndex.size < count) {
    let missing = 0;
    while (byIndex.has(missing)) missing++;
    const more = count - byIndex.size - 1;
    throw new Error(
      `shard ${missing + 1}/${count} is missing${more ? ` (and ${more} more)` : ''}: ${parts.length} of ${count} parts given`,
    );
  }
}

/** A user-named file as UTF-8 text; never opens a FIFO or device. */
async function readText(file: string): Promise<string> {
  // Without a size limit it reads the file or throws.
  return ((await readRegularFile(file)) as { bytes: Buffer }).bytes.toString('utf8');
}

function stdoutSink() {
  return {
    write: (chunk: string) =>
      new Promise<void>((resolve, reject) => {
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
      process.stderr.write(
        `\rmedner: ${this.docs} documents, ${this.chars.toLocaleString('en')} chars, ${Math.round(rate).toLocaleString('en')} chars/s`,
      );
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
  const report = flags.get('report');
  if (report !== undefined) {
    if (typeof report !== 'string') throw new UsageError('--report needs a file path');
    await checkOutput('--report', report, [...(await filesOf(goldPath)), ...(await filesOf(predPath))]);
  }
  const sourceOf = (name: string) => choice<LabelStudioSource>(flags, name, ['auto', 'annotations', 'predictions'], 'auto');
  // An empty document holds no entity and counts for nothing; doccano cannot hold one at all.
  const nonEmpty = (docs: DocumentResult[]) => docs.filter((d) => d.text !== '');
  const textField = flags.get('text-field') as string | undefined;
  const read = (file: string, side: 'gold' | 'pred') =>
    readAnnotations(file, formatOf(`${side}-format`), { source: sourceOf(`${side}-source`), textField });
  const gold = nonEmpty(await read(goldPath, 'gold'));
  const pred = nonEmpty(await read(predPath, 'pred'));
  if (gold.length !== pred.length)
    throw new Error(`${clip(goldPath)} has ${gold.length} documents but ${clip(predPath)} has ${pred.length}`);
  const differs = gold.findIndex((g, i) => g.text !== pred[i].text);
  if (differs >= 0) {
    const doc = (file: string, d: DocumentResult) => `${clip(file)} document ${differs + 1} (${clip(d.path)})`;
    throw new Error(
      `${doc(goldPath, gold[differs])} and ${doc(predPath, pred[differs])} have different texts: gold and predictions must list the same documents in the same order`,
    );
  }
  const result = evaluate(gold, pred);
  if (report !== undefined) {
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
    process.stdout.write(
      `${(JSON.parse(readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }).version}\n`,
    );
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

/** Every error as one line: long messages are cut, and an overflow names what overflowed. */
function oneLine(e: unknown): string {
  const err = e instanceof Error ? e : new Error(String(e));
  let message = err.message;
  if (err instanceof UsageError) message += ' (medner --help shows the usage)';
  else if (err instanceof ModelError) message = `model error: ${message}`;
  else if (err instanceof RangeError && /call stack/.test(message))
    message = 'an input is nested too deeply to read (Maximum call stack size exceeded)';
  else if ((err as NodeJS.ErrnoException).code === 'EISDIR') message = `a folder was given where a file is needed (${message})`;
  return clip(message.replace(/\s*[\r\n]+\s*/g, ' '), 1000);
}

// A closed pipe (`medner label | head`) is the reader's choice, not an error worth a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (e: unknown) => {
    process.stderr.write(`medner: ${oneLine(e)}\n`);
    process.exitCode = 2;
    // The interrupt is reported: a further signal must neither repeat it nor kill the process with
    // the signal's status, so nothing is left to wait for.
    if (interrupted) process.exit(2);
  },
);
