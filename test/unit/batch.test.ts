import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { inputInside, labelBatch, siblingOutDir, type BatchOptions } from '../../src/core/batch';
import { NerEngine } from '../../src/core/engine';
import { parseDocuments, serializeDocuments } from '../../src/core/formats/jsonl';
import { FORMAT_NAMES, FORMATS } from '../../src/core/formats/registry';
import { meta, RuleRunner } from './fakeModel';
import { storedInputs } from './outDirState';

function corpus(n: number): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'medner-batch-'));
  mkdirSync(path.join(dir, 'in', 'sub'), { recursive: true });
  for (let i = 0; i < n; i++)
    writeFileSync(path.join(dir, 'in', i % 2 ? 'sub' : '', `r${String(i).padStart(3, '0')}.txt`), `记录${i}：病病a。病a`);
  writeFileSync(path.join(dir, 'in', 'broken.txt'), Buffer.from([0x00, 0x01, 0x02, 0xff]));
  return dir;
}

const options = (outDir: string, extra: Partial<BatchOptions> = {}): BatchOptions => ({
  outDir,
  chunkChars: 30,
  exportFiles: (docs) => [{ relativePath: 'annotations.jsonl', content: serializeDocuments(docs) }],
  ...extra,
});

function hashes(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    try {
      out[f] = createHash('sha256')
        .update(readFileSync(path.join(dir, f)))
        .digest('hex');
    } catch {
      // a folder
    }
  }
  return out;
}

