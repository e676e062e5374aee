/**
 * Text in, entities out: tokenizer -> windows -> ONNX emissions -> CRF decoding -> spans. Shared by
 * the CLI and the extension. All offsets are code points, end exclusive.
 */
import { trimSpan } from './charClass';
import { marginals, viterbi } from './crf';
import type { Entity } from './formats/jsonl';
import type { YiduLabel } from './labels';
import { LruCache } from './lru';
import { defaultModelDir, type LoadOptions, loadModelMeta, type ModelMeta, type Precision } from './model';
import { codePoints, nextCodePoint } from './offsets';
import { type EmissionRunner, OnnxRunner, type RunnerOptions } from './onnxRunner';
import { spanScore, tagsToSpans } from './spans';
import { Tokenizer } from './tokenizer';
import { makeWindows, type Window } from './windowing';
import { WorkerRunner } from './workerRunner';

export type { Entity };

export interface AnalyzeOptions {
  signal?: AbortSignal;
  /** Padded tokens per ONNX run (default DEFAULT_BATCH_TOKENS). */
  batchTokens?: number;
}

/**
 * Measured by bench/profile.ts on 2 cores: batches of 512-1,024 tokens (2-4 windows) ran the dev set
 * 15-45% faster than 4,096 (activations stay in cache), 16,384 slower still, and one window per run
 * pays the per-run overhead. Small batches also cancel sooner.
 */
export const DEFAULT_BATCH_TOKENS = 1024;

/** Items sorted by length, then as many per batch as fit the padded-token budget (at least one). */
export function planBatches<T>(items: readonly T[], length: (item: T) => number, budget: number): T[][] {
  const sorted = [...items].sort((a, b) => length(a) - length(b));
  const out: T[][] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i + 1;
    while (j < sorted.length && length(sorted[j]) * (j - i + 1) <= budget) j++;
    out.push(sorted.slice(i, j));
    i = j;
  }
  return out;
}

export interface AnalyzeOneOptions extends AnalyzeOptions {
  /** Code-point range to decide first (the visible part of an editor). */
  priority?: { start: number; end: number };
  /** Called with the entities of the priority range as soon as they are known, before the rest. */
  onPartial?: (entities: Entity[]) => void;
  /** Called before the first model run and after each, with the windows decided out of all. */
  onProgress?: (decided: number, windows: number) => void;
}

/** A decoded span relative to its window; cached by window text, so it is valid wherever that text recurs. */
interface WindowSpan {
  /** Code-point offsets. */
  start: number;
  end: number;
  /** The same as UTF-16 offsets. */
  from: number;
  to: number;
  label: YiduLabel;
  score: number;
}

/**
 * One window of one text. Its ids and its text are made when its batch runs and dropped after: only
 * the bounds and the entities stay, so a long text costs memory for its entities, not per character.
 */
interface Job {
  text: string;
  window: Window;
  /** Once decoded (or found in the cache). */
  entities?: Entity[];
}

export interface EngineStats {
  windows: number;
  cachedWindows: number;
}

function windowText({ text, window }: Job): string {
  return text.slice(window.from, window.to);
}

/** A window's spans as entities of its text. */
function place({ text, window }: Job, spans: readonly WindowSpan[]): Entity[] {
  return spans.map((s) => ({
    start: s.start + window.start,
    end: s.end + window.start,
    label: s.label,
    text: text.slice(window.from + s.from, window.from + s.to),
    score: s.score,
  }));
}

/** Windows do not overlap, so their entities, in window order, are the text's. Windows not decoded yet contribute nothing. */
function merge(jobs: readonly Job[]): Entity[] {
  return jobs.flatMap((job) => job.entities ?? []);
}

export class NerEngine {
  private readonly tokenizer: Tokenizer;
  // Decoding depends only on a window's text, so an edit re-runs just the windows it touched, and
  // reopening a document costs no inference at all.
  private readonly cache: LruCache<string, WindowSpan[]>;
  readonly stats: EngineStats = { windows: 0, cachedWindows: 0 };

  constructor(
    readonly meta: ModelMeta,
    private readonly runner: EmissionRunner,
    cacheWindows = 20_000,
  ) {
    this.tokenizer = new Tokenizer(meta.vocab, meta.normalization);
    this.cache = new LruCache(cacheWindows);
  }

