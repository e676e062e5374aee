/** Reads annotations in any format MedNER knows, telling the format from the path and first record unless given. */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { clip } from '../clip';
import { decodeBuffer } from '../decode';
import { NotAFileError, readRegularFile } from '../files';
import type { DocumentResult } from './jsonl';
import { FormatError, readJsonLines } from './lines';
import { type FormatFile, type FormatName, FORMATS, type ImportOptions } from './registry';

const NOT_A_FORMAT =
  'not a format MedNER reads (jsonl, yidu, conll, doccano, labelstudio, or a brat folder); name it with --gold-format/--pred-format';

/** Errors name the files as the caller gave them (`target/12.ann:3: ...`), never open a FIFO or device, and fit on a line. */
export async function readAnnotations(target: string, format?: FormatName, options: ImportOptions = {}): Promise<DocumentResult[]> {
  const stat = await fs.stat(target).catch((err: unknown) => {
    throw new Error(
      `${clip(target)}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or folder' : (err as Error).message}`,
    );
  });
  if (stat.isDirectory()) {
    if (format && format !== 'brat') throw new Error(`${clip(target)} is a folder: only brat annotations come as a folder`);
    const files: FormatFile[] = [];
    const entries = await fs.readdir(target, { recursive: true, withFileTypes: true });
    const names = entries
      .filter((e) => !e.isDirectory() && /\.(txt|ann)$|\.medner\.json$/.test(e.name))
      .map((e) => path.relative(target, path.join(e.parentPath ?? e.path, e.name)))
      .sort();
    for (const rel of names) files.push(await readFormatFile(path.join(target, rel), rel.split(path.sep).join('/'), rel.endsWith('.txt')));
    const known = new Set(files.map((f) => f.relativePath));
    return placed(
      () => FORMATS.brat.import(files, options),
      (rel) => (known.has(rel) ? path.join(target, rel) : undefined),
    );
  }
  if (!stat.isFile()) throw new Error(`${clip(target)}: not a regular file or folder (a FIFO, socket or device is never read)`);
  const base = path.basename(target);
  const file = await readFormatFile(target, base);
  return placed(
    () => FORMATS[format ?? detectFormat(file)].import([file], options),
    (rel) => (rel === base ? target : undefined),
  );
}

/** Runs an import whose errors start with a file's relative path, and names that file as the user knows it. */
function placed<T>(read: () => T, fullPath: (relativePath: string) => string | undefined): T {
  try {
    return read();
  } catch (err) {
    if (!(err instanceof Error)) throw err;
    const m = /^(.+?)(:\d+)?: /.exec(err.message);
    const full = m && fullPath(m[1]!);
    if (full === undefined || full === null) throw err;
    throw Object.assign(new Error(`${clip(full)}${m![2] ?? ''}: ${err.message.slice(m![0].length)}`), { name: err.name });
  }
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * @param asBrat read a brat `.txt` as brat's server does: UTF-8 with a leading BOM kept as
 *   character 0, which the offsets count. Text in no UTF-8 (a folder of MedNER 0.1, which kept the
 *   source's encoding) is decoded as any other input.
 */
async function readFormatFile(full: string, relativePath: string, asBrat = false): Promise<FormatFile> {
  let read;
  try {
    read = await readRegularFile(full);
  } catch (err) {
    if (err instanceof NotAFileError) throw new Error(`${clip(full)}: ${err.reason}`);
    throw err;
  }
  const bytes = 'bytes' in read ? read.bytes : Buffer.alloc(0);
  if (asBrat) {
    try {
      return { relativePath, content: STRICT_UTF8.decode(bytes), encoding: 'utf-8' };
    } catch {
      // not UTF-8: decoded below
    }
  }
  const decoded = decodeBuffer(bytes);
  if ('error' in decoded) throw new Error(`${clip(full)}: ${decoded.error}`);
  return { relativePath, content: decoded.text, encoding: decoded.encoding };
}

function detectFormat(file: FormatFile): FormatName {
  const name = file.relativePath.toLowerCase();
  if (name.endsWith('.conll') || name.endsWith('.bio')) return 'conll';
  if (name.endsWith('.labelstudio.json') || file.content.trimStart().startsWith('[')) return 'labelstudio';
  if (name.endsWith('.doccano.jsonl')) return 'doccano';
  if (file.content.trimStart().startsWith('-DOCSTART-')) return 'conll';
  // Told from the first record alone; a bad line further down is the importer's to report, with its number.
  const body = file.content.startsWith('\uFEFF') ? file.content.slice(1) : file.content;
  const firstLine = body.split('\n').findIndex((l) => l.trim() !== '');
  const text = firstLine < 0 ? '' : body.split('\n', firstLine + 1)[firstLine]!;
  let first: unknown;
  try {
    first = readJsonLines(text)[0]?.value;
  } catch (err) {
    if (!text.trimStart().startsWith('{')) throw new Error(`${file.relativePath}: ${NOT_A_FORMAT}`);
    throw new Error(`${file.relativePath}:${firstLine + 1}: ${(err as FormatError).what}`);
  }
  const record = typeof first === 'object' && first !== null ? (first as Record<string, unknown>) : undefined;
  if (record && 'originalText' in record) return 'yidu';
  if (record && 'label' in record && !('entities' in record)) return 'doccano';
  if (first !== undefined && !record) throw new Error(`${file.relativePath}:${firstLine + 1}: ${NOT_A_FORMAT}`);
  return 'jsonl';
}
