import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { NerEngine } from '../../src/core/engine';
import { loadModelMeta, ModelError } from '../../src/core/model';
import { OnnxRunner } from '../../src/core/onnxRunner';
import { WorkerRunner } from '../../src/core/workerRunner';
import { ROOT, SHIPPED_MODEL } from './support';

// The bundle `npm run build` produces; the extension loads it from beside dist/extension.js.
const SCRIPT = path.join(ROOT, 'dist', 'inferenceWorker.js');

describe('WorkerRunner', function () {
  this.timeout(30_000);
  const meta = loadModelMeta(SHIPPED_MODEL);
  // A dictionary-feature model's cases hold Python's features of each text too.
  const { cases } = JSON.parse(readFileSync(path.join(SHIPPED_MODEL, 'parity.json'), 'utf8')) as {
    cases: { ids: number[]; lexicon?: number[] }[];
  };
  // Fresh arrays per run: the worker runner moves the features to the worker, as the engine's are its to drop.
  const features = (rows: (number[] | undefined)[]) => (meta.lexicon ? rows.map((r) => Int32Array.from(r!)) : undefined);

  it('gives the same emissions as the in-process runner, without blocking the event loop', async () => {
    const batch = cases.map((c) => Int32Array.from(c.ids));
    const local = await OnnxRunner.create(meta, { threads: 1 });
    const want = await local.run(batch, features(cases.map((c) => c.lexicon)));
    await local.dispose();
    const worker = await WorkerRunner.create(meta, { threads: 1 }, SCRIPT);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const cycle = <T>(row: readonly T[]) => Array.from({ length: 256 }, (_, i) => row[i % row.length]);
    const long = Int32Array.from(cycle(cases[0].ids));
    const longLexicon = cases[0].lexicon && cycle(cases[0].lexicon);
    const runs = await Promise.all([
      worker.run(batch, features(cases.map((c) => c.lexicon))),
      ...Array.from({ length: 20 }, () => worker.run([long, long, long, long], features(Array(4).fill(longLexicon)))),
    ]);
    clearInterval(timer);
    assert.deepEqual(runs[0], want);
    assert.ok(ticks > 5, `the main thread kept running timers (${ticks} ticks)`);
    await worker.dispose();
    await assert.rejects(worker.run(batch), /exited/);
  });

  it('reports a broken model as a ModelError', async () => {
    const broken = { ...meta, onnxPath: path.join(ROOT, 'package.json') };
    await assert.rejects(
      WorkerRunner.create(broken, {}, SCRIPT),
      (e: Error) => e instanceof ModelError && /cannot load model/.test(e.message),
    );
  });

  it('runs the engine end to end', async () => {
    const engine = new NerEngine(meta, await WorkerRunner.create(meta, {}, SCRIPT));
    const entities = await engine.analyze('患者行腹腔镜胆囊切除术，术后予头孢曲松抗感染。');
    assert.ok(entities.length > 0);
    await engine.dispose();
  });
});
