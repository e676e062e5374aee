// Linear-chain CRF decoding over the emission scores the ONNX model produces.
// Scores are accumulated in float64 so long documents do not lose precision.

export interface CrfParams {
  /** K x K, row-major: transitions[i * K + j] scores moving from tag i to tag j. */
  transitions: Float32Array;
  /** K: score of starting with each tag. */
  start: Float32Array;
  /** K: score of ending with each tag. */
  end: Float32Array;
}

/** Highest-scoring tag sequence for emissions `em` (T x K, row-major). Ties go to the lower tag id. */
export function viterbi(em: Float32Array, T: number, K: number, crf: CrfParams): Int32Array {
  checkShapes(em, T, K, crf);
  const path = new Int32Array(T);
  if (T === 0) return path;
  const back = new Int32Array(T * K);
  let score = new Float64Array(K);
  let next = new Float64Array(K);
  for (let j = 0; j < K; j++) score[j] = crf.start[j]! + em[j]!;
  for (let t = 1; t < T; t++) {
    for (let j = 0; j < K; j++) {
      let best = -Infinity;
      let arg = 0;
      for (let i = 0; i < K; i++) {
        const s = score[i]! + crf.transitions[i * K + j]!;
        if (s > best) {
          best = s;
          arg = i;
        }
      }
      next[j] = best + em[t * K + j]!;
      back[t * K + j] = arg;
    }
    [score, next] = [next, score];
  }
  let best = -Infinity;
  let last = 0;
  for (let j = 0; j < K; j++) {
    const s = score[j]! + crf.end[j]!;
    if (s > best) {
      best = s;
      last = j;
    }
  }
  path[T - 1] = last;
  for (let t = T - 1; t > 0; t--) path[t - 1] = back[t * K + path[t]!]!;
  return path;
}

/**
 * Posterior probability of each tag at each position (T x K, row-major), by forward-backward.
 * Runs in probability space with every step rescaled (the scale factors cancel in each position's
 * normalisation), which needs K exponentials a step instead of K²; if scores are so extreme that a
 * step underflows, it falls back to log space.
 */
export function marginals(em: Float32Array, T: number, K: number, crf: CrfParams): Float32Array {
  checkShapes(em, T, K, crf);
  return scaledMarginals(em, T, K, crf) ?? logMarginals(em, T, K, crf);
}

function scaledMarginals(em: Float32Array, T: number, K: number, crf: CrfParams): Float32Array | undefined {
  const out = new Float32Array(T * K);
  if (T === 0) return out;
  const trans = expShifted(crf.transitions);
  const e = new Float64Array(T * K);
  for (let t = 0; t < T; t++) e.set(expShifted(em.subarray(t * K, (t + 1) * K)), t * K);
  const alpha = new Float64Array(T * K);
  const beta = new Float64Array(T * K);
  const start = expShifted(crf.start);
  const end = expShifted(crf.end);
  for (let j = 0; j < K; j++) alpha[j] = start[j]! * e[j]!;
  if (!normalise(alpha, 0, K)) return undefined;
  for (let t = 1; t < T; t++) {
    for (let j = 0; j < K; j++) {
      let sum = 0;
      for (let i = 0; i < K; i++) sum += alpha[(t - 1) * K + i]! * trans[i * K + j]!;
      alpha[t * K + j] = sum * e[t * K + j]!;
    }
    if (!normalise(alpha, t * K, K)) return undefined;
  }
  beta.set(end, (T - 1) * K);
  if (!normalise(beta, (T - 1) * K, K)) return undefined;
  for (let t = T - 2; t >= 0; t--) {
    for (let i = 0; i < K; i++) {
      let sum = 0;
      for (let j = 0; j < K; j++) sum += trans[i * K + j]! * e[(t + 1) * K + j]! * beta[(t + 1) * K + j]!;
      beta[t * K + i] = sum;
    }
    if (!normalise(beta, t * K, K)) return undefined;
  }
  for (let t = 0; t < T; t++) {
    let z = 0;
    for (let j = 0; j < K; j++) z += alpha[t * K + j]! * beta[t * K + j]!;
    if (!(z > 0) || !Number.isFinite(z)) return undefined;
    for (let j = 0; j < K; j++) out[t * K + j] = (alpha[t * K + j]! * beta[t * K + j]!) / z;
  }
  return out;
}

/** exp(x - max x): the largest becomes 1, so nothing overflows. */
function expShifted(xs: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < xs.length; i++) if (xs[i]! > max) max = xs[i]!;
  const out = new Float64Array(xs.length);
  for (let i = 0; i < xs.length; i++) out[i] = Math.exp(xs[i]! - max);
  return out;
}

/** Scales a[from..from+n) to sum 1; false when the sum underflowed or is not finite. */
function normalise(a: Float64Array, from: number, n: number): boolean {
  let sum = 0;
  for (let i = from; i < from + n; i++) sum += a[i]!;
  if (!(sum > 1e-280) || !Number.isFinite(sum)) return false;
  for (let i = from; i < from + n; i++) a[i]! /= sum;
  return true;
}

function logMarginals(em: Float32Array, T: number, K: number, crf: CrfParams): Float32Array {
  const out = new Float32Array(T * K);
  if (T === 0) return out;
  const alpha = new Float64Array(T * K);
  const beta = new Float64Array(T * K);
  const terms = new Float64Array(K);

  for (let j = 0; j < K; j++) alpha[j] = crf.start[j]! + em[j]!;
  for (let t = 1; t < T; t++) {
    for (let j = 0; j < K; j++) {
      for (let i = 0; i < K; i++) terms[i] = alpha[(t - 1) * K + i]! + crf.transitions[i * K + j]!;
      alpha[t * K + j] = logSumExp(terms) + em[t * K + j]!;
    }
  }
  for (let i = 0; i < K; i++) beta[(T - 1) * K + i] = crf.end[i]!;
  for (let t = T - 2; t >= 0; t--) {
    for (let i = 0; i < K; i++) {
      for (let j = 0; j < K; j++) {
        terms[j] = crf.transitions[i * K + j]! + em[(t + 1) * K + j]! + beta[(t + 1) * K + j]!;
      }
      beta[t * K + i] = logSumExp(terms);
    }
  }
  for (let j = 0; j < K; j++) terms[j] = alpha[(T - 1) * K + j]! + crf.end[j]!;
  const logZ = logSumExp(terms);
  for (let n = 0; n < T * K; n++) out[n] = Math.exp(alpha[n]! + beta[n]! - logZ);
  return out;
}

function logSumExp(xs: Float64Array): number {
  let max = -Infinity;
  for (const x of xs) if (x > max) max = x;
  if (max === -Infinity) return -Infinity;
  let sum = 0;
  for (const x of xs) sum += Math.exp(x - max);
  return max + Math.log(sum);
}

function checkShapes(em: Float32Array, T: number, K: number, crf: CrfParams): void {
  if (!Number.isInteger(T) || T < 0 || !Number.isInteger(K) || K < 1) {
    throw new RangeError(`invalid CRF shape T=${T}, K=${K}`);
  }
  if (em.length !== T * K) throw new RangeError(`emissions have ${em.length} values, expected ${T}x${K}`);
  if (crf.transitions.length !== K * K) throw new RangeError(`transitions have ${crf.transitions.length} values, expected ${K}x${K}`);
  if (crf.start.length !== K || crf.end.length !== K) throw new RangeError(`start/end scores must have ${K} values`);
}
