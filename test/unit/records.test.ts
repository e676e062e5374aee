import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { type InputDoc, type InputOptions, loadFile, readInputs, resultOf } from '../../src/core/inputs';
import { FORMAT_NAMES, FORMATS } from '../../src/core/formats/registry';

describe('record inputs: Yidu, JSON lines, CSV/TSV, Label Studio tasks, doccano', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(path.join(tmpdir(), 'medner-records-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function docs(name: string, content: string | Buffer, options: InputOptions = {}): Promise<InputDoc[]> {
    writeFileSync(path.join(dir, name), content);
    const loaded = await loadFile(path.join(dir, name), options);
    if ('skipped' in loaded) throw new Error(loaded.skipped.reason);
    return loaded.docs;
  }
  const brief = (d: InputDoc) => [d.line, d.id, d.text, d.fields];

  it('labels Yidu records without "entities" (CCKS test texts), by detection and by name', async () => {
    const content = '{"originalText": "患者胆囊炎。"}\n{"originalText": "肝大。", "entities": []}\n';
    for (const options of [{}, { format: 'yidu' as const }]) {
      assert.deepEqual((await docs('test.json', content, options)).map(brief), [
        [1, undefined, '患者胆囊炎。', undefined],
        [2, undefined, '肝大。', undefined],
      ]);
    }
    // With --id-field, the id travels.
    const withIds = '{"textId": 7, "originalText": "肝大。"}\n';
    assert.deepEqual((await docs('ids.json', withIds, { idField: 'textId' })).map(brief), [[1, 7, '肝大。', undefined]]);
  });

  it('reads JSON lines with --text-field and --id-field, the other fields kept', async () => {
    const content = '{"rid": "A1", "note": "胆囊炎", "ward": 3}\n\n{"rid": "A2", "note": ""}\n';
    assert.deepEqual((await docs('export.jsonl', content, { textField: 'note', idField: 'rid' })).map(brief), [
      [1, 'A1', '胆囊炎', { rid: 'A1', ward: 3 }],
      [3, 'A2', '', { rid: 'A2' }],
    ]);
    // Defaults: "text", and "id" when a record has one; doccano's JSONL is such a file.
    const doccano = '{"id": 5, "text": "肝大", "label": [[0, 1, "解剖部位"]]}\n{"text": "脾大"}\n';
    for (const format of [undefined, 'doccano' as const, 'jsonl' as const]) {
      assert.deepEqual((await docs('d.jsonl', doccano, { format })).map(brief), [
        [1, 5, '肝大', { id: 5, label: [[0, 1, '解剖部位']] }],
        [2, undefined, '脾大', {}],
      ]);
    }
    await assert.rejects(
      docs('bad.jsonl', '{"note": "x"}\n{"note": 1}\n', { textField: 'note' }),
      /^Error: line 2: record: "note" must be a string$/,
    );
    await assert.rejects(docs('noid.jsonl', '{"text": "x"}\n', { idField: 'rid' }), /line 1: record: no "rid" field \(--id-field\)/);
  });

  it('reads CSV and TSV with a header: RFC 4180 quotes, embedded newlines, a BOM, rows numbered as a spreadsheet does', async () => {
    const csv = '\uFEFFid,text,ward\r\nA1,"患者""胆囊炎""，\r\n予头孢曲松。",3B\r\nA2,肝大,\r\n\r\nA3,"a,b",5\r\n';
    assert.deepEqual((await docs('export.csv', csv)).map(brief), [
      [2, 'A1', '患者"胆囊炎"，\r\n予头孢曲松。', { id: 'A1', ward: '3B' }],
      [3, 'A2', '肝大', { id: 'A2', ward: '' }],
      [4, 'A3', 'a,b', { id: 'A3', ward: '5' }],
    ]);
    const tsv = 'note\tMRN\n"肝\t大"\t9\n脾大\t10\n';
    assert.deepEqual((await docs('export.tsv', tsv, { textField: 'note', idField: 'MRN' })).map(brief), [
      [2, '9', '肝\t大', { MRN: '9' }],
      [3, '10', '脾大', { MRN: '10' }],
    ]);
    await assert.rejects(
      docs('nocol.csv', 'a,b\n1,2\n'),
      /line 1: the header has no "text" column \(name the field with --text-field\); it has "a, b"/,
    );
    await assert.rejects(docs('ragged.csv', 'id,text\n1,a\n2,b,c\n'), /^Error: line 3: /);
    await assert.rejects(docs('quote.csv', 'id,text\n1,"a\n'), /^Error: line \d+: .*quote/i);
  });

  it('reads Label Studio tasks, their ids and data kept, and writes them back as the same tasks with predictions', async () => {
    const tasks = JSON.stringify([
      { id: 31, data: { text: '胆囊炎', ward: '3B' }, annotations: [] },
      { id: 32, data: { text: '肝大', ward: '5A' } },
    ]);
    const read = await docs('tasks.json', tasks);
    assert.deepEqual(read.map(brief), [
      [1, 31, '胆囊炎', { ward: '3B' }],
      [2, 32, '肝大', { ward: '5A' }],
    ]);
    // One task alone, laid out over several lines.
    assert.deepEqual((await docs('one.json', JSON.stringify({ id: 33, data: { text: '脾大' } }, null, 2))).map(brief), [
      [1, 33, '脾大', {}],
    ]);
    const labelled = read.map((d, i) =>
      resultOf(d, i === 0 ? [{ start: 0, end: 3, label: '疾病和诊断', text: '胆囊炎', score: 0.9 }] : []),
    );
    const [file] = FORMATS.labelstudio.export(labelled);
    const back = JSON.parse(file!.content) as { id: number; data: unknown; predictions: { result: { value: unknown }[] }[] }[];
    assert.deepEqual(
      back.map((t) => [t.id, t.data, t.predictions[0]!.result.map((r) => r.value)]),
      [
        [31, { ward: '3B', text: '胆囊炎' }, [{ start: 0, end: 3, text: '胆囊炎', labels: ['疾病和诊断'] }]],
        [32, { ward: '5A', text: '肝大' }, []],
      ],
    );
  });

  it('carries the id into every output format', () => {
    const doc = resultOf({ path: 'r.csv', line: 2, id: 'A-1', text: '肝', encoding: 'utf-8' }, []);
    for (const name of FORMAT_NAMES) {
      const files = FORMATS[name].export([doc]);
      assert.ok(
        files.some((f) => f.content.includes('A-1') || f.relativePath.includes('A-1')),
        `${name}: ${files.map((f) => f.relativePath).join(', ')}`,
      );
      const back = FORMATS[name].import(files);
      assert.equal(back[0]!.id, 'A-1', name);
    }
  });

  it('takes files of the format from folders by default', async () => {
    const sub = mkdtempSync(path.join(dir, 'folder-'));
    writeFileSync(path.join(sub, 'a.csv'), 'text\n肝\n');
    writeFileSync(path.join(sub, 'b.txt'), '脾');
    const seen: string[] = [];
    for await (const item of readInputs([sub], { format: 'csv' })) if ('doc' in item) seen.push(item.doc.text);
    assert.deepEqual(seen, ['肝']);
  });
});
