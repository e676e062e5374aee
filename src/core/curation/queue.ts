// Review at folder scale: counts per document, overall progress, and the queue of open predictions
// across documents, least certain first.
import type { YiduLabel } from '../labels';
import { type CuratedEntity, type DocumentStatus, ENTITY_STATUSES, type EntityStatus } from './record';

export interface DocumentEntities {
  key: string;
  status: DocumentStatus;
  entities: readonly CuratedEntity[];
}

export interface QueueItem<D extends DocumentEntities = DocumentEntities> {
  doc: D;
  entity: CuratedEntity;
}

/**
 * Open predictions (not yet accepted, rejected or edited) of documents not marked done, by the
 * model's confidence ascending; ties in document and text order, so the queue is stable.
 */
export function reviewQueue<D extends DocumentEntities>(docs: readonly D[], limit = Infinity): QueueItem<D>[] {
  const items: QueueItem<D>[] = [];
  for (const doc of docs) {
    if (doc.status === 'done') continue;
    for (const entity of doc.entities) if (entity.status === 'predicted' && !entity.unanchored) items.push({ doc, entity });
  }
  items.sort(
    (a, b) => (a.entity.score ?? 1) - (b.entity.score ?? 1) || compareKeys(a.doc.key, b.doc.key) || a.entity.start - b.entity.start,
  );
  return items.slice(0, limit);
}

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export interface StatusCounts extends Record<EntityStatus, number> {
  unanchored: number;
}

export function countByStatus(entities: readonly CuratedEntity[]): StatusCounts {
  const counts = Object.fromEntries([...ENTITY_STATUSES, 'unanchored'].map((s) => [s, 0])) as unknown as StatusCounts;
  for (const e of entities) {
    if (e.unanchored) counts.unanchored++;
    else counts[e.status]++;
  }
  return counts;
}

export function countByLabel(entities: readonly CuratedEntity[]): Map<YiduLabel, number> {
  const counts = new Map<YiduLabel, number>();
  for (const e of entities) counts.set(e.label, (counts.get(e.label) ?? 0) + 1);
  return counts;
}

export interface Progress {
  documents: number;
  done: number;
  inProgress: number;
  /** Entities decided (every status but predicted) out of all. */
  reviewed: number;
  entities: number;
}

export function progress(docs: readonly DocumentEntities[]): Progress {
  const p: Progress = { documents: docs.length, done: 0, inProgress: 0, reviewed: 0, entities: 0 };
  for (const doc of docs) {
    if (doc.status === 'done') p.done++;
    else if (doc.status === 'in-progress') p.inProgress++;
    for (const e of doc.entities) {
      p.entities++;
      if (e.status !== 'predicted') p.reviewed++;
    }
  }
  return p;
}
