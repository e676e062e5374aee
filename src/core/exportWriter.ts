/**
 * Writes an export's files into a folder, each atomically, as UTF-8 without a BOM, and never through
 * a symbolic link: a linked subfolder is refused, a linked file is replaced by the export's own.
 * A document's files (brat's .txt, .ann and .medner.json) appear together or not at all.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { mkdirNoFollow, openAtomic, readNoFollow, writeFileAtomic, writeFilesAtomic } from './atomic';
import type { FormatFile } from './formats/registry';

export interface ExportWriteOptions {
  signal?: AbortSignal;
  /**
   * A file, outside the export, that lists what the last export made with it wrote into the folder.
   * The folder then holds exactly this export afterwards: listed files this one does not write (the
   * old format's annotations file, brat pairs of documents no longer exported) are removed. Only
   * those: anything else in the folder is not MedNER's to remove.
   */
  record?: string;
}

/** @returns the relative paths written */
export async function writeExportFiles(dir: string, files: readonly FormatFile[], options: ExportWriteOptions = {}): Promise<string[]> {
  const { signal } = options;
  return exporting(
    dir,
    files.map((f) => f.relativePath),
    options,
    async () => {
      for (const group of byDocument(files)) {
        signal?.throwIfAborted();
        await writeFilesAtomic(
          group.map((file) => ({ target: path.join(dir, ...file.relativePath.split('/')), data: Buffer.from(file.content) })),
        );
      }
    },
  );
}

/**
 * One UTF-8 file of a format that concatenates (see AnnotationFormat.concatenates), written as its
 * pieces arrive: a folder of 100,000 documents is never held whole. Atomic like the others.
 * @returns the relative path written
 */
export async function writeExportStream(
  dir: string,
  relativePath: string,
  pieces: AsyncIterable<string>,
  options: ExportWriteOptions = {},
): Promise<string[]> {
  const { signal } = options;
  return exporting(dir, [relativePath], options, async () => {
    // A linked target is replaced by the rename, never written through.
    const sink = await openAtomic(path.join(dir, ...relativePath.split('/')));
    try {
      for await (const piece of pieces) {
        signal?.throwIfAborted();
        await sink.write(piece);
      }
      signal?.throwIfAborted();
      await sink.commit();
    } catch (e) {
      await sink.abort();
      throw e;
    }
  });
}

/** The bookkeeping around writing an export's files `paths` into `dir` (`write` does the writing). */
async function exporting(
  dir: string,
  paths: readonly string[],
  options: ExportWriteOptions,
  write: () => Promise<void>,
): Promise<string[]> {
  const { signal, record } = options;
  signal?.throwIfAborted();
  for (const p of paths) {
    if (!isContained(p)) throw new Error(`cannot write ${p} into ${dir}: not a path inside it`);
  }
  const now = [...new Set(paths)];
  const previous = record ? await exportRecord(record) : [];
  const both = [...new Set([...previous, ...now])];
  // Before any file: a run stopped half-way still knows next time what it may have left here.
  if (record && both.length !== previous.length) await writeRecord(record, both);
  await fs.mkdir(dir, { recursive: true });
  for (const folder of new Set(now.map((p) => path.posix.dirname(p)))) await makeFolders(dir, folder);
  await write();
  if (record) {
    const written = new Set(now);
    for (const old of previous) {
      if (written.has(old)) continue;
      signal?.throwIfAborted();
      await removeInside(dir, old);
    }
    if (both.length !== now.length) await writeRecord(record, now);
  }
  return now;
}

/** The files an export with this record wrote (or was writing when stopped); nothing outside its folder. */
export async function exportRecord(record: string): Promise<string[]> {
  try {
    const parsed = JSON.parse(await readNoFollow(record)) as { files?: unknown };
    return Array.isArray(parsed.files) ? parsed.files.filter((f): f is string => typeof f === 'string' && isContained(f)) : [];
  } catch {
    // none yet, or unreadable: nothing known to remove
    return [];
  }
}

/** The folders of `dir` that recorded files are in: real folders only, never one reached through a link. */
export async function exportFolders(dir: string, record: string): Promise<string[]> {
  const folders: string[] = [];
  for (const folder of new Set((await exportRecord(record)).map((p) => path.posix.dirname(p)))) {
    if (folder === '.') continue;
    let real = true;
    let current = dir;
    for (const segment of folder.split('/')) {
      current = path.join(current, segment);
      real &&= await fs.lstat(current).then(
        (s) => s.isDirectory(),
        () => false,
      );
    }
    if (real) folders.push(current);
  }
  return folders;
}

function writeRecord(record: string, files: readonly string[]): Promise<void> {
  return writeFileAtomic(record, JSON.stringify({ files }, null, 1) + '\n');
}

/** '/'-separated, relative, with no '.', '..' or empty segment: it names something inside the folder. */
function isContained(relativePath: string): boolean {
  const segments = relativePath.split('/');
  const bad = process.platform === 'win32' ? /[\\:\0]/ : /\0/;
  return segments.every((s) => s !== '' && s !== '.' && s !== '..' && !bad.test(s));
}

async function makeFolders(dir: string, folder: string): Promise<void> {
  if (folder === '.') return;
  let current = dir;
  for (const segment of folder.split('/')) {
    current = path.join(current, segment);
    await mkdirNoFollow(current);
  }
}

/** Each document's files together, in the order given; a file of no document is a group of its own. */
function byDocument(files: readonly FormatFile[]): FormatFile[][] {
  const groups = new Map<number | string, FormatFile[]>();
  for (const file of files) {
    const key = file.document ?? file.relativePath;
    const group = groups.get(key);
    if (group) group.push(file);
    else groups.set(key, [file]);
  }
  return [...groups.values()];
}

/** Removes a file (or a link, never its target) the record lists, and the folders it leaves empty; never through a link. */
async function removeInside(dir: string, relativePath: string): Promise<void> {
  const segments = relativePath.split('/');
  const folders: string[] = [];
  let current = dir;
  for (const segment of segments.slice(0, -1)) {
    current = path.join(current, segment);
    if (
      !(await fs.lstat(current).then(
        (s) => s.isDirectory(),
        () => false,
      ))
    )
      return;
    folders.push(current);
  }
  const target = path.join(current, segments[segments.length - 1]);
  const info = await fs.lstat(target).catch(() => undefined);
  if (!info || info.isDirectory()) return;
  await fs.unlink(target);
  for (const folder of folders.reverse()) {
    if (
      !(await fs.rmdir(folder).then(
        () => true,
        () => false,
      ))
    )
      break;
  }
}
