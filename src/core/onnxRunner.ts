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

/**
 * What the session needs to know of the model, and what it checks the graph against; `lexicon.dim`:
 * the width of the dictionary features a model with a lexicon takes as its third input.
 */
export type RunnerMeta = Pick<ModelMeta, 'onnxPath' | 'tags' | 'maxLength' | 'vocab'> & { lexicon?: { dim: number } };

/** The part a worker needs: plain data (the lexicon's terms stay with the engine, which computes the features). */
export function runnerMeta(meta: ModelMeta): RunnerMeta {
  const { onnxPath, tags, maxLength, vocab, lexicon } = meta;
  return { onnxPath, tags, maxLength, vocab, ...(lexicon && { lexicon: { dim: lexicon.dim } }) };
}

/**
 * What the engine needs from a model runtime: emissions (length x tags) for a batch of id sequences,
 * and, for a model with a lexicon, each sequence's dictionary features (Lexicon.features: a bit word per id).
 */
export interface EmissionRunner {
  run(batch: readonly Int32Array[], lexicon?: readonly Int32Array[]): Promise<Float32Array[]>;
  dispose(): Promise<void>;
}

// ONNX Runtime's own log lines (coloured, time-stamped, on stderr) repeat what its exceptions say and
// break the CLI's one line per problem; errors still arrive as exceptions. 4 is "fatal".
const QUIET = 4;

export class OnnxRunner implements EmissionRunner {
  private constructor(
    private readonly ort: typeof Ort,
    private readonly session: Ort.InferenceSession,
    private readonly onnxPath: string,
    readonly numTags: number,
    private readonly lexiconDim = 0,
  ) {}

