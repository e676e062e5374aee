import * as assert from 'node:assert/strict';
import { decodeBuffer } from '../../src/core/decode';

const TEXT = '患者因“右上腹痛3天”入院。\r\n诊断：急性胆囊炎😀\n';

function utf16be(text: string): Buffer {
  return Buffer.from(text, 'utf16le').swap16();
}

describe('decodeBuffer', () => {
  it('decodes UTF-8 exactly, keeping CRLF', () => {
    assert.deepEqual(decodeBuffer(Buffer.from(TEXT, 'utf8')), { text: TEXT, encoding: 'utf-8' });
  });

  it('strips a UTF-8 BOM and reports utf-8-bom', () => {
    const buf = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(TEXT, 'utf8')]);
    assert.deepEqual(decodeBuffer(buf), { text: TEXT, encoding: 'utf-8-bom' });
  });

  it('keeps a second BOM as text', () => {
    const buf = Buffer.from('\uFEFF\uFEFFa', 'utf8');
    assert.deepEqual(decodeBuffer(buf), { text: '\uFEFFa', encoding: 'utf-8-bom' });
  });

  it('decodes UTF-16 LE and BE with a BOM', () => {
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(TEXT, 'utf16le')]);
    const be = Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(TEXT)]);
    assert.deepEqual(decodeBuffer(le), { text: TEXT, encoding: 'utf-16le' });
    assert.deepEqual(decodeBuffer(be), { text: TEXT, encoding: 'utf-16be' });
  });

  it('rejects UTF-16 with a truncated code unit', () => {
    const buf = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('ab', 'utf16le'), Buffer.from([0x41])]);
    assert.deepEqual(decodeBuffer(buf), { error: 'not valid utf-16le text' });
  });

  it('falls back to GB18030 for bytes that are not valid UTF-8', () => {
    // "胆囊炎\r\n" in GBK, which GB18030 includes.
    const buf = Buffer.from([0xb5, 0xa8, 0xc4, 0xd2, 0xd1, 0xd7, 0x0d, 0x0a]);
    assert.deepEqual(decodeBuffer(buf), { text: '胆囊炎\r\n', encoding: 'gb18030' });
  });

  it('decodes GB18030 four-byte sequences', () => {
    // U+20000 𠀀 is 0x95 0x32 0x82 0x36 in GB18030.
    const buf = Buffer.from([0xb8, 0xce, 0x95, 0x32, 0x82, 0x36]);
    assert.deepEqual(decodeBuffer(buf), { text: '肝𠀀', encoding: 'gb18030' });
  });

  it('reports bytes valid in neither UTF-8 nor GB18030', () => {
    assert.deepEqual(decodeBuffer(Buffer.from([0x41, 0xff, 0xff])), { error: 'not valid utf-8 or gb18030 text' });
  });

  it('reports invalid UTF-8 after a UTF-8 BOM', () => {
    assert.deepEqual(decodeBuffer(Buffer.from([0xef, 0xbb, 0xbf, 0xb5, 0xa8])), { error: 'not valid utf-8 text' });
  });

  it('calls a file with NUL bytes binary', () => {
    assert.deepEqual(decodeBuffer(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00])), {
      error: 'binary file',
    });
  });

  it('calls UTF-16 text containing U+0000 binary', () => {
    const buf = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('a\u0000b', 'utf16le')]);
    assert.deepEqual(decodeBuffer(buf), { error: 'binary file' });
  });

  it('calls text dominated by control characters binary but tolerates a few', () => {
    assert.deepEqual(decodeBuffer(Buffer.from('\x01\x02\x03\x04abc', 'latin1')), { error: 'binary file' });
    const fewControls = 'a\x1b'.concat('正常文本'.repeat(5));
    assert.deepEqual(decodeBuffer(Buffer.from(fewControls, 'utf8')), { text: fewControls, encoding: 'utf-8' });
  });

  it('decodes an empty file as empty UTF-8 text', () => {
    assert.deepEqual(decodeBuffer(Buffer.alloc(0)), { text: '', encoding: 'utf-8' });
  });
});
