// Keeping curated entities on their text when the document changes: an edit in the editor moves
// the entities it does not touch by its length; those it touches, and all entities of a file that
// changed on disk, are looked for again by their text and the characters around it. What cannot be
// found is flagged `unanchored`, never dropped: it may be a person's work.
import { codePoints, countCodePoints, OffsetMap } from '../offsets';
import { byPosition, CONTEXT_CHARS, type CuratedEntity, type EarlierPlace, hashText, type StoredEntity } from './record';

/** Context characters (of 2 x CONTEXT_CHARS) that must agree for a term that occurs more than once. */
const MIN_CONTEXT = 4;
/** UTF-16 units either side of the expected position searched before the whole text. */
const NEARBY = 2048;
/**
 * The work one re-anchoring may do, in candidate positions scored (a unit each) and characters
 * scanned for a term (SCAN_CHARS a unit): linear in the text, so an adversarial record (thousands of
 * entities of one term found everywhere, none with its context) cannot hold the extension host for
 * minutes; and at most WORK_MAX (about a second), however long the text. A real document changed on
 * disk stays far below it: most entities are found where expected, the rest by a threshold search.
 */
const WORK_BASE = 1_000_000;
const WORK_PER_CHAR = 20;
const WORK_MAX = 10_000_000;
const SCAN_CHARS = 64;

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

type Span = { start: number; end: number };

/**
 * Looks for entities' texts in one text: each term's occurrences are listed once (one scan of the
 * text per distinct term, not one per entity), and the work done is counted against a limit.
 */
class Finder {
  readonly map: OffsetMap;
  readonly limit: number;
  /** Work done so far, in the units of the limit. */
  work = 0;
  private readonly occurrences = new Map<string, readonly number[]>();
  private readonly contexts = new Map<string, Contexts>();

  constructor(
    readonly text: string,
    limit?: number,
  ) {
    this.map = new OffsetMap(text);
    this.limit = limit ?? Math.min(WORK_MAX, WORK_BASE + WORK_PER_CHAR * text.length);
  }

  /** Counts `n` units of work; false (and nothing counted) when they would pass the limit. */
  private spend(n: number): boolean {
    if (this.work + n > this.limit) return false;
    this.work += n;
    return true;
  }

  /** Where `term` starts in the text (UTF-16, ascending); undefined when the limit is reached first. */
  private positionsOf(term: string): readonly number[] | undefined {
    const known = this.occurrences.get(term);
    if (known) return known;
    if (!this.spend(Math.ceil(this.text.length / SCAN_CHARS))) return undefined;
    const found: number[] = [];
    for (let i = this.text.indexOf(term); i >= 0; i = this.text.indexOf(term, i + 1)) {
      if (!this.spend(1)) return undefined;
      found.push(i);
    }
    this.occurrences.set(term, found);
    return found;
  }

