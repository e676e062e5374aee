// Expands the paths a user names (files and folders) into the list of text files to analyse.
import { constants } from 'node:fs';
import { lstat, open, readdir, realpath, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { globToRegExp } from './glob';

const NOT_REGULAR = 'not a regular file or folder';

export interface InputProblem {
  path: string;
  reason: string;
}

export interface CollectedInputs {
  files: string[];
  problems: InputProblem[];
}

/**
 * Files named directly are always included; folders are searched recursively for files
 * whose path relative to that folder matches `glob`. Output keeps the order of `paths`;
 * within a folder, entries are visited depth-first in sorted name order, so the result
 * does not depend on the file system's listing order. A file reached twice (through two
 * arguments or symlinks) appears once. Symlinked folders are followed, but a folder
 * already visited is not entered again, which makes symlink loops harmless.
 */
export async function collectInputs(paths: string[], glob = '**/*.txt'): Promise<CollectedInputs> {
  const pattern = globToRegExp(glob);
  const files: string[] = [];
  const problems: InputProblem[] = [];
  const seenFiles = new Set<string>();
  const seenDirs = new Set<string>();

  const addFile = async (file: string): Promise<void> => {
    const real = await realpath(file);
    if (seenFiles.has(real)) return;
    seenFiles.add(real);
    files.push(file);
  };

  const walk = async (root: string, dir: string): Promise<void> => {
    const real = await realpath(dir);
    if (seenDirs.has(real)) return;
    seenDirs.add(real);
    let names: string[];
    try {
      names = (await readdir(dir)).sort();
    } catch (err) {
      problems.push({ path: dir, reason: describe(err) });
      return;
    }
    for (const name of names) {
      const full = path.join(dir, name);
      let info;
      try {
        info = await stat(full);
      } catch (err) {
        problems.push({ path: full, reason: await describeStatFailure(full, err) });
        continue;
      }
      if (info.isDirectory()) await walk(root, full);
      else if (!pattern.test(toSlashes(path.relative(root, full)))) continue;
      // A FIFO, socket or device named like a record is reported, never opened: reading one can block forever.
      else if (info.isFile()) await addFile(full);
      else problems.push({ path: full, reason: NOT_REGULAR });
    }
  };

  for (const input of paths) {
    let info;
    try {
      info = await stat(input);
    } catch (err) {
      problems.push({ path: input, reason: await describeStatFailure(input, err) });
      continue;
    }
    if (info.isDirectory()) await walk(input, input);
    else if (info.isFile()) await addFile(input);
    else problems.push({ path: input, reason: NOT_REGULAR });
  }
  return { files, problems };
}

async function describeStatFailure(p: string, err: unknown): Promise<string> {
  if (isErrno(err) && err.code === 'ENOENT') {
    const isDanglingLink = await lstat(p).then(
      (l) => l.isSymbolicLink(),
      () => false,
    );
    return isDanglingLink ? 'broken symbolic link' : 'not found';
  }
  if (isErrno(err) && err.code === 'ELOOP') return 'symbolic link loop';
  return describe(err);
}

function describe(err: unknown): string {
  if (isErrno(err) && err.code === 'EACCES') return 'permission denied';
  return err instanceof Error ? err.message : String(err);
}

function isErrno(err: unknown): err is NodeJS.ErrnoException {
  return err instanceof Error && 'code' in err;
}

function toSlashes(p: string): string {
  return p.split(path.sep).join('/');
}

/** A user-named path that cannot be read as a file, and why, in words. */
export class NotAFileError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`);
    this.name = 'NotAFileError';
  }
}

// O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer, forever. Regular files
// ignore it, and fstat on the open descriptor tells what was really opened (no race with a rename).
const OPEN_NO_WAIT = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/**
 * Reads a regular file, refusing a folder, FIFO, socket or device without blocking on it, and a file
 * over `maxBytes` (then `tooLarge` holds its size) without reading it.
 */
export async function readRegularFile(file: string, maxBytes = Infinity): Promise<{ bytes: Buffer } | { tooLarge: number }> {
  let handle;
  try {
    handle = await open(file, OPEN_NO_WAIT);
  } catch (err) {
    throw new NotAFileError(file, describeFsError(err));
  }
  try {
    const info = await handle.stat();
    if (info.isDirectory()) throw new NotAFileError(file, 'is a folder');
    if (!info.isFile()) throw new NotAFileError(file, 'not a regular file (a FIFO, socket or device is never read)');
    if (info.size > maxBytes) return { tooLarge: info.size };
    return { bytes: await handle.readFile() };
  } catch (err) {
    if (err instanceof NotAFileError) throw err;
    throw new NotAFileError(file, describeFsError(err));
  } finally {
    await handle.close();
  }
}

function describeFsError(err: unknown): string {
  switch (isErrno(err) ? err.code : undefined) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a folder';
    case 'ELOOP':
      return 'symbolic link loop';
    default:
      return err instanceof Error ? err.message : String(err);
  }
}

/** The file's identity (device and inode: the same through symlinks and hard links); undefined when it does not exist. */
export async function fileIdentity(p: string): Promise<string | undefined> {
  const info = await stat(p, { bigint: true }).catch(() => undefined);
  return info && `${info.dev}:${info.ino}`;
}
