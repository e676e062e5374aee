import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { compareDocPaths, inShard, parseShard } from '../../src/core/shard';

describe('shards', () => {
  it('parses I/N and rejects anything else', () => {
    assert.deepEqual(parseShard('2/4'), { index: 1, count: 4 });
    for (const bad of ['0/4', '5/4', '1/0', 'a/b', '1', '']) assert.throws(() => parseShard(bad), /--shard must be I\/N/);
  });

  it('puts every document in exactly one shard, the same on every call', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 1, max: 16 }), (key, n) => {
        const owners = Array.from({ length: n }, (_, i) => inShard(key, { index: i, count: n }));
        assert.equal(owners.filter(Boolean).length, 1);
      }),
    );
  });

  it('spreads a corpus evenly', () => {
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) counts[counts.findIndex((_, s) => inShard(`corpus/records/${i}.txt`, { index: s, count: 4 }))]++;
    for (const c of counts) assert.ok(c > 850 && c < 1150, String(counts));
  });

  it('orders paths as a folder walk visits them, then by record line', () => {
    const walk = ['a/x.txt', 'a-b.txt', 'b.jsonl:2', 'b.jsonl:10', 'c/d/e.txt', 'c/f.txt'];
    assert.deepEqual([...walk].reverse().sort(compareDocPaths), walk);
  });
});
