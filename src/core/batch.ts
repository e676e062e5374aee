/**
 * Labels whole folders into an output folder, resumably: a manifest records each input's size and
 * content hash and where its result is, so a rerun relabels only new or changed inputs (and
 * everything when the model changed). Finished results survive a cancel or a crash; every file is
 * written atomically; sources are only read.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from './atomic';
import type { NerEngine } from './engine';
import { writeExportFiles } from './exportWriter';
import type { FormatFile } from './formats/registry';
import { type DocumentResult, parseDocuments, serializeDocuments } from './formats/jsonl';
import { expandInputs, type InputDoc, type InputOptions, loadFile } from './inputs';
import { YIDU_LABELS, type YiduLabel } from './labels';
import { countCodePoints } from './offsets';
import { formatShard, inShard, InputSetHash, type PartInfo, type Shard } from './shard';

export interface BatchProgress {
  filesDone: number;
  filesTotal: number;
  characters: number;
  charsPerSecond: number;
  /** Seconds left at the current rate; undefined until something was labelled. */
  etaSeconds?: number;
}

export interface BatchSummary {
  outDir: string;
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
}

interface ManifestEntry {
  size: number;
  sha256: string;
  result: string;
}

interface Manifest {
  format: 'medner-batch/1';
  model: string;
  inputs: Record<string, ManifestEntry>;
}

const STATE_DIR = '.medner';

