/** The model contract: models/<name>/model.json beside model.onnx, validated before any inference. */
import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readFileSync, statSync, type Stats } from 'node:fs';
import * as path from 'node:path';
import type { CrfParams } from './crf';
import { isYiduLabel } from './labels';
import type { Normalization } from './tokenizer';

export interface ModelMeta {
  dir: string;
  onnxPath: string;
  name: string;
  /** sha256 of the ONNX file, as model.json states it (checked against the file at load). */
  sha256: string;
  /**
   * What a result depends on: the ONNX file's hash and every part of model.json that changes the
   * entities (tags, vocabulary, normalization, CRF, window length, labels). Results stored under one
   * key are reused only by a model with the same key.
   */
  key: string;
  maxLength: number;
  tags: string[];
  labels: { name: string; alias: string }[];
  vocab: string[];
  normalization: Normalization;
  crf: CrfParams;
  metrics: unknown;
}

export class ModelError extends Error {
  override name = 'ModelError';
}

/**
 * The longest window a model may ask for. A window is one sequence through the network, whose
 * self-attention holds length² scores per head: at 4,096 that is 64 MB per head and layer, already
 * a sixth of the CLI's 400 MB memory target, and far beyond the 256 our models are trained at.
 * A larger value is a typo or a hostile file (1e9 would make a whole 20 MB text one window).
 */
export const MAX_WINDOW = 4096;

export function defaultModelDir(): string {
  // dist/cli.js and dist/extension.js both sit one level below the package root.
  return path.join(__dirname, '..', 'models', 'bbrac');
}

export type Precision = 'fp32' | 'int8';

/**
 * @param precision 'int8' picks the weight-quantised graph (models/training/quantize.py) when the
 *   model has one; the CRF, vocabulary and rules are shared.
 */
