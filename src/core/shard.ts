/**
 * Deterministic sharding of a corpus across N independent jobs (`medner label --shard I/N`) and the
 * merge of their outputs. Membership depends only on a document's path (and record line), so every
 * job computes the same partition with no coordination, on any scheduler.
 */

export interface Shard {
  /** 0-based. */
  index: number;
  count: number;
}

export function parseShard(spec: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(spec);
  const i = m ? Number(m[1]) : NaN;
  const n = m ? Number(m[2]) : NaN;
  if (!(n >= 1 && i >= 1 && i <= n)) throw new Error(`--shard must be I/N with 1 <= I <= N (got ${JSON.stringify(spec)})`);
  return { index: i - 1, count: n };
}

/** FNV-1a over the key's UTF-16 units: stable across machines and Node versions. */
export function inShard(key: string, shard: Shard): boolean {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % shard.count === shard.index;
}

/**
 * The order a folder walk visits documents in (names sorted within each folder, depth first), then
 * record line: sorting merged shards by it restores an unsharded run's order for one input folder.
 */
export function compareDocPaths(a: string, b: string): number {
  const [pa, la] = splitLine(a);
  const [pb, lb] = splitLine(b);
  const sa = pa.split(/[\\/]/);
  const sb = pb.split(/[\\/]/);
  for (let i = 0; i < Math.min(sa.length, sb.length); i++) {
    if (sa[i] !== sb[i]) return sa[i] < sb[i] ? -1 : 1;
  }
  return sa.length - sb.length || la - lb;
}

function splitLine(p: string): [string, number] {
  const m = /^(.*):(\d+)$/.exec(p);
  return m ? [m[1], Number(m[2])] : [p, 0];
}
