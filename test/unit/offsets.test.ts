import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { codePoints, codeUnits, countCodePoints, cutAtOrBefore, nextCodePoint, OffsetMap } from '../../src/core/offsets';

describe('OffsetMap', () => {
  it('is the identity for BMP-only text, CRLF included', () => {
    const text = '患者\r\n发热3天';
    const map = new OffsetMap(text);
    assert.equal(map.codePointLength, text.length);
    assert.equal(map.utf16Length, text.length);
    for (let i = 0; i <= text.length; i++) {
      assert.equal(map.toUtf16(i), i);
      assert.equal(map.toCodePoint(i), i);
    }
  });

  it('handles the empty string', () => {
    const map = new OffsetMap('');
    assert.equal(map.codePointLength, 0);
    assert.equal(map.toUtf16(0), 0);
    assert.equal(map.toCodePoint(0), 0);
    assert.throws(() => map.toUtf16(1), RangeError);
    assert.throws(() => map.toCodePoint(1), RangeError);
  });

  it('counts an astral character as one code point and two UTF-16 units', () => {
    const text = 'a𠀀b😀😀c';
    const map = new OffsetMap(text);
    assert.equal(map.codePointLength, 6);
    assert.equal(map.utf16Length, 9);
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5, 6].map((cp) => map.toUtf16(cp)),
      [0, 1, 3, 4, 6, 8, 9],
    );
    assert.deepEqual(
      [0, 1, 3, 4, 6, 8, 9].map((u) => map.toCodePoint(u)),
      [0, 1, 2, 3, 4, 5, 6],
    );
  });

  it('throws on a UTF-16 offset inside a surrogate pair unless asked to snap', () => {
    const map = new OffsetMap('x😀y');
    assert.throws(() => map.toCodePoint(2), /splits a surrogate pair/);
    assert.equal(map.toCodePoint(2, 'floor'), 1);
    assert.equal(map.toCodePoint(2, 'ceil'), 2);
  });

  it('treats a lone surrogate as one code point, as string iteration does', () => {
    const text = 'a\ud800b\udc00';
    const map = new OffsetMap(text);
    assert.equal(map.codePointLength, codePoints(text).length);
    assert.equal(map.codePointLength, 4);
    assert.equal(map.toUtf16(3), 3);
  });

  it('rejects out-of-range and non-integer offsets', () => {
    const map = new OffsetMap('ab');
    assert.throws(() => map.toUtf16(-1), RangeError);
    assert.throws(() => map.toUtf16(3), RangeError);
    assert.throws(() => map.toUtf16(0.5), RangeError);
    assert.throws(() => map.toCodePoint(3), RangeError);
  });

  it('round-trips every code-point offset and agrees with string slicing (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        const map = new OffsetMap(text);
        const cps = codePoints(text);
        assert.equal(map.codePointLength, cps.length);
        for (let cp = 0; cp <= cps.length; cp++) {
          const u = map.toUtf16(cp);
          assert.equal(map.toCodePoint(u), cp);
          assert.equal(text.slice(0, u), cps.slice(0, cp).join(''));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('maps every UTF-16 offset to the code point boundary at or around it (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        const map = new OffsetMap(text);
        for (let u = 0; u <= text.length; u++) {
          const floor = map.toCodePoint(u, 'floor');
          const ceil = map.toCodePoint(u, 'ceil');
          assert.ok(map.toUtf16(floor) <= u && u <= map.toUtf16(ceil));
          assert.ok(ceil - floor <= 1);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("OffsetMap on the fault fixtures' characters", () => {
  // Line endings of every kind, emoji (a ZWJ sequence, a flag, a skin tone), CJK Extension B,
  // zero-width and BOM characters, full-width forms: what a decoded record may hold.
  const units = fc.constantFrom(
    '病',
    'a',
    '\r\n',
    '\r',
    '\n',
    '😀',
    '👨\u200d⚕️',
    '🇨🇳',
    '\u{1F3FB}',
    '𠀀',
    '\u200b',
    '\ufeff',
    'Ｃ',
    '\u3000',
  );

  it('maps an entity range to UTF-16 and back unchanged, slicing the same text (property)', () => {
    fc.assert(
      fc.property(fc.array(units, { maxLength: 60 }), fc.nat(), fc.nat(), (parts, x, y) => {
        const text = parts.join('');
        const chars = codePoints(text);
        const map = new OffsetMap(text);
        const start = x % (chars.length + 1);
        const end = start + (y % (chars.length - start + 1));
        const [u0, u1] = [map.toUtf16(start), map.toUtf16(end)];
        assert.deepEqual([map.toCodePoint(u0), map.toCodePoint(u1)], [start, end]);
        assert.equal(text.slice(u0, u1), chars.slice(start, end).join(''));
      }),
      { numRuns: 500 },
    );
  });

  it('counts CR and LF as two code points each way, so an offset between them is a boundary (property)', () => {
    fc.assert(
      fc.property(fc.array(units, { maxLength: 60 }), (parts) => {
        const text = parts.join('');
        const map = new OffsetMap(text);
        for (let u = text.indexOf('\r\n'); u >= 0; u = text.indexOf('\r\n', u + 1)) {
          const cp = map.toCodePoint(u + 1);
          assert.equal(map.toUtf16(cp), u + 1);
          assert.equal(codePoints(text)[cp], '\n');
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('codePoints', () => {
  it('splits astral characters as single elements', () => {
    assert.deepEqual(codePoints('肝𠀀😀\r\n'), ['肝', '𠀀', '😀', '\r', '\n']);
    assert.deepEqual(codePoints(''), []);
  });
});

describe('walking and cutting text by code points', () => {
  // Lone surrogates included: string iteration takes each as one code point.
  const text = fc
    .array(fc.constantFrom('病', 'a', '😀', '𠀀', '\ud83d', '\ude00', '\r\n'), { maxLength: 40 })
    .map((parts) => parts.join(''));

  it('steps, measures and counts as Array.from splits (property)', () => {
    fc.assert(
      fc.property(text, (t) => {
        const steps: string[] = [];
        for (let i = 0; i < t.length; i = nextCodePoint(t, i)) {
          steps.push(t.slice(i, nextCodePoint(t, i)));
          assert.equal(codeUnits(t.codePointAt(i)!), nextCodePoint(t, i) - i);
        }
        assert.deepEqual(steps, Array.from(t));
        assert.equal(countCodePoints(t), Array.from(t).length);
      }),
      { numRuns: 300 },
    );
  });

  it('never cuts between the halves of a pair, and moves a cut by at most one unit', () => {
    assert.equal(cutAtOrBefore('a😀b', 2), 1);
    assert.equal(cutAtOrBefore('a😀b', 3), 3);
    assert.equal(cutAtOrBefore('a😀', 3), 3);
    fc.assert(
      fc.property(text, fc.nat(), (t, n) => {
        const i = n % (t.length + 1);
        const cut = cutAtOrBefore(t, i);
        assert.ok(cut === i || cut === i - 1);
        const pieces = [t.slice(0, cut), t.slice(cut)];
        assert.deepEqual(
          pieces.flatMap((p) => Array.from(p)),
          Array.from(t),
        );
      }),
      { numRuns: 300 },
    );
  });
});