export function loadModelMeta(dir: string, verifyChecksum = true, precision: Precision = 'fp32'): ModelMeta {
  const file = path.join(dir, 'model.json');
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(readRegularFile(file).toString('utf8')) as Record<string, unknown>;
  } catch (e) {
    if (e instanceof ModelError) throw e;
    throw new ModelError(`cannot read model metadata ${file}: ${(e as Error).message}`);
  }
  const fail = (what: string): never => {
    throw new ModelError(`invalid model metadata ${file}: ${what}`);
  };
  if (raw.format !== 'medner-bbrac/1') fail(`unknown format ${JSON.stringify(raw.format)}`);
  const tags = stringArray(raw.tags) ?? fail('"tags" must be a list of strings');
  const vocab = stringArray(raw.vocab) ?? fail('"vocab" must be a list of strings');
  const k = tags.length;
  if (tags[0] !== 'O' || tags.slice(1).some((t) => !/^[BI]-/.test(t) || !isYiduLabel(t.slice(2)))) {
    fail('"tags" must be O followed by B-/I- tags of the Yidu-S4K types');
  }
  const maxLength = raw.maxLength;
  if (typeof maxLength !== 'number' || !Number.isInteger(maxLength) || maxLength < 2 || maxLength > MAX_WINDOW) {
    fail(`"maxLength" must be an integer from 2 to ${MAX_WINDOW}, got ${JSON.stringify(maxLength)?.slice(0, 40)}`);
  }
  const crfRaw = (raw.crf ?? fail('"crf" is missing')) as Record<string, unknown>;
  const crf: CrfParams = {
    transitions: matrix(crfRaw.transitions, k) ?? fail(`"crf.transitions" must be ${k}x${k} numbers`),
    start: numbers(crfRaw.start, k) ?? fail(`"crf.start" must be ${k} numbers`),
    end: numbers(crfRaw.end, k) ?? fail(`"crf.end" must be ${k} numbers`),
  };
  const labels = raw.labels as ModelMeta['labels'];
  if (!Array.isArray(labels) || labels.some((l) => typeof l?.name !== 'string' || typeof l?.alias !== 'string')) {
    fail('"labels" must be a list of {name, alias}');
  }
  const norm = raw.normalization as Normalization;
  if (norm?.unit !== 'codepoint' || !Array.isArray(norm.whitespace) || typeof norm.fullwidthAscii?.offset !== 'number') {
    fail('"normalization" is missing or of an unknown kind');
  }
  for (const special of ['padToken', 'unknownToken', 'spaceToken'] as const) {
    const token = norm[special];
    if (typeof token !== 'string' || !vocab.includes(token))
      fail(`"vocab" lacks the ${special} ${JSON.stringify(token)?.slice(0, 40)} that "normalization" names`);
  }
  const graphs = raw.onnx as { file?: unknown; sha256?: unknown; int8?: { file?: unknown; sha256?: unknown } } | undefined;
  const onnx = precision === 'int8' ? graphs?.int8 : graphs;
  if (precision === 'int8' && !onnx) {
    throw new ModelError(`model ${dir} has no int8 variant: create it with models/training/quantize.py ${dir}`);
  }
  if (typeof onnx?.file !== 'string') fail('"onnx.file" is missing');
  // Without it a corrupt or swapped graph would load unnoticed, and two such models could not be told apart.
  if (typeof onnx!.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(onnx!.sha256))
    fail(`"onnx${precision === 'int8' ? '.int8' : ''}.sha256" must be the ONNX file's sha256 (64 hex digits)`);
  const onnxPath = path.join(dir, onnx!.file as string);
  const sha256 = onnx!.sha256 as string;
  if (verifyChecksum) verifyOnnx(onnxPath, sha256);
  const key = createHash('sha256')
    .update(JSON.stringify([sha256, raw.maxLength, raw.tags, raw.labels, raw.vocab, raw.normalization, raw.crf]))
    .digest('hex');
  return {
    dir,
    onnxPath,
    maxLength: maxLength as number,
    tags,
    labels,
    vocab,
    normalization: norm,
    crf,
    sha256,
    key,
    name: typeof raw.name === 'string' ? raw.name : path.basename(dir),
    metrics: raw.metrics,
  };
}

function verifyOnnx(onnxPath: string, sha256: string): void {
  let bytes: Buffer;
  try {
    bytes = readRegularFile(onnxPath);
  } catch (e) {
    if (e instanceof ModelError) throw e;
    throw new ModelError(`cannot read model file ${onnxPath}: ${(e as Error).message}`);
  }
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== sha256) {
    throw new ModelError(
      `model file ${onnxPath} does not match its metadata (sha256 ${actual.slice(0, 12)}…, expected ${sha256.slice(0, 12)}…): it is corrupt, truncated or from another export`,
    );
  }
}

/**
 * A FIFO would block the read forever and a device may never end, so the path is stat'ed first and
 * only a regular file is opened, without blocking, and checked again once open (it may have been
 * swapped in between).
 */
function readRegularFile(file: string): Buffer {
  const refuse = (st: Stats) => {
    if (!st.isFile()) throw new ModelError(`${file} is ${kindOf(st)}, not a regular file`);
  };
  refuse(statSync(file));
  const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    refuse(fstatSync(fd));
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'of an unknown kind';
}

function stringArray(v: unknown): string[] | undefined {
  return Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined;
}

function numbers(v: unknown, n: number): Float32Array | undefined {
  return Array.isArray(v) && v.length === n && v.every((x) => typeof x === 'number') ? Float32Array.from(v as number[]) : undefined;
}

function matrix(v: unknown, k: number): Float32Array | undefined {
  if (!Array.isArray(v) || v.length !== k) return undefined;
  const rows = v.map((row) => numbers(row, k));
  if (rows.some((r) => !r)) return undefined;
  const out = new Float32Array(k * k);
  rows.forEach((r, i) => out.set(r!, i * k));
  return out;
}