  /**
   * Finds `sought`: the occurrence with the most agreeing context, the nearest to `hint` (a
   * code-point offset) among equals, no further than `within` UTF-16 units from it. A term found
   * more than once must agree on at least a few context characters. Returns code-point offsets;
   * undefined when it is not found, null when the work limit was reached before it could be.
   */
  locate(sought: Sought, hint: number, taken?: ReadonlySet<string>, within = Infinity): Span | undefined | null {
    if (!sought.text) return undefined;
    const { text, map } = this;
    const hint16 = map.toUtf16(Math.min(Math.max(0, hint), map.codePointLength));
    const full = sought.before.length + sought.after.length;
    const length = countCodePoints(sought.text);
    const toSpan = (i: number) => {
      const start = map.toCodePoint(i, 'ceil');
      return { start, end: start + length };
    };
    // Most entities are where they were expected with their neighbourhood intact: that costs no
    // search, and is looked at even past the limit (one look per entity).
    this.work++;
    if (
      text.startsWith(sought.text, hint16) &&
      agreeingBefore(sought.before, text, hint16) + agreeingAfter(sought.after, text, hint16 + sought.text.length) === full
    ) {
      const span = toSpan(hint16);
      if (!taken?.has(`${span.start}:${span.end}`)) return span;
    }
    const positions = this.positionsOf(sought.text);
    if (!positions) return null;
    const scan = (from: number, to: number) => {
      let best = -1;
      let bestScore = -1;
      let bestDistance = Infinity;
      let found = 0;
      for (let k = firstAtOrAfter(positions, from); k < positions.length && positions[k] <= to; k++) {
        if (!this.spend(1)) return undefined;
        const i = positions[k];
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
    const near = scan(hint16 - NEARBY, hint16 + NEARBY);
    if (!near) return null;
    if (near.best >= 0 && near.bestScore === full) return toSpan(near.best);
    const all =
      within <= NEARBY
        ? near
        : within === Infinity
          ? this.ranked(sought, positions, hint16, toSpan, near, taken)
          : scan(hint16 - within, hint16 + within);
    if (!all) return null;
    if (all.best < 0) return undefined;
    if (all.found > 1 && all.bestScore < Math.min(MIN_CONTEXT, full)) return undefined;
    return toSpan(all.best);
  }

  /**
   * The best occurrence in the whole text, without scoring every one: occurrences are taken in
   * falling agreement of their following context, and of their preceding one, in turn (both orders
   * are sorted lists of contexts, made once per term), until no occurrence not yet seen can reach
   * the best score (the threshold algorithm). Same answer as scoring all; `found` counts up to 2.
   * It starts from the best `near` the hint: an occurrence elsewhere that only ties with it is
   * further away, so it need not be looked for.
   */
  private ranked(
    sought: Sought,
    positions: readonly number[],
    hint16: number,
    toSpan: (i: number) => Span,
    near: { best: number; bestScore: number },
    taken?: ReadonlySet<string>,
  ) {
    const contexts = this.contextsOf(sought.text, positions);
    if (!contexts) return undefined;
    const after = new Ranking(contexts.after, contexts.byAfter, sought.after);
    const before = new Ranking(contexts.before, contexts.byBefore, reversed(sought.before));
    const seen = new Set<number>();
    let { best, bestScore } = near;
    let bestDistance = best < 0 ? Infinity : Math.abs(best - hint16);
    let bestIsNear = best >= 0;
    for (let turn = 0; after.bound + before.bound > bestScore || (after.bound + before.bound === bestScore && !bestIsNear); turn++) {
      const k = turn % 2 ? before.next() : after.next();
      // One order exhausted: every occurrence has been seen.
      if (k === undefined) break;
      if (seen.has(k)) continue;
      seen.add(k);
      if (!this.spend(1)) return undefined;
      const i = positions[k];
      const span = toSpan(i);
      if (taken?.has(`${span.start}:${span.end}`)) continue;
      const score = agreeingBefore(sought.before, this.text, i) + agreeingAfter(sought.after, this.text, i + sought.text.length);
      const distance = Math.abs(i - hint16);
      if (score > bestScore || (score === bestScore && distance < bestDistance)) {
        best = i;
        bestScore = score;
        bestDistance = distance;
        bestIsNear = distance <= NEARBY;
      }
    }
    if (best < 0) return { best, bestScore, found: 0 };
    // Is the term free anywhere else? Taken occurrences gather behind the entities placed so far,
    // so the look starts beside the best one.
    const at = firstAtOrAfter(positions, best);
    let found = 1;
    for (let d = 1; found < 2 && (at - d >= 0 || at + d < positions.length); d++) {
      for (const k of [at - d, at + d]) {
        if (k < 0 || k >= positions.length) continue;
        if (!this.spend(1)) return undefined;
        const span = toSpan(positions[k]);
        if (!taken?.has(`${span.start}:${span.end}`)) found = 2;
      }
    }
    return { best, bestScore, found };
  }

  /** The contexts around each occurrence of `term`, and their sorted orders; undefined when the limit is reached first. */
  private contextsOf(term: string, positions: readonly number[]): Contexts | undefined {
    const known = this.contexts.get(term);
    if (known) return known;
    const m = positions.length;
    if (!this.spend(m + Math.ceil(m * Math.log2(m + 1)))) return undefined;
    const reach = 2 * CONTEXT_CHARS;
    const after = positions.map((i) => this.text.slice(i + term.length, i + term.length + reach));
    const before = positions.map((i) => reversed(this.text.slice(Math.max(0, i - reach), i)));
    const order = (keys: string[]) => Array.from(keys.keys()).sort((a, b) => (keys[a] < keys[b] ? -1 : keys[a] > keys[b] ? 1 : 0));
    const contexts = { after, before, byAfter: order(after), byBefore: order(before) };
    this.contexts.set(term, contexts);
    return contexts;
  }
}

interface Contexts {
  /** The UTF-16 units after each occurrence, and before it read backwards. */
  after: string[];
  before: string[];
  /** Occurrences in the sorted order of those contexts. */
  byAfter: number[];
  byBefore: number[];
}

/**
 * Occurrences in falling agreement (common prefix) with one sought context: in a sorted list the
 * prefix shared with a string only shrinks away from where that string would be inserted.
 */
class Ranking {
  private up: number;
  private down: number;
  /** No occurrence not yet returned agrees on more characters than this. */
  bound: number;

  constructor(
    private readonly keys: readonly string[],
    private readonly order: readonly number[],
    private readonly sought: string,
  ) {
    let lo = 0;
    let hi = order.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (keys[order[mid]] < sought) lo = mid + 1;
      else hi = mid;
    }
    this.up = lo;
    this.down = lo - 1;
    this.bound = sought.length;
  }

  next(): number | undefined {
    const up = this.up < this.order.length ? this.agreement(this.up) : -1;
    const down = this.down >= 0 ? this.agreement(this.down) : -1;
    if (up < 0 && down < 0) return undefined;
    const k = up >= down ? this.order[this.up++] : this.order[this.down--];
    this.bound = Math.max(up, down);
    return k;
  }

  private agreement(at: number): number {
    const key = this.keys[this.order[at]];
    let n = 0;
    while (n < this.sought.length && n < key.length && key.charCodeAt(n) === this.sought.charCodeAt(n)) n++;
    return n;
  }
}

function reversed(s: string): string {
  let out = '';
  for (let i = s.length - 1; i >= 0; i--) out += s[i];
  return out;
}

/** Index of the first entry of the ascending `a` that is >= x. */
function firstAtOrAfter(a: readonly number[], x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
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

export interface Reanchored {
  entities: CuratedEntity[];
  /** Entities flagged unanchored because the work limit was reached before they were looked for. */
  unsearched: number;
  /** Work done, in the units of the limit. */
  work: number;
}

/**
 * The entities of a record whose text changed (its hash differs) placed on the new text. Entities
 * are visited in order, each expected where the previous one moved to, so a shifted document keeps
 * repeated terms in their own places.
 */
export function reanchor<E extends StoredEntity>(entities: readonly E[], text: string, limit?: number): Reanchored {
  const finder = new Finder(text, limit);
  const taken = new Set<string>();
  let shift = 0;
  let unsearched = 0;
  const placed = entities.map((e): CuratedEntity => {
    const { before, after, ...entity } = e;
    const at = finder.locate({ text: e.text, before, after }, e.start + shift, taken);
    if (!at) {
      if (at === null) unsearched++;
      return { ...entity, unanchored: true, ...clampTo(entity, finder.map.codePointLength) };
    }
    shift = at.start - e.start;
    taken.add(`${at.start}:${at.end}`);
    const anchored: CuratedEntity = { ...entity, start: at.start, end: at.end };
    delete anchored.unanchored;
    return anchored;
  });
  return { entities: placed.sort(byPosition), unsearched, work: finder.work };
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
  private finder?: Finder;
  private readonly found = new Map<string, { start: number; end: number } | undefined>();

  private ids: { old?: string; new?: string };

  constructor(
    readonly oldText: string,
    readonly newText: string,
    edits: readonly TextEdit[],
    /** The texts' hashes, when the caller already has them. */
    ids: { old?: string; new?: string } = {},
  ) {
    this.edits = [...edits].sort((a, b) => a.start - b.start);
    this.reach = NEARBY + edits.reduce((n, e) => n + e.text.length + (e.end - e.start), 0);
    this.ids = { ...ids };
  }

  get oldId(): string {
    return (this.ids.old ??= hashText(this.oldText));
  }

  get newId(): string {
    return (this.ids.new ??= hashText(this.newText));
  }

  get newMap(): OffsetMap {
    return this.newFinder.map;
  }

  private get newFinder(): Finder {
    return (this.finder ??= new Finder(this.newText));
  }

  /** Work spent relocating touched entities, in the units of the re-anchoring limit. */
  get work(): number {
    return this.finder?.work ?? 0;
  }

  /** Where an entity touched by the edits is now; the same entity in several lists is sought once. */
  relocate(e: CuratedEntity, hint: number, taken: ReadonlySet<string>): { start: number; end: number } | undefined {
    const key = `${e.start}:${e.end}:${e.text}:${hint}`;
    if (!this.found.has(key)) {
      this.oldChars ??= codePoints(this.oldText);
      // Past the work limit (a paste over thousands of entities of one term), an entity is flagged, not sought.
      this.found.set(
        key,
        this.newFinder.locate({ text: e.text, ...contextOf(this.oldChars, e) }, hint, undefined, this.reach) ?? undefined,
      );
    }
    const at = this.found.get(key);
    return at && !taken.has(`${at.start}:${at.end}`) ? at : undefined;
  }
}

/**
 * The entities after a change. Untouched entities shift; touched ones are sought near where they
 * were (an edit does not carry text far); what is not found is flagged unanchored. A touched entity
 * remembers where it was, so that a change back to that text (Undo, Redo) puts it back exactly.
 */
export function applyEdits(
  entities: readonly CuratedEntity[],
  change: TextChange,
  onRelocated?: (entity: CuratedEntity, at: { start: number; end: number } | undefined) => void,
): CuratedEntity[] {
  const length = change.newMap.codePointLength;
  const touched: { index: number; delta: number }[] = [];
  const moved = entities.map((e, index) => {
    let delta = 0;
    let hit = false;
    for (const edit of change.edits) {
      if (edit.end <= e.start) delta += countCodePoints(edit.text) - (edit.end - edit.start);
      else if (edit.start < e.end) hit = true;
    }
    // An unanchored entity only moves along (inside the text): a person decides where it belongs.
    if (hit && !e.unanchored) touched.push({ index, delta });
    if (e.unanchored) return placedUnanchored(e, { start: e.start + delta, end: e.end + delta }, length);
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
      const remembered = remember(e, change.oldId);
      moved[index] = at
        ? { ...remembered, start: at.start, end: at.end }
        : placedUnanchored({ ...remembered, unanchored: true }, { start: e.start + delta, end: e.end + delta }, length);
    }
  }
  return restoreEarlier(moved, () => change.newId).sort(byPosition);
}

/** At most this many earlier places are kept per entity: the texts of the last edits that touched it. */
const EARLIER_LIMIT = 16;

/** The entity, noting its place in the text `textId` (the one an edit is about to change). */
export function remember(e: CuratedEntity, textId: string): CuratedEntity {
  const place: EarlierPlace = { textId, start: e.start, end: e.end, text: e.text };
  const earlier = [...(e.earlier ?? []).filter((p) => p.textId !== textId), place].slice(-EARLIER_LIMIT);
  return { ...e, earlier };
}

/**
 * Entities that were in the text `textId()` before an edit moved them out, with that text and
 * still their own, go back exactly where they were there (a text Undo or Redo).
 */
export function restoreEarlier(entities: CuratedEntity[], textId: () => string): CuratedEntity[] {
  if (!entities.some((e) => e.earlier)) return entities;
  const id = textId();
  return entities.map((e) => {
    const back = e.earlier?.find((p) => p.textId === id && p.text === e.text);
    if (!back || (back.start === e.start && back.end === e.end && !e.unanchored)) return e;
    const restored: CuratedEntity = { ...e, start: back.start, end: back.end };
    delete restored.unanchored;
    return restored;
  });
}

/** Where an unanchored entity is kept: `span` (its old offsets, moved along), inside the text. */
export function placedUnanchored(e: CuratedEntity, span: { start: number; end: number }, length: number): CuratedEntity {
  const kept = clampTo(span, length);
  return kept.start === e.start && kept.end === e.end ? e : { ...e, ...kept };
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
