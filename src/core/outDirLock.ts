/**
 * One writer per output folder: two runs into one --out-dir (another model, precision or shard)
 * would each export only their own results and leave results of mixed models that a rerun reuses.
 * The lock is a file created exclusively (O_EXCL) holding its owner's pid and host; a lock whose
 * owner died on this host (kill -9, a crash) is taken over.
 */
import { unlinkSync } from 'node:fs';
import { open, readdir, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import * as path from 'node:path';
import { processAlive, readNoFollow, writeError } from './atomic';

interface Owner {
  pid: number;
  host: string;
}

type Seen = Owner | 'unknown' | 'gone';

// Locks this process holds: released on the way out too (a second Ctrl-C exits at once), so that
// the next run does not even have to take them over.
const held = new Set<string>();
let exitHook = false;

const me = (): Owner => ({ pid: process.pid, host: hostname() });

export interface OutDirLock {
  release(): Promise<void>;
}

/** Takes the lock file `file` for the output folder `outDir`, or fails at once naming the run that holds it. */
export async function lockOutDir(outDir: string, file: string): Promise<OutDirLock> {
  for (;;) {
    if (await create(file)) break;
    const owner = await readOwner(file);
    if (owner === 'gone') continue;
    if (!isDead(owner)) throw busy(outDir, file, owner);
    const blocker = await breakStale(file, owner.pid);
    if (blocker) throw busy(outDir, file, blocker);
  }
  held.add(file);
  await removeDeadClaims(file);
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => {
      for (const f of held) {
        try {
          unlinkSync(f);
        } catch {
          // already gone
        }
      }
    });
  }
  return {
    release: async () => {
      held.delete(file);
      await unlink(file).catch(() => undefined);
    },
  };
}

async function create(file: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(file, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw writeError(file, err);
  }
  try {
    await handle.writeFile(JSON.stringify(me()) + '\n');
  } catch (err) {
    // An empty lock (a full disk) would name no process and block every later run.
    await handle.close();
    await unlink(file).catch(() => undefined);
    throw writeError(file, err);
  }
  await handle.close();
  return true;
}

async function readOwner(file: string): Promise<Seen> {
  try {
    return ownerIn(await readNoFollow(file)) ?? 'unknown';
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'gone' : 'unknown';
  }
}

function ownerIn(text: string): Owner | undefined {
  try {
    const o = JSON.parse(text) as Partial<Owner>;
    if (Number.isSafeInteger(o.pid) && o.pid! > 0 && typeof o.host === 'string') return { pid: o.pid!, host: o.host };
  } catch {
    // being written this instant, or damaged
  }
  return undefined;
}

/** Only a process of this host can be seen to be dead; another host's run may well be alive. */
function isDead(owner: Owner | 'unknown'): owner is Owner {
  return owner !== 'unknown' && owner.host === hostname() && !processAlive(owner.pid);
}

/**
 * Removes `file` if it still names the dead process `dead`. Runs that find the same stale lock
 * at once race for a claim file named after the dead pid (O_EXCL again): only its holder removes
 * the lock, after reading it once more, so a lock taken in the meantime is never removed. A claim
 * left by a taker that died is broken the same way. Returns the live process in the way, if any.
 */
async function breakStale(file: string, dead: number): Promise<Owner | 'unknown' | undefined> {
  const claim = `${file}-${dead}`;
  for (;;) {
    if (await create(claim)) break;
    const owner = await readOwner(claim);
    if (owner === 'gone') continue;
    if (!isDead(owner)) return owner;
    const blocker = await breakStale(claim, owner.pid);
    if (blocker) return blocker;
  }
  try {
    const now = await readOwner(file);
    if (now !== 'gone' && now !== 'unknown' && now.pid === dead && now.host === hostname()) await unlink(file);
  } finally {
    await unlink(claim).catch(() => undefined);
  }
  return undefined;
}

/** Claims of takers that died after taking over (breakStale() removes its own claim otherwise). */
async function removeDeadClaims(file: string): Promise<void> {
  const prefix = `${path.basename(file)}-`;
  for (const name of await readdir(path.dirname(file)).catch(() => [] as string[])) {
    if (!name.startsWith(prefix)) continue;
    const claim = path.join(path.dirname(file), name);
    const owner = await readOwner(claim);
    if (owner !== 'gone' && isDead(owner)) await unlink(claim).catch(() => undefined);
  }
}

function busy(outDir: string, file: string, owner: Owner | 'unknown'): Error {
  if (owner === 'unknown') {
    return new Error(
      `${outDir} is being written by another medner run (${file} names no process: remove it if no medner run writes there)`,
    );
  }
  const where = owner.host === hostname() ? `pid ${owner.pid}` : `pid ${owner.pid} on ${owner.host}`;
  return new Error(`${outDir} is being written by another medner run (${where}); wait for it to finish, or choose another output folder`);
}
