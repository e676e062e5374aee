/**
 * Long texts are cut into consecutive windows of at most `maxLength` code points, where the model
 * was trained to read them: the training pipeline (`window_bounds` in models/training/text.py) cuts
 * at sentence ends, else at clause punctuation, else anywhere, in the last three quarters of the
 * window. Cutting the same way at inference scored 0.2-0.6 F1 points above overlapping windows
 * that start mid-clause for the pre-trained models (dev split; models/bbrac/MODEL_CARD.md), and
 * computes each character once.
 */

export interface Window {
  start: number;
  end: number;
}

const SENTENCE_END = new Set(['。', '；', '！', '？', ';', '!', '?', '\n']);
const CLAUSE_END = new Set(['，', '、', '：', ',', ':']);

/** @param chars the text as code points */
export function makeWindows(chars: readonly string[], maxLength: number): Window[] {
  if (maxLength < 2) throw new Error(`maxLength must be at least 2, got ${maxLength}`);
  const n = chars.length;
  const windows: Window[] = [];
  let start = 0;
  while (n - start > maxLength) {
    const end = cutPoint(chars, start, maxLength);
    windows.push({ start, end });
    start = end;
  }
  windows.push({ start, end: n });
  return windows;
}

function cutPoint(chars: readonly string[], start: number, maxLength: number): number {
  const earliest = start + Math.floor(maxLength / 4);
  for (const breaks of [SENTENCE_END, CLAUSE_END]) {
    for (let p = start + maxLength; p > earliest; p--) {
      if (breaks.has(chars[p - 1])) return p;
    }
  }
  return start + maxLength;
}
