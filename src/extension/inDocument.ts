/**
 * What "the entities in this document" means, for the status bar, the legend and the Entities view
 * alike: anchored, not rejected, and let through by the settings (type shown; an open prediction
 * at or above the confidence threshold). No `vscode` import, so that unit tests check it.
 */
import type { CuratedEntity, EntityStatus } from '../core/curation/record';
import type { YiduLabel } from '../core/labels';

export interface ShowFilter {
  shownTypes: ReadonlySet<YiduLabel>;
  minConfidence: number;
}

/**
 * Whether settings let an entity be shown (highlighted, hovered, listed, counted, copied). The
 * confidence threshold filters the model's open predictions only, never a person's decisions.
 */
export function isShown(entity: { label: YiduLabel; score?: number; status?: EntityStatus }, filter: ShowFilter): boolean {
  if (!filter.shownTypes.has(entity.label)) return false;
  return (entity.status !== undefined && entity.status !== 'predicted') || (entity.score ?? 1) >= filter.minConfidence;
}

/** Whether `entity` is one of the entities in its document (counted and listed as such). */
export function inDocument(entity: CuratedEntity, filter: ShowFilter): boolean {
  return !entity.unanchored && entity.status !== 'rejected' && isShown(entity, filter);
}

/** A document's entities sorted by what a reader is told about them. */
export interface Tally {
  /** The entities in the document. */
  shown: CuratedEntity[];
  rejected: CuratedEntity[];
  /** Their text was not found again after the document changed. */
  unanchored: CuratedEntity[];
  /** Anchored, not rejected, but of a hidden type or below the confidence threshold. */
  hidden: number;
}

export function tally(entities: readonly CuratedEntity[], filter: ShowFilter): Tally {
  const t: Tally = { shown: [], rejected: [], unanchored: [], hidden: 0 };
  for (const e of entities) {
    if (inDocument(e, filter)) t.shown.push(e);
    else if (e.unanchored) t.unanchored.push(e);
    else if (e.status === 'rejected') t.rejected.push(e);
    else t.hidden++;
  }
  return t;
}

/** "17 shown · 2 rejected · 1 unanchored · 3 hidden by settings", the parts that are not 0 (shown always). */
export function tallyText(t: Tally): string {
  const parts = [`${t.shown.length} shown`];
  if (t.rejected.length) parts.push(`${t.rejected.length} rejected`);
  if (t.unanchored.length) parts.push(`${t.unanchored.length} unanchored`);
  if (t.hidden) parts.push(`${t.hidden} hidden by settings`);
  return parts.join(' · ');
}
