/** The ONNX session: created once per model, run on padded batches of token ids. */
import type * as Ort from 'onnxruntime-node';
import { ModelError, type ModelMeta } from './model';
import { loadOrt } from './ort';

export interface RunnerOptions {
  /** Intra-op threads; 0 lets onnxruntime choose. */
  threads?: number;
  /** Overrides of the session options below; the benchmark measures the alternatives. */
  session?: Pick<Ort.InferenceSession.SessionOptions, 'graphOptimizationLevel' | 'enableCpuMemArena' | 'executionMode'>;
}

export class OnnxRunner {
  private constructor(
    private readonly ort: typeof Ort,
    private readonly session: Ort.InferenceSession,
    readonly numTags: number,
  ) {}

  static async create(meta: Pick<ModelMeta, 'onnxPath' | 'tags'>, options: RunnerOptions = {}): Promise<OnnxRunner> {
    // Imported lazily: the native binding costs ~100 ms and is not needed until the first run.
    const ort = await loadOrt();
    // Its warnings are not the user's to act on, and they break the CLI's one line per problem on
    // stderr. Errors still arrive as exceptions.
    ort.env.logLevel = 'error';
    let session: Ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(meta.onnxPath, {
        intraOpNumThreads: options.threads ?? 0,
        interOpNumThreads: 1,
        graphOptimizationLevel: 'all',
        executionMode: 'sequential',
        ...options.session,
      });
    } catch (e) {
      throw new ModelError(`cannot load model ${meta.onnxPath}: ${(e as Error).message}`);
    }
    const missing = ['input_ids', 'attention_mask'].filter((n) => !session.inputNames.includes(n));
    if (missing.length || !session.outputNames.includes('emissions')) {
      await session.release();
      throw new ModelError(`model ${meta.onnxPath} does not have the inputs input_ids/attention_mask and output emissions`);
    }
    // Checked at load, not at the first run: a mismatch then fails before any output is started,
    // even when no input reaches the model. A symbolic width is left to the check in run().
    const out = session.outputMetadata.find((m) => m.name === 'emissions');
    if (out?.isTensor && typeof out.shape[2] === 'number' && out.shape[2] !== meta.tags.length) {
      await session.release();
      throw new ModelError(tagCountMismatch(out.shape.join('x'), meta.tags.length));
    }
    return new OnnxRunner(ort, session, meta.tags.length);
  }

  /** Emission scores (length x numTags, row-major) for each sequence of ids. */
  async run(batch: readonly Int32Array[]): Promise<Float32Array[]> {
    const width = Math.max(...batch.map((s) => s.length));
    const ids = new BigInt64Array(batch.length * width);
    const mask = new BigInt64Array(batch.length * width);
    batch.forEach((seq, b) => {
      for (let i = 0; i < seq.length; i++) {
        ids[b * width + i] = BigInt(seq[i]);
        mask[b * width + i] = 1n;
      }
    });
    const out = await this.session.run({
      input_ids: new this.ort.Tensor('int64', ids, [batch.length, width]),
      attention_mask: new this.ort.Tensor('int64', mask, [batch.length, width]),
    });
    const em = out.emissions;
    const k = this.numTags;
    if (em.dims.length !== 3 || em.dims[2] !== k) {
      throw new ModelError(tagCountMismatch(em.dims.join('x'), k));
    }
    const data = em.data as Float32Array;
    return batch.map((seq, b) => data.slice(b * width * k, (b * width + seq.length) * k));
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}

function tagCountMismatch(shape: string, tags: number): string {
  return `model emits ${shape} scores but its metadata lists ${tags} tags: model.json is not this ONNX file's`;
}
