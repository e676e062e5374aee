// The annotation store of one workspace folder: `.medner/annotations/<document path>.json`, one
// human-readable record per document, beside the documents and never inside them, each replaced
// atomically. Records name their document by a path inside the folder, and are refused when it
// leads elsewhere; the store is never written through a link.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../atomic';
import { codePoints } from '../offsets';
import { reanchor } from './anchor';
import { isInside, keyProblem, ownFolder } from './containment';
import { type CuratedEntity, type CurationRecord, type DocumentStatus, hashText, parseRecord, serializeRecord, toStored } from './record';

export const STORE_DIR = '.medner';
const RECORDS = 'annotations';

export interface LoadedRecord {
  record: CurationRecord;
  /** The entities on the given text: re-anchored when the record was written for another one. */
  entities: CuratedEntity[];
  /** The text differed from the one the record was written for. */
  reanchored: boolean;
  /** Entities flagged unanchored because re-anchoring reached its work limit before looking for them. */
  unsearched: number;
}

export class CurationStore {
  constructor(
    /** The workspace folder: records are keyed by document paths relative to it. */
    readonly root: string,
  ) {}

  get dir(): string {
    return path.join(this.root, STORE_DIR, RECORDS);
  }

  /** The document's path as the store keys it: relative to the root, '/'-separated; undefined outside the root or inside the store. */
  keyOf(documentPath: string): string | undefined {
    const rel = path.relative(this.root, documentPath);
    if (!rel || rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
    const key = rel.split(path.sep).join('/');
    return key === STORE_DIR || key.startsWith(STORE_DIR + '/') ? undefined : key;
  }

  fileOf(key: string): string {
    return path.join(this.dir, ...key.split('/')) + '.json';
  }

  documentOf(key: string): string {
    return path.join(this.root, ...key.split('/'));
  }

  async read(key: string): Promise<CurationRecord | undefined> {
    const file = this.fileOf(key);
    const content = await this.readRecordFile(file).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined;
      throw e;
    });
    return content === undefined ? undefined : this.checked(parseRecord(content, file), file);
  }

  /** A record file's content, once it is known to be a plain file inside the folder (a FIFO would block the read forever). */
  private async readRecordFile(file: string): Promise<string> {
    const stat = await fs.stat(file);
    if (!(await isInside(this.root, file))) throw new Error(`${file} leads outside the workspace folder; record refused`);
    if (!stat.isFile()) throw new Error(`${file} is not a regular file; record refused`);
    return fs.readFile(file, 'utf8');
  }

  /** The record of `key` placed on `text` (the document as it is now). */
  async load(key: string, text: string): Promise<LoadedRecord | undefined> {
    const record = await this.read(key);
    if (!record) return undefined;
    return placeRecord(record, text, this.fileOf(key));
  }

  async save(key: string, text: string, entities: readonly CuratedEntity[], status: DocumentStatus): Promise<CurationRecord> {
    const refused = await this.refusal(key);
    if (refused) throw new Error(`${refused}; its curation is not stored`);
    const record: CurationRecord = { path: key, sha256: hashText(text), status, entities: toStored(entities, codePoints(text)) };
    const file = this.fileOf(key);
    await ownFolder(this.root, path.dirname(file));
    await writeFileAtomic(file, serializeRecord(record));
    return record;
  }

  /** Why the document `key` may not be curated here: its path is not a plain one, or leads outside the folder through a link. */
  async refusal(key: string): Promise<string | undefined> {
    const shown = JSON.stringify(clip(key));
    const problem = keyProblem(key);
    if (problem) return `path ${shown} ${problem}`;
    if (key === STORE_DIR || key.startsWith(STORE_DIR + '/')) return `path ${shown} is inside the store`;
    if (!(await isInside(this.root, this.documentOf(key)))) return `path ${shown} leads outside the workspace folder`;
    return undefined;
  }

  private async checked(record: CurationRecord, file: string): Promise<CurationRecord> {
    const refused = await this.refusal(record.path);
    if (refused) throw new Error(`${file}: ${refused}; record refused`);
    return record;
  }

  /** Every record in the store, by document key; a record that does not parse is reported, not fatal. */
  async list(onError: (file: string, error: Error) => void = () => undefined): Promise<CurationRecord[]> {
    // A linked store could lead anywhere, and be anything but small.
    if (!(await isInside(this.root, this.dir))) {
      onError(this.dir, new Error(`${this.dir} leads outside the workspace folder; its records are not read`));
      return [];
    }
    const names = await fs.readdir(this.dir, { recursive: true, encoding: 'utf8' }).catch(() => [] as string[]);
    const out: CurationRecord[] = [];
    for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
      const file = path.join(this.dir, name);
      try {
        out.push(await this.checked(parseRecord(await this.readRecordFile(file), file), file));
      } catch (e) {
        onError(file, e as Error);
      }
    }
    return out;
  }
}

/**
 * The record placed on `text`: as stored when the text is the one it was written for (after checking
 * that every entity lies on it), re-anchored otherwise. `file` names the record in errors.
 */
export function placeRecord(record: CurationRecord, text: string, file: string): LoadedRecord {
  if (record.sha256 === hashText(text)) {
    checkOffsets(record, codePoints(text), file);
    return { record, entities: record.entities.map(({ before: _b, after: _a, ...e }) => e), reanchored: false, unsearched: 0 };
  }
  const { entities, unsearched } = reanchor(record.entities, text);
  return { record, entities, reanchored: true, unsearched };
}

/**
 * A record whose hash matches is trusted for its offsets, which every export then walks: one that
 * does not lie on the text (an end far past it, another text there) is refused whole, never placed.
 */
function checkOffsets(record: CurationRecord, chars: readonly string[], file: string): void {
  for (const [i, e] of record.entities.entries()) {
    const what = `${file}: entity ${i} (${JSON.stringify(clip(e.text))} at ${e.start}–${e.end})`;
    // An unanchored entity keeps clamped offsets (one character past an empty text) and its own text: only its offsets are checked.
    if (e.end > Math.max(chars.length, e.unanchored ? 1 : 0))
      throw new Error(`${what} ends past the document's ${chars.length} characters; record refused`);
    if (e.unanchored) continue;
    const there = chars.slice(e.start, e.end).join('');
    if (there !== e.text) throw new Error(`${what}: the document has ${JSON.stringify(clip(there))} there; record refused`);
  }
}

/** At most ~60 characters of an input echoed in a message. */
function clip(s: string): string {
  return s.length > 60 ? s.slice(0, 60) + '…' : s;
}
