import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { DocumentResult, Entity } from '../../src/core/formats/jsonl';
import { parseLabelStudio, readTasks, serializeLabelStudio } from '../../src/core/formats/labelstudio';
import { ROOT } from './support';

// Code points: 😀0 胆1 囊2 炎3 \r4 \n5 𠀀6 药7 ; UTF-16: 😀0-1 胆2 囊3 炎4 \r5 \n6 𠀀7-8 药9
const DOC: DocumentResult = {
  path: 'n/1.txt',
  encoding: 'utf-8',
  text: '😀胆囊炎\r\n𠀀药',
  entities: [
    { start: 0, end: 4, label: '疾病和诊断', text: '😀胆囊炎', score: 0.75 },
    { start: 6, end: 8, label: '药物', text: '𠀀药', score: 0.5 },
  ],
};

const region = (id: string, start: number, end: number, text: string, label: string, score?: number) => ({
  id,
  from_name: 'label',
  to_name: 'text',
  type: 'labels',
  value: { start, end, text, labels: [label] },
  ...(score === undefined ? {} : { score }),
});

describe('Label Studio JSON tasks', () => {
  it('writes one task a line with predictions: code-point offsets, span scores, the weakest as the task score', () => {
    const out = serializeLabelStudio([DOC, { ...DOC, path: 'empty', text: '', entities: [] }]);
    const lines = out.split('\n');
    assert.equal(lines.length, 5);
    assert.equal(lines[0], '[');
    assert.equal(lines[3], ']');
    assert.deepEqual(JSON.parse(lines[1]!.replace(/,$/, '')), {
      data: { text: DOC.text, path: 'n/1.txt', encoding: 'utf-8' },
      predictions: [
        {
          model_version: 'medner',
          score: 0.5,
          result: [region('e1', 0, 4, '😀胆囊炎', '疾病和诊断', 0.75), region('e2', 6, 8, '𠀀药', '药物', 0.5)],
        },
      ],
    });
    assert.deepEqual(JSON.parse(lines[2]!).predictions, [{ model_version: 'medner', score: 1, result: [] }]);
    assert.equal(serializeLabelStudio([]), '[]\n');
  });

  it('writes English names, UTF-16 offsets and other control names on request', () => {
    const task = JSON.parse(
      serializeLabelStudio([DOC], { labelNames: 'english', offsets: 'utf16', modelVersion: 'v2', fromName: 'ner', toName: 'note' }),
    )[0];
    assert.equal(task.predictions[0].model_version, 'v2');
    assert.deepEqual(task.predictions[0].result[1], { ...region('e2', 7, 10, '𠀀药', 'drug', 0.5), from_name: 'ner', to_name: 'note' });
  });

  it('reads its own export back exactly, scores included', () => {
    assert.deepEqual(parseLabelStudio(serializeLabelStudio([DOC])), [DOC]);
    assert.deepEqual(parseLabelStudio(serializeLabelStudio([DOC], { offsets: 'utf16' }), { offsets: 'utf16' }), [DOC]);
  });

  it('reads completed tasks: the annotation not cancelled, else the prediction; other result types skipped', () => {
    const task = {
      id: 41,
      data: { text: DOC.text },
      annotations: [
        { was_cancelled: true, result: [region('a', 1, 4, '胆囊炎', 'disease')] },
        {
          result: [
            region('b', 7, 8, '药', 'drug'),
            { id: 'r', type: 'relation', from_id: 'b', to_id: 'b', direction: 'right' },
            { id: 'c', from_name: 'cls', to_name: 'text', type: 'choices', value: { choices: ['ok'] } },
          ],
        },
      ],
      predictions: [{ result: [region('p', 0, 1, '😀', '药物', 0.2)] }],
    };
    const [fromAnnotation] = parseLabelStudio(JSON.stringify([task]), { file: 'export.json' });
    assert.deepEqual(fromAnnotation, {
      path: 'export.json#41',
      id: 41,
      encoding: undefined,
      text: DOC.text,
      entities: [{ start: 7, end: 8, label: '药物', text: '药', score: 1 }],
    });
    const [fromPrediction] = parseLabelStudio(JSON.stringify(task), { source: 'predictions' });
    assert.deepEqual(fromPrediction!.entities, [{ start: 0, end: 1, label: '药物', text: '😀', score: 0.2 }]);
    const noAnnotations = { ...task, annotations: [] };
    assert.deepEqual(parseLabelStudio(JSON.stringify([noAnnotations]))[0]!.entities, fromPrediction!.entities);
    assert.deepEqual(parseLabelStudio(JSON.stringify([noAnnotations]), { source: 'annotations' })[0]!.entities, []);
  });

  it('reports wrong text, offsets, types and scores with the task and result', () => {
    const one = (r: unknown) => JSON.stringify([{ data: { text: DOC.text }, predictions: [{ result: [r] }] }]);
    assert.throws(
      () => parseLabelStudio(one(region('x', 1, 3, '胆囊炎', '药物')), { file: 'f.json' }),
      /^ImportError: f\.json: task 1: result 1: value\.text "胆囊炎" differs from the task's "胆囊" at 1\.\.3$/,
    );
    assert.throws(
      () => parseLabelStudio(one(region('x', 2, 5, '胆囊炎', '药物'))),
      /value\.text "胆囊炎" differs from the task's "囊炎\\r"/,
    );
    assert.throws(
      () => parseLabelStudio(one(region('x', 1, 3, '', '药物')), { offsets: 'utf16' }),
      /span 1\.\.3 splits a character in two/,
    );
    assert.throws(() => parseLabelStudio(one(region('x', 0, 9, '', '药物'))), /span 0\.\.9 is empty or outside the text \(length 8\)/);
    assert.throws(() => parseLabelStudio(one(region('x', 1, 4, '胆囊炎', 'SYMPTOM'))), /result 1: unknown entity type "SYMPTOM"/);
    assert.deepEqual(parseLabelStudio(one(region('x', 1, 4, '胆囊炎', 'SYMPTOM')), { labelMap: { SYMPTOM: null } })[0]!.entities, []);
    assert.throws(
      () => parseLabelStudio(one({ ...region('x', 1, 4, '胆囊炎', '药物'), value: { start: 1, end: 4, labels: ['药物', 'disease'] } })),
      /several types \(药物, 疾病和诊断\)/,
    );
    assert.throws(() => parseLabelStudio(one(region('x', 1, 4, '胆囊炎', '药物', 7))), /"score" must be a number in \[0, 1\]/);
    assert.throws(() => parseLabelStudio('[{"data": {}}]'), /task 1: "data\.text" must be a string/);
    assert.throws(() => parseLabelStudio('[{'), /invalid JSON/);
  });

  it('refuses entities it cannot read instead of dropping them: string offsets, a bare label, no labels, other span types', () => {
    const one = (r: unknown) => JSON.stringify([{ data: { text: DOC.text }, predictions: [{ result: [r] }] }]);
    const read = (r: unknown) => () => parseLabelStudio(one(r), { file: 'tasks.json' });
    const base = region('x', 1, 4, '胆囊炎', '疾病和诊断');
    assert.throws(
      read({ ...base, value: { ...base.value, start: '1' } }),
      /^ImportError: tasks\.json: task 1: result 1: "value\.start" must be an integer offset, got "1"$/,
    );
    assert.throws(
      read({ ...base, value: { ...base.value, end: 4.5 } }),
      /^ImportError: tasks\.json: task 1: result 1: "value\.end" must be an integer offset, got 4\.5$/,
    );
    assert.throws(
      read({ ...base, value: { ...base.value, labels: '疾病和诊断' } }),
      /^ImportError: tasks\.json: task 1: result 1: "value\.labels" must be an array of type names, got "疾病和诊断"$/,
    );
    assert.throws(
      read({ ...base, value: { ...base.value, labels: [] } }),
      /^ImportError: tasks\.json: task 1: result 1: "value\.labels" is empty: a span without a type$/,
    );
    assert.throws(read({ ...base, value: 'x' }), /^ImportError: tasks\.json: task 1: result 1: "value" must be a JSON object$/);
    assert.throws(
      read({ ...base, type: 'hypertextlabels' }),
      /^ImportError: tasks\.json: task 1: result 1: result type "hypertextlabels" is not read: only "labels" spans over a Text are entities$/,
    );
    const untyped: Partial<typeof base> = { ...base };
    delete untyped.type;
    assert.throws(read({ ...untyped, value: { ...base.value, start: '1' } }), /"value\.start" must be an integer offset/);
    assert.deepEqual(parseLabelStudio(one(untyped))[0]!.entities, [{ start: 1, end: 4, label: '疾病和诊断', text: '胆囊炎', score: 1 }]);
  });
});

