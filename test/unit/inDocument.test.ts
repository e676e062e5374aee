// "The entities in this document": one definition for the status bar, the legend and the Entities view.
import * as assert from 'node:assert/strict';
import type { CuratedEntity } from '../../src/core/curation/record';
import { YIDU_LABELS, type YiduLabel } from '../../src/core/labels';
import { inDocument, tally, tallyText } from '../../src/extension/inDocument';

const e = (label: YiduLabel, status: CuratedEntity['status'], score?: number, unanchored?: boolean): CuratedEntity => ({
  start: 0,
  end: 1,
  label,
  text: 'x',
  status,
  score,
  unanchored,
});

describe('entities in a document', () => {
  const all = { shownTypes: new Set(YIDU_LABELS), minConfidence: 0.5 };

  it('leaves out rejected, unanchored and hidden entities, and says how many of each', () => {
    const entities = [
      e('疾病和诊断', 'predicted', 0.9),
      e('疾病和诊断', 'accepted', 0.2),
      e('药物', 'manual'),
      e('药物', 'predicted', 0.3),
      e('手术', 'rejected', 0.9),
      e('手术', 'accepted', 0.9, true),
    ];
    const t = tally(entities, all);
    assert.deepEqual(
      t.shown.map((x) => x.status),
      ['predicted', 'accepted', 'manual'],
      "a person's decision is shown whatever its score",
    );
    assert.equal(tallyText(t), '3 shown · 1 rejected · 1 unanchored · 1 hidden by settings');
    assert.deepEqual(
      entities.map((x) => inDocument(x, all)),
      [true, true, true, false, false, false],
    );
    const noDrugs = { shownTypes: new Set(YIDU_LABELS.filter((l) => l !== '药物')), minConfidence: 0 };
    assert.equal(tallyText(tally(entities, noDrugs)), '2 shown · 1 rejected · 1 unanchored · 2 hidden by settings');
    assert.equal(tallyText(tally([], all)), '0 shown');
  });
});
