/**
 * The boundary between the core's code-point offsets and VS Code's UTF-16 positions: entities,
 * selections and edits cross it here and nowhere else in src/extension (test/unit/boundaries.test.ts
 * checks that no other file there converts).
 */
import type * as vscode from 'vscode';
import type { EntityStatus } from '../core/curation/record';
import type { Entity } from '../core/engine';
import { OffsetMap } from '../core/offsets';

/** An entity placed in a document: UTF-16 offsets into the text it was found in. */
export interface Placed {
  entity: Entity;
  start: number;
  end: number;
  /** Its review status, where it comes from a curation session. */
  status?: EntityStatus;
}

interface Range {
  start: number;
  end: number;
}

/** One version of a document's text, for converting many offsets of it (each conversion is a binary search). */
export class EditorOffsets {
  private readonly map: OffsetMap;

  constructor(text: string) {
    this.map = new OffsetMap(text);
  }

  get codePointLength(): number {
    return this.map.codePointLength;
  }

  /** The UTF-16 range of a code-point range. */
  toUtf16(range: Range): Range {
    return { start: this.map.toUtf16(range.start), end: this.map.toUtf16(range.end) };
  }

  /** The code-point range of a UTF-16 range; one splitting a surrogate pair widens to whole characters. */
  toCodePoints(start: number, end: number): Range {
    return { start: this.map.toCodePoint(start, 'floor'), end: this.map.toCodePoint(end, 'ceil') };
  }

  /** The code-point offset of the character that UTF-16 `offset` is in or before. */
  toCodePoint(offset: number): number {
    return this.map.toCodePoint(offset, 'floor');
  }
}

export function place(text: string, entities: readonly Entity[]): Placed[] {
  const offsets = new EditorOffsets(text);
  return entities.map((entity) => ({ entity, ...offsets.toUtf16(entity) }));
}

/** A UTF-16 offset range of `text` as code points (a range splitting a surrogate pair widens to whole characters). */
export function toCodePointRange(text: string, start: number, end: number): Range {
  return new EditorOffsets(text).toCodePoints(start, end);
}

/**
 * Moves entities along with an edit so highlights stay on their text until new results arrive.
 * Entities the edit touches are dropped: their text is no longer what the model saw.
 */
export function shift(placed: readonly Placed[], changes: readonly vscode.TextDocumentContentChangeEvent[]): Placed[] {
  let out = [...placed];
  // VS Code lists the changes of one event against the previous version, last position first,
  // so applying them in order never moves an offset a later change refers to.
  for (const change of changes) {
    const from = change.rangeOffset;
    const to = from + change.rangeLength;
    const delta = change.text.length - change.rangeLength;
    out = out.flatMap((p) => {
      if (p.end <= from) return [p];
      if (p.start >= to) return [{ ...p, start: p.start + delta, end: p.end + delta }];
      return [];
    });
  }
  return out;
}

/** The entity whose characters include the one at UTF-16 `offset` (entities are sorted and disjoint). */
export function findAt(placed: readonly Placed[], offset: number): Placed | undefined {
  let lo = 0;
  let hi = placed.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (placed[mid].end <= offset) lo = mid + 1;
    else hi = mid;
  }
  const p = placed[lo];
  return p && p.start <= offset ? p : undefined;
}
