// The curation steps, as pure functions from a document's entities (sorted by start, then end) to
// new ones; `undefined` means the step does not apply. Offsets are code points.
import type { Entity } from '../engine';
import type { YiduLabel } from '../labels';
import { byPosition, type CuratedEntity, type EntityStatus, isVisible } from './record';

type Entities = readonly CuratedEntity[];

function sortEntities(entities: CuratedEntity[]): CuratedEntity[] {
  return entities.sort(byPosition);
}

/** The shown entity at code-point `offset`: the one containing it, else one ending right there (the cursor just after it). */
export function entityAt(entities: Entities, offset: number): number | undefined {
  let after: number | undefined;
  for (let i = 0; i < entities.length; i++) {
    const e = entities[i];
    if (!isVisible(e)) continue;
    if (e.start <= offset && offset < e.end) return i;
    if (e.end === offset) after = i;
  }
  return after;
}

function overlaps(a: { start: number; end: number }, b: { start: number; end: number }): boolean {
  return a.start < b.end && b.start < a.end;
}

function replace(entities: Entities, index: number, next: CuratedEntity | undefined): CuratedEntity[] {
  const out = entities.filter((_, i) => i !== index);
  if (next) out.push(next);
  return sortEntities(out);
}

export function accept(entities: Entities, index: number): CuratedEntity[] | undefined {
  const e = entities[index];
  if (!e || e.unanchored || e.status === 'accepted' || e.status === 'edited' || e.status === 'manual') return undefined;
  return replace(entities, index, { ...e, status: 'accepted' });
}

/** A rejected prediction stays (so the model's next reading does not bring it back); a person's own entity just goes. */
export function reject(entities: Entities, index: number): CuratedEntity[] | undefined {
  const e = entities[index];
  if (!e || e.status === 'rejected') return undefined;
  return replace(entities, index, e.status === 'manual' || e.unanchored ? undefined : { ...e, status: 'rejected' });
}

export function setLabel(entities: Entities, index: number, label: YiduLabel): CuratedEntity[] | undefined {
  const e = entities[index];
  if (!e || e.unanchored || e.label === label) return undefined;
  return replace(entities, index, { ...e, label, status: e.status === 'manual' ? 'manual' : 'edited' });
}

/**
 * Moves one boundary by one character (`delta` +1 grows, -1 shrinks). The entity never becomes
 * empty, leaves the text, starts or ends on whitespace, or runs into another shown entity.
 */
export function resize(
  entities: Entities,
  index: number,
  edge: 'start' | 'end',
  delta: 1 | -1,
  chars: readonly string[],
): CuratedEntity[] | undefined {
  const e = entities[index];
  if (!e || !isVisible(e)) return undefined;
  const start = edge === 'start' ? e.start - delta : e.start;
  const end = edge === 'end' ? e.end + delta : e.end;
  if (start < 0 || end > chars.length || start >= end) return undefined;
  if (/\s/u.test(chars[start]) || /\s/u.test(chars[end - 1])) return undefined;
  const span = { start, end };
  if (entities.some((o, i) => i !== index && isVisible(o) && o.status !== 'predicted' && overlaps(o, span))) return undefined;
  const next: CuratedEntity = {
    ...e,
    start,
    end,
    text: chars.slice(start, end).join(''),
    status: e.status === 'manual' ? 'manual' : 'edited',
  };
  // Predictions the grown entity now covers are superseded by it.
  const kept = entities.filter((o, i) => i !== index && !(o.status === 'predicted' && overlaps(o, span)));
  return sortEntities([...kept, next]);
}

/**
 * A person's entity over [start, end): whatever shown entity it overlaps gives way. Marking exactly
 * what the model predicted accepts the prediction (edited when the type differs) and keeps its score.
 */
export function add(
  entities: Entities,
  start: number,
  end: number,
  label: YiduLabel,
  chars: readonly string[],
): CuratedEntity[] | undefined {
  if (start < 0 || end > chars.length || start >= end) return undefined;
  const span = { start, end };
  const same = entities.find((e) => e.start === start && e.end === end && !e.unanchored);
  if (same && isVisible(same) && same.label === label && same.status !== 'predicted') return undefined;
  const status: EntityStatus =
    !same || same.status === 'manual' ? 'manual' : same.label === label && same.status !== 'edited' ? 'accepted' : 'edited';
  const kept = entities.filter((e) => e !== same && !(isVisible(e) && overlaps(e, span)));
  const next: CuratedEntity = {
    start,
    end,
    label,
    text: chars.slice(start, end).join(''),
    status,
    ...(same?.score === undefined ? {} : { score: same.score }),
  };
  return sortEntities([...kept, next]);
}

/** Accepts every prediction still open. */
export function acceptAll(entities: Entities): CuratedEntity[] | undefined {
  if (!entities.some((e) => e.status === 'predicted' && !e.unanchored)) return undefined;
  return entities.map((e) => (e.status === 'predicted' && !e.unanchored ? { ...e, status: 'accepted' } : e));
}

/**
 * The model's new reading merged in: earlier predictions are replaced; a prediction is left out
 * where a person's entity overlaps it, or where the same span and type were rejected.
 */
export function mergePredictions(entities: Entities, predictions: readonly Entity[]): CuratedEntity[] {
  const curated = entities.filter((e) => e.status !== 'predicted');
  const decided = curated.filter((e) => !e.unanchored);
  const fresh = predictions
    .filter(
      (p) =>
        !decided.some((e) => (e.status === 'rejected' ? e.start === p.start && e.end === p.end && e.label === p.label : overlaps(e, p))),
    )
    .map((p): CuratedEntity => ({ start: p.start, end: p.end, label: p.label, text: p.text, status: 'predicted', score: p.score }));
  return sortEntities([...curated, ...fresh]);
}
