import * as assert from 'node:assert/strict';
import { isYiduLabel, LABEL_ALIASES, parseLabel, YIDU_LABELS } from '../../src/core/labels';

describe('labels', () => {
  it('has the six Yidu-S4K types with distinct aliases', () => {
    assert.deepEqual([...YIDU_LABELS], ['疾病和诊断', '解剖部位', '药物', '实验室检验', '手术', '影像检查']);
    assert.deepEqual(
      YIDU_LABELS.map((l) => LABEL_ALIASES[l]),
      ['disease', 'anatomy', 'drug', 'lab', 'operation', 'imaging'],
    );
  });

  it('accepts Chinese names and English aliases in any case', () => {
    assert.equal(parseLabel('药物'), '药物');
    assert.equal(parseLabel('Drug'), '药物');
    assert.equal(parseLabel('IMAGING'), '影像检查');
    assert.equal(parseLabel('symptom'), undefined);
    assert.ok(isYiduLabel('手术'));
    assert.ok(!isYiduLabel('operation'));
  });
});
