/**
 * Labels whole folders into an output folder, resumably: the folder's state (batchState.ts) records
 * each input's size and content hash and where its result is, so a rerun relabels only new or
 * changed inputs (and everything when the model changed). Finished results survive a cancel or a
 * crash; every file is written atomically; sources are only read; one run at a time writes a folder.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { mkdirNoFollow, readNoFollow, removeStaleTemps, writeError, writeFileAtomic } from './atomic';
import { BatchState, type StateEntry } from './batchState';
import type { NerEngine } from './engine';
import { exportFolders, writeExportFiles, writeExportStream } from './exportWriter';
import type { FormatFile } from './formats/registry';
import { type DocumentResult, parseDocuments, serializeDocuments } from './formats/jsonl';
import { expandInputs, type InputDoc, type InputOptions, loadFile, resultOf } from './inputs';
import { YIDU_LABELS, type YiduLabel } from './labels';
import { lockOutDir } from './outDirLock';
import { countCodePoints } from './offsets';
import { formatShard, inShard, InputSetHash, type PartInfo, type Shard } from './shard';

export interface BatchProgress {
  filesDone: number;
  filesTotal: number;
  characters: number;
  charsPerSecond: number;
  /**
   * Seconds left at the labelling rate; undefined until a file was labelled in this run (inputs
   * reused from an earlier run take no time, so they say nothing about the rest).
   */
  etaSeconds?: number;
}

export interface BatchSummary {
  outDir: string;
  /** Files the inputs and glob matched, across all shards: 0 means the run had nothing to label. */
  matched: number;
  files: number;
  /** Inputs whose stored result was reused (unchanged since an earlier run). */
  reused: number;
  documents: number;
  characters: number;
  entities: Record<YiduLabel, number>;
  seconds: number;
  skipped: { path: string; reason: string }[];
  outputs: string[];
}

export interface BatchOptions extends InputOptions {
  outDir: string;
  /** Only this part of the inputs (by path): one of N parallel jobs. */
  shard?: Shard;
  signal?: AbortSignal;
  onProgress?: (p: BatchProgress) => void;
  /** Characters gathered across files before one engine call. */
  chunkChars?: number;
  /** Turns all results into the requested export files. */
  exportFiles: (docs: DocumentResult[]) => FormatFile[];
  /**
   * The export's format concatenates (AnnotationFormat.concatenates): it is then written a chunk of
   * documents at a time, so memory does not grow with the folder.
   */
  exportConcatenates?: boolean;
}

/** Documents per exportFiles() call when the format concatenates. */
const EXPORT_CHUNK = 1000;

const STATE_DIR = '.medner';

export async function labelBatch(engine: NerEngine, paths: readonly string[], options: BatchOptions): Promise<BatchSummary> {
  const { outDir } = options;
  await refuseOutDirHoldingInputs(outDir, paths);
  await makeFolder(outDir);
  const stateDir = path.join(outDir, STATE_DIR);
  await mkdirNoFollow(stateDir);
  const lock = await lockOutDir(outDir, path.join(stateDir, 'lock'));
  try {
    return await labelLocked(engine, paths, options, stateDir);
  } finally {
    await lock.release();
  }
}

async function labelLocked(engine: NerEngine, paths: readonly string[], options: BatchOptions, stateDir: string): Promise<BatchSummary> {
  const started = Date.now();
  const { outDir, signal } = options;
  const exportRecord = path.join(stateDir, 'exported.json');
  // Left by runs killed on the way; only this run writes here now.
  for (const dir of [outDir, stateDir, path.join(stateDir, 'results'), ...(await exportFolders(outDir, exportRecord))])
    await removeStaleTemps(dir);
  // In a function of its own: the state and the input lists (100,000 inputs' worth) are freed
  // before the export, the step that needs the most memory.
  const { matched, files, reused, skipped, stored, inputSet } = await updateResults(engine, paths, options, stateDir, started);
  const entities = Object.fromEntries(YIDU_LABELS.map((l) => [l, 0])) as Record<YiduLabel, number>;
  let characters = 0;
  let documents = 0;
  const counted = (doc: DocumentResult): DocumentResult => {
    for (const e of doc.entities) entities[e.label]++;
    characters += countCodePoints(doc.text);
    documents++;
    return doc;
  };
  const write = { signal, record: exportRecord };
  let outputs: string[];
  if (options.exportConcatenates) {
    const [{ relativePath }] = options.exportFiles([]);
    const pieces = async function* () {
      let chunk: DocumentResult[] = [];
      for await (const doc of storedDocuments(stored, signal)) {
        chunk.push(counted(doc));
        if (chunk.length === EXPORT_CHUNK) {
          yield options.exportFiles(chunk)[0].content;
          chunk = [];
        }
      }
      if (chunk.length) yield options.exportFiles(chunk)[0].content;
    };
    outputs = await writeExportStream(outDir, relativePath, pieces(), write);
  } else {
    const all: DocumentResult[] = [];
    for await (const doc of storedDocuments(stored, signal)) all.push(counted(doc));
    const exported = options.exportFiles(all);
    // The documents are in the export now; let them go while it is encoded and written.
    all.length = 0;
    outputs = await writeExportFiles(outDir, exported, write);
  }
  const summary: BatchSummary = {
    outDir,
    matched,
    files,
    reused,
    documents,
    characters,
    entities,
    seconds: (Date.now() - started) / 1000,
    skipped,
    outputs,
  };
  signal?.throwIfAborted();
  // What merge checks a part folder against (a shard's jsonl part carries it as its trailer line).
  if (options.shard) {
    const part: PartInfo = { shard: formatShard(options.shard), inputs: inputSet, model: engine.meta.key, documents };
    await writeFileAtomic(path.join(stateDir, 'part.json'), JSON.stringify(part) + '\n');
  } else {
    await fs.rm(path.join(stateDir, 'part.json'), { force: true });
  }
  await writeFileAtomic(path.join(outDir, 'summary.json'), JSON.stringify(summary, null, 1) + '\n');
  signal?.throwIfAborted();
  await writeFileAtomic(path.join(outDir, 'summary.md'), summaryMarkdown(summary));
  return summary;
}

