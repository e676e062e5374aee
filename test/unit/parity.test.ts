// The ONNX graph, run through the TypeScript core, must reproduce PyTorch's emissions and the
// Python Viterbi paths saved by models/training/export.py, alone and in padded batches.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { trimSpan } from '../../src/core/charClass';
import { viterbi } from '../../src/core/crf';
import { NerEngine } from '../../src/core/engine';
import { loadModelMeta } from '../../src/core/model';
import { OnnxRunner } from '../../src/core/onnxRunner';
import { tagsToSpans } from '../../src/core/spans';
import { modelDirs } from './support';

interface Case {
  text: string;
  ids: number[];
  emissions: number[][];
  viterbi: number[];
  /** A model with a lexicon: Python's dictionary features of the text (lexicon.py), a bit word per code point. */
  lexicon?: number[];
}

for (const dir of modelDirs()) {
  describe(`ONNX / PyTorch parity (${path.basename(dir)})`, function () {
    this.timeout(30_000);
    const meta = loadModelMeta(dir);
    const { cases } = JSON.parse(readFileSync(path.join(dir, 'parity.json'), 'utf8')) as { cases: Case[] };
    const k = meta.tags.length;
    let runner: OnnxRunner;

    before(async () => {
      runner = await OnnxRunner.create(meta, { threads: 1 });
    });
    after(async () => {
      await runner.dispose();
    });

    // The features as Python computed them: the runner is checked against PyTorch on the same input.
    const features = (c: Case) => (c.lexicon ? [Int32Array.from(c.lexicon)] : undefined);
    const check = (got: Float32Array, c: Case) => {
      assert.equal(got.length, c.ids.length * k);
      let worst = 0;
      c.emissions.forEach((row, i) => row.forEach((want, j) => (worst = Math.max(worst, Math.abs(got[i * k + j] - want)))));
      assert.ok(worst < 1e-3, `max |diff| ${worst} on ${JSON.stringify(c.text)}`);
    };

    it('matches each text run alone', async () => {
      for (const c of cases) check((await runner.run([Int32Array.from(c.ids)], features(c)))[0], c);
    });

    it('matches in one padded batch, in either order', async () => {
      for (const order of [cases, [...cases].reverse()]) {
        const out = await runner.run(
          order.map((c) => Int32Array.from(c.ids)),
          meta.lexicon ? order.map((c) => Int32Array.from(c.lexicon!)) : undefined,
        );
        order.forEach((c, i) => check(out[i], c));
      }
    });

    if (meta.lexicon) {
      it("computes Python's dictionary features from the model's lexicon.tsv", () => {
        for (const c of cases) assert.deepEqual([...meta.lexicon!.terms.features(c.text)], c.lexicon, c.text);
      });

      it('depends on the features: without them the emissions differ from PyTorch', async () => {
        let worst = 0;
        for (const c of cases) {
          const got = (await runner.run([Int32Array.from(c.ids)], [new Int32Array(c.ids.length)]))[0];
          c.emissions.forEach((row, i) => row.forEach((want, j) => (worst = Math.max(worst, Math.abs(got[i * k + j] - want)))));
        }
        assert.ok(worst > 1e-3, `max |diff| ${worst}: the parity above would hold with the features ignored`);
      });
    }

    // The whole path (tokenizer, dictionary features, ONNX, CRF), each text one window: its entities are
    // those of Python's Viterbi path.
    const hasInt8 = !!(JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8')) as { onnx: { int8?: unknown } }).onnx.int8;
    for (const precision of ['fp32', ...(hasInt8 ? ['int8' as const] : [])] as const) {
      it(`finds the entities of Python's Viterbi path through the engine (${precision})`, async function () {
        if (precision === 'int8') {
          // Quantised weights move the scores; the int8 graph must still take the same inputs and run.
          const engine = await NerEngine.load(dir, { threads: 1, precision });
          await engine.analyzeMany(cases.map((c) => c.text));
          await engine.dispose();
          return;
        }
        const engine = new NerEngine(meta, runner);
        for (const c of cases) {
          assert.ok(Array.from(c.text).length <= meta.maxLength, 'one window');
          const chars = Array.from(c.text);
          const want = tagsToSpans(Int32Array.from(c.viterbi), meta.tags).flatMap((s) => {
            const [start, end] = trimSpan(chars, s.start, s.end);
            return start < end ? [{ start, end, label: s.label }] : [];
          });
          const got = (await engine.analyze(c.text)).map(({ start, end, label }) => ({ start, end, label }));
          assert.deepEqual(got, want, c.text);
        }
      });
    }

    it("decodes the same Viterbi path as Python's CRF", () => {
      for (const c of cases) {
        const em = Float32Array.from(c.emissions.flat());
        assert.deepEqual([...viterbi(em, c.ids.length, k, meta.crf)], c.viterbi, c.text);
      }
    });
  });
}