describe('labelBatch', () => {
  it('labels a folder, writes the export and a summary, and never touches the sources', async () => {
    const dir = corpus(6);
    const before = hashes(path.join(dir, 'in'));
    const runner = new RuleRunner();
    const summary = await labelBatch(new NerEngine(meta(64), runner), [path.join(dir, 'in')], options(path.join(dir, 'out')));
    assert.equal(summary.files, 7);
    assert.equal(summary.documents, 6);
    assert.deepEqual(
      summary.skipped.map((s) => [path.basename(s.path), s.reason]),
      [['broken.txt', 'binary file']],
    );
    assert.equal(summary.entities['疾病和诊断'], 12);
    const docs = parseDocuments(readFileSync(path.join(dir, 'out', 'annotations.jsonl'), 'utf8'));
    assert.equal(docs.length, 6);
    assert.ok(docs.every((d) => d.entities.map((e) => e.text).join() === '病病,病'));
    assert.match(readFileSync(path.join(dir, 'out', 'summary.md'), 'utf8'), /broken\.txt`: binary file/);
    assert.deepEqual(JSON.parse(readFileSync(path.join(dir, 'out', 'summary.json'), 'utf8')).documents, 6);
    assert.deepEqual(hashes(path.join(dir, 'in')), before);
  });

  it('relabels only new and changed inputs on a rerun, and everything for another model', async () => {
    const dir = corpus(6);
    const out = path.join(dir, 'out');
    await labelBatch(new NerEngine(meta(64), new RuleRunner()), [path.join(dir, 'in')], options(out));
    writeFileSync(path.join(dir, 'in', 'r000.txt'), '改过了：病');
    writeFileSync(path.join(dir, 'in', 'new.txt'), '新的：病病病');
    const runner = new RuleRunner();
    const again = await labelBatch(new NerEngine(meta(64), runner), [path.join(dir, 'in')], options(out));
    assert.equal(again.reused, 5);
    assert.equal(again.documents, 7);
    assert.equal(runner.batches.flat().length, 2, 'only the changed and the new file went through the model');
    const docs = parseDocuments(readFileSync(path.join(out, 'annotations.jsonl'), 'utf8'));
    assert.equal(docs.find((d) => d.path.endsWith('r000.txt'))!.text, '改过了：病');
    const other = { ...meta(64), sha256: 'another model', key: 'another model' };
    const fresh = await labelBatch(new NerEngine(other, new RuleRunner()), [path.join(dir, 'in')], options(out));
    assert.equal(fresh.reused, 0);
  });

  it('keeps finished results when cancelled and resumes from them', async () => {
    const dir = corpus(20);
    const out = path.join(dir, 'out');
    const abort = new AbortController();
    let progressCalls = 0;
    await assert.rejects(
      labelBatch(
        new NerEngine(meta(64), new RuleRunner()),
        [path.join(dir, 'in')],
        options(out, {
          signal: abort.signal,
          onProgress: (p) => {
            assert.ok(p.filesDone <= p.filesTotal);
            if (++progressCalls === 3) abort.abort(new Error('cancelled'));
          },
        }),
      ),
      /cancelled/,
    );
    assert.ok(!readdirSync(out).includes('annotations.jsonl'), 'no export from a cancelled run');
    const finished = Object.keys(storedInputs(out)).length;
    assert.ok(finished > 0 && finished < 20, `${finished} finished`);
    const resumed = await labelBatch(new NerEngine(meta(64), new RuleRunner()), [path.join(dir, 'in')], options(out));
    assert.equal(resumed.reused, finished);
    assert.equal(resumed.documents, 20);
  });

  it('a rerun that reuses every input reports no ETA: reused inputs take no time and say nothing of the rate', async () => {
    const dir = corpus(6);
    const out = path.join(dir, 'out');
    await labelBatch(new NerEngine(meta(64), new RuleRunner()), [path.join(dir, 'in')], options(out));
    const reports: { charsPerSecond: number; etaSeconds?: number }[] = [];
    const again = await labelBatch(
      new NerEngine(meta(64), new RuleRunner()),
      [path.join(dir, 'in')],
      options(out, { onProgress: (p) => reports.push(p) }),
    );
    assert.equal(again.reused, 6);
    assert.ok(reports.length >= 6);
    assert.deepEqual(
      reports.map((r) => [r.charsPerSecond, r.etaSeconds]),
      reports.map(() => [0, undefined]),
    );
    // A changed input, labelled after the reused ones: from then on there is a rate to tell an ETA by.
    writeFileSync(path.join(dir, 'in', 'sub', 'r005.txt'), '改过了：病');
    reports.length = 0;
    await labelBatch(
      new NerEngine(meta(64), new RuleRunner()),
      [path.join(dir, 'in')],
      options(out, { onProgress: (p) => reports.push(p) }),
    );
    assert.ok(reports.at(-1)!.etaSeconds !== undefined && reports.at(-1)!.charsPerSecond > 0);
  });

  it('proposes a sibling output folder and finds an input inside an output folder', async () => {
    const dir = corpus(1);
    const inDir = path.join(dir, 'in');
    assert.equal(siblingOutDir(inDir, true), `${inDir}-medner`);
    assert.equal(siblingOutDir(path.join(inDir, 'r000.txt'), false), `${inDir}-medner`);
    assert.equal(await inputInside(dir, [inDir]), inDir);
    assert.equal(await inputInside(inDir, [path.join(inDir, 'r000.txt')]), path.join(inDir, 'r000.txt'));
    assert.equal(await inputInside(`${inDir}-medner`, [inDir]), undefined, 'a folder not there yet holds nothing');
    mkdirSync(`${inDir}-medner`);
    assert.equal(await inputInside(`${inDir}-medner`, [inDir]), undefined);
  });

  it('does not take its own output folder as input', async () => {
    const dir = corpus(2);
    const out = path.join(dir, 'in', 'labelled');
    await labelBatch(new NerEngine(meta(64), new RuleRunner()), [path.join(dir, 'in')], options(out));
    writeFileSync(path.join(out, 'stray.txt'), '病');
    const again = await labelBatch(new NerEngine(meta(64), new RuleRunner()), [path.join(dir, 'in')], options(out));
    assert.equal(again.files, 3);
  });
});

describe('labelBatch export of a format that concatenates', () => {
  it('writes, a chunk at a time, the same bytes and summary as the export of all documents at once', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'medner-batch-stream-'));
    mkdirSync(path.join(dir, 'in'));
    // More documents than one chunk (1,000), from text files and from one Yidu file of records.
    for (let i = 0; i < 40; i++) writeFileSync(path.join(dir, 'in', `r${String(i).padStart(2, '0')}.txt`), `记录${i}：病病a。`);
    const records = Array.from({ length: 2_300 }, (_, i) => JSON.stringify({ originalText: `第${i}条：病a，病病。`, entities: [] }));
    writeFileSync(path.join(dir, 'in', 'records.json'), records.join('\n') + '\n');
    for (const name of FORMAT_NAMES.filter((n) => FORMATS[n].concatenates)) {
      const run = (exportConcatenates: boolean) =>
        labelBatch(new NerEngine(meta(64), new RuleRunner()), [path.join(dir, 'in')], {
          outDir: path.join(dir, `${name}-${exportConcatenates}`),
          glob: '**/*.{txt,json}',
          exportFiles: (docs) => FORMATS[name].export(docs),
          exportConcatenates,
        });
      const whole = await run(false);
      const streamed = await run(true);
      assert.equal(streamed.documents, 2_340);
      assert.deepEqual({ ...streamed, outDir: '', seconds: 0 }, { ...whole, outDir: '', seconds: 0 }, name);
      const file = whole.outputs[0];
      assert.ok(readFileSync(path.join(dir, `${name}-true`, file)).equals(readFileSync(path.join(dir, `${name}-false`, file))), name);
    }
  });
});
