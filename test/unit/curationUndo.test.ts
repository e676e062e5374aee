// Decisions survive text edits and their undo/redo (issue 17, finding 2): the store's re-anchoring
// on random edit sequences, undone and redone as the editor does it (the inverse of each change).
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import type { TextEdit } from '../../src/core/curation/anchor';
import { accept, reject, setLabel } from '../../src/core/curation/edit';
import { type CuratedEntity, ENTITY_STATUSES, isVisible } from '../../src/core/curation/record';
import { CurationSession } from '../../src/core/curation/session';
import { YIDU_LABELS } from '../../src/core/labels';

type Infer<A> = A extends fc.Arbitrary<infer T> ? T : never;

/** Few distinct characters, so terms repeat and edits recreate them; one outside the BMP. */
const ALPHABET = ['胸', '部', 'C', 'T', '，', 'a', '𠀀'];

/** A text and the edits and curation steps made on it; positions are fractions of what is there. */
const arbText = fc.array(fc.constantFrom(...ALPHABET), { minLength: 4, maxLength: 40 });
const arbSpans = fc.array(
  fc.record({
    at: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
    length: fc.integer({ min: 1, max: 4 }),
    label: fc.constantFrom(...YIDU_LABELS),
    status: fc.constantFrom(...ENTITY_STATUSES),
  }),
  { maxLength: 8 },
);
const arbEdit = fc.record({
  at: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
  removed: fc.integer({ min: 0, max: 6 }),
  inserted: fc.array(fc.constantFrom(...ALPHABET), { maxLength: 6 }).map((c) => c.join('')),
  /** A second edit of the same change (multi-cursor), this far after the first. */
  second: fc.option(fc.record({ gap: fc.integer({ min: 1, max: 8 }), removed: fc.integer({ min: 0, max: 3 }), inserted: fc.string() })),
});
const arbStep = fc.record({
  kind: fc.constantFrom('accept', 'reject', 'label', 'undo', 'redo'),
  pick: fc.nat(),
  label: fc.constantFrom(...YIDU_LABELS),
});
const arbOp = fc.oneof(
  fc.record({ op: fc.constant('edit' as const), edit: arbEdit }),
  fc.record({
    op: fc.constant('type' as const),
    at: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
    typed: fc.string({ minLength: 1, maxLength: 4 }),
  }),
  fc.record({ op: fc.constant('step' as const), step: arbStep }),
);

/** Distinct scores name the entities, whatever happens to their offsets. */
function initialEntities(chars: readonly string[], spans: Infer<typeof arbSpans>): CuratedEntity[] {
  const out: CuratedEntity[] = [];
  for (const [i, s] of spans.entries()) {
    const start = Math.floor(s.at * chars.length);
    const end = Math.min(chars.length, start + s.length);
    if (out.some((o) => o.start < end && start < o.end)) continue;
    out.push({ start, end, label: s.label, text: chars.slice(start, end).join(''), status: s.status, score: (i + 1) / 100 });
  }
  return out.sort((a, b) => a.start - b.start);
}

/** Applies `edits` (code points of `chars`, not overlapping) and returns the new characters and the inverse edits. */
function edit(chars: readonly string[], edits: TextEdit[]): { next: string[]; inverse: TextEdit[] } {
  const sorted = [...edits].sort((a, b) => a.start - b.start);
  const next: string[] = [];
  const inverse: TextEdit[] = [];
  let from = 0;
  for (const e of sorted) {
    next.push(...chars.slice(from, e.start));
    const start = next.length;
    next.push(...Array.from(e.text));
    inverse.push({ start, end: next.length, text: chars.slice(e.start, e.end).join('') });
    from = e.end;
  }
  next.push(...chars.slice(from));
  return { next, inverse };
}

/** Without the places an entity remembers: what a person sees and what is saved. */
function seen(entities: readonly CuratedEntity[]): Omit<CuratedEntity, 'earlier'>[] {
  return entities.map(({ earlier: _, ...e }) => e);
}

function assertOnText(entities: readonly CuratedEntity[], chars: readonly string[]): void {
  for (const e of entities) {
    if (e.unanchored) assert.ok(e.start < e.end && e.end <= Math.max(1, chars.length), `unanchored ${JSON.stringify(e)} inside the text`);
    else assert.equal(chars.slice(e.start, e.end).join(''), e.text, `${JSON.stringify(e)} on its text`);
  }
}

/** Runs a curation step on the entity named by its score; false when it does not apply. */
function runStep(s: CurationSession, step: Infer<typeof arbStep>, score: number | undefined): boolean {
  if (step.kind === 'undo') return s.undo();
  if (step.kind === 'redo') return s.redo();
  const index = s.entities.findIndex((e) => e.score === score);
  if (index < 0) return false;
  return s.apply((entities) =>
    step.kind === 'accept'
      ? accept(entities, index)
      : step.kind === 'reject'
        ? reject(entities, index)
        : setLabel(entities, index, step.label),
  );
}

