// Output files are replaced atomically so that an interrupted run never leaves a
// half-written result where a previous complete one used to be.
import { randomBytes } from 'node:crypto';
import { unlinkSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
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
  const dir = path.dirname(target);
  const temp = tempName(target);
  track(temp);
  try {
    const handle = await open(temp, 'wx');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw writeError(target, err);
  } finally {
    unfinished.delete(temp);
  }
  await syncDirectory(dir);
}

// Errno messages name the temp file at most, never the output the user asked for.
function writeError(target: string, err: unknown): Error {
  const e = err as NodeJS.ErrnoException;
  const reason = e.code === 'ENOSPC' ? 'no space left on the device' : e.message;
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
