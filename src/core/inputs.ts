/** Documents to label, from files, folders, Yidu JSON lines or stdin; problems become skip reasons. */
import * as nodePath from 'node:path';
import { decodeBuffer, type Encoding } from './decode';
import { type CollectedInputs, collectInputs, NotAFileError, readRegularFile } from './files';
import { parseYidu } from './formats/yidu';

export type InputFormat = 'auto' | 'text' | 'yidu';

export interface InputDoc {
  /** The file, or `-` for stdin. */
  path: string;
  /** 1-based line of a Yidu JSON-lines record; absent for text files. */
  line?: number;
  text: string;
  encoding: Encoding;
}

export type InputItem = { doc: InputDoc } | { skipped: { path: string; reason: string } };

export interface InputOptions {
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

/** Inputs named on a command line: folders expand by `glob` (default by format), `-` stays stdin. */
/** The pattern folders are searched with: the one given, else what the input format reads. */
export function globOf(options: InputOptions): string {
  return options.glob ?? (options.format === 'yidu' ? '**/*.{json,jsonl,txt}' : '**/*.txt');
}

/** The one-line warning of a run whose inputs matched no file. */
export function nothingMatched(paths: readonly string[], options: InputOptions): string {
  const where = paths.map((p) => (p.length > 100 ? `${p.slice(0, 100)}…` : p)).join(', ');
  return `no file in ${where} matches ${globOf(options)}: nothing was labelled`;
}

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
  if (format === 'yidu' || (format === 'auto' && looksLikeYidu(text))) {
    try {
      return { bytes, docs: parseYidu(text).map((r) => ({ path, line: r.line, text: r.text, encoding })) };
    } catch (e) {
      return { skipped: { path, reason: (e as Error).message } };
    }
  }
  return { bytes, docs: [{ path, text, encoding }] };
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
  const body = text.replace(/^\uFEFF/, '');
  if (!body.trimStart().startsWith('{')) return false;
  // The first two records decide: a Yidu file whose first line is damaged is still read as Yidu,
  // and then skipped with that line's number, instead of being labelled as one text document.
  let records = 0;
  for (let start = 0; start < body.length && records < 2;) {
    const end = body.indexOf('\n', start);
    const line = body.slice(start, end < 0 ? body.length : end).trim();
    start = end < 0 ? body.length : end + 1;
    if (line === '') continue;
    records++;
    try {
      const obj = JSON.parse(line) as unknown;
      if (typeof obj === 'object' && obj !== null && typeof (obj as { originalText?: unknown }).originalText === 'string') return true;
    } catch {
      // a damaged line: the next one may still tell
    }
  }
  return false;
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
