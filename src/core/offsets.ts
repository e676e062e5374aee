// The one place that converts between code-point offsets (what the model, the jsonl
// output and Yidu-S4K use, matching Python str indices) and UTF-16 offsets (what
// JavaScript strings and VS Code positions use). Everything else that counts, walks or
// cuts text by characters calls these; test/unit/boundaries.test.ts holds the rest of
// src to that. The editor side crosses through src/extension/ranges.ts, built on these.

/** How to treat a UTF-16 offset that falls between the two halves of a surrogate pair. */
export type SurrogateSnap = 'throw' | 'floor' | 'ceil';

export class OffsetMap {
  readonly codePointLength: number;
  readonly utf16Length: number;
  // For each astral character, in order: its code-point index and its UTF-16 index.
  // Only astral characters make the two offset systems differ, and they are rare in
  // clinical text, so the index stays tiny and BMP-only text takes the identity fast path.
  private readonly astralCp: Int32Array;
  private readonly astralU16: Int32Array;

  constructor(text: string) {
    const cps: number[] = [];
    const u16s: number[] = [];
    let cp = 0;
    for (let i = 0; i < text.length; i++, cp++) {
      const c = text.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
        const d = text.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) {
          cps.push(cp);
          u16s.push(i);
          i++;
        }
      }
    }
    this.codePointLength = cp;
    this.utf16Length = text.length;
    this.astralCp = Int32Array.from(cps);
    this.astralU16 = Int32Array.from(u16s);
  }

  /** UTF-16 offset of code-point offset `cp` (0..codePointLength inclusive). */
  toUtf16(cp: number): number {
    if (!Number.isInteger(cp) || cp < 0 || cp > this.codePointLength) {
      throw new RangeError(`code-point offset ${cp} outside 0..${this.codePointLength}`);
    }
    return cp + countBelow(this.astralCp, cp);
  }

  /**
   * Code-point offset of UTF-16 offset `u16` (0..utf16Length inclusive).
   * An offset inside a surrogate pair names no character boundary: by default that
   * throws; 'floor' / 'ceil' snap to the start / end of that character instead.
   */
  toCodePoint(u16: number, snap: SurrogateSnap = 'throw'): number {
    if (!Number.isInteger(u16) || u16 < 0 || u16 > this.utf16Length) {
      throw new RangeError(`UTF-16 offset ${u16} outside 0..${this.utf16Length}`);
    }
    // Astral characters starting before u16 each take two units but one code point.
    const k = countBelow(this.astralU16, u16);
    if (k > 0 && this.astralU16[k - 1] === u16 - 1) {
      if (snap === 'throw') throw new RangeError(`UTF-16 offset ${u16} splits a surrogate pair`);
      return snap === 'floor' ? u16 - k : u16 - k + 1;
    }
    return u16 - k;
  }
}

/** Number of entries of the ascending array `a` that are < x. */
function countBelow(a: Int32Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The text split into code points; index i holds the character at code-point offset i. */
export function codePoints(text: string): string[] {
  return Array.from(text);
}

/** The UTF-16 offset after the code point at `i`; a lone surrogate counts as one code point, as in `for...of`. */
export function nextCodePoint(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
    const d = text.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return i + 2;
  }
  return i + 1;
}

/** UTF-16 code units of the code point `cp` (as `codePointAt` gives it, a lone surrogate included). */
export function codeUnits(cp: number): 1 | 2 {
  return cp > 0xffff ? 2 : 1;
}

/** Code points of `text` between UTF-16 offsets `from` and `to`; the same count as `Array.from(text).length`, without the array. */
export function countCodePoints(text: string, from = 0, to = text.length): number {
  let n = 0;
  for (let i = from; i < to; i = nextCodePoint(text, i)) n++;
  return n;
}

/**
 * `i`, or `i - 1` where `text` has a high surrogate just before it: cutting `text` there never parts
 * the halves of a pair. The end of the text is always a place to cut.
 */
export function cutAtOrBefore(text: string, i: number): number {
  const high = text.charCodeAt(i - 1);
  return i < text.length && high >= 0xd800 && high <= 0xdbff ? i - 1 : i;
}
