/** The model contract: models/<name>/model.json beside model.onnx, validated before any inference. */
import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readFileSync, statSync, type Stats } from 'node:fs';
import * as path from 'node:path';
import type { CrfParams } from './crf';
import { isYiduLabel } from './labels';
import { Lexicon } from './lexicon';
import { Tokenizer, type Normalization } from './tokenizer';

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
  /** Dictionary features (model.json's "lexicon"): the graph's third input, computed per window from these terms. */
  lexicon?: ModelLexicon;
}

export interface ModelLexicon {
  /** lexicon.tsv's path, and the user's lexicon added to it at load (loadModelMeta's `userLexicon`). */
  file: string;
  userFile?: string;
  types: string[];
  positions: string;
  maxTermLength: number;
  /** Features per code point, one bit per (position, type): the graph's input is their last axis, this wide. */
  dim: number;
  terms: Lexicon;
}

export interface LoadOptions {
  /** A user's `term<TAB>type,...` file whose terms join the model's lexicon (a model with a lexicon only). */
  userLexicon?: string;
}

/** The feature layout of models/training/lexicon.py; positions are the engine's bit order, types its label set. */
const LEXICON_POSITIONS = 'BMES';
const LEXICON_TYPES = new Set(['term']);
/** Features are one Int32 word per code point. */
const MAX_LEXICON_DIM = 32;
const MAX_TERM_LENGTH = 256;

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
export function loadModelMeta(dir: string, verifyChecksum = true, precision: Precision = 'fp32', options: LoadOptions = {}): ModelMeta {
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
  if (options.userLexicon !== undefined && raw.lexicon === undefined) {
    throw new ModelError(`model ${dir} has no lexicon (model.json's "lexicon"), so it cannot use the user lexicon ${options.userLexicon}`);
  }
  const lexicon =
    raw.lexicon === undefined ? undefined : loadLexicon(dir, raw.lexicon, fail, new Tokenizer(vocab, norm), norm, verifyChecksum, options);
  // A model without a lexicon keeps the key it always had, so its stored results stay valid.
  const keyParts: unknown[] = [sha256, raw.maxLength, raw.tags, raw.labels, raw.vocab, raw.normalization, raw.crf];
  if (lexicon) keyParts.push(lexicon.key);
  const key = createHash('sha256').update(JSON.stringify(keyParts)).digest('hex');
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
    ...(lexicon && { lexicon: lexicon.meta }),
  };
}

/**
 * model.json's "lexicon": lexicon.tsv inside the model folder, its sha256 checked like the graph's, the
 * feature layout the engine computes, and the terms parsed (an unknown type names the file and line).
 */
function loadLexicon(
  dir: string,
  value: unknown,
  fail: (what: string) => never,
  tokenizer: Tokenizer,
  norm: Normalization,
  verifyChecksum: boolean,
  options: LoadOptions,
): { meta: ModelLexicon; key: unknown[] } {
  const raw = value as Record<string, unknown> | null;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('"lexicon" must be an object');
  const file = raw!.file;
  const lexiconPath = typeof file === 'string' && file ? path.resolve(dir, file) : undefined;
  const inside = lexiconPath && path.relative(path.resolve(dir), lexiconPath);
  if (!inside || inside.startsWith('..') || path.isAbsolute(inside)) fail('"lexicon.file" must name a file inside the model folder');
  if (typeof raw!.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(raw!.sha256))
    fail('"lexicon.sha256" must be the lexicon file\'s sha256 (64 hex digits)');
  const types = stringArray(raw!.types);
  if (!types?.length || new Set(types).size !== types.length || types.some((t) => !isYiduLabel(t) && !LEXICON_TYPES.has(t)))
    fail('"lexicon.types" must be distinct Yidu-S4K types or "term"');
  if (raw!.positions !== LEXICON_POSITIONS)
    fail(`"lexicon.positions" must be "${LEXICON_POSITIONS}", got ${JSON.stringify(raw!.positions)?.slice(0, 40)}`);
  const dim = LEXICON_POSITIONS.length * types!.length;
  if (dim > MAX_LEXICON_DIM) fail(`"lexicon.types" gives ${dim} features per character, more than ${MAX_LEXICON_DIM}`);
  const maxTermLength = raw!.maxTermLength;
  if (typeof maxTermLength !== 'number' || !Number.isInteger(maxTermLength) || maxTermLength < 1 || maxTermLength > MAX_TERM_LENGTH)
    fail(`"lexicon.maxTermLength" must be an integer from 1 to ${MAX_TERM_LENGTH}`);
  const layout = { types: types!, positions: LEXICON_POSITIONS, maxTermLength: maxTermLength as number };
  const bytes = readModelFile(lexiconPath!, 'lexicon file');
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (verifyChecksum && sha256 !== raw!.sha256) {
    throw new ModelError(
      `lexicon file ${lexiconPath} does not match its metadata (sha256 ${sha256.slice(0, 12)}…, expected ${(raw!.sha256 as string).slice(0, 12)}…): it is corrupt, truncated or from another export`,
    );
  }
  let terms: Lexicon;
  try {
    terms = new Lexicon(bytes.toString('utf8'), layout, (cp) => tokenizer.normalize(cp), new Set(norm.whitespace), lexiconPath);
  } catch (e) {
    throw new ModelError((e as Error).message);
  }
  const key: unknown[] = [sha256, layout];
  if (options.userLexicon !== undefined) {
    // The user's file is an input, not part of the model: its errors are plain ones, `FILE:LINE: what`.
    const user = readUserFile(options.userLexicon);
    terms.addTerms(user.toString('utf8'), options.userLexicon);
    // The user's terms change the entities, so stored results of the model alone are not reused.
    key.push(createHash('sha256').update(user).digest('hex'));
  }
  return {
    meta: { file: lexiconPath!, ...(options.userLexicon !== undefined && { userFile: options.userLexicon }), ...layout, dim, terms },
    key,
  };
}

function readUserFile(file: string): Buffer {
  try {
    return readRegularFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const reason =
      e instanceof ModelError ? e.message.replace(`${file} `, '') : code === 'ENOENT' ? 'no such file' : (code ?? (e as Error).message);
    throw new Error(`cannot read the user lexicon ${file}: ${reason}`);
  }
}

function readModelFile(file: string, what: string): Buffer {
  try {
    return readRegularFile(file);
  } catch (e) {
    if (e instanceof ModelError) throw e;
    throw new ModelError(`cannot read ${what} ${file}: ${(e as Error).message}`);
  }
}

function verifyOnnx(onnxPath: string, sha256: string): void {
  const bytes = readModelFile(onnxPath, 'model file');
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
