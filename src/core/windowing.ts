/**
 * Long texts are cut into overlapping windows of at most `maxLength` code points. Each position is
 * owned by exactly one window (the overlap is split in the middle), so every entity is decided by a
 * window that sees context on both sides of it, and none is lost or doubled at a window edge.
 */

export interface Window {
  start: number;
  end: number;
  /** Positions [ownStart, ownEnd) are decided by this window. */
  ownStart: number;
  ownEnd: number;
}

const BREAK_AFTER = new Set(['。', '；', '！', '？', ';', '!', '?', '\n', '，', '、', '：', ',', ':']);

/**
 * @param chars the text as code points
 * @param overlap the least context shared by neighbouring windows
 */
export function makeWindows(chars: readonly string[], maxLength: number, overlap = Math.floor(maxLength / 4)): Window[] {
  const n = chars.length;
  if (maxLength < 2) throw new Error(`maxLength must be at least 2, got ${maxLength}`);
  overlap = Math.min(overlap, Math.floor(maxLength / 2));
  const windows: Window[] = [];
  let start = 0;
  for (;;) {
    const end = Math.min(n, start + maxLength);
    windows.push({ start, end, ownStart: 0, ownEnd: 0 });
    if (end >= n) break;
    start = nextStart(chars, start, end, maxLength, overlap);
  }
  for (let i = 0; i < windows.length; i++) {
    const w = windows[i];
    const prev = windows[i - 1];
    const next = windows[i + 1];
    w.ownStart = prev ? prev.ownEnd : 0;
    w.ownEnd = next ? Math.floor((next.start + w.end) / 2) : n;
  }
  return windows;
}

/** The next window starts just after punctuation when some lies in the allowed range, so it reads like a sentence start. */
function nextStart(chars: readonly string[], start: number, end: number, maxLength: number, overlap: number): number {
  const latest = end - overlap;
  const earliest = Math.max(start + 1, end - Math.floor(maxLength / 2));
  for (let p = latest; p >= earliest; p--) {
    if (BREAK_AFTER.has(chars[p - 1])) return p;
  }
  return Math.max(latest, start + 1);
}
