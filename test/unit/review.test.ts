import * as assert from 'node:assert/strict';
import { compare } from '../../src/core/curation/compare';
import { countByStatus, progress, reviewQueue } from '../../src/core/curation/queue';
import type { CuratedEntity } from '../../src/core/curation/record';
import { markdownReport } from '../../src/core/curation/report';
import { evaluationHtml, parseMessage } from '../../src/extension/evaluationHtml';

const e = (start: number, status: CuratedEntity['status'], score?: number): CuratedEntity => ({
  start,
  end: start + 2,
  label: '药物',
  text: 'xx',
  status,
  ...(score === undefined ? {} : { score }),
});

describe('review queue and progress', () => {
  const docs = [
    { key: 'b.txt', status: 'in-progress' as const, entities: [e(0, 'predicted', 0.4), e(3, 'accepted', 0.1), e(6, 'predicted', 0.9)] },
    {
      key: 'a.txt',
      status: 'todo' as const,
      entities: [e(0, 'predicted', 0.4), e(3, 'predicted', 0.2), { ...e(6, 'predicted', 0.01), unanchored: true }],
    },
    { key: 'c.txt', status: 'done' as const, entities: [e(0, 'predicted', 0.05)] },
  ];

  it('orders open predictions least certain first, across documents, skipping done documents', () => {
    assert.deepEqual(
      reviewQueue(docs).map((i) => `${i.doc.key}@${i.entity.start}`),
      ['a.txt@3', 'a.txt@0', 'b.txt@0', 'b.txt@6'],
    );
    assert.equal(reviewQueue(docs, 2).length, 2);
  });

  it('counts entities by status and documents by review state', () => {
    assert.deepEqual(countByStatus(docs[1].entities), { predicted: 2, accepted: 0, rejected: 0, edited: 0, manual: 0, unanchored: 1 });
    assert.deepEqual(progress(docs), { documents: 3, done: 1, inProgress: 1, reviewed: 1, entities: 7 });
  });
});

describe('comparing predictions with gold', () => {
  const text = '0123456789abcdef';
  const c = compare([
    {
      name: 'd1',
      text,
      gold: [
        { start: 0, end: 2, label: '药物' },
        { start: 3, end: 6, label: '疾病和诊断' },
        { start: 8, end: 10, label: '手术' },
        { start: 12, end: 14, label: '药物' },
      ],
      predicted: [
        { start: 0, end: 2, label: '药物', score: 0.95 },
        { start: 3, end: 7, label: '疾病和诊断', score: 0.5 },
        { start: 8, end: 10, label: '影像检查', score: 0.55 },
        { start: 14, end: 16, label: '药物', score: 0.3 },
      ],
    },
  ]);

  it('scores strictly and separates confusions, boundary errors and misses', () => {
    assert.equal(c.strict.micro.tp, 1);
    assert.equal(c.confusion.get('手术')!.get('影像检查'), 1);
    assert.equal(c.confusion.get('药物')!.get('药物'), 1);
    assert.equal(c.confusion.get('药物')!.get('—'), 1, 'the drug at 12 was missed');
    assert.equal(c.confusion.get('—')!.get('药物'), 1, 'the drug at 14 is spurious');
    assert.deepEqual(c.boundary, { sameType: 1, otherType: 0, tooLong: 1, tooShort: 0, shifted: 0 });
  });

  it('gives examples of misses and spurious predictions too, with where they are', () => {
    assert.deepEqual(
      c.examples.map((e) => [e.kind, e.start, e.end]),
      [
        ['type', 8, 10],
        ['missed', 12, 14],
        ['boundary', 3, 7],
        ['spurious', 14, 16],
      ],
    );
  });

  it('bins confidence against exactness', () => {
    const high = c.calibration[9];
    assert.deepEqual([high.count, high.accuracy], [1, 1]);
    assert.equal(c.calibration[5].count, 2);
    assert.equal(c.calibration[5].accuracy, 0);
    assert.ok(c.ece > 0 && c.ece < 1);
  });

  it('writes a Markdown report', () => {
    const md = markdownReport(c, 'Evaluation');
    assert.match(md, /^# Evaluation/);
    assert.match(md, /\| \*\*micro\*\* \| \*\*25\.0\*\* \| \*\*25\.0\*\* \| \*\*25\.0\*\*/);
    assert.match(md, /1 of the same type \(1 too long/);
  });
});

describe('the evaluation page', () => {
  const c = compare([
    {
      name: '<doc>',
      text: 'abcdef',
      gold: [{ start: 0, end: 2, label: '药物' }],
      predicted: [{ start: 0, end: 3, label: '药物', score: 0.7 }],
    },
  ]);

  it('has a strict Content-Security-Policy: nothing remote, script and style by nonce only', () => {
    const html = evaluationHtml(c, { cspSource: 'vscode-webview://x', nonce: 'N0NCE', title: 'T <b>' });
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)![1];
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'nonce-N0NCE'/);
    assert.doesNotMatch(csp, /unsafe|https?:/);
    assert.doesNotMatch(html, /<script(?![^>]*nonce="N0NCE")/);
    assert.doesNotMatch(html, /style="/, 'no inline style attributes (the CSP would block them)');
    assert.doesNotMatch(html, /https?:\/\//, 'no remote resources');
    assert.match(html, /T &#60;b&#62;/, 'the title is escaped');
    assert.match(html, /&#60;doc&#62;/, 'document names are escaped');
    assert.match(html, /var\(--vscode-charts-blue\)/, 'colours follow the theme');
    assert.match(html, /<a href="#" data-example="0"[^>]*>&#60;doc&#62;<\/a>/, 'an example links to its document by index');
  });

  it('accepts only the three known messages; an example by index, never by path', () => {
    assert.deepEqual(parseMessage({ type: 'openReport' }), { type: 'openReport' });
    assert.deepEqual(parseMessage({ type: 'rerun' }), { type: 'rerun' });
    assert.deepEqual(parseMessage({ type: 'reveal', example: 3 }), { type: 'reveal', example: 3 });
    for (const bad of [
      { type: 'reveal' },
      { type: 'reveal', example: -1 },
      { type: 'reveal', example: '0' },
      { type: 'reveal', example: 0.5 },
      { type: 'reveal', example: 0, path: '/etc/passwd' },
      undefined,
      null,
      'openReport',
      { type: 'open', path: '/etc/passwd' },
      { type: 'openReport', path: 'x' },
      [],
      { type: 1 },
    ])
      assert.equal(parseMessage(bad), undefined);
  });
});
