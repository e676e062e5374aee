import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { NerEngine } from '../../src/core/engine';
import { loadModelMeta, ModelError } from '../../src/core/model';
import { OnnxRunner } from '../../src/core/onnxRunner';
import { SHIPPED_MODEL } from './support';

function modelCopy(edit: (meta: Record<string, unknown>) => void = () => undefined, onnx?: Buffer): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'medner-model-'));
  const meta = JSON.parse(readFileSync(path.join(SHIPPED_MODEL, 'model.json'), 'utf8')) as Record<string, unknown>;
  edit(meta);
  writeFileSync(path.join(dir, 'model.json'), JSON.stringify(meta));
  if (onnx) writeFileSync(path.join(dir, 'model.onnx'), onnx);
  else copyFileSync(path.join(SHIPPED_MODEL, 'model.onnx'), path.join(dir, 'model.onnx'));
  // A dictionary-feature model's lexicon travels with it, so only the edit differs from the shipped folder.
  const lexicon = (meta.lexicon as { file?: unknown } | undefined)?.file;
  if (typeof lexicon === 'string') copyFileSync(path.join(SHIPPED_MODEL, lexicon), path.join(dir, lexicon));
  return dir;
}

describe('model loading', function () {
  this.timeout(20_000);

  it('loads the shipped model and its contract', () => {
    const meta = loadModelMeta(SHIPPED_MODEL);
    assert.equal(meta.tags[0], 'O');
    assert.equal(meta.tags.length, 13);
    assert.equal(meta.crf.transitions.length, 13 * 13);
    assert.ok(meta.vocab.length > 1000);
    assert.ok(meta.maxLength >= 64);
  });

  it('loads the int8 variant, which finds the same kind of entities', async () => {
    const meta = loadModelMeta(SHIPPED_MODEL, true, 'int8');
    assert.match(meta.onnxPath, /model\.int8\.onnx$/);
    const engine = await NerEngine.load(SHIPPED_MODEL, { precision: 'int8', threads: 1 });
    const entities = await engine.analyze('患者行腹腔镜胆囊切除术，术后予头孢曲松抗感染。');
    assert.ok(entities.some((e) => e.label === '手术') && entities.some((e) => e.label === '药物'), JSON.stringify(entities));
    await engine.dispose();
  });

  it('says how to create a missing int8 variant', () => {
    const dir = modelCopy((m) => delete (m.onnx as Record<string, unknown>).int8);
    assert.throws(() => loadModelMeta(dir, true, 'int8'), /no int8 variant: create it with models\/training\/quantize\.py/);
  });

  it('names a missing model directory', () => {
    assert.throws(
      () => loadModelMeta('/nonexistent/model'),
      (e: Error) => e instanceof ModelError && /cannot read model metadata/.test(e.message),
    );
  });

  it('rejects a truncated ONNX file before loading it', () => {
    const bytes = readFileSync(path.join(SHIPPED_MODEL, 'model.onnx'));
    const dir = modelCopy(undefined, bytes.subarray(0, bytes.length >> 1));
    assert.throws(() => loadModelMeta(dir), /corrupt, truncated or from another export/);
  });

  it('rejects metadata whose CRF does not match its tags', () => {
    const dir = modelCopy((m) => (m.tags = [...(m.tags as string[]), 'B-药物']));
    assert.throws(() => loadModelMeta(dir), /crf.transitions/);
  });

  it('rejects tags of unknown entity types', () => {
    const dir = modelCopy((m) => (m.tags = (m.tags as string[]).map((t) => t.replace('药物', '症状'))));
    assert.throws(() => loadModelMeta(dir), /Yidu-S4K types/);
  });

  it('reports an ONNX file that is not a model', async () => {
    const garbage = Buffer.from('not an onnx model');
    const dir = modelCopy(
      (m) => ((m.onnx as Record<string, unknown>).sha256 = createHash('sha256').update(garbage).digest('hex')),
      garbage,
    );
    await assert.rejects(NerEngine.load(dir), (e: Error) => e instanceof ModelError && /cannot load model/.test(e.message));
  });

  it("refuses metadata without the ONNX file's sha256", () => {
    const dir = modelCopy((m) => ((m.onnx as Record<string, unknown>).sha256 = undefined));
    assert.throws(
      () => loadModelMeta(dir),
      (e: Error) => e instanceof ModelError && /"onnx.sha256" must be/.test(e.message),
    );
  });

  it('keys results by the ONNX file and every part of model.json that changes them', () => {
    const base = loadModelMeta(modelCopy(() => undefined)).key;
    assert.equal(loadModelMeta(modelCopy((m) => (m.metrics = { note: 'edited' }))).key, base, 'metrics do not change results');
    assert.notEqual(loadModelMeta(modelCopy((m) => ((m.crf as { end: number[] }).end[0] += 1))).key, base);
    assert.notEqual(loadModelMeta(modelCopy((m) => (m.maxLength = (m.maxLength as number) - 1))).key, base);
    assert.notEqual(loadModelMeta(modelCopy((m) => ((m.vocab as string[])[5] = '\u{20000}'))).key, base);
  });

  it("refuses, at load, a maxLength longer than the graph's position embeddings", async () => {
    // The shipped graph has 256 positions: at 300 every text longer than 256 characters once died
    // mid-run with ONNX Runtime's raw (and ANSI-coloured) error instead of a model error.
    const dir = modelCopy((m) => (m.maxLength = 300));
    await assert.rejects(
      NerEngine.load(dir, { threads: 1 }),
      (e: Error) =>
        e instanceof ModelError && /fails on a window of 300 tokens, model\.json's "maxLength": .*pos.*out of data bounds/.test(e.message),
    );
  });

  it("refuses, at load, a vocabulary with ids the graph's embedding has no row for", async () => {
    const dir = modelCopy((m) => (m.vocab = [...(m.vocab as string[]), '\u{20001}', '\u{20002}']));
    const n = loadModelMeta(dir).vocab.length;
    await assert.rejects(
      NerEngine.load(dir, { threads: 1 }),
      (e: Error) =>
        e instanceof ModelError && e.message.includes(`fails on token id ${n - 1}, the last of the ${n} in model.json's "vocab"`),
    );
  });

  it('refuses a maxLength above 4,096 before loading the graph', () => {
    assert.throws(
      () => loadModelMeta(modelCopy((m) => (m.maxLength = 4097))),
      (e: Error) => e instanceof ModelError && /"maxLength" must be an integer from 2 to 4096, got 4097/.test(e.message),
    );
  });

  it('reports metadata listing more tags than the ONNX graph emits', async () => {
    const dir = modelCopy((m) => {
      const k = (m.tags as string[]).length + 2;
      m.tags = [...(m.tags as string[]), 'B-药物', 'I-药物'];
      const crf = m.crf as Record<string, unknown>;
      crf.transitions = Array.from({ length: k }, () => new Array<number>(k).fill(0));
      crf.start = new Array<number>(k).fill(0);
      crf.end = new Array<number>(k).fill(0);
    });
    // At load, before any input is read: the graph's declared output width is 13.
    await assert.rejects(
      OnnxRunner.create(loadModelMeta(dir)),
      (e: Error) => e instanceof ModelError && /emits batchxlengthx13 scores but its metadata lists 15 tags/.test(e.message),
    );
  });
});
