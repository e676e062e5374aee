import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { writeExportFiles } from '../../src/core/exportWriter';
import { parseBrat, serializeBrat } from '../../src/core/formats/brat';
import { readAnnotations } from '../../src/core/formats/detect';
import { loadFile } from '../../src/core/inputs';
import type { DocumentResult, Entity } from '../../src/core/formats/jsonl';
import { FORMATS } from '../../src/core/formats/registry';
import type { YiduLabel } from '../../src/core/labels';
import { bratReadCollection } from './bratServer';
import { ROOT } from './support';

// 胆0 囊1 炎2 😀3 伴4 \r5 \n6 𠀀7 腹8 痛9 ，10 予11 头12 孢13 曲14 松15
const TEXT = '胆囊炎😀伴\r\n𠀀腹痛，予头孢曲松';
const ENTITIES: Entity[] = [
  { start: 0, end: 3, label: '疾病和诊断', text: '胆囊炎', score: 1 },
  { start: 4, end: 10, label: '解剖部位', text: '伴\r\n𠀀腹痛', score: 1 },
  { start: 12, end: 16, label: '药物', text: '头孢曲松', score: 1 },
];
const ANN = ['T1\t疾病和诊断 0 3\t胆囊炎', 'T2\t解剖部位 4 5;7 10\t伴 𠀀腹痛', 'T3\t药物 12 16\t头孢曲松', ''].join('\n');

