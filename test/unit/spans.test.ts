import * as assert from 'node:assert/strict';
import { spanScore, tagsToSpans } from '../../src/core/spans';

const TAGS = ['O', 'B-疾病和诊断', 'I-疾病和诊断', 'B-药物', 'I-药物'];
const ids = (...xs: number[]) => Int32Array.from(xs);

describe('tagsToSpans', () => {
  it('reads B/I runs as spans with exclusive ends', () => {
    assert.deepEqual(tagsToSpans(ids(0, 1, 2, 2, 0, 3, 4), TAGS), [
      { start: 1, end: 4, label: '疾病和诊断' },
      { start: 5, end: 7, label: '药物' },
    ]);
  });

  it('closes a span at a new B of the same type and at the end of the sequence', () => {
    assert.deepEqual(tagsToSpans(ids(1, 2, 1, 2), TAGS), [
      { start: 0, end: 2, label: '疾病和诊断' },
      { start: 2, end: 4, label: '疾病和诊断' },
    ]);
  });

  it('starts a new span at an I after O or after another type (lenient BIO)', () => {
    assert.deepEqual(tagsToSpans(ids(0, 2, 2, 4, 0, 4), TAGS), [
      { start: 1, end: 3, label: '疾病和诊断' },
      { start: 3, end: 4, label: '药物' },
      { start: 5, end: 6, label: '药物' },
    ]);
  });

  it('returns nothing for an all-O or empty sequence', () => {
    assert.deepEqual(tagsToSpans(ids(0, 0), TAGS), []);
    assert.deepEqual(tagsToSpans(ids(), TAGS), []);
  });

  it('rejects malformed tags and out-of-range ids', () => {
    assert.throws(() => tagsToSpans(ids(0), ['O', 'X-药物']), /not O, B-<type> or I-<type>/);
    assert.throws(() => tagsToSpans(ids(0), ['B-']), /not O/);
    assert.throws(() => tagsToSpans(ids(5), TAGS), RangeError);
  });
});

describe('spanScore', () => {
  // 3 positions x 2 tags; decoded path [1, 1, 0].
  const marg = Float32Array.from([0.1, 0.9, 0.4, 0.6, 0.8, 0.2]);
  const path = ids(1, 1, 0);

  it('is the weakest posterior of the decoded tags inside the span', () => {
    assert.equal(spanScore(marg, 2, path, { start: 0, end: 2, label: 'x' }), Math.fround(0.6));
    assert.equal(spanScore(marg, 2, path, { start: 0, end: 1, label: 'x' }), Math.fround(0.9));
    assert.equal(spanScore(marg, 2, path, { start: 2, end: 3, label: 'x' }), Math.fround(0.8));
  });

  it('rejects empty or out-of-range spans', () => {
    assert.throws(() => spanScore(marg, 2, path, { start: 1, end: 1, label: 'x' }), RangeError);
    assert.throws(() => spanScore(marg, 2, path, { start: 2, end: 4, label: 'x' }), RangeError);
  });
});
