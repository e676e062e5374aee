/**
 * Deterministic sharding of a corpus across N independent jobs (`medner label --shard I/N`) and the
 * merge of their outputs. Membership depends only on a document's key, its path relative to the
 * input argument it came from (and record line), so every job computes the same partition with no
 * coordination, on any scheduler, wherever each node mounts the corpus.
 */
import { createHash } from 'node:crypto';
import { clip } from './clip';

export interface Shard {
  /** 0-based. */
  index: number;
  count: number;
}

/** More parts than any scheduler runs at once; beyond it a count is a typo. */
export const MAX_SHARDS = 1_000_000;

export function parseShard(spec: string): Shard {
  const m = /^(\d{1,7})\/(\d{1,7})$/.exec(spec);
  const i = m ? Number(m[1]) : NaN;
  const n = m ? Number(m[2]) : NaN;
  if (!(n >= 1 && n <= MAX_SHARDS && i >= 1 && i <= n)) {
    throw new Error(`--shard must be I/N with 1 <= I <= N <= ${MAX_SHARDS} (got ${clip(JSON.stringify(spec))})`);
  }
  return { index: i - 1, count: n };
}

export function formatShard(shard: Shard): string {
  return `${shard.index + 1}/${shard.count}`;
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

/** A fingerprint of every document key of a run, before sharding and in reading order: the input set. */
export class InputSetHash {
  private readonly hash = createHash('sha256');

  add(key: string): void {
    this.hash.update(key).update('\0');
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}

/**
 * What `merge` checks a part against the others with, written by every `--shard` run: as the last line
 * of its jsonl output (`{"medner_part": {...}}`) or as `.medner/part.json` in its --out-dir.
 */
export interface PartInfo {
  /** I/N, as given to --shard. */
  shard: string;
  /** InputSetHash over all document keys, before sharding. */
  inputs: string;
  /** The model's key (loadModelMeta): results of two models never mix. */
  model: string;
  /** Documents in the part. */
  documents: number;
}

export function serializePartTrailer(info: PartInfo): string {
  return JSON.stringify({ medner_part: info }) + '\n';
}

/** The part info in a parsed JSON value, or why it is not one; undefined when the value is no trailer at all. */
export function readPartInfo(value: unknown): PartInfo | string | undefined {
  if (typeof value !== 'object' || value === null || !('medner_part' in value)) return undefined;
  const info = (value as { medner_part: unknown }).medner_part;
  if (typeof info !== 'object' || info === null) return 'part trailer must be an object';
  const { shard, inputs, model, documents } = info as Record<string, unknown>;
  if (typeof shard !== 'string' || typeof inputs !== 'string' || typeof model !== 'string' || !Number.isInteger(documents)) {
    return 'part trailer needs "shard", "inputs", "model" and "documents"';
  }
  try {
    parseShard(shard);
  } catch (e) {
    return `part trailer: ${(e as Error).message.replace('--shard', '"shard"')}`;
  }
  return { shard, inputs, model, documents: documents as number };
}
