import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import fc from 'fast-check';
import { inputKey } from '../../src/core/inputs';
import { compareDocPaths, inShard, InputSetHash, MAX_SHARDS, parseShard, readPartInfo, serializePartTrailer } from '../../src/core/shard';

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

describe('shard keys and part trailers', () => {
  it('bounds N and I', () => {
    assert.deepEqual(parseShard(`${MAX_SHARDS}/${MAX_SHARDS}`), { index: MAX_SHARDS - 1, count: MAX_SHARDS });
    for (const bad of [`1/${MAX_SHARDS + 1}`, '99999999999999999999/99999999999999999999', '1/1e3'])
      assert.throws(() => parseShard(bad), /--shard must be I\/N with 1 <= I <= N <= 1000000/);
    assert.throws(
      () => parseShard('x'.repeat(10_000)),
      (e: Error) => e.message.length < 400,
    );
  });

  it('keys a document by its path below the argument it came from, not by where the corpus is mounted', () => {
    assert.equal(inputKey('/mnt/a/corpus', '/mnt/a/corpus/sub/x.txt'), 'sub/x.txt');
    assert.equal(inputKey('/data/corpus/', '/data/corpus/sub/x.txt'), 'sub/x.txt');
    assert.equal(inputKey('corpus', path.join('corpus', 'sub', 'x.txt')), 'sub/x.txt');
    assert.equal(inputKey('/mnt/a/notes.txt', '/mnt/a/notes.txt'), 'notes.txt');
    assert.equal(inputKey('-', '-'), '-');
  });

  it('fingerprints the input set by its keys in order', () => {
    const hash = (keys: string[]) => {
      const h = new InputSetHash();
      for (const k of keys) h.add(k);
      return h.digest();
    };
    assert.equal(hash(['a.txt', 'b.txt']), hash(['a.txt', 'b.txt']));
    assert.notEqual(hash(['a.txt', 'b.txt']), hash(['a.txt']));
    assert.notEqual(hash(['ab', 'c']), hash(['a', 'bc']));
  });

  it('reads back the trailer it writes, and says what is wrong with a damaged one', () => {
    const info = { shard: '2/3', inputs: 'i', model: 'm', documents: 4 };
    assert.deepEqual(readPartInfo(JSON.parse(serializePartTrailer(info))), info);
    assert.equal(readPartInfo({ path: 'a.txt' }), undefined);
    assert.equal(
      readPartInfo({ medner_part: { ...info, documents: '4' } }),
      'part trailer needs "shard", "inputs", "model" and "documents"',
    );
    assert.match(readPartInfo({ medner_part: { ...info, shard: '4/3' } }) as string, /^part trailer: "shard" must be I\/N/);
  });
});
