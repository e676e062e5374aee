// Output files are replaced atomically so that an interrupted run never leaves a
// half-written result where a previous complete one used to be.
import { randomBytes } from 'node:crypto';
import { constants, unlinkSync } from 'node:fs';
import { lstat, mkdir, open, readdir, rename, unlink } from 'node:fs/promises';
import * as path from 'node:path';

// Temporary files neither renamed nor removed yet. A process that exits before it gets to them
// (a second Ctrl-C, an uncaught error) removes them on its way out: no partial file outlives it.
const unfinished = new Set<string>();
let exitHook = false;

function track(temp: string): void {
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => {
      for (const t of unfinished) {
        try {
          unlinkSync(t);
        } catch {
          // already gone
        }
      }
    });
  }
  unfinished.add(temp);
}

export async function writeFileAtomic(target: string, data: string | Uint8Array): Promise<void> {
  await writeFilesAtomic([{ target, data }]);
}

/**
 * Writes every file to a temporary file first and renames none before all are complete: files that
 * belong together (a brat document's .txt and .ann) never appear one without the other when the
 * disk fills up or the run is stopped on the way.
 */
export async function writeFilesAtomic(files: readonly { target: string; data: string | Uint8Array }[]): Promise<void> {
  const temps: string[] = [];
  let current = '';
  try {
    for (const { target, data } of files) {
      current = target;
      const temp = tempName(target);
      track(temp);
      temps.push(temp);
      const handle = await open(temp, 'wx');
      try {
        await handle.writeFile(data);
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
    for (const [i, { target }] of files.entries()) {
      current = target;
      await rename(temps[i], target);
    }
  } catch (err) {
    for (const temp of temps) await unlink(temp).catch(() => undefined);
    throw writeError(current, err);
  } finally {
    for (const temp of temps) unfinished.delete(temp);
  }
  for (const dir of new Set(files.map((f) => path.dirname(f.target)))) await syncDirectory(dir);
}

/**
 * Appends to a file that must already exist, durably: a journal line is on disk when this returns.
 * Never through a symbolic link. A full disk can leave the last line cut short; readers skip it.
 */
export async function appendDurable(target: string, data: string): Promise<void> {
  try {
    const handle = await open(target, constants.O_WRONLY | constants.O_APPEND | NOFOLLOW);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (err) {
    throw writeError(target, err);
  }
}

/** 0 where the platform has no O_NOFOLLOW (Windows), whose links MedNER does not meet in practice. */
export const NOFOLLOW = constants.O_NOFOLLOW ?? 0;

/** A state file's text; a link in its place is refused (ELOOP), never followed. */
export async function readNoFollow(file: string): Promise<string> {
  const handle = await open(file, constants.O_RDONLY | NOFOLLOW);
  try {
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

const TEMP = /^\..+\.(\d+)\.[0-9a-f]{12}\.tmp$/;

/**
 * Removes the temporary files that runs killed on the way (kill -9, a power cut) left in `dir`:
 * those named by tempName() for a process that no longer runs. A live process's are its own business.
 */
export async function removeStaleTemps(dir: string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    const pid = Number(TEMP.exec(name)?.[1]);
    if (pid && pid !== process.pid && !processAlive(pid)) await unlink(path.join(dir, name)).catch(() => undefined);
  }
}

/**
 * Makes `dir` (whose parent exists) a folder unless it is one, and refuses a symbolic link or a
 * file in its place: whatever is written inside stays inside the folder the user chose.
 */
export async function mkdirNoFollow(dir: string): Promise<void> {
  await mkdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw writeError(dir, err);
  });
  const info = await lstat(dir);
  if (info.isSymbolicLink()) throw new Error(`cannot write into ${dir}: it is a symbolic link, and MedNER never writes through a link`);
  if (!info.isDirectory()) throw new Error(`cannot write into ${dir}: it is not a folder`);
}

/** Whether a process of this machine runs (EPERM: it does, as another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

// Errno messages name the temp file at most, never the output the user asked for.
export function writeError(target: string, err: unknown): Error {
  const e = err as NodeJS.ErrnoException;
  const reason =
    { ENOSPC: 'no space left on the device', EACCES: 'permission denied', EPERM: 'permission denied', EROFS: 'read-only file system' }[
      e.code ?? ''
    ] ?? e.message;
  return Object.assign(new Error(`cannot write ${target}: ${reason}`), { code: e.code });
}

// Same directory as the target: rename is only atomic within one file system.
function tempName(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

// Makes the rename itself durable. Windows cannot open a directory for fsync, and some
// file systems refuse it; the data is already safe, so those failures are ignored.
async function syncDirectory(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // best effort, see above
  }
}

export interface AtomicStream {
  write(chunk: string): Promise<void>;
  /** Makes the output visible under its final name. */
  commit(): Promise<void>;
  /** Removes the partial output; the previous file at the target, if any, stays untouched. */
  abort(): Promise<void>;
}

/** Like writeFileAtomic, for outputs produced piece by piece (a large labelling run). */
export async function openAtomic(target: string): Promise<AtomicStream> {
  const dir = path.dirname(target);
  const temp = tempName(target);
  const handle = await open(temp, 'wx').catch((err: unknown) => {
    throw writeError(target, err);
  });
  track(temp);
  let closed = false;
  const close = async () => {
    if (!closed) {
      closed = true;
      await handle.close();
    }
  };
  return {
    write: async (chunk) => {
      // Not handle.write(): on a full disk it writes part of the chunk and reports no error, and
      // the commit would then make a truncated file visible. writeFile continues from the current
      // position and fails with ENOSPC instead.
      await handle.writeFile(chunk).catch((err: unknown) => {
        throw writeError(target, err);
      });
    },
    commit: async () => {
      try {
        await handle.sync();
        await close();
        await rename(temp, target);
      } catch (err) {
        await close().catch(() => undefined);
        await unlink(temp).catch(() => undefined);
        throw writeError(target, err);
      } finally {
        unfinished.delete(temp);
      }
      await syncDirectory(dir);
    },
    abort: async () => {
      await close().catch(() => undefined);
      await unlink(temp).catch(() => undefined);
      unfinished.delete(temp);
    },
  };
}
