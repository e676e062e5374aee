/** Documents to label, from files, folders, Yidu JSON lines or stdin; problems become skip reasons. */
import { promises as fs } from 'node:fs';
import { decodeBuffer, type Encoding } from './decode';
import { type CollectedInputs, collectInputs } from './files';
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
  readStdin?: () => Promise<Buffer>;
}

export const DEFAULT_MAX_BYTES = 20 * 1024 * 1024;

/** Inputs named on a command line: folders expand by `glob` (default by format), `-` stays stdin. */
export async function expandInputs(paths: readonly string[], options: InputOptions = {}): Promise<CollectedInputs> {
  const format = options.format ?? 'auto';
  const files: string[] = [];
  const problems: CollectedInputs['problems'] = [];
  for (const p of paths) {
    if (p === '-') {
      files.push(p);
      continue;
    }
    const found = await collectInputs([p], options.glob ?? (format === 'yidu' ? '**/*.{json,jsonl,txt}' : '**/*.txt'));
    problems.push(...found.problems);
    files.push(...found.files);
  }
  return { files, problems };
}

export type LoadedFile = { bytes: Buffer; docs: InputDoc[] } | { skipped: { path: string; reason: string } };

/** Reads and decodes one input file: its documents (one, or one per Yidu record), or why it is skipped. */
export async function loadFile(path: string, options: InputOptions = {}): Promise<LoadedFile> {
  const format = options.format ?? 'auto';
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  let bytes: Buffer;
  try {
    if (path === '-') {
      // A pipe has no size to check first: the limit applies once it is read.
      bytes = await (options.readStdin ?? readStdin)();
      if (bytes.length > maxBytes) return { skipped: { path, reason: tooLarge(maxBytes, bytes.length) } };
    } else {
      const stat = await fs.stat(path);
      if (stat.size > maxBytes) return { skipped: { path, reason: tooLarge(maxBytes, stat.size) } };
      bytes = await fs.readFile(path);
    }
  } catch (e) {
    return { skipped: { path, reason: describeFsError(e) } };
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

export async function* readInputs(paths: readonly string[], options: InputOptions = {}): AsyncGenerator<InputItem> {
  const { files, problems } = await expandInputs(paths, options);
  for (const problem of problems) yield { skipped: problem };
  for (const path of files) {
    const loaded = await loadFile(path, options);
    if ('skipped' in loaded) yield loaded;
    else for (const doc of loaded.docs) yield { doc };
  }
}

function looksLikeYidu(text: string): boolean {
  const first = text.replace(/^\uFEFF/, '').trimStart();
  if (!first.startsWith('{')) return false;
  const line = first.slice(0, first.search(/\r?\n|$/));
  try {
    const obj = JSON.parse(line) as unknown;
    return typeof obj === 'object' && obj !== null && typeof (obj as { originalText?: unknown }).originalText === 'string';
  } catch {
    return false;
  }
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function describeFsError(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  switch (err.code) {
    case 'ENOENT': return 'no such file';
    case 'EACCES': case 'EPERM': return 'permission denied';
    case 'EISDIR': return 'is a directory';
    default: return err.message ?? String(e);
  }
}

function tooLarge(maxBytes: number, size: number): string {
  return `larger than the ${formatBytes(maxBytes)} limit (${formatBytes(size)})`;
}

export function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : `${(n / 1024).toFixed(1)} KB`;
}
