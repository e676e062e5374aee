/**
 * Long texts are cut into consecutive windows of at most `maxLength` code points, where the model
 * was trained to read them: the training pipeline (`window_bounds` in models/training/text.py) cuts
 * at sentence ends, else at clause punctuation, else anywhere, in the last three quarters of the
 * window. Cutting the same way at inference scored 0.2-0.6 F1 points above overlapping windows
 * that start mid-clause for the pre-trained models (dev split; models/bbrac/MODEL_CARD.md), and
 * computes each character once.
 *
 * The text is walked in place, one window at a time: splitting a 20 MB line into an array of
 * one-character strings first cost ~500 MB.
 */
import { countCodePoints, nextCodePoint } from './offsets';

export interface Window {
  /** Code-point offsets (what entities report), end exclusive. */
  start: number;
  end: number;
  /** The same bounds as UTF-16 offsets into the text (what String.prototype.slice takes). */
  from: number;
  to: number;
}

// Every break is one UTF-16 code unit.
const SENTENCE_END = new Set(Array.from('。；！？;!?\n', (c) => c.charCodeAt(0)));
const CLAUSE_END = new Set(Array.from('，、：,:', (c) => c.charCodeAt(0)));

export function makeWindows(text: string, maxLength: number): Window[] {
  if (!Number.isInteger(maxLength) || maxLength < 2) throw new Error(`maxLength must be an integer of at least 2, got ${maxLength}`);
  const n = countCodePoints(text);
  const windows: Window[] = [];
  // ends[k]: the UTF-16 offset after the window's k-th code point (ends[0] is where it starts).
  const ends = new Int32Array(Math.min(maxLength, n) + 1);
  let start = 0;
  let from = 0;
  while (n - start > maxLength) {
    ends[0] = from;
    for (let k = 1; k <= maxLength; k++) ends[k] = nextCodePoint(text, ends[k - 1]);
    const cut = cutPoint(text, ends, maxLength);
    windows.push({ start, end: start + cut, from, to: ends[cut] });
    start += cut;
    from = ends[cut];
  }
  windows.push({ start, end: n, from, to: text.length });
  return windows;
}

/** How many code points the window keeps: it ends after the last break in its last three quarters. */
function cutPoint(text: string, ends: Int32Array, maxLength: number): number {
  const earliest = Math.floor(maxLength / 4);
  for (const breaks of [SENTENCE_END, CLAUSE_END]) {
    for (let p = maxLength; p > earliest; p--) {
      if (ends[p] - ends[p - 1] === 1 && breaks.has(text.charCodeAt(ends[p - 1]))) return p;
    }
  }
  return maxLength;
}