describe('brat standoff format', () => {
  it('writes the text itself and one T line per entity, offsets in code points, line breaks as fragments', () => {
    const { txt, ann } = serializeBrat({ text: TEXT, entities: ENTITIES });
    assert.equal(txt, TEXT);
    assert.equal(ann, ANN);
  });

  it('writes English type names on request', () => {
    const { ann } = serializeBrat({ text: TEXT, entities: ENTITIES }, { labelNames: 'english' });
    assert.equal(ann.split('\n')[0], 'T1\tdisease 0 3\t胆囊炎');
    assert.equal(ann.split('\n')[2], 'T3\tdrug 12 16\t头孢曲松');
  });

  it('reads T lines back, joining fragments split only by line breaks, and skips other lines', () => {
    const ann = [
      '#1\tAnnotatorNotes T1\tcheck',
      'T3\tdrug 12 16\t头孢曲松',
      '',
      'R1\tRel Arg1:T1 Arg2:T3\t',
      'A1\tNegated T1',
      'E1\tev:T1',
      'T2\t解剖部位 4 5;7 10\t伴 𠀀腹痛',
      'T1\tDisease 0 3\t胆囊炎',
    ].join('\r\n');
    assert.deepEqual(parseBrat(TEXT, ann), ENTITIES);
    assert.deepEqual(parseBrat(TEXT, ANN), ENTITIES);
    assert.deepEqual(parseBrat('', ''), []);
  });

  it('keeps tabs inside a mention and accepts an entity covering the whole text', () => {
    const text = 'a\tb';
    const ann = serializeBrat({ text, entities: [{ start: 0, end: 3, label: '手术', text, score: 0.5 }] }).ann;
    assert.equal(ann, 'T1\t手术 0 3\ta\tb\n');
    assert.deepEqual(parseBrat(text, ann), [{ start: 0, end: 3, label: '手术', text, score: 1 }]);
  });

  it("splits at every line break Python's splitlines() knows, runs of them included", () => {
    const text = 'ab\u2028cd\n\n\re';
    const doc = { text, entities: [{ start: 0, end: 9, label: '手术' as const, text, score: 1 }] };
    const { ann } = serializeBrat(doc);
    assert.equal(ann, 'T1\t手术 0 2;3 5;8 9\tab cd e\n');
    assert.deepEqual(parseBrat(text, ann), doc.entities);
  });

  it('writes an entity that starts or ends with line breaks without them, skips one of only line breaks, and warns of each', () => {
    const at = (text: string, start: number, end: number): Entity => ({
      start,
      end,
      label: '手术',
      text: [...text].slice(start, end).join(''),
      score: 1,
    });
    // The entity that stopped a whole export: U+001E (a splitlines() break) before 毕II式远端胃.
    const text = '行\u001e毕II式远端胃\r\n切除术';
    const warnings: string[] = [];
    const { ann } = serializeBrat(
      { path: 'op.txt', text, entities: [at(text, 1, 9), at(text, 9, 11), at(text, 2, 14)] },
      { onWarning: (m) => warnings.push(m) },
    );
    assert.equal(ann, 'T1\t手术 2 9\t毕II式远端胃\nT2\t手术 2 9;11 14\t毕II式远端胃 切除术\n');
    assert.deepEqual(warnings, [
      'brat: op.txt: entity 1..9 "\\u001e毕II式远端胃" starts or ends with a line break, which a brat mention cannot hold: written as 2..9',
      'brat: op.txt: entity 9..11 "\\r\\n" is only line breaks, which a brat mention cannot hold: skipped',
    ]);
    assert.deepEqual(parseBrat(text, ann), [
      { ...at(text, 2, 9), score: 1 },
      { ...at(text, 2, 14), score: 1 },
    ]);
  });

  it('exports the other documents whole when one holds entities brat cannot show', () => {
    const good: DocumentResult = { path: 'a.txt', encoding: 'utf-8', text: '胆囊炎', entities: [ENTITIES[0]!] };
    const bad: DocumentResult = {
      path: 'b.txt',
      encoding: 'utf-8',
      text: '\u001c\n',
      entities: [{ start: 0, end: 2, label: '药物', text: '\u001c\n', score: 0.5 }],
    };
    const warnings: string[] = [];
    const files = FORMATS.brat.export([bad, good], { onWarning: (m) => warnings.push(m) });
    assert.deepEqual(
      files.map((f) => [f.relativePath, f.content]),
      [
        ['b.txt', '\u001c\n'],
        ['b.ann', ''],
        ['a.txt', '胆囊炎'],
        ['a.ann', 'T1\t疾病和诊断 0 3\t胆囊炎\n'],
      ],
    );
    assert.equal(warnings.length, 1);
  });

  it("joins the fragments brat's own annotator writes for a selection across lines (split at \\n, blanks stripped)", () => {
    // server/src/annotator.py splits "腹痛 \r\n 伴" at each \n and strips each piece: 0 2;6 7.
    const text = '腹痛 \r\n 伴呕吐';
    assert.deepEqual(parseBrat(text, 'T1\tDisease 0 2;6 7\t腹痛 伴\n'), [
      { start: 0, end: 7, label: '疾病和诊断', text: '腹痛 \r\n 伴', score: 1 },
    ]);
  });

  it('reports mismatches and malformed lines with the file and line', () => {
    assert.throws(
      () => parseBrat(TEXT, 'T1\t药物 0 3\t胆囊\n', { annPath: 'a.ann' }),
      /^ImportError: a\.ann:1: T1: mention "胆囊" differs from the text's "胆囊炎" at 0 3$/,
    );
    assert.throws(
      () => parseBrat(TEXT, `${ANN}T4\t药物 15 17\t松\n`),
      /\.ann:4: T4: span 15\.\.17 is empty or outside the text \(length 16/,
    );
    assert.throws(() => parseBrat(TEXT, 'T1 药物 0 3 胆囊炎'), /:1: malformed text-bound annotation/);
    assert.throws(() => parseBrat(TEXT, 'T1\t药物\t胆囊炎'), /T1: no offsets/);
    assert.throws(() => parseBrat(TEXT, 'T1\t药物 0 1;2 3\t胆 炎'), /T1: discontinuous annotation 0 1;2 3 has no continuous equivalent/);
  });

  it('maps foreign types with labelMap (null drops), skips unknown ones on request, and otherwise lists ours', () => {
    const ann = 'T1\tDRUG_NAME 12 16\t头孢曲松\nT2\tSYMPTOM 8 10\t腹痛\n';
    assert.throws(
      () => parseBrat(TEXT, ann),
      /:1: unknown entity type "DRUG_NAME"; allowed: 疾病和诊断 \(disease\), 解剖部位 \(anatomy\), 药物 \(drug\), 实验室检验 \(lab\), 手术 \(operation\), 影像检查 \(imaging\); map it with labelMap/,
    );
    const labelMap = { DRUG_NAME: '药物', SYMPTOM: null } as const;
    assert.deepEqual(parseBrat(TEXT, ann, { labelMap }), [ENTITIES[2]]);
    assert.deepEqual(parseBrat(TEXT, ann, { labelMap: { SYMPTOM: '疾病和诊断' }, unknownTypes: 'skip' }), [
      { start: 8, end: 10, label: '疾病和诊断', text: '腹痛', score: 1 },
    ]);
  });

  it('pairs .txt, .ann and .medner.json by name in the registry: UTF-8 text, the source encoding and path beside it', () => {
    const doc: DocumentResult = {
      path: 'notes\\01.txt',
      encoding: 'gb18030',
      text: TEXT,
      entities: ENTITIES.map((e) => ({ ...e, score: 0.4 })),
    };
    const files = FORMATS.brat.export([doc, { ...doc, path: 'notes/01.md', text: '', entities: [] }]);
    assert.deepEqual(
      files.map((f) => [f.relativePath, f.encoding, f.document]),
      [
        ['notes/01.txt', undefined, 0],
        ['notes/01.ann', undefined, 0],
        ['notes/01.medner.json', undefined, 0],
        ['notes/01-2.txt', undefined, 1],
        ['notes/01-2.ann', undefined, 1],
        ['notes/01-2.medner.json', undefined, 1],
      ],
    );
    assert.equal(files[2]!.content, '{"path":"notes\\\\01.txt","encoding":"gb18030"}\n');
    const back = FORMATS.brat.import([...files, { relativePath: 'annotation.conf', content: '[entities]' }]);
    assert.deepEqual(back[0], { ...doc, entities: ENTITIES });
    assert.deepEqual(back[1], { path: 'notes/01.md', encoding: 'gb18030', text: '', entities: [] });
    // A UTF-8 document whose path is its file's needs no .medner.json; without one a .txt is UTF-8.
    assert.deepEqual(
      FORMATS.brat.export([{ path: 'a.txt', encoding: 'utf-8', text: 'x', entities: [] }]).map((f) => f.relativePath),
      ['a.txt', 'a.ann'],
    );
    assert.equal(FORMATS.brat.import([{ relativePath: 'a.txt', content: 'x' }])[0]!.encoding, 'utf-8');
    assert.throws(() => FORMATS.brat.import([{ relativePath: 'x.ann', content: '' }]), /x\.ann: no x\.txt beside it/);
    // A record's id names the files and comes back.
    const record = FORMATS.brat.export([{ path: 'r.csv:2', id: 'A/7', encoding: 'utf-8', text: 'x', entities: [] }]);
    assert.deepEqual(
      record.map((f) => f.relativePath),
      ['A/7.txt', 'A/7.ann', 'A/7.medner.json'],
    );
    assert.equal(FORMATS.brat.import(record)[0]!.id, 'A/7');
  });

  describe('on the Tianchi drug corpus (real brat files)', function () {
    const dir = process.env.MEDNER_DATA
      ? path.join(process.env.MEDNER_DATA, 'tianchi-drug')
      : path.join(ROOT, '..', 'shared', 'data', 'tianchi-drug');
    const TYPES = [
      'DISEASE',
      'DISEASE_GROUP',
      'DRUG',
      'DRUG_DOSAGE',
      'DRUG_EFFICACY',
      'DRUG_GROUP',
      'DRUG_INGREDIENT',
      'DRUG_TASTE',
      'FOOD',
      'FOOD_GROUP',
      'PERSON_GROUP',
      'SYMPTOM',
      'SYNDROME',
    ];
    let corpus: { name: string; text: string; ann: string }[] = [];

    before(function () {
      if (!existsSync(dir)) this.skip();
      corpus = readdirSync(dir)
        .filter((f) => f.endsWith('.txt'))
        .map((f) => ({
          name: f,
          text: readFileSync(path.join(dir, f), 'utf8'),
          ann: readFileSync(path.join(dir, f.replace(/\.txt$/, '.ann')), 'utf8'),
        }));
    });

    it('parses all 1000 documents with every type mapped or dropped, each mention matching its text', () => {
      assert.equal(corpus.length, 1000);
      const labelMap: Record<string, YiduLabel | null> = Object.fromEntries(TYPES.map((t) => [t, null]));
      labelMap['DRUG'] = '药物';
      labelMap['DISEASE'] = '疾病和诊断';
      let kept = 0;
      let expected = 0;
      for (const { name, text, ann } of corpus) {
        const entities = parseBrat(text, ann, { labelMap, annPath: name });
        const chars = [...text];
        for (const e of entities) assert.equal(chars.slice(e.start, e.end).join(''), e.text);
        kept += entities.length;
        expected += ann.split('\n').filter((l) => /^T\d+\t(DRUG|DISEASE) /.test(l)).length;
        // DRUG and DISEASE are also our English aliases (matched case-insensitively): 'skip' alone keeps them.
        assert.deepEqual(parseBrat(text, ann, { unknownTypes: 'skip' }), entities);
      }
      assert.equal(kept, expected);
      assert.equal(kept, 1260);
      assert.throws(() => parseBrat(corpus[0]!.text, corpus[0]!.ann), /unknown entity type "DRUG_\w+"; allowed: 疾病和诊断/);
    });

    it('round-trips every entity of every document, overlaps included (all 13 types mapped onto ours)', () => {
      const labelMap: Record<string, YiduLabel> = Object.fromEntries(
        TYPES.map((t, i) => [t, (['疾病和诊断', '解剖部位', '药物', '实验室检验', '手术', '影像检查'] as const)[i % 6]]),
      );
      const docs: DocumentResult[] = corpus.map(({ name, text, ann }) => ({
        path: name,
        encoding: 'utf-8',
        text,
        entities: parseBrat(text, ann, { labelMap }),
      }));
      assert.equal(
        docs.reduce((n, d) => n + d.entities.length, 0),
        17757,
      );
      const files = FORMATS.brat.export(docs, { labelNames: 'english' });
      assert.deepEqual(FORMATS.brat.import(files), docs);
    });
  });
});

describe('brat folders as brat itself reads them', () => {
  // 患者行肝切除术。 in GB18030 bytes (Node has no GB18030 encoder).
  const GB18030 = Buffer.from([0xbb, 0xbc, 0xd5, 0xdf, 0xd0, 0xd0, 0xb8, 0xce, 0xc7, 0xd0, 0xb3, 0xfd, 0xca, 0xf5, 0xa1, 0xa3]);
  const TEXT16 = '😀患者行肝\r\n切除术。';
  const sources: [string, Buffer][] = [
    ['gb18030.txt', GB18030],
    ['utf16le.txt', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(TEXT16, 'utf16le')])],
    ['utf16be.txt', Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(TEXT16, 'utf16le').swap16()])],
    ['bom.txt', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('患者行肝切除术。', 'utf8')])],
    ['crlf.txt', Buffer.from('患者\r\n行肝\r\n切除术。\r\n', 'utf8')],
  ];

  it('opens exports of GB18030, UTF-16, BOM and CRLF sources with every entity on its text; the encodings come back', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'medner-brat-'));
    try {
      const docs: DocumentResult[] = [];
      for (const [name, bytes] of sources) {
        writeFileSync(path.join(dir, name), bytes);
        const loaded = await loadFile(path.join(dir, name));
        assert.ok('docs' in loaded, name);
        const { text, encoding } = loaded.docs[0]!;
        const chars = [...text];
        const at = (s: string, label: YiduLabel): Entity => {
          const start = [...text.slice(0, text.indexOf(s))].length;
          return { start, end: start + [...s].length, label, text: s, score: 0.9 };
        };
        // 行肝\r\n切除术 crosses a line break where the source has one: brat shows it as two fragments.
        const operation = text.includes('肝\r\n切') ? at('行肝\r\n切除术', '手术') : at('行肝切除术', '手术');
        docs.push({ path: name, encoding, text, entities: [at('肝', '解剖部位'), operation].filter((e) => e.end <= chars.length) });
      }
      assert.deepEqual(
        docs.map((d) => d.encoding),
        ['gb18030', 'utf-16le', 'utf-16be', 'utf-8-bom', 'utf-8'],
      );
      const out = path.join(dir, 'brat');
      await writeExportFiles(out, FORMATS.brat.export(docs));
      const shown = bratReadCollection(out);
      for (const doc of docs) {
        const base = doc.path.slice(0, -4);
        const brat = shown.get(base)!;
        assert.equal(brat.text, doc.text, `${base}: brat reads the text MedNER labelled`);
        assert.deepEqual(
          brat.spans.map((s) => s.texts.join('')),
          doc.entities.map((e) => e.text.replace(/\r\n/g, '')),
          base,
        );
      }
      const back = await readAnnotations(out, 'brat');
      const byPath = (a: DocumentResult, b: DocumentResult) => a.path.localeCompare(b.path);
      assert.deepEqual(
        back.sort(byPath).map((d) => [d.path, d.encoding, d.text]),
        [...docs].sort(byPath).map((d) => [d.path, d.encoding, d.text]),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("keeps a text's own leading U+FEFF as character 0, as brat does, and reads it back", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'medner-brat-'));
    try {
      const text = '\uFEFF肝';
      const doc: DocumentResult = {
        path: 'z.txt',
        encoding: 'utf-8',
        text,
        entities: [{ start: 1, end: 2, label: '解剖部位', text: '肝', score: 1 }],
      };
      await writeExportFiles(dir, FORMATS.brat.export([doc]));
      assert.deepEqual(bratReadCollection(dir).get('z')!.spans[0]!.texts, ['肝']);
      assert.deepEqual(await readAnnotations(dir, 'brat'), [{ ...doc }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