// Written as Label Studio writes them (test/fixtures/labelstudio): export.json, the JSON export
// (a completed task with an older annotation, a newer one and a newer cancelled one, plus a
// prediction; a task with only a prediction), and export-min.json, the JSON-MIN export that
// label-studio-sdk's Converter.convert_to_json_min makes of it: one flat record per annotation,
// newest first, the regions under the Labels control's name.
describe('Label Studio exports (JSON, JSON-MIN)', () => {
  const fixture = (name: string) => readFileSync(path.join(ROOT, 'test', 'fixtures', 'labelstudio', name), 'utf8');
  const spans = (docs: { id?: unknown; entities: Entity[] }[]) => docs.map((d) => [d.id, d.entities.map((e) => [e.start, e.end, e.label])]);
  const latest = [
    [
      101,
      [
        [2, 5, '疾病和诊断'],
        [7, 11, '药物'],
      ],
    ],
    [102, []],
  ];

  it('reads the latest annotation not cancelled of a JSON export by default, predictions or annotations on request', () => {
    const json = fixture('export.json');
    assert.deepEqual(spans(parseLabelStudio(json, { source: 'annotations' })), latest);
    assert.deepEqual(spans(parseLabelStudio(json)), [latest[0], [102, [[0, 1, '解剖部位']]]]);
    assert.deepEqual(spans(parseLabelStudio(json, { source: 'predictions' })), [
      [101, [[7, 11, '药物']]],
      [102, [[0, 1, '解剖部位']]],
    ]);
  });

  it('reads JSON-MIN: one document per task, its latest annotation, the data fields kept', () => {
    const min = fixture('export-min.json');
    assert.deepEqual(spans(parseLabelStudio(min)), latest);
    assert.deepEqual(
      readTasks(min, 'm.json').map((t) => [t.id, t.text, t.fields]),
      [
        [101, '患者胆囊炎，予头孢曲松。', { ward: '3B' }],
        [102, '肝功能正常。', { ward: '5A' }],
      ],
    );
    // The same records in another order: the latest still wins.
    const reversed = JSON.stringify((JSON.parse(min) as unknown[]).reverse());
    assert.deepEqual(spans(parseLabelStudio(reversed)), [latest[1], latest[0]]);
  });

  it('reads tasks without "data" (Label Studio imports them too) and writes a task it read back with its id and data', () => {
    const [task] = readTasks('[{"id": "n-1", "body": "肝", "ward": "3B"}]', 't.json', 'body');
    assert.deepEqual([task!.id, task!.text, task!.fields], ['n-1', '肝', { id: 'n-1', ward: '3B' }]);
    const out = JSON.parse(
      serializeLabelStudio([
        {
          path: 't.json:1',
          id: 'n-1',
          encoding: 'utf-8',
          text: '肝',
          entities: [{ start: 0, end: 1, label: '解剖部位', text: '肝', score: 0.5 }],
          fields: { id: 'n-1', ward: '3B' },
          textField: 'body',
        },
      ]),
    ) as { id?: string; data: unknown; predictions: { result: unknown[] }[] }[];
    // Label Studio replaces task ids on import: a record id that is not a task's own travels in the data.
    assert.equal(out[0]!.id, undefined);
    assert.deepEqual(out[0]!.data, { id: 'n-1', ward: '3B', body: '肝' });
    assert.equal(readTasks(JSON.stringify(out), 'o.json', 'body')[0]!.id, 'n-1');
    assert.equal(out[0]!.predictions[0]!.result.length, 1);
  });
});
