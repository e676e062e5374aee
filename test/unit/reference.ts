// The engine as it was before it walked texts in place: the whole text split into an array of
// code points, windows cut over that array, ids taken from one encoding of the whole text, entity
// texts joined from the array. Kept as the reference the in-place engine must match exactly.
import { marginals, viterbi } from '../../src/core/crf';
import { DEFAULT_BATCH_TOKENS, type Entity, planBatches } from '../../src/core/engine';
import type { EmissionRunner } from '../../src/core/onnxRunner';
import type { YiduLabel } from '../../src/core/labels';
import type { ModelMeta } from '../../src/core/model';
import { spanScore, tagsToSpans } from '../../src/core/spans';
import { Tokenizer } from '../../src/core/tokenizer';

export function referenceWindows(chars: readonly string[], maxLength: number): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  let start = 0;
  while (chars.length - start > maxLength) {
    let end = start + maxLength;
    search: for (const breaks of ['。；！？;!?\n', '，、：,:']) {
      for (let p = start + maxLength; p > start + Math.floor(maxLength / 4); p--) {
        if (breaks.includes(chars[p - 1])) {
          end = p;
          break search;
        }
      }
    }
    out.push({ start, end });
    start = end;
  }
  out.push({ start, end: chars.length });
  return out;
}

// JavaScript's \s, controls (which hold the rest of Python's str.isspace()) and lone surrogates: never an entity's edge.
const EDGE = /^[\s\p{Cc}\p{Cs}]$/u;

/** Entities of each text, windows of all texts batched together as analyzeMany batches them. */
export async function referenceAnalyzeMany(
  meta: ModelMeta,
  runner: EmissionRunner,
  texts: readonly string[],
  batchTokens = DEFAULT_BATCH_TOKENS,
): Promise<Entity[][]> {
  const tokenizer = new Tokenizer(meta.vocab, meta.normalization);
  const k = meta.tags.length;
  const perDoc = texts.map((text) => {
    const chars = Array.from(text);
    const ids = new Int32Array(Array.from(chars, (c) => tokenizer.idOf(c.codePointAt(0)!)));
    const jobs = referenceWindows(chars, meta.maxLength)
      .filter((w) => w.end > w.start)
      .map((w) => ({ w, ids: ids.subarray(w.start, w.end), entities: [] as Entity[] }));
    return { chars, jobs };
  });
  for (const batch of planBatches(
    perDoc.flatMap((d) => d.jobs.map((job) => ({ job, chars: d.chars }))),
    (x) => x.job.ids.length,
    batchTokens,
  )) {
    // A lexicon's features from each window's text joined from the code-point array.
    const lexicon = meta.lexicon?.terms;
    const features = lexicon && batch.map(({ job, chars }) => lexicon.features(chars.slice(job.w.start, job.w.end).join('')));
    const emissions = await runner.run(
      batch.map((x) => x.job.ids),
      features,
    );
    batch.forEach(({ job, chars }, b) => {
      const path = viterbi(emissions[b], job.ids.length, k, meta.crf);
      const probs = marginals(emissions[b], job.ids.length, k, meta.crf);
      for (const s of tagsToSpans(path, meta.tags)) {
        const trimmed = (i: number) => EDGE.test(chars[job.w.start + i]);
        while (s.start < s.end && trimmed(s.start)) s.start++;
        while (s.end > s.start && trimmed(s.end - 1)) s.end--;
        if (s.start === s.end) continue;
        const start = job.w.start + s.start;
        const end = job.w.start + s.end;
        job.entities.push({
          start,
          end,
          label: s.label as YiduLabel,
          text: chars.slice(start, end).join(''),
          score: spanScore(probs, k, path, s),
        });
      }
    });
  }
  return perDoc.map((d) => d.jobs.flatMap((job) => job.entities));
}
