import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseYidu, serializeYidu } from '../../src/core/formats/yidu';
import { codePoints } from '../../src/core/offsets';
import { fixturePath } from './support';

describe('Yidu-S4K format', () => {
  const content = readFileSync(fixturePath('yidu-sample.txt'), 'utf8');

  it('parses a file with a BOM, CRLF and blank lines, offsets in code points', () => {
    const records = parseYidu(content);
    assert.deepEqual(
      records.map((r) => [r.line, r.entities.length]),
      [
        [1, 3],
        [3, 3],
      ],
    );
    const surface = records.flatMap((r) => r.entities.map((e) => codePoints(r.text).slice(e.start, e.end).join('')));
    assert.deepEqual(surface, ['急性胆囊炎', '腹腔镜胆囊切除术', '头孢曲松', 'CT', '右肺上叶', '血常规']);
    assert.deepEqual(records[0]!.entities[0], { start: 4, end: 9, label: '疾病和诊断' });
  });

  it('serializes back to the same records, one line each, with overlap 0', () => {
    const records = parseYidu(content);
    const out = serializeYidu(records);
    assert.equal(out.split('\n').length, 3);
    assert.ok(out.endsWith('\n') && !out.startsWith('\uFEFF'));
    assert.deepEqual(JSON.parse(out.split('\n')[1]!), JSON.parse(content.split(/\r?\n/)[2]!));
    assert.deepEqual(
      parseYidu(out).map(({ text, entities }) => ({ text, entities })),
      records.map(({ text, entities }) => ({ text, entities })),
    );
  });

  it('reports the line of an invalid record', () => {
    const ok = JSON.stringify({ originalText: '发热', entities: [] });
    assert.throws(
      () => parseYidu(`${ok}\n\n{"originalText": 1, "entities": []}\n`),
      /^FormatError: line 3: record: "originalText" must be a string$/,
    );
    assert.throws(() => parseYidu(`${ok}\n{oops\n`), /line 2: invalid JSON/);
    assert.throws(() => parseYidu('[1]'), /line 1: record must be a JSON object/);
  });

  it('validates entity offsets in code points and labels', () => {
    const rec = (start: number, end: number, label = '药物') =>
      JSON.stringify({ originalText: '𠀀药', entities: [{ label_type: label, start_pos: start, end_pos: end, overlap: 0 }] });
    assert.deepEqual(parseYidu(rec(1, 2))[0]!.entities, [{ start: 1, end: 2, label: '药物' }]);
    assert.throws(() => parseYidu(rec(1, 3)), /entity 0: span 1\.\.3 is empty or outside the text \(length 2 code points\)/);
    assert.throws(() => parseYidu(rec(1, 1)), /empty or outside/);
    assert.throws(() => parseYidu(rec(-1, 1)), /empty or outside/);
    assert.throws(() => parseYidu(rec(0, 1.5)), /"end_pos" must be an integer/);
    assert.throws(() => parseYidu(rec(0, 1, '症状')), /unknown label_type "症状"/);
  });
});
