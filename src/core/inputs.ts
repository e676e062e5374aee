/** Documents to label, from files, folders, record files (records.ts) or stdin; problems become skip reasons. */
import * as nodePath from 'node:path';
import { decodeBuffer, type Encoding } from './decode';
import { type CollectedInputs, collectInputs, NotAFileError, readRegularFile } from './files';
import type { DocumentId, DocumentResult, Entity } from './formats/jsonl';
import { type RecordFormat, readRecords, type RecordOptions } from './records';

export type InputFormat = 'auto' | 'text' | RecordFormat;

export const INPUT_FORMATS: readonly InputFormat[] = ['auto', 'text', 'yidu', 'jsonl', 'doccano', 'csv', 'tsv', 'labelstudio'];

/** What a folder yields by default, per input format. */
const DEFAULT_GLOBS: Record<InputFormat, string> = {
  auto: '**/*.txt',
  text: '**/*.txt',
  yidu: '**/*.{json,jsonl,txt}',
  jsonl: '**/*.{jsonl,json}',
  doccano: '**/*.{jsonl,json}',
  csv: '**/*.csv',
  tsv: '**/*.tsv',
  labelstudio: '**/*.json',
};

export interface InputDoc {
  /** The file, or `-` for stdin. */
  path: string;
  /** The record's place in its file (records.ts); absent for text files. */
  line?: number;
  text: string;
  encoding: Encoding;
  id?: DocumentId;
  fields?: Record<string, unknown>;
  textField?: string;
}

export type InputItem = { doc: InputDoc } | { skipped: { path: string; reason: string } };

export interface InputOptions extends RecordOptions {
  format?: InputFormat;
  glob?: string;
  maxBytes?: number;
  /** What `-` reads; default process.stdin. */
  stdin?: AsyncIterable<Uint8Array>;
}

export const DEFAULT_MAX_BYTES = 20 * 1024 * 1024;

export interface ExpandedInputs extends CollectedInputs {
  /** Each file's and problem's path relative to the argument it came from (see inputKey). */
  keyOf: Map<string, string>;
}

/** The pattern folders are searched with: the one given, else what the input format reads. */
export function globOf(options: InputOptions): string {
  return options.glob ?? DEFAULT_GLOBS[options.format ?? 'auto'];
}

/** The one-line warning of a run whose inputs matched no file. */
export function nothingMatched(paths: readonly string[], options: InputOptions): string {
  const where = paths.map((p) => (p.length > 100 ? `${p.slice(0, 100)}…` : p)).join(', ');
  return `no file in ${where} matches ${globOf(options)}: nothing was labelled`;
}

/** Inputs named on a command line: folders expand by `glob` (default by format), `-` stays stdin. */
export async function expandInputs(paths: readonly string[], options: InputOptions = {}): Promise<ExpandedInputs> {
  const files: string[] = [];
  const problems: CollectedInputs['problems'] = [];
  const keyOf = new Map<string, string>();
  const keep = (arg: string, p: string) => {
    if (!keyOf.has(p)) keyOf.set(p, inputKey(arg, p));
  };
  for (const p of paths) {
    if (p === '-') {
      files.push(p);
      keep(p, p);
      continue;
    }
    const found = await collectInputs([p], globOf(options));
    problems.push(...found.problems);
    files.push(...found.files);
    for (const f of [...found.files, ...found.problems.map((x) => x.path)]) keep(p, f);
  }
  return { files, problems, keyOf };
}

/**
 * A file's name independent of where the corpus is mounted: a named file's base name, or its path
 * below the folder named, '/'-separated. Shards are chosen by it, so that nodes which see the corpus
 * at different paths still compute the same partition.
 */
export function inputKey(arg: string, file: string): string {
  if (file === arg) return nodePath.basename(file);
  return nodePath.relative(arg, file).split(nodePath.sep).join('/');
}

export type LoadedFile = { bytes: Buffer; docs: InputDoc[] } | { skipped: { path: string; reason: string } };

/** Reads and decodes one input file: its documents (one, or one per Yidu record), or why it is skipped. */
export async function loadFile(path: string, options: InputOptions = {}): Promise<LoadedFile> {
  const format = options.format ?? 'auto';
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  let bytes: Buffer;
  try {
    if (path === '-') {
      const read = await readAtMost(options.stdin ?? process.stdin, maxBytes);
      // The rest of the stream is not read, so its size is unknown.
      if (!read) return { skipped: { path, reason: `larger than the ${formatBytes(maxBytes)} limit` } };
      bytes = read;
    } else {
      const read = await readRegularFile(path, maxBytes);
      if ('tooLarge' in read) return { skipped: { path, reason: tooLarge(maxBytes, read.tooLarge) } };
      bytes = read.bytes;
    }
  } catch (e) {
    if (e instanceof NotAFileError) return { skipped: { path, reason: e.reason } };
    throw e;
  }
  const decoded = decodeBuffer(bytes);
  if ('error' in decoded) return { skipped: { path, reason: decoded.error } };
  const { text, encoding } = decoded;
  const records = format === 'auto' ? detectRecords(path, text, options) : format === 'text' ? undefined : format;
  if (records) {
    try {
      return { bytes, docs: readRecords(text, records, options).map((r) => ({ path, encoding, ...r })) };
    } catch (e) {
      return { skipped: { path, reason: (e as Error).message } };
    }
  }
  return { bytes, docs: [{ path, text, encoding }] };
}

