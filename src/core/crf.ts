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

/** Posterior probability of each tag at each position (T x K, row-major), by forward-backward in log space. */
export function marginals(em: Float32Array, T: number, K: number, crf: CrfParams): Float32Array {
  checkShapes(em, T, K, crf);
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