  /**
   * @param options.inWorker run the model in a worker thread (the extension host: its event loop
   *   must stay free); the CLI runs it in-process, where blocking costs nothing.
   */
  static async load(
    modelDir = defaultModelDir(),
    options: RunnerOptions & LoadOptions & { inWorker?: boolean; precision?: Precision } = {},
  ): Promise<NerEngine> {
    const meta = loadModelMeta(modelDir, true, options.precision, { userLexicon: options.userLexicon });
    const runner = options.inWorker ? await WorkerRunner.create(meta, options) : await OnnxRunner.create(meta, options);
    return new NerEngine(meta, runner);
  }

  async analyze(text: string, options: AnalyzeOneOptions = {}): Promise<Entity[]> {
    const jobs = this.jobsFor(text);
    const { priority, onPartial, onProgress } = options;
    let decided = 0;
    const progress = onProgress && ((n: number) => onProgress((decided += n), jobs.length));
    progress?.(0);
    if (priority) {
      const first = jobs.filter((j) => j.window.end > priority.start && j.window.start < priority.end);
      await this.runJobs(first, options, progress);
      if (onPartial && first.length < jobs.length) onPartial(merge(jobs));
    }
    await this.runJobs(jobs, options, progress);
    return merge(jobs);
  }

  /** Windows of all texts are batched together by length, so short records share runs. */
  async analyzeMany(texts: readonly string[], options: AnalyzeOptions = {}): Promise<Entity[][]> {
    const perDoc = texts.map((t) => this.jobsFor(t));
    await this.runJobs(perDoc.flat(), options);
    return perDoc.map(merge);
  }

  private jobsFor(text: string): Job[] {
    return makeWindows(text, this.meta.maxLength)
      .filter((window) => window.end > window.start)
      .map((window) => ({ text, window }));
  }

  /** @param decided told how many more windows were decided: the cached ones at once, then each run's. */
  private async runJobs(jobs: readonly Job[], options: AnalyzeOptions, decided?: (n: number) => void): Promise<void> {
    const todo: Job[] = [];
    let cachedNow = 0;
    for (const job of jobs) {
      if (job.entities) continue;
      this.stats.windows++;
      const cached = this.cache.get(windowText(job));
      if (cached) {
        this.stats.cachedWindows++;
        cachedNow++;
        job.entities = place(job, cached);
      } else todo.push(job);
    }
    if (cachedNow) decided?.(cachedNow);
    for (const batch of planBatches(todo, (job) => job.window.end - job.window.start, options.batchTokens ?? DEFAULT_BATCH_TOKENS)) {
      options.signal?.throwIfAborted();
      const ids = batch.map(({ text, window }) => this.tokenizer.encode(text, window.from, window.to));
      // Per window, from the window's text alone, as training computed them (finetune.make_windows).
      const lexicon = this.meta.lexicon?.terms;
      const features = lexicon && batch.map(({ text, window }) => lexicon.features(text, window.from, window.to));
      const emissions = await this.runner.run(ids, features);
      batch.forEach((job, b) => {
        const key = windowText(job);
        const spans = this.decode(emissions[b], ids[b], key);
        // A slice would keep the whole text alive as long as the cache holds the key; this is a copy.
        this.cache.set(Buffer.from(key, 'utf16le').toString('utf16le'), spans);
        job.entities = place(job, spans);
      });
      decided?.(batch.length);
    }
    options.signal?.throwIfAborted();
  }

  /**
   * Spans never start or end with a blank, line break or control (charClass.ts): no annotation
   * scheme wants one, a brat mention cannot hold a line break, and an edge between the CR and LF of
   * a line break has no position in an editor.
   */
  private decode(em: Float32Array, ids: Int32Array, text: string): WindowSpan[] {
    const k = this.meta.tags.length;
    const path = viterbi(em, ids.length, k, this.meta.crf);
    const probs = marginals(em, ids.length, k, this.meta.crf);
    const spans = tagsToSpans(path, this.meta.tags);
    if (spans.length === 0) return [];
    const chars = codePoints(text);
    // Spans come in order, so one walk over the window converts their offsets to UTF-16.
    let cp = 0;
    let unit = 0;
    const toUnit = (target: number) => {
      for (; cp < target; cp++) unit = nextCodePoint(text, unit);
      return unit;
    };
    return spans.flatMap((s) => {
      [s.start, s.end] = trimSpan(chars, s.start, s.end);
      if (s.start === s.end) return [];
      const from = toUnit(s.start);
      const to = toUnit(s.end);
      // loadModelMeta checked every tag's type
      return [{ start: s.start, end: s.end, from, to, label: s.label as YiduLabel, score: spanScore(probs, k, path, s) }];
    });
  }

  async dispose(): Promise<void> {
    this.cache.clear();
    await this.runner.dispose();
  }
}
