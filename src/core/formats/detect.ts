/** Reads annotations in any format MedNER knows, telling the format from the path and first record unless given. */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { decodeBuffer } from '../decode';
import type { DocumentResult } from './jsonl';
import { readJsonLines } from './lines';
import { type FormatFile, type FormatName, FORMATS, type ImportOptions } from './registry';

export async function readAnnotations(target: string, format?: FormatName, options: ImportOptions = {}): Promise<DocumentResult[]> {
  const stat = await fs.stat(target);
  if (stat.isDirectory()) {
    if (format && format !== 'brat') throw new Error(`${target} is a folder: only brat annotations come as a folder`);
    const files: FormatFile[] = [];
    for (const rel of (await fs.readdir(target, { recursive: true, encoding: 'utf8' })).sort()) {
      if (!/\.(txt|ann)$/.test(rel)) continue;
      files.push(await readFormatFile(path.join(target, rel), rel.split(path.sep).join('/')));
    }
    return FORMATS.brat.import(files, options);
  }
  const file = await readFormatFile(target, path.basename(target));
  return FORMATS[format ?? detectFormat(file)].import([file], options);
}

async function readFormatFile(full: string, relativePath: string): Promise<FormatFile> {
  const decoded = decodeBuffer(await fs.readFile(full));
  if ('error' in decoded) throw new Error(`${full}: ${decoded.error}`);
  return { relativePath, content: decoded.text, encoding: decoded.encoding };
}

export function detectFormat(file: FormatFile): FormatName {
  const name = file.relativePath.toLowerCase();
  if (name.endsWith('.conll') || name.endsWith('.bio')) return 'conll';
  if (name.endsWith('.labelstudio.json') || file.content.trimStart().startsWith('[')) return 'labelstudio';
  if (name.endsWith('.doccano.jsonl')) return 'doccano';
  if (file.content.trimStart().startsWith('-DOCSTART-')) return 'conll';
  let first: Record<string, unknown> | undefined;
  try {
    first = readJsonLines(file.content)[0]?.value as Record<string, unknown> | undefined;
  } catch {
    throw new Error(`${file.relativePath}: not a format MedNER reads (jsonl, yidu, conll, doccano, labelstudio, or a brat folder); name it with --gold-format/--pred-format`);
  }
  if (first && 'originalText' in first) return 'yidu';
  if (first && 'label' in first && !('entities' in first)) return 'doccano';
  return 'jsonl';
}
