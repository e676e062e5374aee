import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Lexicon } from '../../src/core/lexicon';
import { loadModelMeta } from '../../src/core/model';
import { Tokenizer } from '../../src/core/tokenizer';
import { SHIPPED_MODEL, fixturePath } from './support';

interface Fixture {
  lexicon: string;
  types: string[];
  positions: string;
  maxTermLength: number;
  cases: { text: string; bits: number[] }[];
}

describe('Lexicon (dictionary features)', () => {
  const fixture = JSON.parse(readFileSync(fixturePath('lexicon-parity.json'), 'utf8')) as Fixture;
  const norm = loadModelMeta(SHIPPED_MODEL, false).normalization;
  const tok = new Tokenizer(loadModelMeta(SHIPPED_MODEL, false).vocab, norm);
  const make = (tsv: string) => new Lexicon(tsv, fixture, (cp) => tok.normalize(cp), new Set(norm.whitespace));

  it("matches Python's features on full-width, astral, whitespace and overlapping matches", () => {
    const lexicon = make(fixture.lexicon);
    assert.ok(fixture.cases.length >= 4);
    for (const c of fixture.cases) {
      assert.equal(Array.from(c.text).length, c.bits.length, c.text);
      assert.deepEqual([...lexicon.features(c.text)], c.bits, c.text);
    }
  });

  it('marks begin, middle, end and single per type', () => {
    const lexicon = make('胸\t解剖部位\n胆囊切除术\t手术\n');
    const t = fixture.types.length;
    const body = fixture.types.indexOf('解剖部位');
    const op = fixture.types.indexOf('手术');
    assert.deepEqual(
      [...lexicon.features('胸胆囊切除术')],
      [1 << (3 * t + body), 1 << op, 1 << (t + op), 1 << (t + op), 1 << (t + op), 1 << (2 * t + op)],
    );
  });

  it('computes the features of a slice between UTF-16 offsets', () => {
    const lexicon = make(fixture.lexicon);
    const text = fixture.cases[2].text;
    const whole = [...lexicon.features(text)];
    const from = text.indexOf('胸');
    assert.deepEqual([...lexicon.features(text, from)], whole.slice(Array.from(text.slice(0, from)).length));
  });

  it('refuses a type it does not know, naming the line', () => {
    assert.throws(() => make('胆囊\t解剖部位\n胃\t器官\n'), /^Error: line 2: unknown type "器官"$/);
  });
});
