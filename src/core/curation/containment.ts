// The store and the documents its records name stay inside their workspace folder: a record's
// `path`, a link among the documents, or a linked `.medner` folder shipped in a repository must not
// make the extension read or write anywhere else, in untrusted workspaces too.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/** Why `key` (a record's document path) is not a plain relative path inside its folder; undefined when it is. */
export function keyProblem(key: string): string | undefined {
  if (!key || key.startsWith('/') || key.includes('\\') || key.includes('\0') || /^[A-Za-z]:/.test(key))
    return 'is not a relative, /-separated path';
  const steps = key.split('/');
  if (steps.some((s) => s === '' || s === '.' || s === '..')) return 'has an empty, "." or ".." step';
  return undefined;
}

/** The real path of `target`: through every link, also when its last steps do not exist (yet). */
async function realpathOf(target: string): Promise<string> {
  const missing: string[] = [];
  let at = path.resolve(target);
  for (;;) {
    try {
      return path.join(await fs.realpath(at), ...missing.reverse());
    } catch (e) {
      const parent = path.dirname(at);
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || parent === at) throw e;
      missing.push(path.basename(at));
      at = parent;
    }
  }
}

/** `target` is `folder` or inside it, both taken through their links. */
export async function isInside(folder: string, target: string): Promise<boolean> {
  return !escapes(path.relative(await realpathOf(folder), await realpathOf(target)));
}

/** A relative path that leads out of its folder (a file named `..x` does not). */
function escapes(rel: string): boolean {
  return rel === '..' || rel.startsWith('..' + path.sep) || path.isAbsolute(rel);
}

/**
 * Makes the folders from `root` down to `dir` (inside it), refusing a step that is a link or not a
 * folder: writing through a link could put the file anywhere. Throws one line naming that step.
 */
export async function ownFolder(root: string, dir: string): Promise<void> {
  const rel = path.relative(root, dir);
  if (escapes(rel)) throw new Error(`${dir} is outside the workspace folder ${root}; nothing was written`);
  let at = root;
  for (const step of rel ? rel.split(path.sep) : []) {
    at = path.join(at, step);
    let stat = await fs.lstat(at).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined;
      throw e;
    });
    if (!stat) {
      await fs.mkdir(at).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'EEXIST') throw e;
      });
      stat = await fs.lstat(at);
    }
    if (stat.isSymbolicLink()) throw new Error(`${at} is a symbolic link: MedNER does not write through links; nothing was written`);
    if (!stat.isDirectory()) throw new Error(`${at} is not a folder; nothing was written`);
  }
}
