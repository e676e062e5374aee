import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { NerEngine, planBatches } from '../../src/core/engine';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { loadModelMeta } from '../../src/core/model';
import { OnnxRunner } from '../../src/core/onnxRunner';
import { makeWindows } from '../../src/core/windowing';
import { meta, RuleRunner } from './fakeModel';
import { referenceAnalyzeMany } from './reference';
import { ROOT, SHIPPED_MODEL } from './support';

function sickRuns(chars: string[]): { start: number; end: number }[] {
  const runs: { start: number; end: number }[] = [];
  chars.forEach((c, i) => {
    if (c !== '病') return;
    if (i > 0 && chars[i - 1] === '病') runs[runs.length - 1].end = i + 1;
    else runs.push({ start: i, end: i + 1 });
  });
  return runs;
}

// Sentences of at most 16 code points, so every window (>= 24) has a sentence end to cut after.
const sentence = fc
  .array(
    fc.oneof(
      fc.constantFrom('a', '😀', '\r\n', 'x', '，'),
      fc.integer({ min: 1, max: 3 }).map((n) => '病'.repeat(n)),
    ),
    { maxLength: 5 },
  )
  .map((parts) => parts.join('') + '。');
const shortRuns = fc.array(sentence, { maxLength: 40 }).map((s) => s.join(''));

