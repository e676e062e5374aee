// A curated document as it is kept on disk: the entities of one text, each with its review status,
// in code points, plus what re-anchoring needs when the text changed since (its hash, and a few
// characters of context around each entity).
import { createHash } from 'node:crypto';
import { isYiduLabel, type YiduLabel } from '../labels';

export const ENTITY_STATUSES = ['predicted', 'accepted', 'rejected', 'edited', 'manual'] as const;
export type EntityStatus = (typeof ENTITY_STATUSES)[number];

const DOCUMENT_STATUSES = ['todo', 'in-progress', 'done'] as const;
export type DocumentStatus = (typeof DOCUMENT_STATUSES)[number];

export interface CuratedEntity {
  start: number;
  end: number;
  label: YiduLabel;
  text: string;
  status: EntityStatus;
  /** The model's confidence when it predicted the span; absent for entities a person added. */
  score?: number;
  /** Its text could not be found again after the document changed: kept for a person to resolve. */
  unanchored?: boolean;
  /**
   * Where it was in earlier texts of the document that an edit moved it out of (in memory only, never
   * stored): when Undo brings such a text back, the entity goes back exactly where it was.
   */
  earlier?: readonly EarlierPlace[];
}

/** An entity's place in one earlier text of its document, named by the text's hash. */
export interface EarlierPlace {
  textId: string;
  start: number;
  end: number;
  /** Its text then: a place is only taken back by an entity that still has it. */
  text: string;
}

/** Characters of context kept each side of an entity: enough to tell repeated terms apart. */
export const CONTEXT_CHARS = 12;

export interface StoredEntity extends CuratedEntity {
  before: string;
  after: string;
}

export interface CurationRecord {
  /** The document, relative to its workspace folder, '/'-separated. */
  path: string;
  /** SHA-256 of the text (UTF-8) the offsets refer to. */
  sha256: string;
  status: DocumentStatus;
  entities: StoredEntity[];
}

/** The order entities are kept in: by start, then end. */
export function byPosition(a: { start: number; end: number }, b: { start: number; end: number }): number {
  return a.start - b.start || a.end - b.end;
}

/** Entities a person confirmed, corrected or added: what exports and evaluation treat as gold. */
export function isGold(e: CuratedEntity): boolean {
  return !e.unanchored && (e.status === 'accepted' || e.status === 'edited' || e.status === 'manual');
}

/** Shown in the editor: everything but rejected and unanchored entities. */
export function isVisible(e: CuratedEntity): boolean {
  return !e.unanchored && e.status !== 'rejected';
}

export function hashText(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export function toStored(entities: readonly CuratedEntity[], chars: readonly string[]): StoredEntity[] {
  return entities.map(({ earlier: _, ...e }) => ({
    ...e,
    before: chars.slice(Math.max(0, e.start - CONTEXT_CHARS), e.start).join(''),
    after: chars.slice(e.end, e.end + CONTEXT_CHARS).join(''),
  }));
}

/** Pretty-printed, one entity a line: readable, and a change to one entity is a one-line diff. */
export function serializeRecord(record: CurationRecord): string {
  const head = JSON.stringify(
    { format: 'medner-curation', version: 1, path: record.path, sha256: record.sha256, status: record.status },
    null,
    2,
  );
  const lines = record.entities.map((e) => '    ' + JSON.stringify(storedFields(e)));
  return `${head.slice(0, -2)},\n  "entities": [${lines.length ? '\n' + lines.join(',\n') + '\n  ' : ''}]\n}\n`;
}

function storedFields(e: StoredEntity): object {
  const { start, end, label, text, status, score, unanchored, before, after } = e;
  return {
    start,
    end,
    label,
    text,
    status,
    ...(score === undefined ? {} : { score }),
    ...(unanchored ? { unanchored } : {}),
    before,
    after,
  };
}

export function parseRecord(content: string, where: string): CurationRecord {
  const fail = (msg: string): never => {
    throw new Error(`${where}: ${msg}`);
  };
  let value: unknown;
  try {
    value = JSON.parse(content);
  } catch (e) {
    return fail(`not JSON (${(e as Error).message})`);
  }
  const o = value as Record<string, unknown>;
  if (!o || typeof o !== 'object' || o.format !== 'medner-curation') fail('not a MedNER curation record');
  if (o.version !== 1) fail(`unsupported version ${String(o.version)}`);
  if (typeof o.path !== 'string' || typeof o.sha256 !== 'string') fail('path and sha256 must be strings');
  if (!(DOCUMENT_STATUSES as readonly unknown[]).includes(o.status)) fail(`unknown document status ${String(o.status)}`);
  if (!Array.isArray(o.entities)) fail('entities must be an array');
  const entities = (o.entities as Record<string, unknown>[]).map((e, i): StoredEntity => {
    const at = `entity ${i}`;
    if (!e || typeof e !== 'object') fail(`${at}: not an object`);
    const { start, end, label, text, status, score, unanchored, before, after } = e;
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || (start as number) < 0 || (end as number) <= (start as number))
      fail(`${at}: bad offsets`);
    if (typeof label !== 'string' || !isYiduLabel(label)) fail(`${at}: unknown type ${String(label)}`);
    if (typeof text !== 'string' || typeof before !== 'string' || typeof after !== 'string')
      fail(`${at}: text, before and after must be strings`);
    if (!(ENTITY_STATUSES as readonly unknown[]).includes(status)) fail(`${at}: unknown status ${String(status)}`);
    if (score !== undefined && (typeof score !== 'number' || score < 0 || score > 1)) fail(`${at}: score must be in [0, 1]`);
    return {
      start: start as number,
      end: end as number,
      label: label as YiduLabel,
      text: text as string,
      status: status as EntityStatus,
      ...(score === undefined ? {} : { score: score as number }),
      ...(unanchored === true ? { unanchored: true } : {}),
      before: before as string,
      after: after as string,
    };
  });
  return { path: o.path as string, sha256: o.sha256 as string, status: o.status as DocumentStatus, entities };
}
