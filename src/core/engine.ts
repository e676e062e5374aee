/**
 * Text in, entities out: tokenizer -> windows -> ONNX emissions -> CRF decoding -> spans. Shared by
 * the CLI and the extension. All offsets are code points, end exclusive.
 */
import { marginals, viterbi } from './crf';
import type { YiduLabel } from './labels';
import { defaultModelDir, loadModelMeta, type ModelMeta } from './model';
import { OnnxRunner, type RunnerOptions } from './runner';
import type { Entity } from './formats/jsonl';
import { spanScore, tagsToSpans } from './spans';
import { Tokenizer } from './tokenizer';
import { makeWindows, type Window } from './windowing';

export type { Entity };

export interface AnalyzeOptions {
  signal?: AbortSignal;
  /** Padded tokens per ONNX run; bigger batches amortise overhead, smaller ones cancel sooner. */
  batchTokens?: number;
}

export interface Job {
  doc: number;
  window: Window;
  ids: Int32Array;
  spans?: Entity[];
}

/** What the engine needs from a model runtime: emissions (length x tags) for a batch of id sequences. */
export interface EmissionRunner {
  run(batch: readonly Int32Array[]): Promise<Float32Array[]>;
  dispose(): Promise<void>;
}

export class NerEngine {
  private readonly tokenizer: Tokenizer;

  constructor(
    readonly meta: ModelMeta,
    private readonly runner: EmissionRunner,
  ) {
    this.tokenizer = new Tokenizer(meta.vocab, meta.normalization);
  }

  static async load(modelDir = defaultModelDir(), options: RunnerOptions = {}): Promise<NerEngine> {
    const meta = loadModelMeta(modelDir);
    return new NerEngine(meta, await OnnxRunner.create(meta, options));
  }

  async analyze(text: string, options: AnalyzeOptions = {}): Promise<Entity[]> {
    return (await this.analyzeMany([text], options))[0];
  }

  /** Windows of all texts are batched together by length, so short records share runs. */
  async analyzeMany(texts: readonly string[], options: AnalyzeOptions = {}): Promise<Entity[][]> {
    const chars = texts.map((t) => Array.from(t));
    const perDoc: Job[][] = chars.map((cs, doc) => {
      const ids = this.tokenizer.encode(texts[doc]);
      return makeWindows(cs, this.meta.maxLength)
        .filter((window) => window.end > window.start)
        .map((window) => ({ doc, window, ids: ids.subarray(window.start, window.end) }));
    });
    const jobs = perDoc.flat();
    const budget = options.batchTokens ?? 8192;
    const order = [...jobs].sort((a, b) => a.ids.length - b.ids.length);
    for (let i = 0; i < order.length; ) {
      options.signal?.throwIfAborted();
      let j = i + 1;
      while (j < order.length && order[j].ids.length * (j - i + 1) <= budget) j++;
      const batch = order.slice(i, j);
      const emissions = await this.runner.run(batch.map((job) => job.ids));
      batch.forEach((job, b) => (job.spans = this.decode(emissions[b], job, chars[job.doc])));
      i = j;
    }
    options.signal?.throwIfAborted();
    return perDoc.map((docJobs, doc) => merge(docJobs, chars[doc].length));
  }

  private decode(em: Float32Array, job: Job, chars: readonly string[]): Entity[] {
    const k = this.meta.tags.length;
    const t = job.ids.length;
    const path = viterbi(em, t, k, this.meta.crf);
    const probs = marginals(em, t, k, this.meta.crf);
    const offset = job.window.start;
    return tagsToSpans(path, this.meta.tags).map((s) => {
      const start = s.start + offset;
      const end = s.end + offset;
      const label = s.label as YiduLabel; // loadModelMeta checked every tag's type
      return { start, end, label, text: chars.slice(start, end).join(''), score: spanScore(probs, k, path, s) };
    });
  }

  async dispose(): Promise<void> {
    await this.runner.dispose();
  }
}

/**
 * Each window keeps the spans that start in the positions it owns. A kept span that runs into the
 * window's right edge may be cut short, so the next window's reading of it (same start, more
 * context) replaces it. A span that reaches into the next window's positions wins over what that
 * window starts inside it, so entities never overlap.
 */
export function merge(jobs: readonly Job[], length: number): Entity[] {
  const out: Entity[] = [];
  jobs.forEach((job, i) => {
    const { window } = job;
    for (const span of job.spans ?? []) {
      if (span.start < window.ownStart || span.start >= window.ownEnd) continue;
      if (out.length && span.start < out[out.length - 1].end) continue;
      const truncated = span.end === window.end && window.end < length;
      const better = truncated ? jobs[i + 1]?.spans?.find((s) => s.start === span.start) : undefined;
      out.push(better ?? span);
    }
  });
  return out;
}
