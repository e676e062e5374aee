import * as assert from 'node:assert/strict';
import { type CrfParams, marginals, viterbi } from '../../src/core/crf';

// Small deterministic PRNG (mulberry32) so every failure names a reproducible seed.
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomCase(seed: number, scale = 3) {
  const r = rng(seed);
  const T = 1 + Math.floor(r() * 5);
  const K = 1 + Math.floor(r() * 4);
  const rand = (n: number) => Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale);
  const crf: CrfParams = { transitions: rand(K * K), start: rand(K), end: rand(K) };
  return { T, K, em: rand(T * K), crf };
}

function pathScore(em: Float32Array, K: number, crf: CrfParams, path: readonly number[]): number {
  let s = crf.start[path[0]!]! + em[path[0]!]!;
  for (let t = 1; t < path.length; t++) s += crf.transitions[path[t - 1]! * K + path[t]!]! + em[t * K + path[t]!]!;
  return s + crf.end[path[path.length - 1]!]!;
}

function allPaths(T: number, K: number): number[][] {
  let paths: number[][] = [[]];
  for (let t = 0; t < T; t++) paths = paths.flatMap((p) => Array.from({ length: K }, (_, k) => [...p, k]));
  return paths;
}

describe('crf.viterbi', () => {
  it('finds a best-scoring path, matching brute force over all paths', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const { T, K, em, crf } = randomCase(seed);
      const scores = allPaths(T, K).map((p) => pathScore(em, K, crf, p));
      const best = Math.max(...scores);
      const path = Array.from(viterbi(em, T, K, crf));
      assert.equal(path.length, T, `seed ${seed}`);
      assert.ok(Math.abs(pathScore(em, K, crf, path) - best) < 1e-9, `seed ${seed}: viterbi path is not optimal`);
    }
  });

  it('follows the transitions, not just the per-position argmax', () => {
    // Emissions alone prefer tag 1 then 0, but 1 -> 0 is forbidden by a very low score.
    const em = Float32Array.from([0, 1, 0.9, 0]);
    const crf: CrfParams = {
      transitions: Float32Array.from([0, 0, -100, 0]),
      start: new Float32Array(2),
      end: new Float32Array(2),
    };
    assert.deepEqual(Array.from(viterbi(em, 2, 2, crf)), [1, 1]);
  });

  it('returns an empty path for an empty sequence', () => {
    const crf: CrfParams = { transitions: new Float32Array(4), start: new Float32Array(2), end: new Float32Array(2) };
    assert.equal(viterbi(new Float32Array(0), 0, 2, crf).length, 0);
  });

  it('rejects mismatched shapes', () => {
    const crf: CrfParams = { transitions: new Float32Array(4), start: new Float32Array(2), end: new Float32Array(2) };
    assert.throws(() => viterbi(new Float32Array(5), 3, 2, crf), RangeError);
    assert.throws(() => viterbi(new Float32Array(6), 3, 2, { ...crf, transitions: new Float32Array(3) }), RangeError);
    assert.throws(() => marginals(new Float32Array(6), 3, 2, { ...crf, end: new Float32Array(1) }), RangeError);
  });
});

describe('crf.marginals', () => {
  it('matches brute-force posteriors and sums to 1 at each position', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const { T, K, em, crf } = randomCase(seed);
      const paths = allPaths(T, K);
      const weights = paths.map((p) => Math.exp(pathScore(em, K, crf, p)));
      const Z = weights.reduce((a, b) => a + b, 0);
      const expected = new Float64Array(T * K);
      paths.forEach((p, n) => p.forEach((k, t) => (expected[t * K + k]! += weights[n]! / Z)));

      const got = marginals(em, T, K, crf);
      for (let i = 0; i < T * K; i++) {
        assert.ok(Math.abs(got[i]! - expected[i]!) < 1e-5, `seed ${seed}, cell ${i}: ${got[i]} vs ${expected[i]}`);
      }
      for (let t = 0; t < T; t++) {
        const sum = got.subarray(t * K, (t + 1) * K).reduce((a, b) => a + b, 0);
        assert.ok(Math.abs(sum - 1) < 1e-5, `seed ${seed}, position ${t} sums to ${sum}`);
      }
    }
  });

  it('stays finite with scores far beyond exp range', () => {
    const { T, K, em, crf } = randomCase(7, 5000);
    const got = marginals(em, T, K, crf);
    for (const x of got) assert.ok(Number.isFinite(x) && x >= 0 && x <= 1 + 1e-6);
    for (let t = 0; t < T; t++) {
      const sum = got.subarray(t * K, (t + 1) * K).reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(sum - 1) < 1e-5);
    }
  });

  it('puts the mass on the Viterbi path when it dominates', () => {
    const { T, K, em, crf } = randomCase(11, 200);
    const path = viterbi(em, T, K, crf);
    const got = marginals(em, T, K, crf);
    path.forEach((k, t) => assert.ok(got[t * K + k]! > 0.99));
  });
});
