// The ONNX graph, run through the TypeScript core, must reproduce PyTorch's emissions and the
// Python Viterbi paths saved by models/training/export.py, alone and in padded batches.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { viterbi } from '../../src/core/crf';
import { loadModelMeta } from '../../src/core/model';
import { OnnxRunner } from '../../src/core/onnxRunner';
import { modelDirs } from './support';

interface Case {
  text: string;
  ids: number[];
  emissions: number[][];
  viterbi: number[];
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

    const check = (got: Float32Array, c: Case) => {
      assert.equal(got.length, c.ids.length * k);
      let worst = 0;
      c.emissions.forEach((row, i) => row.forEach((want, j) => (worst = Math.max(worst, Math.abs(got[i * k + j] - want)))));
      assert.ok(worst < 1e-3, `max |diff| ${worst} on ${JSON.stringify(c.text)}`);
    };

    it('matches each text run alone', async () => {
      for (const c of cases) check((await runner.run([Int32Array.from(c.ids)]))[0], c);
    });

    it('matches in one padded batch, in either order', async () => {
      for (const order of [cases, [...cases].reverse()]) {
        const out = await runner.run(order.map((c) => Int32Array.from(c.ids)));
        order.forEach((c, i) => check(out[i], c));
      }
    });

    it("decodes the same Viterbi path as Python's CRF", () => {
      for (const c of cases) {
        const em = Float32Array.from(c.emissions.flat());
        assert.deepEqual([...viterbi(em, c.ids.length, k, meta.crf)], c.viterbi, c.text);
      }
    });
  });
}
