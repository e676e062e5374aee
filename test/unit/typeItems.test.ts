// The entity-type quick pick: numbered, the current type marked, chord keys only where they apply.
import * as assert from 'node:assert/strict';
import { YIDU_LABELS } from '../../src/core/labels';
import { typeItems } from '../../src/extension/typeItems';

describe('entity type picker', () => {
  it("Change Type marks the entity's current type and lists the Ctrl+Alt+M 1–6 keys that change to each", () => {
    const items = typeItems(YIDU_LABELS, { current: '药物', shortcuts: true });
    assert.deepEqual(
      items.map((i) => [i.label, i.description, i.detail]),
      [
        ['1  疾病和诊断', 'disease', 'Ctrl+Alt+M 1'],
        ['2  解剖部位', 'anatomy', 'Ctrl+Alt+M 2'],
        ['3  药物', 'drug · current type', 'Ctrl+Alt+M 3'],
        ['4  实验室检验', 'lab', 'Ctrl+Alt+M 4'],
        ['5  手术', 'operation', 'Ctrl+Alt+M 5'],
        ['6  影像检查', 'imaging', 'Ctrl+Alt+M 6'],
      ],
    );
  });

  it('Add Entity lists no keys: Ctrl+Alt+M 1–6 change a type, they do not add a selection', () => {
    const items = typeItems(YIDU_LABELS, { shortcuts: false });
    assert.ok(items.every((i) => i.detail === undefined && !i.description.includes('current')));
    assert.deepEqual(
      items.map((i) => i.value),
      [...YIDU_LABELS],
    );
  });
});