  /**
   * Loads the graph and checks it against the contract before any input is read: its inputs'
   * and output's names, types and rank, and, by running it once on the highest token id and once
   * on a full window, that it accepts every id of the vocabulary and windows of maxLength.
   */
  static async create(meta: RunnerMeta, options: RunnerOptions = {}): Promise<OnnxRunner> {
    // Imported lazily: the native binding costs ~100 ms and is not needed until the first run.
    const ort = await loadOrt();
    ort.env.logLevel = 'fatal';
    let session: Ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(meta.onnxPath, {
        intraOpNumThreads: options.threads ?? 0,
        interOpNumThreads: 1,
        graphOptimizationLevel: 'all',
        executionMode: 'sequential',
        logSeverityLevel: QUIET,
        ...options.session,
      });
    } catch (e) {
      throw new ModelError(`cannot load model ${meta.onnxPath}: ${firstLine(e)}`);
    }
    const lexiconDim = meta.lexicon?.dim ?? 0;
    const runner = new OnnxRunner(ort, session, meta.onnxPath, meta.tags.length, lexiconDim);
    // Every feature on: the probes see the lexicon input's full width.
    const allOn = (n: number) => (lexiconDim ? [new Int32Array(n).fill(-1 >>> (32 - lexiconDim))] : undefined);
    try {
      runner.checkSignature(meta);
      await runner.run(
        [Int32Array.of(meta.vocab.length - 1)],
        allOn(1),
        `token id ${meta.vocab.length - 1}, the last of the ${meta.vocab.length} in model.json's "vocab"`,
      );
      await runner.run(
        [new Int32Array(meta.maxLength)],
        allOn(meta.maxLength),
        `a window of ${meta.maxLength} tokens, model.json's "maxLength"`,
      );
    } catch (e) {
      await session.release();
      throw e;
    }
    return runner;
  }

  private checkSignature(meta: RunnerMeta): void {
    const lexiconDim = this.lexiconDim;
    const where = `model ${meta.onnxPath}`;
    const missing = ['input_ids', 'attention_mask'].filter((n) => !this.session.inputNames.includes(n));
    if (missing.length || !this.session.outputNames.includes('emissions')) {
      throw new ModelError(`${where} does not have the inputs input_ids/attention_mask and output emissions`);
    }
    const hasLexicon = this.session.inputNames.includes(LEXICON_INPUT);
    if (hasLexicon !== !!lexiconDim) {
      throw new ModelError(
        hasLexicon
          ? `${where} takes dictionary features (input ${LEXICON_INPUT}) but model.json has no "lexicon"`
          : `${where} has no input ${LEXICON_INPUT} for the dictionary features of model.json's "lexicon"`,
      );
    }
    for (const input of this.session.inputMetadata) {
      if (input.name === LEXICON_INPUT) {
        if (!input.isTensor || input.type !== 'float32')
          throw new ModelError(`${where}: input ${input.name} is ${describe(input)}, not a float32 tensor`);
        const width = input.shape[2];
        if ((input.shape.length && input.shape.length !== 3) || (typeof width === 'number' && width !== lexiconDim))
          throw new ModelError(
            `${where}: input ${input.name} has shape ${input.shape.join('x')}, not batch x length x ${lexiconDim} (model.json's "lexicon")`,
          );
      } else if (!input.isTensor || input.type !== 'int64')
        throw new ModelError(`${where}: input ${input.name} is ${describe(input)}, not an int64 tensor`);
    }
    const out = this.session.outputMetadata.find((m) => m.name === 'emissions')!;
    // A float16 graph read as float32 gave thousands of nonsense entities.
    if (!out.isTensor || out.type !== 'float32')
      throw new ModelError(`${where}: output emissions is ${describe(out)}, not a float32 tensor`);
    // A symbolic or unknown shape is left to the probes, which see the real one.
    if (out.shape.length && out.shape.length !== 3)
      throw new ModelError(`${where}: output emissions has shape ${out.shape.join('x')}, not batch x length x tags`);
    if (typeof out.shape[2] === 'number' && out.shape[2] !== meta.tags.length)
      throw new ModelError(tagCountMismatch(out.shape.join('x'), meta.tags.length));
  }

  /**
   * Emission scores (length x numTags, row-major) for each sequence of ids.
   * @param lexicon each sequence's dictionary features, for a model with a lexicon
   * @param what the batch, as a failure names it
   */
  async run(batch: readonly Int32Array[], lexicon?: readonly Int32Array[], what?: string): Promise<Float32Array[]> {
    const width = Math.max(...batch.map((s) => s.length));
    const ids = new BigInt64Array(batch.length * width);
    const mask = new BigInt64Array(batch.length * width);
    // Written as the low halves of the int64s (every platform ONNX Runtime ships for is
    // little-endian): a BigInt per token would be garbage to collect on every run.
    const ids32 = new Int32Array(ids.buffer);
    const mask32 = new Int32Array(mask.buffer);
    batch.forEach((seq, b) => {
      for (let i = 0; i < seq.length; i++) {
        ids32[2 * (b * width + i)] = seq[i];
        mask32[2 * (b * width + i)] = 1;
      }
    });
    const feeds: Record<string, Ort.Tensor> = {
      input_ids: new this.ort.Tensor('int64', ids, [batch.length, width]),
      attention_mask: new this.ort.Tensor('int64', mask, [batch.length, width]),
    };
    if (this.lexiconDim) feeds[LEXICON_INPUT] = this.features(batch, width, lexicon);
    let out: Ort.InferenceSession.ReturnType;
    try {
      out = await this.session.run(feeds);
    } catch (e) {
      throw new ModelError(`model ${this.onnxPath} fails on ${what ?? `a batch of ${batch.length}x${width} tokens`}: ${firstLine(e)}`);
    }
    const em = out.emissions;
    const k = this.numTags;
    if (em.type !== 'float32') throw new ModelError(`model ${this.onnxPath} emits ${em.type} scores, not float32`);
    if (em.dims.length !== 3 || em.dims[0] !== batch.length || em.dims[1] !== width || em.dims[2] !== k) {
      throw new ModelError(
        em.dims.length === 3 && em.dims[2] !== k
          ? tagCountMismatch(em.dims.join('x'), k)
          : `model ${this.onnxPath} emits ${em.dims.join('x')} scores for a ${batch.length}x${width} batch, not ${batch.length}x${width}x${k}`,
      );
    }
    const data = em.data as Float32Array;
    return batch.map((seq, b) => {
      const scores = data.slice(b * width * k, (b * width + seq.length) * k);
      // NaN or infinity makes the CRF's choice arbitrary: wrong entities, silently.
      for (const x of scores) if (!Number.isFinite(x)) throw new ModelError(`model ${this.onnxPath} emits a non-finite score (${x})`);
      return scores;
    });
  }

  /** The bit words as the float 0/1 tensor (batch x width x dim) that export.py's graph takes; padding all 0. */
  private features(batch: readonly Int32Array[], width: number, lexicon: readonly Int32Array[] | undefined): Ort.Tensor {
    const dim = this.lexiconDim;
    if (!lexicon || lexicon.length !== batch.length || lexicon.some((bits, b) => bits.length !== batch[b].length)) {
      throw new Error(`model ${this.onnxPath} needs dictionary features for each token of the batch`);
    }
    const out = new Float32Array(batch.length * width * dim);
    lexicon.forEach((bits, b) => {
      for (let i = 0; i < bits.length; i++) {
        const word = bits[i];
        if (!word) continue;
        const row = (b * width + i) * dim;
        for (let f = 0; f < dim; f++) if ((word >>> f) & 1) out[row + f] = 1;
      }
    });
    return new this.ort.Tensor('float32', out, [batch.length, width, dim]);
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}

/** The graph input of dictionary features (models/training/export.py). */
const LEXICON_INPUT = 'lexicon';

function describe(m: Ort.InferenceSession.ValueMetadata): string {
  return m.isTensor ? `${/^[aeiou]/.test(m.type) ? 'an' : 'a'} ${m.type} tensor` : 'not a tensor';
}

function firstLine(e: unknown): string {
  const text = (e as Error).message ?? String(e);
  return text.split('\n')[0].slice(0, 300);
}

function tagCountMismatch(shape: string, tags: number): string {
  return `model emits ${shape} scores but its metadata lists ${tags} tags: model.json is not this ONNX file's`;
}
