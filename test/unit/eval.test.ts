import * as assert from 'node:assert/strict';
import { type EvalDocument, evaluate, formatEvalTable } from '../../src/core/eval';

const text = '0123456789';
const d = (start: number, end: number, label = '疾病和诊断') => ({ start, end, label });

describe('evaluate', () => {
  // Disease: gold 3, predicted 3, 2 exact hits (one boundary error).
  // Drug: gold 1 predicted as the wrong type (counts as drug FN and operation FP).
  const gold: EvalDocument[] = [
    { text, entities: [d(0, 2), d(3, 5), d(6, 9, '药物')] },
    { text, entities: [d(1, 4)] },
  ];
  const predicted: EvalDocument[] = [
    { text, entities: [d(0, 2), d(3, 5), d(6, 9, '手术')] },
    { text, entities: [d(1, 5)] },
  ];

  it('scores exact start, end and label matches per type and micro-averaged', () => {
    const r = evaluate(gold, predicted);
    assert.deepEqual(r.perLabel.get('疾病和诊断'), { tp: 2, fp: 1, fn: 1, precision: 2 / 3, recall: 2 / 3, f1: 2 / 3 });
    assert.deepEqual(r.perLabel.get('药物'), { tp: 0, fp: 0, fn: 1, precision: 0, recall: 0, f1: 0 });
    assert.deepEqual(r.perLabel.get('手术'), { tp: 0, fp: 1, fn: 0, precision: 0, recall: 0, f1: 0 });
    assert.deepEqual(r.micro, { tp: 2, fp: 2, fn: 2, precision: 0.5, recall: 0.5, f1: 0.5 });
  });

  it('lists the six Yidu types in canonical order, then other labels sorted', () => {
    const r = evaluate([{ text, entities: [d(0, 1, 'zeta'), d(1, 2, 'alpha')] }], [{ text, entities: [] }]);
    assert.deepEqual([...r.perLabel.keys()], ['疾病和诊断', '解剖部位', '药物', '实验室检验', '手术', '影像检查', 'alpha', 'zeta']);
    assert.deepEqual(r.micro, { tp: 0, fp: 0, fn: 2, precision: 0, recall: 0, f1: 0 });
  });

  it('counts a duplicated prediction once', () => {
    const r = evaluate([{ text, entities: [d(0, 2)] }], [{ text, entities: [d(0, 2), d(0, 2)] }]);
    assert.deepEqual(r.micro, { tp: 1, fp: 0, fn: 0, precision: 1, recall: 1, f1: 1 });
  });

  it('refuses misaligned inputs', () => {
    assert.throws(() => evaluate(gold, predicted.slice(1)), /gold has 2 documents but predictions have 1/);
    assert.throws(() => evaluate(gold, [predicted[0]!, { text: 'other', entities: [] }]), /document 1: gold and predicted texts differ/);
  });
});

describe('formatEvalTable', () => {
  it('aligns columns, counting CJK characters as two columns wide', () => {
    const r = evaluate([{ text, entities: [d(0, 2), d(3, 4, '药物')] }], [{ text, entities: [d(0, 2), d(5, 6, '药物')] }]);
    const lines = formatEvalTable(r).split('\n');
    assert.equal(lines[0], 'label            P       R      F1  TP  FP  FN');
    assert.equal(lines[1], '疾病和诊断  100.00  100.00  100.00   1   0   0');
    assert.equal(lines[3], '药物          0.00    0.00    0.00   0   1   1');
    assert.equal(lines[7], 'micro        50.00   50.00   50.00   1   1   1');
    assert.equal(lines.length, 9);
    assert.equal(lines[8], '');
  });

  it('can show English aliases', () => {
    const r = evaluate([{ text, entities: [d(0, 2)] }], [{ text, entities: [d(0, 2)] }]);
    const table = formatEvalTable(r, (l) => (l === '疾病和诊断' ? 'disease' : l));
    assert.match(table.split('\n')[1]!, /^disease {2,}100\.00/);
  });
});