/** Labels what is new or changed, records it, and returns every input's stored result. */
async function updateResults(engine: NerEngine, paths: readonly string[], options: BatchOptions, stateDir: string, started: number) {
  const { outDir, signal } = options;
  const state = await BatchState.open(stateDir, engine.meta.key);
  // Exports name documents relative to the folder they were found in (a named file: its own folder),
  // so an output folder means the same on another machine.
  const files: string[] = [];
  const problems: { path: string; reason: string }[] = [];
  const rootOf = new Map<string, string>();
  const inputSet = new InputSetHash();
  let matched = 0;
  for (const p of paths) {
    signal?.throwIfAborted();
    const found = await expandInputs([p], options);
    const isDir = await fs.stat(p).then(
      (st) => st.isDirectory(),
      () => false,
    );
    for (const f of [...found.problems.map((x) => x.path), ...found.files]) inputSet.add(found.keyOf.get(f)!);
    matched += found.problems.length + found.files.length;
    // By the path below the argument (inputKey), not the mount point: the same shards on every node.
    const mine = options.shard ? found.files.filter((f) => inShard(found.keyOf.get(f)!, options.shard!)) : found.files;
    for (const f of mine) rootOf.set(f, isDir ? p : path.dirname(p));
    files.push(...mine);
    problems.push(...found.problems);
  }
  if (files.includes('-')) throw new Error("stdin ('-') cannot be labelled into an output folder");
  // An output folder inside an input folder must not become input on the next run, also when one
  // of them is reached through a symbolic link.
  const realOut = await fs.realpath(outDir);
  const inputs: string[] = [];
  for (const f of files) {
    signal?.throwIfAborted();
    if (!isInside(await fs.realpath(f).catch(() => path.resolve(f)), realOut)) inputs.push(f);
  }
  const skipped = [...problems];
  let reused = 0;
  let labelledChars = 0;
  let labelled = 0;
  let done = 0;
  const report = (characters: number) => {
    const secs = (Date.now() - started) / 1000;
    options.onProgress?.({
      filesDone: done,
      filesTotal: inputs.length,
      characters,
      charsPerSecond: labelledChars / Math.max(secs, 1e-3),
      etaSeconds: labelled ? (secs / labelled) * (inputs.length - done) : undefined,
    });
  };

  let pending: { file: string; bytes: Buffer; sha256: string; docs: InputDoc[] }[] = [];
  let pendingChars = 0;
  let characters = 0;
  // Inputs to forget, recorded with the next results.
  let forgotten: [string, undefined][] = [];
  const flush = async () => {
    if (!pending.length && !forgotten.length) return;
    const results = pending.length
      ? await engine.analyzeMany(
          pending.flatMap((p) => p.docs.map((d) => d.text)),
          options,
        )
      : [];
    const changes: [string, StateEntry | undefined][] = forgotten;
    let i = 0;
    for (const p of pending) {
      const docs: DocumentResult[] = p.docs.map((d) => resultOf(d, results[i++]));
      const entry = { size: p.bytes.length, sha256: p.sha256, result: BatchState.resultName(path.resolve(p.file), p.sha256) };
      await writeFileAtomic(state.resultPath(entry), serializeDocuments(docs));
      changes.push([path.resolve(p.file), entry]);
      labelledChars += p.docs.reduce((n, d) => n + d.text.length, 0);
    }
    // After the results it names are on disk: a line never points to a result that is not there.
    await state.record(changes);
    done += pending.length;
    labelled += pending.length;
    pending = [];
    pendingChars = 0;
    forgotten = [];
    report(characters);
  };

  for (const file of inputs) {
    signal?.throwIfAborted();
    const loaded = await loadFile(file, options);
    if ('skipped' in loaded) {
      skipped.push(loaded.skipped);
      // Deleted, unreadable, grown too large or no longer text since it was labelled: its old hash
      // describes content that is gone.
      if (state.get(path.resolve(file))) forgotten.push([path.resolve(file), undefined]);
      done++;
      continue;
    }
    const sha256 = createHash('sha256').update(loaded.bytes).digest('hex');
    const chars = loaded.docs.reduce((n, d) => n + d.text.length, 0);
    characters += chars;
    const old = state.get(path.resolve(file));
    if (old && old.size === loaded.bytes.length && old.sha256 === sha256 && (await state.hasResult(old))) {
      reused++;
      done++;
      report(characters);
      continue;
    }
    pending.push({ file, bytes: loaded.bytes, sha256, docs: loaded.docs });
    pendingChars += chars;
    if (pendingChars >= (options.chunkChars ?? 32_768)) await flush();
  }
  await flush();
  await state.finish();

  // Only where each stored result is: the state and the input lists (100,000 inputs' worth) are
  // freed before the export.
  const stored: StoredResult[] = [];
  const skippedPaths = new Set(skipped.map((s) => s.path));
  for (const file of inputs) {
    const entry = state.get(path.resolve(file));
    if (entry && !skippedPaths.has(file)) stored.push({ result: state.resultPath(entry), root: rootOf.get(file)! });
  }
  return { matched, files: inputs.length, reused, skipped, stored, inputSet: inputSet.digest() };
}