describe('NerEngine', () => {
  it('finds every entity exactly once across window boundaries', async () => {
    await fc.assert(
      fc.asyncProperty(shortRuns, fc.integer({ min: 24, max: 48 }), async (text, maxLength) => {
        const engine = new NerEngine(meta(maxLength), new RuleRunner());
        const got = await engine.analyze(text);
        const chars = Array.from(text);
        assert.deepEqual(
          got.map((e) => ({ start: e.start, end: e.end })),
          sickRuns(chars),
        );
        for (const e of got) {
          assert.equal(e.text, chars.slice(e.start, e.end).join(''));
          assert.equal(e.label, '疾病和诊断');
          assert.ok(e.score > 0.99 && e.score <= 1);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('decides each window on its own text, cut where the training pipeline cuts (property)', async () => {
    // 病 is a disease only with an 'a' at most 2 characters away: a model that reads context, so the
    // result depends on where the windows fall. The model was trained on windows cut at sentence and
    // clause ends (models/training/text.py), and reads each one alone at inference too.
    const A = 4; // 'a' in fakeModel.ts
    class ContextRunner extends RuleRunner {
      override async run(batch: readonly Int32Array[]): Promise<Float32Array[]> {
        return batch.map((ids) => {
          const qualifies = (i: number) => i >= 0 && ids[i] === 3 && ids.slice(Math.max(0, i - 2), i + 3).includes(A);
          const em = new Float32Array(ids.length * 3);
          ids.forEach((_, i) => (em[i * 3 + (!qualifies(i) ? 0 : qualifies(i - 1) ? 2 : 1)] = 10));
          return em;
        });
      }
    }
    const units = fc.oneof(
      { arbitrary: fc.constantFrom('x', '。', '，', '😀', '\r\n', '\u200b', 'Ｃ'), weight: 6 },
      { arbitrary: fc.constant('a'), weight: 1 },
      { arbitrary: fc.integer({ min: 1, max: 3 }).map((n) => '病'.repeat(n)), weight: 3 },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(units, { minLength: 60, maxLength: 200, size: 'max' }).map((p) => p.join('')),
        fc.integer({ min: 40, max: 64 }),
        async (text, maxLength) => {
          const chars = Array.from(text);
          const windowed = await new NerEngine(meta(maxLength), new ContextRunner()).analyze(text);
          const alone = new NerEngine(meta(Math.max(2, chars.length)), new ContextRunner());
          const expected = [];
          for (const w of makeWindows(text, maxLength)) {
            for (const e of await alone.analyze(chars.slice(w.start, w.end).join(''))) {
              expected.push({ ...e, start: e.start + w.start, end: e.end + w.start });
            }
          }
          assert.deepEqual(windowed, expected);
          for (const e of windowed) {
            assert.ok(e.start >= 0 && e.start < e.end && e.end <= chars.length, 'inside the text');
            assert.equal(e.text, chars.slice(e.start, e.end).join(''));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('uses code-point offsets for texts with astral characters and CRLF', async () => {
    const engine = new NerEngine(meta(256), new RuleRunner());
    const [entity] = await engine.analyze('😀\r\n病病a');
    assert.deepEqual({ start: entity.start, end: entity.end, text: entity.text }, { start: 3, end: 5, text: '病病' });
  });

  it('trims whitespace, CR and LF off entity edges', async () => {
    class Greedy extends RuleRunner {
      override async run(batch: readonly Int32Array[]): Promise<Float32Array[]> {
        // Everything is one long disease: B then I to the end.
        return batch.map((ids) => Float32Array.from({ length: ids.length * 3 }, (_, j) => (j % 3 === (j < 3 ? 1 : 2) ? 10 : 0)));
      }
    }
    const engine = new NerEngine(meta(256), new Greedy());
    const got = await engine.analyze('\r\n 病 a\r\n');
    assert.deepEqual(
      got.map((e) => [e.start, e.end, e.text]),
      [[3, 6, '病 a']],
    );
    assert.deepEqual(await engine.analyze(' \r\n'), []);
  });

  it("trims line breaks and controls the model's whitespace list lacks (U+001C..U+001F, U+2028, NUL) off entity edges", async () => {
    class Greedy extends RuleRunner {
      override async run(batch: readonly Int32Array[]): Promise<Float32Array[]> {
        return batch.map((ids) => Float32Array.from({ length: ids.length * 3 }, (_, j) => (j % 3 === (j < 3 ? 1 : 2) ? 10 : 0)));
      }
    }
    const engine = new NerEngine(meta(256), new Greedy());
    // The shipped model's list (model.json) lacks U+001C..U+001F: it reads them as [UNK], like the fake one here.
    const got = await engine.analyze('\u001e病\u001ca\u2028\u001f\u0000');
    assert.deepEqual(
      got.map((e) => [e.start, e.end, e.text]),
      [[1, 4, '病\u001ca']],
    );
  });

  it('batches windows of several documents by length within the token budget', async () => {
    const runner = new RuleRunner();
    const engine = new NerEngine(meta(32), runner);
    const texts = ['病a', 'a'.repeat(100), '病'.repeat(5), ''];
    const results = await engine.analyzeMany(texts, { batchTokens: 64 });
    assert.equal(results.length, 4);
    assert.deepEqual(results[3], []);
    for (const batch of runner.batches) assert.ok(batch.length === 1 || Math.max(...batch) * batch.length <= 64, String(batch));
    const lengths = runner.batches.flat();
    assert.deepEqual(
      lengths,
      [...lengths].sort((a, b) => a - b),
    );
  });

  it('serves unchanged windows from the cache: an edit re-runs only the windows it touches', async () => {
    const runner = new RuleRunner();
    const engine = new NerEngine(meta(32), runner);
    const text = Array.from({ length: 40 }, (_, i) => `病${'a'.repeat(i % 5)}。`).join('');
    const before = await engine.analyze(text);
    const runs = runner.batches.flat().length;
    assert.ok(runs > 5);
    assert.deepEqual(await engine.analyze(text), before);
    assert.equal(runner.batches.flat().length, runs, 'reopening costs no inference');
    const edited = text.slice(0, 100) + '病' + text.slice(100);
    const after = await engine.analyze(edited);
    const rerun = runner.batches.flat().length - runs;
    assert.ok(rerun >= 1 && rerun <= 3, `re-ran ${rerun} windows`);
    assert.deepEqual(
      after.map((e) => [e.start, e.end]),
      sickRuns(Array.from(edited)).map((r) => [r.start, r.end]),
    );
  });

  it('decides the priority range first and reports it before the rest', async () => {
    const runner = new RuleRunner();
    const engine = new NerEngine(meta(32), runner);
    const text = '病aaaa。'.repeat(200);
    const partials: number[][] = [];
    const all = await engine.analyze(text, {
      priority: { start: 600, end: 650 },
      onPartial: (es) => partials.push(es.map((e) => e.start)),
    });
    assert.equal(partials.length, 1);
    assert.ok(partials[0].length > 0 && partials[0].length < all.length);
    assert.ok(
      partials[0].every((s) => s >= 550 && s < 700),
      String(partials[0]),
    );
    assert.ok(partials[0].some((s) => s >= 600 && s < 650));
    assert.equal(all.length, 200);
  });

  it('tells its progress in windows decided, from 0 to all, cached windows at once', async () => {
    const engine = new NerEngine(meta(32), new RuleRunner());
    const text = '病aaaa。'.repeat(200);
    const seen: [number, number][] = [];
    await engine.analyze(text, { priority: { start: 600, end: 650 }, batchTokens: 64, onProgress: (d, n) => seen.push([d, n]) });
    const windows = seen[0][1];
    assert.ok(windows > 10, `${windows} windows`);
    assert.deepEqual(seen[0], [0, windows]);
    assert.deepEqual(seen.at(-1), [windows, windows]);
    assert.ok(
      seen.every(([d, n], i) => n === windows && (i === 0 || d > seen[i - 1][0])),
      JSON.stringify(seen),
    );
    // The same text again: every window is cached, decided in one step.
    const again: [number, number][] = [];
    await engine.analyze(text, { onProgress: (d, n) => again.push([d, n]) });
    assert.deepEqual(again, [
      [0, windows],
      [windows, windows],
    ]);
  });

  it('stops between batches when cancelled', async () => {
    const abort = new AbortController();
    const runner = new RuleRunner();
    const run = runner.run.bind(runner);
    runner.run = async (batch) => {
      abort.abort(new Error('cancelled by test'));
      return run(batch);
    };
    const engine = new NerEngine(meta(16), runner);
    await assert.rejects(engine.analyze('a'.repeat(500), { signal: abort.signal, batchTokens: 16 }), /cancelled by test/);
    assert.equal(runner.batches.length, 1);
  });
});

describe('NerEngine walking texts in place', () => {
  // 病 is a disease only next to an 'a': the answer depends on where windows are cut.
  class ContextRunner extends RuleRunner {
    override async run(batch: readonly Int32Array[]): Promise<Float32Array[]> {
      this.batches.push(batch.map((s) => s.length));
      return batch.map((ids) => {
        const em = new Float32Array(ids.length * 3);
        ids.forEach((id, i) => {
          const sick = id === 3 && (ids[i - 1] === 4 || ids[i + 1] === 4 || ids[i - 1] === 3);
          em[i * 3 + (!sick ? 0 : ids[i - 1] === 3 ? 2 : 1)] = 10 - (i % 7) / 10;
        });
        return em;
      });
    }
  }
  const units = fc.constantFrom('病', 'a', 'x', '。', '，', '\r\n', ' ', '😀', '\ud83d', '\ude00', 'Ｃ', '\u3000');
  const texts = fc.array(
    fc.array(units, { maxLength: 300 }).map((p) => p.join('')),
    { minLength: 1, maxLength: 4 },
  );

  it('gives the same entities, scores and texts as the per-character engine (property)', async () => {
    await fc.assert(
      fc.asyncProperty(texts, fc.integer({ min: 2, max: 48 }), fc.integer({ min: 16, max: 256 }), async (ts, maxLength, batchTokens) => {
        const got = await new NerEngine(meta(maxLength), new ContextRunner()).analyzeMany(ts, { batchTokens });
        assert.deepEqual(got, await referenceAnalyzeMany(meta(maxLength), new ContextRunner(), ts, batchTokens));
      }),
      { numRuns: 300 },
    );
  });

  it("gives the shipped model's entities exactly as the per-character engine did on multi-window texts", async function () {
    this.timeout(60_000);
    // Clinical prose several windows long, with what offsets trip on: astral characters, CRLF, a lone surrogate.
    const samples = readdirSync(path.join(ROOT, 'samples'))
      .sort()
      .map((f) => readFileSync(path.join(ROOT, 'samples', f), 'utf8'));
    const long = samples.join('😀') + '\r\n' + samples.map((t) => t.replace(/\n/g, '')).join('𠀀\ud83d');
    const texts = [long, samples[0], long.slice(1000)];
    const m = loadModelMeta(SHIPPED_MODEL);
    assert.ok(makeWindows(long, m.maxLength).length >= 10);
    const runner = await OnnxRunner.create(m, { threads: 1 });
    try {
      const got = await new NerEngine(m, runner).analyzeMany(texts);
      const want = await referenceAnalyzeMany(m, runner, texts);
      assert.ok(want[0].length > 100);
      assert.deepEqual(got, want);
    } finally {
      await runner.dispose();
    }
  });
});

describe('planBatches', () => {
  it('sorts by length and fills each batch up to the padded-token budget', () => {
    assert.deepEqual(
      planBatches([5, 1, 3, 3, 9], (n) => n, 9),
      [[1, 3, 3], [5], [9]],
    );
  });

  it('gives an item longer than the budget a batch of its own', () => {
    assert.deepEqual(
      planBatches([3, 1, 9], (n) => n, 2),
      [[1], [3], [9]],
    );
  });
});
