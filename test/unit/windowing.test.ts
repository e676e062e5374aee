import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { makeWindows } from '../../src/core/windowing';
import { referenceWindows } from './reference';

// Lone surrogates count as one code point each, as Array.from and the tokenizer count them.
const text = fc
  .array(fc.constantFrom('病', '人', '，', '。', 'a', '\n', '😀', '\ud83d', '\ude00', '\r\n'), { maxLength: 400 })
  .map((parts) => parts.join(''));
const bounds = (t: string, maxLength: number) => makeWindows(t, maxLength).map(({ start, end }) => ({ start, end }));

describe('makeWindows', () => {
  it('keeps a text that fits in one window whole', () => {
    assert.deepEqual(makeWindows('患者无不适。', 256), [{ start: 0, end: 6, from: 0, to: 6 }]);
  });

  it('gives an empty text one empty window', () => {
    assert.deepEqual(makeWindows('', 256), [{ start: 0, end: 0, from: 0, to: 0 }]);
  });

  it('cuts after the last sentence end, even with a clause end after it', () => {
    const t = '甲'.repeat(20) + '。' + '乙'.repeat(5) + '，' + '丙'.repeat(20);
    assert.deepEqual(bounds(t, 32), [
      { start: 0, end: 21 },
      { start: 21, end: 47 },
    ]);
  });

  it('cuts after a clause end when no sentence ends in the last three quarters', () => {
    const t = '甲。' + '乙'.repeat(20) + '、' + '丙'.repeat(20);
    assert.deepEqual(bounds(t, 32)[0], { start: 0, end: 23 });
  });

  it('cuts at the full length when no punctuation lies in the last three quarters', () => {
    const t = '甲'.repeat(7) + '。' + '乙'.repeat(40);
    assert.deepEqual(bounds(t, 32)[0], { start: 0, end: 32 });
  });

  it('cuts as the training pipeline does (window_bounds in models/training/text.py)', () => {
    // Expected bounds printed by: python3 -c "import text; print(text.window_bounds(T, 16))" with T below.
    const t = '主诉：反复咳嗽3年，加重1周。查体：双肺呼吸音粗，可闻及湿啰音；心率88次/分。诊断：慢性支气管炎急性发作';
    assert.deepEqual(
      makeWindows(t, 16).map((w) => [w.start, w.end]),
      [
        [0, 15],
        [15, 25],
        [25, 40],
        [40, 53],
      ],
    );
  });

  it('partitions the text into windows of at most maxLength, with UTF-16 bounds of the same code points', () => {
    fc.assert(
      fc.property(text, fc.integer({ min: 8, max: 64 }), (t, maxLength) => {
        const chars = Array.from(t);
        const windows = makeWindows(t, maxLength);
        assert.equal(windows[0].start, 0);
        assert.equal(windows.at(-1)!.end, chars.length);
        windows.forEach((w, i) => {
          assert.ok(w.end - w.start <= maxLength);
          assert.ok(w.end > w.start || chars.length === 0);
          assert.equal(t.slice(w.from, w.to), chars.slice(w.start, w.end).join(''));
          if (windows[i + 1]) assert.equal(windows[i + 1].start, w.end);
        });
      }),
    );
  });

  it('cuts exactly where cutting the text split into code points did (property)', () => {
    fc.assert(
      fc.property(text, fc.integer({ min: 2, max: 40 }), (t, maxLength) =>
        assert.deepEqual(bounds(t, maxLength), referenceWindows(Array.from(t), maxLength)),
      ),
      { numRuns: 500 },
    );
  });
});
