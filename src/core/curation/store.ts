// The annotation store of one workspace folder: `.medner/annotations/<document path>.json`, one
// human-readable record per document, beside the documents and never inside them, each replaced
// atomically.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../atomic';
import { reanchor } from './anchor';
import { type CuratedEntity, type CurationRecord, type DocumentStatus, hashText, parseRecord, serializeRecord, toStored } from './record';

export const STORE_DIR = '.medner';
const RECORDS = 'annotations';

export interface LoadedRecord {
  record: CurationRecord;
  /** The entities on the given text: re-anchored when the record was written for another one. */
  entities: CuratedEntity[];
  /** The text differed from the one the record was written for. */
  reanchored: boolean;
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
    const content = await fs.readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined;
      throw e;
    });
    return content === undefined ? undefined : parseRecord(content, file);
  }

  /** The record of `key` placed on `text` (the document as it is now). */
  async load(key: string, text: string): Promise<LoadedRecord | undefined> {
    const record = await this.read(key);
    if (!record) return undefined;
    return placeRecord(record, text);
  }

  async save(key: string, text: string, entities: readonly CuratedEntity[], status: DocumentStatus): Promise<CurationRecord> {
    const record: CurationRecord = { path: key, sha256: hashText(text), status, entities: toStored(entities, Array.from(text)) };
    const file = this.fileOf(key);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await writeFileAtomic(file, serializeRecord(record));
    return record;
  }

  /** Every record in the store, by document key; a record that does not parse is reported, not fatal. */
  async list(onError: (file: string, error: Error) => void = () => undefined): Promise<CurationRecord[]> {
    const names = await fs.readdir(this.dir, { recursive: true, encoding: 'utf8' }).catch(() => [] as string[]);
    const out: CurationRecord[] = [];
    for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
      const file = path.join(this.dir, name);
      try {
        out.push(parseRecord(await fs.readFile(file, 'utf8'), file));
      } catch (e) {
        onError(file, e as Error);
      }
    }
    return out;
  }
}

export function placeRecord(record: CurationRecord, text: string): LoadedRecord {
  if (record.sha256 === hashText(text)) {
    return { record, entities: record.entities.map(({ before: _b, after: _a, ...e }) => e), reanchored: false };
  }
  return { record, entities: reanchor(record.entities, text), reanchored: true };
}