/** Which record format a file holds, told from its name and first records; undefined: a text document. */
function detectRecords(path: string, text: string, options: RecordOptions): RecordFormat | undefined {
  const name = path.toLowerCase();
  if (name.endsWith('.csv')) return 'csv';
  if (name.endsWith('.tsv')) return 'tsv';
  if (looksLikeYidu(text)) return 'yidu';
  if (!/\.jsonl?$/.test(name)) return undefined;
  const body = text.replace(/^\uFEFF/, '').trimStart();
  if (body.startsWith('[') || isTask(body)) return 'labelstudio';
  return firstRecords(body).some((r) => typeof r[options.textField ?? 'text'] === 'string') ? 'jsonl' : undefined;
}

/** One Label Studio task as a whole file (Label Studio imports that too), however it is laid out. */
function isTask(body: string): boolean {
  try {
    const value = JSON.parse(body) as unknown;
    return typeof value === 'object' && value !== null && typeof (value as { data?: unknown }).data === 'object';
  } catch {
    return false;
  }
}

export interface ReadOptions extends InputOptions {
  /** Only the documents whose key (inputKey, plus `:LINE` for a Yidu record) this accepts: a shard. */
  only?: (key: string) => boolean;
  /** Sees the key of every document and skipped input, taken or not, in order. */
  onKey?: (key: string) => void;
  /** expandInputs(paths) when the caller has it already. */
  expanded?: ExpandedInputs;
}

export async function* readInputs(paths: readonly string[], options: ReadOptions = {}): AsyncGenerator<InputItem> {
  const { files, problems, keyOf } = options.expanded ?? (await expandInputs(paths, options));
  const only = options.only ?? (() => true);
  const take = (key: string) => {
    options.onKey?.(key);
    return only(key);
  };
  for (const problem of problems) if (take(keyOf.get(problem.path)!)) yield { skipped: problem };
  for (const path of files) {
    const key = keyOf.get(path)!;
    // A plain text file is one document whose key is known: other shards' files are not read.
    if (options.format === 'text' && !only(key)) {
      options.onKey?.(key);
      continue;
    }
    const loaded = await loadFile(path, options);
    if ('skipped' in loaded) {
      if (take(key)) yield loaded;
      continue;
    }
    for (const doc of loaded.docs) if (take(doc.line ? `${key}:${doc.line}` : key)) yield { doc };
  }
}

function looksLikeYidu(text: string): boolean {
  // The first two records decide: a Yidu file whose first line is damaged is still read as Yidu,
  // and then skipped with that line's number, instead of being labelled as one text document.
  return firstRecords(text.replace(/^\uFEFF/, '')).some((r) => typeof r['originalText'] === 'string');
}

/** The objects among a JSON-lines text's first two non-blank lines (damaged lines are passed over). */
function firstRecords(body: string): Record<string, unknown>[] {
  if (!body.trimStart().startsWith('{')) return [];
  const out: Record<string, unknown>[] = [];
  let lines = 0;
  for (let start = 0; start < body.length && lines < 2;) {
    const end = body.indexOf('\n', start);
    const line = body.slice(start, end < 0 ? body.length : end).trim();
    start = end < 0 ? body.length : end + 1;
    if (line === '') continue;
    lines++;
    try {
      const obj = JSON.parse(line) as unknown;
      if (typeof obj === 'object' && obj !== null && !Array.isArray(obj)) out.push(obj as Record<string, unknown>);
    } catch {
      // a damaged line: the next one may still tell
    }
  }
  return out;
}

/** The stream's bytes, or undefined as soon as they pass `maxBytes`: an endless pipe is never buffered whole. */
async function readAtMost(stream: AsyncIterable<Uint8Array>, maxBytes: number): Promise<Buffer | undefined> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  // Leaving the loop early destroys the stream, so a writer still going gets EPIPE and we can exit.
  for await (const chunk of stream) {
    size += chunk.length;
    if (size > maxBytes) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function tooLarge(maxBytes: number, size: number): string {
  return `larger than the ${formatBytes(maxBytes)} limit (${formatBytes(size)})`;
}

function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : `${(n / 1024).toFixed(1)} KB`;
}

/** A labelled input document as the formats write it: a record named FILE:N, keeping its id and fields. */
export function resultOf(doc: InputDoc, entities: Entity[]): DocumentResult {
  const result: DocumentResult = {
    path: doc.line ? `${doc.path}:${doc.line}` : doc.path,
    encoding: doc.encoding,
    text: doc.text,
    entities,
  };
  if (doc.id !== undefined) result.id = doc.id;
  if (doc.fields !== undefined) result.fields = doc.fields;
  if (doc.textField !== undefined) result.textField = doc.textField;
  return result;
}
