// What Label Folder says: no "0 files unchanged", no rate or ETA before anything was labelled.
import * as assert from 'node:assert/strict';
import type { BatchSummary } from '../../src/core/batch';
import { YIDU_LABELS } from '../../src/core/labels';
import { labelledMessage, progressMessage } from '../../src/extension/batchMessages';

const summary = (reused: number, skipped: number): BatchSummary => ({
  outDir: '/data/in-medner',
  matched: 24,
  files: 24,
  reused,
  documents: 24 - skipped,
  characters: 1000,
  entities: Object.fromEntries(YIDU_LABELS.map((l) => [l, 0])) as BatchSummary['entities'],
  seconds: 3.14,
  skipped: Array.from({ length: skipped }, (_, i) => ({ path: `bad${i}.txt`, reason: 'binary file' })),
  outputs: ['annotations.jsonl'],
});

describe('Label Folder messages', () => {
  it('says what was reused or skipped only when something was', () => {
    assert.equal(labelledMessage(summary(0, 0)), 'MedNER: 24 documents in /data/in-medner after 3.1 s.');
    assert.equal(
      labelledMessage(summary(4, 1)),
      'MedNER: 23 documents in /data/in-medner after 3.1 s (4 files unchanged since the last run kept their results; 1 file skipped: see the summary).',
    );
    assert.match(labelledMessage(summary(1, 2)), /\(1 file unchanged since the last run kept its result; 2 files skipped/);
  });

  it('tells a rate and an ETA only once something was labelled', () => {
    assert.equal(progressMessage({ filesDone: 12, filesTotal: 40, characters: 0, charsPerSecond: 0 }), '12/40 files');
    assert.equal(
      progressMessage({ filesDone: 20, filesTotal: 40, characters: 9000, charsPerSecond: 5300.4, etaSeconds: 7.2 }),
      '20/40 files, 5,300 chars/s, ETA 8 s',
    );
    assert.match(progressMessage({ filesDone: 1, filesTotal: 400, characters: 9, charsPerSecond: 10, etaSeconds: 600 }), /ETA 10 min$/);
  });
});
