import * as assert from 'node:assert/strict';
import { isBlank, isControl, isEdgeTrimmed, isLineBreak, trimSpan } from '../../src/core/charClass';

// Printed by Python 3.11: [c for c in range(0x110000) if len(('a' + chr(c) + 'b').splitlines()) == 2]
// and [c for c in range(0x110000) if chr(c).isspace()].
const PY_SPLITLINES = [0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x85, 0x2028, 0x2029];
const PY_ISSPACE = [
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006,
  0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
];

describe('character classes shared by the engine and the writers', () => {
  const all = (test: (ch: string) => boolean) => {
    const out: number[] = [];
    for (let cp = 0; cp <= 0x10ffff; cp++) if (test(String.fromCodePoint(cp))) out.push(cp);
    return out;
  };

  it("line breaks are exactly Python's str.splitlines() boundaries", () => {
    assert.deepEqual(all(isLineBreak), PY_SPLITLINES);
  });

  it("blanks are Python's str.isspace() plus U+FEFF (JavaScript's \\s)", () => {
    assert.deepEqual(
      all(isBlank),
      [...PY_ISSPACE, 0xfeff].sort((a, b) => a - b),
    );
  });

  it('controls are Cc; an entity edge is never a blank, line break or control', () => {
    assert.ok(isControl('\u0000') && isControl('\u001e') && isControl('\u009f') && !isControl(' ') && !isControl('病'));
    assert.ok(PY_SPLITLINES.every((cp) => isEdgeTrimmed(String.fromCodePoint(cp))));
    assert.deepEqual(trimSpan([...'\u001e 病\u0000\u2028'], 0, 5), [2, 3]);
    assert.deepEqual(trimSpan([...'\u001e\n'], 0, 2), [2, 2]);
  });
});