describe('curation through text edits and their undo (property)', () => {
  it('undoing every edit restores each entity, its status and place exactly; the steps made meanwhile stay made; redo restores them too', () => {
    fc.assert(
      fc.property(arbText, arbSpans, fc.array(arbOp, { maxLength: 10 }), (text, spans, ops) => {
        const initial = initialEntities(text, spans);
        // `edited` makes the edits and their undo; `plain` only the curation steps, on the unchanged text.
        const edited = new CurationSession(initial);
        const plain = new CurationSession(initial);
        let chars = [...text];
        const undos: { inverse: TextEdit[][] }[] = [];
        const change = (edits: TextEdit[]) => {
          const { next, inverse } = edit(chars, edits);
          edited.applyTextEdits(chars.join(''), next.join(''), edits);
          chars = next;
          assertOnText(edited.entities, chars);
          return inverse;
        };
        for (const o of ops) {
          if (o.op === 'edit') {
            const start = Math.floor(o.edit.at * (chars.length + 1));
            const end = Math.min(chars.length, start + o.edit.removed);
            const edits: TextEdit[] = [{ start, end, text: o.edit.inserted }];
            const second = o.edit.second;
            if (second && end + second.gap <= chars.length) {
              const s2 = end + second.gap;
              edits.push({ start: s2, end: Math.min(chars.length, s2 + second.removed), text: second.inserted });
            }
            undos.push({ inverse: [change(edits)] });
          } else if (o.op === 'type') {
            // Typed character by character: one change each, undone as one.
            const at = Math.floor(o.at * (chars.length + 1));
            const typed = Array.from(o.typed);
            typed.forEach((c, i) => change([{ start: at + i, end: at + i, text: c }]));
            undos.push({ inverse: [[{ start: at, end: at + typed.length, text: '' }]] });
          } else {
            // Only an entity that is on its text now can be decided on.
            const targets = edited.entities.filter((e) => !e.unanchored);
            const target = targets.length ? targets[o.step.pick % targets.length].score : undefined;
            const a = runStep(edited, o.step, target);
            const b = runStep(plain, o.step, target);
            if (o.step.kind === 'undo' || o.step.kind === 'redo') assert.equal(a, b, `${o.step.kind} applies in both`);
          }
        }
        const before = seen(edited.entities);
        const beforeChars = chars;
        const redos: TextEdit[][] = [];
        for (const u of undos.reverse()) for (const inverse of u.inverse) redos.unshift(change(inverse));
        assert.deepEqual(chars, text, 'the text is back');
        assert.deepEqual(seen(edited.entities), seen(plain.entities), 'as if the text had never changed');
        assert.equal(edited.status, plain.status);
        const redoInverses = redos.map((r) => change(r));
        assert.deepEqual(chars, beforeChars);
        const after = seen(edited.entities);
        for (const e of before.filter((x) => !x.unanchored))
          assert.ok(
            after.some((x) => JSON.stringify(x) === JSON.stringify(e)),
            `redo puts ${JSON.stringify(e)} back: ${JSON.stringify(after)}`,
          );
        // The undo history went along with the text: every step undone, then every edit, gives the start.
        while (edited.undo());
        const undoAgain = [...redoInverses].reverse();
        for (const inverse of undoAgain) change(inverse);
        assert.deepEqual(chars, text);
        assert.deepEqual(seen(edited.entities), seen(initial));
      }),
      { numRuns: 500 },
    );
  });

  it('never shows a prediction of the model over a span a person decided, after any edit, undo and new reading', () => {
    fc.assert(
      fc.property(arbText, arbSpans, fc.array(arbEdit, { minLength: 1, maxLength: 5 }), (text, spans, edits) => {
        const initial = initialEntities(text, spans);
        const s = new CurationSession(initial);
        let chars = [...text];
        const undos: TextEdit[][] = [];
        for (const e of edits) {
          const start = Math.floor(e.at * (chars.length + 1));
          const one = [{ start, end: Math.min(chars.length, start + e.removed), text: e.inserted }];
          const { next, inverse } = edit(chars, one);
          s.applyTextEdits(chars.join(''), next.join(''), one);
          chars = next;
          undos.push(inverse);
        }
        for (const inverse of undos.reverse()) {
          const { next } = edit(chars, inverse);
          s.applyTextEdits(chars.join(''), next.join(''), inverse);
          chars = next;
        }
        // The model reads the restored text and finds every span again, some with another type.
        const reading = initial.map((e, i) => ({ start: e.start, end: e.end, label: i % 2 ? e.label : '手术', text: e.text, score: 0.5 }));
        s.mergePredictions(reading);
        assert.ok(!s.entities.some((e) => e.unanchored), 'every text is back, so no entity is unanchored');
        for (const d of initial.filter((e) => e.status !== 'predicted' && isVisible(e))) {
          const there = s.entities.filter((e) => isVisible(e) && e.start < d.end && d.start < e.end);
          assert.deepEqual(seen(there), seen([d]), `only the decision over ${JSON.stringify(d)}`);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('finding 2: accept 胸部CT, type x over it, undo: still accepted, on its text, and no second copy', () => {
    const text = '患者于2020年5月体检时胸部CT发现右肺上叶结节';
    const at = text.indexOf('胸部CT');
    const predicted: CuratedEntity = { start: at, end: at + 4, label: '影像检查', text: '胸部CT', status: 'predicted', score: 0.98 };
    for (const decide of [(e: readonly CuratedEntity[]) => accept(e, 0), (e: readonly CuratedEntity[]) => setLabel(e, 0, '实验室检验')]) {
      const s = new CurationSession([predicted]);
      s.apply(decide);
      const decided = s.entities[0];
      const typed = text.slice(0, at) + 'x' + text.slice(at + 4);
      s.applyTextEdits(text, typed, [{ start: at, end: at + 4, text: 'x' }]);
      assert.equal(s.entities[0].unanchored, true, 'its text is gone');
      s.mergePredictions([]);
      s.applyTextEdits(typed, text, [{ start: at, end: at + 1, text: '胸部CT' }]);
      s.mergePredictions([{ ...predicted, score: 0.98 }]);
      assert.deepEqual(seen(s.entities), [decided], 'the decision, on its text, alone');
      // Undoing the decision brings back the prediction, drawn again.
      assert.ok(s.undo());
      assert.deepEqual(seen(s.entities), [predicted]);
    }
  });
});
