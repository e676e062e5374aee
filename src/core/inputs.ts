/** Documents to label, from files, folders, Yidu JSON lines or stdin; problems become skip reasons. */
import { promises as fs } from 'node:fs';
import { decodeBuffer, type Encoding } from './decode';
import { collectInputs } from './files';
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

export async function* readInputs(paths: readonly string[], options: InputOptions = {}): AsyncGenerator<InputItem> {
  const format = options.format ?? 'auto';
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const files: string[] = [];
  for (const p of paths) {
    if (p === '-') {
      files.push(p);
      continue;
    }
    const found = await collectInputs([p], options.glob ?? (format === 'yidu' ? '**/*.{json,jsonl,txt}' : '**/*.txt'));
    for (const problem of found.problems) yield { skipped: problem };
    files.push(...found.files);
  }
  for (const path of files) {
    let buf: Buffer;
    try {
      if (path === '-') {
        buf = await (options.readStdin ?? readStdin)();
      } else {
        const stat = await fs.stat(path);
        if (stat.size > maxBytes) {
          yield { skipped: { path, reason: `larger than the ${formatBytes(maxBytes)} limit (${formatBytes(stat.size)})` } };
          continue;
        }
        buf = await fs.readFile(path);
      }
    } catch (e) {
      yield { skipped: { path, reason: describeFsError(e) } };
      continue;
    }
    const decoded = decodeBuffer(buf);
    if ('error' in decoded) {
      yield { skipped: { path, reason: decoded.error } };
      continue;
    }
    const { text, encoding } = decoded;
    if (format === 'yidu' || (format === 'auto' && looksLikeYidu(text))) {
      let records;
      try {
        records = parseYidu(text);
      } catch (e) {
        yield { skipped: { path, reason: (e as Error).message } };
        continue;
      }
      for (const r of records) yield { doc: { path, line: r.line, text: r.text, encoding } };
    } else {
      yield { doc: { path, text, encoding } };
    }
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

export function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : `${(n / 1024).toFixed(1)} KB`;
}
