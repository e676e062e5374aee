import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { makeWindows } from '../../src/core/windowing';

const text = fc.array(fc.constantFrom('病', '人', '，', '。', 'a', '\n', '😀'), { maxLength: 400 });

describe('makeWindows', () => {
  it('keeps a text that fits in one window whole', () => {
    assert.deepEqual(makeWindows(Array.from('患者无不适。'), 256), [{ start: 0, end: 6, ownStart: 0, ownEnd: 6 }]);
  });

  it('gives an empty text one empty window', () => {
    assert.deepEqual(makeWindows([], 256), [{ start: 0, end: 0, ownStart: 0, ownEnd: 0 }]);
  });

  it('starts the next window just after punctuation in the overlap', () => {
    const chars = Array.from('甲'.repeat(20) + '。' + '乙'.repeat(20));
    const [first, second] = makeWindows(chars, 32, 8);
    assert.deepEqual(first, { start: 0, end: 32, ownStart: 0, ownEnd: 26 });
    assert.equal(second.start, 21);
  });

  it('covers every position with bounded windows whose owned parts partition the text', () => {
    fc.assert(
      fc.property(text, fc.integer({ min: 8, max: 64 }), (chars, maxLength) => {
        const windows = makeWindows(chars, maxLength);
        const overlap = Math.floor(maxLength / 4);
        assert.equal(windows[0].start, 0);
        assert.equal(windows[0].ownStart, 0);
        assert.equal(windows.at(-1)!.end, chars.length);
        assert.equal(windows.at(-1)!.ownEnd, chars.length);
        windows.forEach((w, i) => {
          assert.ok(w.end - w.start <= maxLength);
          assert.ok(w.start <= w.ownStart && w.ownStart <= w.ownEnd && w.ownEnd <= w.end);
          const next = windows[i + 1];
          if (next) {
            assert.equal(next.ownStart, w.ownEnd);
            assert.ok(next.start > w.start, 'windows advance');
            // Owned positions keep context on both sides: no decision is made at a window edge.
            assert.ok(w.end - w.ownEnd >= Math.floor(overlap / 2));
            assert.ok(next.ownStart - next.start >= Math.floor(overlap / 2));
          }
        });
      }),
    );
  });
});