export async function labelBatch(engine: NerEngine, paths: readonly string[], options: BatchOptions): Promise<BatchSummary> {
  const started = Date.now();
  const { outDir } = options;
  const stateDir = path.join(outDir, STATE_DIR);
  await fs.mkdir(path.join(stateDir, 'results'), { recursive: true });
  const manifestPath = path.join(stateDir, 'manifest.json');
  const manifest = await readManifest(manifestPath, engine.meta.key);
  // Exports name documents relative to the folder they were found in (a named file: its own folder),
  // so an output folder means the same on another machine.
  const files: string[] = [];
  const problems: { path: string; reason: string }[] = [];
  const rootOf = new Map<string, string>();
  const inputSet = new InputSetHash();
  for (const p of paths) {
    const found = await expandInputs([p], options);
    const isDir = await fs.stat(p).then((st) => st.isDirectory(), () => false);
    for (const f of [...found.problems.map((x) => x.path), ...found.files]) inputSet.add(found.keyOf.get(f)!);
    // By the path below the argument (inputKey), not the mount point: the same shards on every node.
    const mine = options.shard ? found.files.filter((f) => inShard(found.keyOf.get(f)!, options.shard!)) : found.files;
    for (const f of mine) rootOf.set(f, isDir ? p : path.dirname(p));
    files.push(...mine);
    problems.push(...found.problems);
  }
  if (files.includes('-')) throw new Error("stdin ('-') cannot be labelled into an output folder");
  // An output folder inside an input folder must not become input on the next run.
  const inputs = files.filter((f) => !isInside(path.resolve(f), path.resolve(outDir)));
  const skipped = [...problems];
  let reused = 0;
  let labelledChars = 0;
  let done = 0;
  const report = (characters: number) => {
    const secs = (Date.now() - started) / 1000;
    options.onProgress?.({
      filesDone: done,
      filesTotal: inputs.length,
      characters,
      charsPerSecond: labelledChars / Math.max(secs, 1e-3),
      etaSeconds: done ? (secs / done) * (inputs.length - done) : undefined,
    });
  };

  let pending: { file: string; bytes: Buffer; sha256: string; docs: InputDoc[] }[] = [];
  let pendingChars = 0;
  let characters = 0;
  // Result files that no manifest entry will name once the manifest is saved.
  const stale: string[] = [];
  const saveManifest = async () => {
    await writeFileAtomic(manifestPath, JSON.stringify(manifest, null, 1) + '\n');
    // By base name: a manifest is read from disk, and this must never delete outside results/.
    for (const r of stale.splice(0)) await fs.rm(path.join(stateDir, 'results', path.basename(r)), { force: true });
  };
  const flush = async () => {
    if (!pending.length) return;
    const results = await engine.analyzeMany(pending.flatMap((p) => p.docs.map((d) => d.text)), options);
    let i = 0;
    for (const p of pending) {
      const docs: DocumentResult[] = p.docs.map((d) => ({ path: d.line ? `${d.path}:${d.line}` : d.path, encoding: d.encoding, text: d.text, entities: results[i++] }));
      // Named by input and content: a result file only ever holds the result of the content its
      // manifest entry hashes, even when a run stops between writing results and the manifest.
      const result = path.join('results', `${createHash('sha256').update(`${path.resolve(p.file)}\0${p.sha256}`).digest('hex').slice(0, 32)}.jsonl`);
      await writeFileAtomic(path.join(stateDir, result), serializeDocuments(docs));
      const old = manifest.inputs[path.resolve(p.file)];
      if (old && old.result !== result) stale.push(old.result);
      manifest.inputs[path.resolve(p.file)] = { size: p.bytes.length, sha256: p.sha256, result };
      labelledChars += p.docs.reduce((n, d) => n + d.text.length, 0);
      done++;
    }
    pending = [];
    pendingChars = 0;
    await saveManifest();
    report(characters);
  };

  for (const file of inputs) {
    options.signal?.throwIfAborted();
    const loaded = await loadFile(file, options);
    if ('skipped' in loaded) {
      skipped.push(loaded.skipped);
      // Deleted, unreadable, grown too large or no longer text since it was labelled: its old hash
      // describes content that is gone.
      const gone = manifest.inputs[path.resolve(file)];
      if (gone) {
        delete manifest.inputs[path.resolve(file)];
        stale.push(gone.result);
      }
      done++;
      continue;
    }
    const sha256 = createHash('sha256').update(loaded.bytes).digest('hex');
    const chars = loaded.docs.reduce((n, d) => n + d.text.length, 0);
    characters += chars;
    const old = manifest.inputs[path.resolve(file)];
    if (old && old.size === loaded.bytes.length && old.sha256 === sha256 && (await exists(path.join(stateDir, old.result)))) {
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
  if (stale.length) await saveManifest();

  const all: DocumentResult[] = [];
  // The stored result of each exported document, with the path it was read from.
  const sources: DocumentResult[] = [];
  for (const file of inputs) {
    const entry = manifest.inputs[path.resolve(file)];
    if (!entry || skipped.some((s) => s.path === file)) continue;
    for (const doc of parseDocuments(await fs.readFile(path.join(stateDir, entry.result), 'utf8'))) {
      sources.push(doc);
      all.push({ ...doc, path: path.relative(rootOf.get(file)!, doc.path).split(path.sep).join('/') });
    }
  }
  const outputs = await writeExportFiles(outDir, options.exportFiles(all), sources.map((d) => (/:\d+$/.test(d.path) ? undefined : d.path)));
  const entities = Object.fromEntries(YIDU_LABELS.map((l) => [l, 0])) as Record<YiduLabel, number>;
  for (const d of all) for (const e of d.entities) entities[e.label]++;
  const summary: BatchSummary = {
    outDir, files: inputs.length, reused, documents: all.length,
    characters: all.reduce((n, d) => n + countCodePoints(d.text), 0),
    entities, seconds: (Date.now() - started) / 1000, skipped, outputs,
  };
  if (options.shard) {
    const part: PartInfo = { shard: formatShard(options.shard), inputs: inputSet.digest(), model: engine.meta.key, documents: all.length };
    await writeFileAtomic(path.join(stateDir, 'part.json'), JSON.stringify(part) + '\n');
  } else {
    await fs.rm(path.join(stateDir, 'part.json'), { force: true });
  }
  await writeFileAtomic(path.join(outDir, 'summary.json'), JSON.stringify(summary, null, 1) + '\n');
  await writeFileAtomic(path.join(outDir, 'summary.md'), summaryMarkdown(summary));
  return summary;
}

export function summaryMarkdown(s: BatchSummary): string {
  const lines = [
    '# MedNER labelling summary', '',
    `- ${s.files} input files (${s.reused} unchanged since the last run, reused), ${s.documents} documents, ${s.characters.toLocaleString('en')} characters`,
    `- ${s.seconds.toFixed(1)} s`,
    `- outputs: ${s.outputs.map((o) => `\`${o}\``).join(', ') || 'none'}`, '',
    '| type | entities |', '|---|---|',
    ...YIDU_LABELS.map((l) => `| ${l} | ${s.entities[l]} |`), '',
  ];
  if (s.skipped.length) lines.push(`## Skipped (${s.skipped.length})`, '', ...s.skipped.map((x) => `- \`${x.path}\`: ${x.reason}`), '');
  return lines.join('\n');
}

async function readManifest(file: string, model: string): Promise<Manifest> {
  try {
    const m = JSON.parse(await fs.readFile(file, 'utf8')) as Manifest;
    // Results of another model are not this model's answers: start over.
    if (m.format === 'medner-batch/1' && m.model === model && typeof m.inputs === 'object') return m;
  } catch {
    // no manifest yet, or an unreadable one: label everything
  }
  return { format: 'medner-batch/1', model, inputs: {} };
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(() => true, () => false);
}

function isInside(file: string, dir: string): boolean {
  const rel = path.relative(dir, file);
  return !rel.startsWith('..') && !path.isAbsolute(rel);
}
