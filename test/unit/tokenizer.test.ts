import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { loadModelMeta } from '../../src/core/model';
import { type Normalization, Tokenizer } from '../../src/core/tokenizer';
import { modelDirs } from './support';

const NORM: Normalization = {
  unit: 'codepoint',
  fullwidthAscii: { from: 0xff01, to: 0xff5e, offset: 0xfee0 },
  lowercaseAscii: true,
  whitespace: [0x09, 0x0a, 0x0d, 0x20, 0x3000],
  spaceToken: '[SPACE]',
  unknownToken: '[UNK]',
  padToken: '[PAD]',
};
const VOCAB = ['[PAD]', '[UNK]', '[SPACE]', '[MASK]', 'a', 'c', 't', '1', '病', '😀', ':'];

describe('Tokenizer', () => {
  const tok = new Tokenizer(VOCAB, NORM);

  it('maps full-width ASCII and upper case to the training vocabulary', () => {
    assert.deepEqual([...tok.encode('ＣＴ１ct:：')], [5, 6, 7, 5, 6, 10, 10]);
  });

  it('gives every whitespace code point, CR and LF included, the space token', () => {
    assert.deepEqual([...tok.encode('\r\n \t\u3000')], [2, 2, 2, 2, 2]);
  });

  it('gives an astral character one id, and unknown characters the unknown id', () => {
    assert.deepEqual([...tok.encode('😀𠀀病x')], [9, 1, 8, 1]);
  });

  it('refuses a vocabulary without its special tokens', () => {
    assert.throws(() => new Tokenizer(['[PAD]', 'a'], NORM), /\[UNK\]/);
  });

  for (const dir of modelDirs()) {
    it(`matches Python's ids on the parity texts of ${path.basename(dir)}`, () => {
      const meta = loadModelMeta(dir, false);
      const shipped = new Tokenizer(meta.vocab, meta.normalization);
      const { cases } = JSON.parse(readFileSync(path.join(dir, 'parity.json'), 'utf8')) as { cases: { text: string; ids: number[] }[] };
      assert.ok(cases.length >= 3);
      for (const c of cases) assert.deepEqual([...shipped.encode(c.text)], c.ids, c.text);
    });
  }
});
