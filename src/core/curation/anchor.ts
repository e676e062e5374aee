// Keeping curated entities on their text when the document changes: an edit in the editor moves
// the entities it does not touch by its length; those it touches, and all entities of a file that
// changed on disk, are looked for again by their text and the characters around it. What cannot be
// found is flagged `unanchored`, never dropped: it may be a person's work.
import { OffsetMap } from '../offsets';
import { byPosition, CONTEXT_CHARS, type CuratedEntity, type StoredEntity } from './record';

/** Context characters (of 2 x CONTEXT_CHARS) that must agree for a term that occurs more than once. */
const MIN_CONTEXT = 4;
/** UTF-16 units either side of the expected position searched before the whole text. */
const NEARBY = 2048;

/** A replacement of code points [start, end) of the old text by `text`. */
export interface TextEdit {
  start: number;
  end: number;
  text: string;
}

interface Sought {
  text: string;
  before: string;
  after: string;
}

/**
 * Finds `sought` in `text`: the occurrence with the most agreeing context, the nearest to `hint`
 * (a code-point offset) among equals, no further than `within` UTF-16 units from it. A term found
 * more than once must agree on at least a few context characters. Returns code-point offsets.
 */
export function locate(text: string, map: OffsetMap, sought: Sought, hint: number, taken?: ReadonlySet<string>, within = Infinity): { start: number; end: number } | undefined {
  if (!sought.text) return undefined;
  const hint16 = map.toUtf16(Math.min(Math.max(0, hint), map.codePointLength));
  const full = sought.before.length + sought.after.length;
  const length = Array.from(sought.text).length;
  const toSpan = (i: number) => {
    const start = map.toCodePoint(i, 'ceil');
    return { start, end: start + length };
  };
  const scan = (from: number, to: number) => {
    let best = -1;
    let bestScore = -1;
    let bestDistance = Infinity;
    let found = 0;
    for (let i = text.indexOf(sought.text, from); i >= 0 && i <= to; i = text.indexOf(sought.text, i + 1)) {
      const span = toSpan(i);
      if (taken?.has(`${span.start}:${span.end}`)) continue;
      found++;
      const score = agreeingBefore(sought.before, text, i) + agreeingAfter(sought.after, text, i + sought.text.length);
      const distance = Math.abs(i - hint16);
      if (score > bestScore || (score === bestScore && distance < bestDistance)) {
        best = i;
        bestScore = score;
        bestDistance = distance;
      }
    }
    return { best, bestScore, found };
  };
  // Most entities are where they were expected, or close by, with their neighbourhood intact:
  // looking there first keeps a long document's re-anchoring linear.
  if (text.startsWith(sought.text, hint16) && agreeingBefore(sought.before, text, hint16) + agreeingAfter(sought.after, text, hint16 + sought.text.length) === full) {
    const span = toSpan(hint16);
    if (!taken?.has(`${span.start}:${span.end}`)) return span;
  }
  const near = scan(Math.max(0, hint16 - NEARBY), hint16 + NEARBY);
  if (near.best >= 0 && near.bestScore === full) return toSpan(near.best);
  const all = within <= NEARBY ? near : scan(Math.max(0, hint16 - within), hint16 + within);
  if (all.best < 0) return undefined;
  if (all.found > 1 && all.bestScore < Math.min(MIN_CONTEXT, full)) return undefined;
  return toSpan(all.best);
}

function agreeingBefore(before: string, text: string, at: number): number {
  let k = 0;
  while (k < before.length && k < at && before[before.length - 1 - k] === text[at - 1 - k]) k++;
  return k;
}

function agreeingAfter(after: string, text: string, at: number): number {
  let k = 0;
  while (k < after.length && at + k < text.length && after[k] === text[at + k]) k++;
  return k;
}

/**
 * The entities of a record whose text changed (its hash differs) placed on the new text. Entities
 * are visited in order, each expected where the previous one moved to, so a shifted document keeps
 * repeated terms in their own places.
 */