interface StoredResult {
  /** The result file in the state folder. */
  result: string;
  /** What the documents' exported paths are relative to: the input folder, or a named file's folder. */
  root: string;
}

/** Every stored document in input order, named relative to its root. */
async function* storedDocuments(stored: readonly StoredResult[], signal?: AbortSignal): AsyncGenerator<DocumentResult> {
  for (const { result, root } of stored) {
    signal?.throwIfAborted();
    for (const doc of parseDocuments(await readNoFollow(result))) {
      doc.path = path.relative(root, doc.path).split(path.sep).join('/');
      yield doc;
    }
  }
}

async function makeFolder(dir: string): Promise<void> {
  try {
    await fs.mkdir(dir, { recursive: true });
  } catch (err) {
    // A recursive mkdir says ENOENT where a parent is read-only or forbidden: one level at a time
    // gives the real reason.
    const parent = path.dirname(dir);
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || parent === dir) throw writeError(dir, err);
    await makeFolder(parent);
    await fs.mkdir(dir).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'EEXIST') throw writeError(dir, e);
    });
  }
}

/**
 * An output folder that holds an input (`label in/ --out-dir .`) would have every input taken for
 * its own output and skipped, or its outputs written among the sources: refused.
 */
async function refuseOutDirHoldingInputs(outDir: string, paths: readonly string[]): Promise<void> {
  const input = await inputInside(outDir, paths);
  if (input !== undefined)
    throw new Error(`the output folder ${outDir} holds the input ${input}: choose an output folder outside the inputs`);
}

/** The first of `paths` inside the folder `outDir` (links followed), if any. */
export async function inputInside(outDir: string, paths: readonly string[]): Promise<string | undefined> {
  const realOut = await fs.realpath(outDir).catch(() => undefined);
  if (realOut === undefined) return undefined; // not there yet: it holds nothing
  for (const p of paths) {
    if (p === '-') continue;
    const real = await fs.realpath(p).catch(() => undefined);
    if (real !== undefined && isInside(real, realOut)) return p;
  }
  return undefined;
}

/** Where Label Folder proposes to write: a new folder beside the (first) input folder, never inside it. */
export function siblingOutDir(input: string, isFolder: boolean): string {
  return `${path.resolve(isFolder ? input : path.dirname(input))}-medner`;
}

export function summaryMarkdown(s: BatchSummary): string {
  const lines = [
    '# MedNER labelling summary',
    '',
    `- ${s.files} input files (${s.reused} unchanged since the last run, reused), ${s.documents} documents, ${s.characters.toLocaleString('en')} characters`,
    ...(s.matched ? [] : ['- **no input file matched the pattern: nothing was labelled**']),
    `- ${s.seconds.toFixed(1)} s`,
    `- outputs: ${s.outputs.map((o) => `\`${o}\``).join(', ') || 'none'}`,
    '',
    '| type | entities |',
    '|---|---|',
    ...YIDU_LABELS.map((l) => `| ${l} | ${s.entities[l]} |`),
    '',
  ];
  if (s.skipped.length) lines.push(`## Skipped (${s.skipped.length})`, '', ...s.skipped.map((x) => `- \`${x.path}\`: ${x.reason}`), '');
  return lines.join('\n');
}

function isInside(file: string, dir: string): boolean {
  const rel = path.relative(dir, file);
  return rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}
