import * as assert from 'node:assert/strict';
import { parseDoccano, serializeDoccano } from '../../src/core/formats/doccano';
import type { DocumentResult } from '../../src/core/formats/jsonl';

// Code points: 😀0 患1 者2 𠀀3 头4 孢5 \r6 \n7 痛8 ; UTF-16: 😀0-1 患2 者3 𠀀4-5 头6 孢7 \r8 \n9 痛10
const DOC: DocumentResult = {
  path: 'a/01.txt',
  encoding: 'utf-16le',
  text: '😀患者𠀀头孢\r\n痛',
  entities: [
    { start: 0, end: 1, label: '药物', text: '😀', score: 0.3 },
    { start: 3, end: 6, label: '药物', text: '𠀀头孢', score: 0.9 },
    { start: 8, end: 9, label: '解剖部位', text: '痛', score: 1 },
  ],
};
const gold = (doc: DocumentResult): DocumentResult => ({ ...doc, entities: doc.entities.map((e) => ({ ...e, score: 1 })) });

describe('doccano JSONL format', () => {
  it('writes UTF-16 offsets as doccano 1.x counts, with path and encoding as extra keys', () => {
    assert.equal(
      serializeDoccano([DOC]),
      '{"text":"😀患者𠀀头孢\\r\\n痛","label":[[0,2,"药物"],[4,8,"药物"],[10,11,"解剖部位"]],"path":"a/01.txt","encoding":"utf-16le"}\n',
    );
    assert.ok(
      serializeDoccano([DOC], { offsets: 'codepoint', labelNames: 'english' }).includes(
        '"label":[[0,1,"drug"],[3,6,"drug"],[8,9,"anatomy"]]',
      ),
    );
    assert.equal(serializeDoccano([]), '');
  });

  it('reads them back (scores are not carried: 1)', () => {
    assert.deepEqual(parseDoccano(serializeDoccano([DOC])), [gold(DOC)]);
    assert.deepEqual(parseDoccano(serializeDoccano([DOC], { offsets: 'codepoint' }), { offsets: 'codepoint' }), [gold(DOC)]);
  });

  it('leaves out empty documents, which doccano refuses ("Invalid data in line N"), with a warning naming each', () => {
    const empty = { ...DOC, path: 'a/empty.txt', text: '', entities: [] };
    const warnings: string[] = [];
    const out = serializeDoccano([empty, DOC, empty], { onWarning: (m) => warnings.push(m) });
    assert.equal(out, serializeDoccano([DOC]));
    assert.deepEqual(warnings, [
      'doccano: a/empty.txt: an empty document, which doccano refuses: left out',
      'doccano: a/empty.txt: an empty document, which doccano refuses: left out',
    ]);
    // What doccano's TextData validator takes: every line's text is a non-empty string.
    for (const line of out.trim().split('\n')) assert.ok((JSON.parse(line) as { text: string }).text.length > 0);
  });

  it('writes a record id as "id", which doccano keeps as metadata and exports back as the example\'s "id"', () => {
    const out = serializeDoccano([{ ...DOC, id: 'A-7' }]);
    assert.ok(out.endsWith(',"encoding":"utf-16le","id":"A-7"}\n'), out);
    assert.equal(parseDoccano(out)[0]!.id, 'A-7');
    // doccano's export: {"id": <its own>, "text", ...meta}: meta's id wins.
    const exported = JSON.stringify({ id: 'A-7', text: DOC.text, path: 'a/01.txt', label: [] });
    assert.equal(parseDoccano(exported)[0]!.id, 'A-7');
  });

  it("reads doccano's own exports: Comments ignored, path from meta, relation-project entities", () => {
    const lines = [
      JSON.stringify({
        id: 7,
        text: DOC.text,
        label: [
          [10, 11, 'anatomy'],
          [0, 2, 'DRUG'],
        ],
        Comments: [],
        meta: { path: 'm.txt' },
      }),
      '',
      JSON.stringify({ id: 8, text: '头孢', entities: [{ id: 1, start_offset: 0, end_offset: 2, label: '药物' }], relations: [] }),
      JSON.stringify({ text: 'x' }),
    ].join('\r\n');
    const docs = parseDoccano(lines, { file: 'export.jsonl', labelMap: { DRUG: '药物' } });
    assert.deepEqual(
      docs.map((d) => [d.path, d.encoding, d.entities.map((e) => [e.start, e.end, e.label, e.text])]),
      [
        [
          'm.txt',
          undefined,
          [
            [0, 1, '药物', '😀'],
            [8, 9, '解剖部位', '痛'],
          ],
        ],
        ['export.jsonl:3', undefined, [[0, 2, '药物', '头孢']]],
        ['export.jsonl:4', undefined, []],
      ],
    );
  });

  it('reports offsets that split a surrogate pair or leave the text, and unknown types, with the line', () => {
    const line = (label: unknown[]) => JSON.stringify({ text: DOC.text, label });
    assert.throws(
      () => parseDoccano(`\n${line([[1, 3, '药物']])}`),
      /line 2: span 0: span 1\.\.3 splits a character in two .*offsets: 'codepoint'/,
    );
    assert.throws(() => parseDoccano(line([[0, 12, '药物']])), /span 0\.\.12 is empty or outside the text \(length 11 UTF-16 units\)/);
    assert.throws(() => parseDoccano(line([[0, 10, '药物']]), { offsets: 'codepoint' }), /length 9 code points/);
    assert.throws(() => parseDoccano(line([[0, 2, 'SYMPTOM']])), /line 1: span 0: unknown entity type "SYMPTOM"/);
    assert.deepEqual(parseDoccano(line([[0, 2, 'SYMPTOM']]), { unknownTypes: 'skip' })[0]!.entities, []);
    assert.throws(() => parseDoccano(line(['positive'])), /want \[start, end, "TYPE"\]/);
    assert.throws(() => parseDoccano('{"label": []}'), /line 1: document: "text" must be a string/);
  });
});
