import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import type * as vscode from 'vscode';
import type { Entity } from '../../src/core/engine';
import { EditorOffsets, findAt, place, type Placed, shift, toCodePointRange } from '../../src/extension/ranges';

const entity = (start: number, end: number, text: string): Entity => ({ start, end, text, label: '药物', score: 0.9 });

function change(rangeOffset: number, rangeLength: number, text: string): vscode.TextDocumentContentChangeEvent {
  // Only the offset fields matter to shift(); the range is VS Code's redundant line/column view of them.
  return { rangeOffset, rangeLength, text, range: undefined as unknown as vscode.Range };
}

describe('extension offset boundary', () => {
  it('places code-point entities at UTF-16 offsets past astral characters and CRLF', () => {
    const text = '😀𠀀\r\n阿司匹林';
    const [p] = place(text, [entity(4, 8, '阿司匹林')]);
    assert.deepEqual([p.start, p.end], [6, 10]);
    assert.equal(text.slice(p.start, p.end), '阿司匹林');
  });

  it('converts a UTF-16 range back to code points, widening a split surrogate pair', () => {
    assert.deepEqual(toCodePointRange('a😀b', 2, 4), { start: 1, end: 3 });
    assert.deepEqual(toCodePointRange('a😀b', 1, 3), { start: 1, end: 2 });
  });

  it('takes a cursor inside a surrogate pair to the character it is in', () => {
    const offsets = new EditorOffsets('a😀b');
    assert.deepEqual(
      [0, 1, 2, 3, 4].map((u) => offsets.toCodePoint(u)),
      [0, 1, 1, 2, 3],
    );
    assert.equal(offsets.codePointLength, 3);
    assert.deepEqual(offsets.toUtf16({ start: 1, end: 3 }), { start: 1, end: 4 });
  });

  it('always lands on the entity text (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', '病', '😀', '\r\n', '𠀀'), { maxLength: 40 }), fc.nat(), fc.nat(), (parts, x, y) => {
        const text = parts.join('');
        const chars = Array.from(text);
        if (!chars.length) return;
        const start = x % chars.length;
        const end = start + 1 + (y % (chars.length - start));
        const [p] = place(text, [entity(start, end, chars.slice(start, end).join(''))]);
        assert.equal(text.slice(p.start, p.end), p.entity.text);
      }),
    );
  });

  describe('shift', () => {
    const placed: Placed[] = [
      { entity: entity(0, 2, 'ab'), start: 0, end: 2 },
      { entity: entity(5, 8, 'fgh'), start: 5, end: 8 },
    ];

    it('keeps entities before an edit, moves those after, and drops those it touches', () => {
      assert.deepEqual(
        shift(placed, [change(3, 1, 'XYZ')]).map((p) => [p.start, p.end]),
        [
          [0, 2],
          [7, 10],
        ],
      );
      assert.deepEqual(
        shift(placed, [change(6, 0, 'X')]).map((p) => [p.start, p.end]),
        [[0, 2]],
      );
      assert.deepEqual(
        shift(placed, [change(1, 5, '')]).map((p) => [p.start, p.end]),
        [],
      );
    });

    it('treats typing right after or right before an entity as outside it', () => {
      assert.deepEqual(
        shift(placed, [change(2, 0, 'x')]).map((p) => [p.start, p.end]),
        [
          [0, 2],
          [6, 9],
        ],
      );
      assert.deepEqual(
        shift(placed, [change(5, 0, 'x')]).map((p) => [p.start, p.end]),
        [
          [0, 2],
          [6, 9],
        ],
      );
    });

    it('applies several changes of one event, last position first as VS Code sends them', () => {
      assert.deepEqual(
        shift(placed, [change(9, 0, '..'), change(3, 0, '。')]).map((p) => [p.start, p.end]),
        [
          [0, 2],
          [6, 9],
        ],
      );
    });
  });

  it('finds the entity under a UTF-16 offset', () => {
    const placed = place('ab阿司匹林cd头孢', [entity(2, 6, '阿司匹林'), entity(8, 10, '头孢')]);
    assert.equal(findAt(placed, 1), undefined);
    assert.equal(findAt(placed, 2)?.entity.text, '阿司匹林');
    assert.equal(findAt(placed, 5)?.entity.text, '阿司匹林');
    assert.equal(findAt(placed, 6), undefined);
    assert.equal(findAt(placed, 9)?.entity.text, '头孢');
    assert.equal(findAt(placed, 10), undefined);
    assert.equal(findAt([], 0), undefined);
  });
});
