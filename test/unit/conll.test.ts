import * as assert from 'node:assert/strict';
import { escapeChar, parseConll, serializeConll } from '../../src/core/formats/conll';
import type { Entity } from '../../src/core/formats/jsonl';

// 😀0 急1 性2 \r3 \n4 炎5 ␠6 \t7 𠀀8 \n9 痛10
const TEXT = '😀急性\r\n炎 \t𠀀\n痛';
const ENTITIES: Entity[] = [
  { start: 0, end: 1, label: '药物', text: '😀', score: 1 },
  { start: 1, end: 6, label: '疾病和诊断', text: '急性\r\n炎', score: 1 },
  { start: 10, end: 11, label: '解剖部位', text: '痛', score: 1 },
];
const EXPECTED = [
  '-DOCSTART- notes/01.txt\tO',
  '',
  '😀\tB-药物',
  '急\tB-疾病和诊断',
  '性\tI-疾病和诊断',
  '<CR>\tI-疾病和诊断',
  '<LF>\tI-疾病和诊断', // no sentence break inside an entity
  '炎\tI-疾病和诊断',
  '<SP>\tO',
  '<TAB>\tO',
  '𠀀\tO',
  '<LF>\tO',
  '',
  '痛\tB-解剖部位',
  '',
  '-DOCSTART- ""\tO',
  '',
  '-DOCSTART- "  spaced "\tO',
  '',
  'a\tO',
  '<CR>\tO', // CRLF is one line break
  '<LF>\tO',
  '',
  '',
].join('\n');

describe('CoNLL format', () => {
  const docs = [
    { path: 'notes/01.txt', text: TEXT, entities: ENTITIES },
    { path: '', text: '', entities: [] },
    { path: '  spaced ', text: 'a\r\n', entities: [] },
  ];

  it('writes one escaped character and tag a line, sentences ending at line breaks, -DOCSTART- with the path', () => {
    assert.equal(serializeConll(docs), EXPECTED);
  });

  it('reads it back exactly, CRLF, astral characters and empty documents included', () => {
    assert.deepEqual(parseConll(serializeConll(docs)), docs);
  });

  it('writes English tags on request and reads both', () => {
    const out = serializeConll([docs[0]!], { labelNames: 'english' });
    assert.ok(out.includes('急\tB-disease\n性\tI-disease\n'));
    assert.deepEqual(parseConll(out), [docs[0]]);
  });

  it('escapes whitespace and control characters only', () => {
    assert.deepEqual(
      ['a', '<', '患', '😀', ' ', '\t', '\n', '\r', '\u3000', '\u00a0', '\u0001', '\ufeff', '\u2028', '\ud800'].map(escapeChar),
      ['a', '<', '患', '😀', '<SP>', '<TAB>', '<LF>', '<CR>', '<U+3000>', '<U+00A0>', '<U+0001>', '<U+FEFF>', '<U+2028>', '<U+D800>'],
    );
    const text = '<\u3000>\u0001';
    assert.deepEqual(parseConll(serializeConll([{ path: 'p', text, entities: [] }])), [{ path: 'p', text, entities: [] }]);
  });

  it('skips the later of two overlapping entities with a warning, and writes the rest', () => {
    const overlapping: Entity[] = [ENTITIES[1]!, { start: 2, end: 3, label: '药物', text: '性', score: 1 }, ENTITIES[2]!];
    const warnings: string[] = [];
    const out = serializeConll([{ path: 'x', text: TEXT, entities: overlapping }], { onWarning: (m) => warnings.push(m) });
    assert.deepEqual(warnings, ['conll: x: entity 2..3 "性" overlaps an earlier one, which CoNLL tags cannot carry: skipped']);
    assert.deepEqual(parseConll(out), [{ path: 'x', text: TEXT, entities: [ENTITIES[1], ENTITIES[2]] }]);
  });

  it('reads the space-separated form MedNER wrote before, and carries a record id in the -DOCSTART- line', () => {
    const old = ['-DOCSTART- notes/01.txt', '', '痛 B-解剖部位', '', '-DOCSTART- {odd', '', 'a O', ''].join('\n');
    assert.deepEqual(parseConll(old), [
      { path: 'notes/01.txt', text: '痛', entities: [{ start: 0, end: 1, label: '解剖部位', text: '痛', score: 1 }] },
      { path: '{odd', text: 'a', entities: [] },
    ]);
    const withId = [
      { path: 'r.csv:2', id: 'A 7', text: 'a', entities: [] },
      { path: 'r.csv:3', id: 8, text: 'b', entities: [] },
      { path: '{x', text: 'c', entities: [] },
    ];
    const out = serializeConll(withId);
    assert.ok(out.startsWith('-DOCSTART- {"path":"r.csv:2","id":"A 7"}\tO\n'), out);
    assert.ok(out.includes('-DOCSTART- "{x"\tO\n'), out);
    assert.deepEqual(parseConll(out), withId);
  });

  it('reads files of other tools: no -DOCSTART-, tabs, extra columns, BIOES/BMES, CRLF, a BOM', () => {
    const content =
      '\uFEFF患\tO\r\n急\tX\tB-疾病和诊断\r\n性\tE-疾病和诊断\r\n\r\n痛 S-anatomy\r\n头 B-drug\r\n孢 M-drug\r\n松 I-drug\r\n\r\n药 I-drug\r\n';
    assert.deepEqual(parseConll(content), [
      {
        path: '',
        text: '患急性痛头孢松药',
        entities: [
          { start: 1, end: 3, label: '疾病和诊断', text: '急性', score: 1 },
          { start: 3, end: 4, label: '解剖部位', text: '痛', score: 1 },
          { start: 4, end: 7, label: '药物', text: '头孢松', score: 1 },
          { start: 7, end: 8, label: '药物', text: '药', score: 1 }, // I- after a sentence break starts anew
        ],
      },
    ]);
    assert.deepEqual(parseConll('-DOCSTART- -X- -X- O\n\n甲 O\n'), [{ path: '', text: '甲', entities: [] }]);
  });

  it('maps or drops foreign types and reports bad lines with the file and line', () => {
    const content = '-DOCSTART- a\n\n头 B-DRUG_NAME\n孢 I-DRUG_NAME\n痛 B-SYMPTOM\n';
    assert.throws(() => parseConll(content, { file: 'f.conll' }), /^ImportError: f\.conll:3: unknown entity type "DRUG_NAME"; allowed:/);
    assert.deepEqual(parseConll(content, { labelMap: { DRUG_NAME: '药物', SYMPTOM: null } })[0]!.entities, [
      { start: 0, end: 2, label: '药物', text: '头孢', score: 1 },
    ]);
    assert.deepEqual(parseConll(content, { unknownTypes: 'skip' })[0]!.entities, []);
    assert.throws(() => parseConll('甲\n', { file: 'f' }), /^ImportError: f:1: want "<character> <tag>"/);
    assert.throws(() => parseConll('甲乙 O\n', { file: 'f' }), /f:1: token "甲乙" is neither one character nor an escape/);
    assert.throws(() => parseConll('<NL> O\n'), /token "<NL>"/);
    assert.throws(() => parseConll('甲 X-药物\n'), /:1: tag "X-药物" is not O or B-/);
    assert.throws(() => parseConll('-DOCSTART- "unterminated\n'), /not a JSON string/);
  });
});
