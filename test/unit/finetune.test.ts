import * as assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { compare } from '../../src/core/curation/compare';
import { finetuneRecord, LineSplitter, parseProgress } from '../../src/core/finetune/progress';
import { sideBySideReport } from '../../src/core/finetune/sideBySide';
import { findPython } from '../../src/extension/python';

describe('fine-tuning progress lines', () => {
  it('reads the pipeline’s JSON progress and nothing else', () => {
    assert.deepEqual(parseProgress('{"medner_progress": {"stage": "train", "fraction": 0.5, "message": "epoch 2/4", "epoch": 2}}'), {
      stage: 'train',
      fraction: 0.5,
      message: 'epoch 2/4',
    });
    assert.deepEqual(parseProgress('{"medner_progress": {"stage": "done", "fraction": 1.2, "message": "ok", "out": "/m"}}'), {
      stage: 'done',
      fraction: 1,
      message: 'ok',
      out: '/m',
    });
    for (const line of [
      'UserWarning: The shape inference of prim::Constant type is missing',
      '{"medner_progress": {"stage": "train", "fraction": "half", "message": "x"}}',
      '{"medner_progress": null}',
      '{"medner_progress": {"stage": "train"',
      '{"other": {"stage": "train", "fraction": 0.5, "message": "x"}}',
    ])
      assert.equal(parseProgress(line), undefined, line);
  });

  it('splits chunks into whole lines, keeping a line cut between chunks', () => {
    const s = new LineSplitter();
    assert.deepEqual(s.push('{"a":'), []);
    assert.deepEqual(s.push('1}\r\nwarn'), ['{"a":1}']);
    assert.deepEqual(s.push('ing\n\nlast'), ['warning', '']);
    assert.deepEqual(s.end(), ['last']);
    assert.deepEqual(s.end(), []);
  });

  it('finds the fine-tuning record of a model.json, and none in the shipped model’s', () => {
    const record = { base: { name: 'bbrac', path: '/b', sha256: 'ab' }, curated: { records: 3 }, heldOut: null };
    assert.deepEqual(finetuneRecord({ training: { finetunedFrom: record } }), record);
    assert.equal(finetuneRecord({ training: { data: 'CCKS 2019' } }), undefined);
    assert.equal(finetuneRecord(undefined), undefined);
  });
});

describe('base and fine-tuned side by side', () => {
  it('puts both models’ strict scores per type in one row, with the change in F1', () => {
    const text = '头孢曲松抗感染，右肺结节';
    const gold = [
      { start: 0, end: 4, label: '药物' },
      { start: 8, end: 10, label: '解剖部位' },
    ];
    const doc = (predicted: { start: number; end: number; label: string }[]) => ({
      name: 'a',
      text,
      gold,
      predicted: predicted.map((p) => ({ ...p, score: 0.9 })),
    });
    const base = compare([doc([{ start: 0, end: 3, label: '药物' }, gold[1]])]);
    const tuned = compare([doc(gold)]);
    const report = sideBySideReport(base, tuned, 'Fine-tuned vs base', { base: '/models/bbrac', tuned: '/ws/.medner/models/1' });
    assert.match(report, /^# Fine-tuned vs base\n/);
    assert.ok(report.includes('| 药物 (drug) | 0.0 | 0.0 | 0.0 | 100.0 | 100.0 | 100.0 | +100.0 |'), report);
    assert.ok(report.includes('| 解剖部位 (anatomy) | 100.0 | 100.0 | 100.0 | 100.0 | 100.0 | 100.0 | +0.0 |'), report);
    assert.ok(report.includes('| **micro** | 50.0 | 50.0 | **50.0** | 100.0 | 100.0 | **100.0** | **+50.0** |'), report);
    assert.ok(sideBySideReport(tuned, base, 't', { base: 'a', tuned: 'b' }).includes('**−50.0**'));
  });
});

describe('finding a Python for fine-tuning', () => {
  const script = (body: string) => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'medner-python-')), 'python');
    writeFileSync(file, `#!/bin/sh\n${body}\n`);
    chmodSync(file, 0o755);
    return file;
  };

  it('takes the configured interpreter when it imports torch, onnx and numpy', async () => {
    const ok = script('[ "$1" = "-c" ] && [ "$2" = "import torch, onnx, numpy" ] && exit 0; exit 3');
    assert.deepEqual(await findPython(ok), { found: true, command: ok });
  });

  it('says why a configured interpreter does not do, and tries no other', async () => {
    const missing = script('echo "ModuleNotFoundError: No module named \'torch\'" >&2; exit 1');
    assert.deepEqual(await findPython(missing), { found: false, tried: [`${missing}: ModuleNotFoundError: No module named 'torch'`] });
    const absent = path.join(tmpdir(), 'no-such-python-here');
    assert.deepEqual(await findPython(absent), { found: false, tried: [`${absent}: not found`] });
  });
});