export function reanchor<E extends StoredEntity>(entities: readonly E[], text: string): CuratedEntity[] {
  const map = new OffsetMap(text);
  const taken = new Set<string>();
  let shift = 0;
  const placed = entities.map((e): CuratedEntity => {
    const { before, after, ...entity } = e;
    const at = locate(text, map, { text: e.text, before, after }, e.start + shift, taken);
    if (!at) return { ...entity, unanchored: true, ...clampTo(entity, map.codePointLength) };
    shift = at.start - e.start;
    taken.add(`${at.start}:${at.end}`);
    const anchored: CuratedEntity = { ...entity, start: at.start, end: at.end };
    delete anchored.unanchored;
    return anchored;
  });
  return placed.sort(byPosition);
}

/**
 * One change event of a document: `edits` (code points of `oldText`, none overlapping) turned
 * `oldText` into `newText`. What re-anchoring needs of the texts is worked out once per change and
 * shared by every list of entities moved through it (the current one, the undo history).
 */
export class TextChange {
  readonly edits: readonly TextEdit[];
  /** How far an entity an edit touched can have moved: the edits' lengths, and the usual neighbourhood. */
  readonly reach: number;
  private oldChars?: string[];
  private map?: OffsetMap;
  private readonly found = new Map<string, { start: number; end: number } | undefined>();

  constructor(
    readonly oldText: string,
    readonly newText: string,
    edits: readonly TextEdit[],
  ) {
    this.edits = [...edits].sort((a, b) => a.start - b.start);
    this.reach = NEARBY + edits.reduce((n, e) => n + e.text.length + (e.end - e.start), 0);
  }

  get newMap(): OffsetMap {
    return (this.map ??= new OffsetMap(this.newText));
  }

  /** Where an entity touched by the edits is now; the same entity in several lists is sought once. */
  relocate(e: CuratedEntity, hint: number, taken: ReadonlySet<string>): { start: number; end: number } | undefined {
    const key = `${e.start}:${e.end}:${e.text}:${hint}`;
    if (!this.found.has(key)) {
      this.oldChars ??= Array.from(this.oldText);
      this.found.set(key, locate(this.newText, this.newMap, { text: e.text, ...contextOf(this.oldChars, e) }, hint, undefined, this.reach));
    }
    const at = this.found.get(key);
    return at && !taken.has(`${at.start}:${at.end}`) ? at : undefined;
  }
}

/**
 * The entities after a change. Untouched entities shift; touched ones are sought near where they
 * were (an edit does not carry text far); what is not found is flagged unanchored.
 */
export function applyEdits(
  entities: readonly CuratedEntity[],
  change: TextChange,
  onRelocated?: (entity: CuratedEntity, at: { start: number; end: number } | undefined) => void,
): CuratedEntity[] {
  const touched: { index: number; delta: number }[] = [];
  const moved = entities.map((e, index) => {
    let delta = 0;
    let hit = false;
    for (const edit of change.edits) {
      if (edit.end <= e.start) delta += [...edit.text].length - (edit.end - edit.start);
      else if (edit.start < e.end) hit = true;
    }
    // An unanchored entity only moves along: a person decides where it belongs.
    if (hit && !e.unanchored) touched.push({ index, delta });
    return delta === 0 ? e : { ...e, start: e.start + delta, end: e.end + delta };
  });
  if (touched.length) {
    // A touched entity must not land on a span another entity already holds.
    const hit = new Set(touched.map((t) => t.index));
    const taken = new Set(moved.filter((_, i) => !hit.has(i)).map((e) => `${e.start}:${e.end}`));
    for (const { index, delta } of touched) {
      const e = entities[index];
      const at = change.relocate(e, e.start + delta, taken);
      if (at) taken.add(`${at.start}:${at.end}`);
      onRelocated?.(e, at);
      moved[index] = at ? { ...e, start: at.start, end: at.end } : { ...e, unanchored: true, ...clampTo({ start: e.start + delta, end: e.end + delta }, change.newMap.codePointLength) };
    }
  }
  return moved.sort(byPosition);
}

function contextOf(chars: readonly string[], e: CuratedEntity): { before: string; after: string } {
  return {
    before: chars.slice(Math.max(0, e.start - CONTEXT_CHARS), e.start).join(''),
    after: chars.slice(e.end, e.end + CONTEXT_CHARS).join(''),
  };
}

/** Where an unanchored entity is kept: its old offsets, inside the new text. */
function clampTo(span: { start: number; end: number }, length: number): { start: number; end: number } {
  const start = Math.min(Math.max(0, span.start), Math.max(0, length - 1));
  return { start, end: Math.min(Math.max(start + 1, span.end), Math.max(start + 1, length)) };
}
