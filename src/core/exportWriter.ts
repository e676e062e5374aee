/** Writes an export's files into a folder, each atomically, in its own encoding. */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from './atomic';
import { decodeBuffer } from './decode';
import { encodeText } from './encode';
import type { FormatFile } from './formats/registry';

/**
 * @param sources for each exported document, the file its text was read from, if any: a document's
 *   own text file (brat's .txt) is then the source's bytes — byte-identical, whatever the encoding —
 *   as long as they still decode to the exported text.
 * @returns the relative paths written
 */
export async function writeExportFiles(dir: string, files: readonly FormatFile[], sources: readonly (string | undefined)[] = []): Promise<string[]> {
  const written: string[] = [];
  for (const file of files) {
    const target = path.join(dir, ...file.relativePath.split('/'));
    await fs.mkdir(path.dirname(target), { recursive: true });
    const source = file.document === undefined ? undefined : sources[file.document];
    await writeFileAtomic(target, await bytesOf(file, source));
    written.push(file.relativePath);
  }
  return written;
}

async function bytesOf(file: FormatFile, source: string | undefined): Promise<Buffer> {
  if (source && file.encoding) {
    const bytes = await fs.readFile(source).catch(() => undefined);
    const decoded = bytes && decodeBuffer(bytes);
    if (bytes && decoded && 'text' in decoded && decoded.text === file.content) return bytes;
  }
  // Node has no GB18030 encoder: text that no longer matches its GB18030 source is written as UTF-8.
  const encoding = file.encoding === 'gb18030' || !file.encoding ? 'utf-8' : file.encoding;
  return encodeText(file.content, encoding);
}
