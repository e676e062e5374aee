// A real, generated MedNER model folder (model.json + model.onnx) that onnxruntime loads in
// milliseconds and that runs a megabyte in well under a second, so the CLI can be tested end to
// end on large and faulty inputs. The graph is one Gather: each token's emission row comes from a
// table, so its answer does not depend on context; with the CRF below, every run of 病 is one
// disease (as in fakeModel.ts). Whatever the windowing does, those runs are the right answer.
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const TINY_VOCAB = ['[PAD]', '[UNK]', '[SPACE]', '病', 'a', '。'];
const SICK = TINY_VOCAB.indexOf('病');
const TAGS = ['O', 'B-疾病和诊断', 'I-疾病和诊断'];

/** Every maximal run of 病 in `text`, as code-point offsets: what the tiny model must find. */
export function sickRuns(text: string): { start: number; end: number }[] {
  const runs: { start: number; end: number }[] = [];
  Array.from(text).forEach((c, i) => {
    if (c !== '病') return;
    const last = runs[runs.length - 1];
    if (last && last.end === i) last.end = i + 1;
    else runs.push({ start: i, end: i + 1 });
  });
  return runs;
}

export interface TinyModelOptions {
  maxLength?: number;
  /** Columns of the emission table; metadata always lists 3 tags, so another number is a mismatch. */
  emittedTags?: number;
  /** Name of the graph output (the contract wants `emissions`). */
  outputName?: string;
  /** Element type of both inputs (the contract wants int64). */
  inputType?: 'int64' | 'int32';
  /** Element type of the emissions (the contract wants float32): float16 holds the same scores in half precision. */
  emissionsType?: 'float32' | 'float16';
  /** Flattens the emissions to batch x (length * tags): rank 2 instead of 3. */
  flatten?: boolean;
  /** Tokens model.json lists beyond the graph's table: ids the graph has no row for. */
  extraVocab?: string[];
  /**
   * lexicon.tsv's text: the graph then takes dictionary features (export.py's third input) and a
   * disease term of the lexicon is a disease whatever its characters; model.json gets its "lexicon".
   */
  lexicon?: string;
  /** The graph's lexicon input, when it differs from model.json's (a mismatch). */
  lexiconInput?: { type?: 'float32' | 'int64'; dim?: number } | 'none';
  /** Overrides of model.json's "lexicon" block (to make it invalid). */
  lexiconMeta?: Record<string, unknown>;
}

/** The feature layout of models/training/lexicon.py: B, M, E, S of each type. */
export const LEXICON_TYPES = ['疾病和诊断', '解剖部位', '药物', '实验室检验', '手术', '影像检查', 'term'];
const LEXICON_DIM = 4 * LEXICON_TYPES.length;

/** Writes a model folder and returns its path. */
export function writeTinyModel(options: TinyModelOptions = {}, dir = mkdtempSync(path.join(tmpdir(), 'medner-tiny-model-'))): string {
  const onnx = tinyOnnx(options.emittedTags ?? TAGS.length, options.outputName ?? 'emissions', options);
  writeFileSync(path.join(dir, 'model.onnx'), onnx);
  const lexicon = options.lexicon;
  if (lexicon !== undefined) writeFileSync(path.join(dir, 'lexicon.tsv'), lexicon);
  const k = TAGS.length;
  const transitions = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  transitions[0][2] = -100; // O -> I: an entity starts with B
  transitions[1][1] = -10; // B -> B, I -> B: a run of 病 is one entity
  transitions[2][1] = -10;
  const meta = {
    format: 'medner-bbrac/1',
    name: 'tiny',
    onnx: { file: 'model.onnx', sha256: createHash('sha256').update(onnx).digest('hex') },
    maxLength: options.maxLength ?? 64,
    labels: [{ name: '疾病和诊断', alias: 'disease' }],
    tags: TAGS,
    normalization: {
      unit: 'codepoint',
      fullwidthAscii: { from: 0xff01, to: 0xff5e, offset: 0xfee0 },
      lowercaseAscii: true,
      whitespace: [9, 10, 11, 12, 13, 32, 12288],
      spaceToken: '[SPACE]',
      unknownToken: '[UNK]',
      padToken: '[PAD]',
    },
    vocab: [...TINY_VOCAB, ...(options.extraVocab ?? [])],
    crf: { transitions, start: [0, 0, -100], end: [0, 0, 0] },
    ...(lexicon !== undefined && {
      lexicon: {
        file: 'lexicon.tsv',
        sha256: createHash('sha256').update(lexicon).digest('hex'),
        types: LEXICON_TYPES,
        positions: 'BMES',
        maxTermLength: 24,
        ...options.lexiconMeta,
      },
    }),
  };
  writeFileSync(path.join(dir, 'model.json'), JSON.stringify(meta));
  return dir;
}

// ONNX is protobuf; the handful of messages a one-node graph needs are written by hand here.
// Field numbers are those of onnx/onnx.proto.
function tinyOnnx(emittedTags: number, outputName: string, options: TinyModelOptions): Buffer {
  const table = new Float32Array(TINY_VOCAB.length * emittedTags);
  for (let id = 0; id < TINY_VOCAB.length; id++) {
    // 病: B or I (the CRF picks); anything else: O.
    if (id === SICK) table.fill(5, id * emittedTags + 1, id * emittedTags + Math.min(3, emittedTags));
    else table[id * emittedTags] = 5;
  }
  const FLOAT = 1;
  const INT32 = 6;
  const INT64 = 7;
  const FLOAT16 = 10;
  const half = options.emissionsType === 'float16';
  const inputType = options.inputType === 'int32' ? INT32 : INT64;
  const dims = (...d: (number | string)[]) => msg(2, concat(d.map((x) => msg(1, typeof x === 'number' ? varintField(1, x) : str(2, x))))); // TensorShapeProto
  const valueInfo = (name: string, elemType: number, shape: Buffer) =>
    concat([str(1, name), msg(2, msg(1, concat([varintField(1, elemType), shape])))]); // ValueInfoProto{TypeProto{Tensor}}
  // Only 0 and 5 occur: as IEEE half floats, 0x0000 and 0x4500.
  const raw = half ? Buffer.from(Uint16Array.from(table, (x) => (x === 5 ? 0x4500 : 0)).buffer) : Buffer.from(table.buffer);
  const initializer = concat([
    varintField(1, TINY_VOCAB.length),
    varintField(1, emittedTags),
    varintField(2, half ? FLOAT16 : FLOAT),
    str(8, 'table'),
    bytesField(9, raw),
  ]);
  const lexiconInput = options.lexicon !== undefined && options.lexiconInput !== 'none' ? (options.lexiconInput ?? {}) : undefined;
  const lexiconDim = lexiconInput?.dim ?? LEXICON_DIM;
  const gathered = options.flatten || lexiconInput ? 'gathered' : outputName;
  const nodes = [msg(1, concat([str(1, 'table'), str(1, 'input_ids'), str(2, gathered), str(3, 'gather'), str(4, 'Gather')]))];
  const initializers = [initializer];
  if (lexiconInput) {
    // emissions = table[id] + features · W: a disease term's begin/single bit scores B, its middle/end bits I.
    const w = new Float32Array(lexiconDim * emittedTags);
    const t = LEXICON_TYPES.length;
    const disease = LEXICON_TYPES.indexOf('疾病和诊断');
    const score = (position: number, tag: number) => {
      if (position * t + disease < lexiconDim && tag < emittedTags) w[(position * t + disease) * emittedTags + tag] = 10;
    };
    score(0, 1);
    score(1, 2);
    score(2, 2);
    score(3, 1);
    const asFloat = lexiconInput.type === 'int64' ? 'lexicon_float' : 'lexicon';
    if (asFloat !== 'lexicon')
      nodes.push(
        msg(
          1,
          concat([
            str(1, 'lexicon'),
            str(2, asFloat),
            str(3, 'cast'),
            str(4, 'Cast'),
            msg(5, concat([str(1, 'to'), varintField(20, 2), varintField(3, FLOAT)])),
          ]),
        ),
      );
    initializers.push(
      concat([
        varintField(1, lexiconDim),
        varintField(1, emittedTags),
        varintField(2, FLOAT),
        str(8, 'lexicon_weights'),
        bytesField(9, Buffer.from(w.buffer)),
      ]),
    );
    nodes.push(msg(1, concat([str(1, asFloat), str(1, 'lexicon_weights'), str(2, 'lexicon_scores'), str(3, 'matmul'), str(4, 'MatMul')])));
    const sum = options.flatten ? 'summed' : outputName;
    nodes.push(msg(1, concat([str(1, gathered), str(1, 'lexicon_scores'), str(2, sum), str(3, 'add'), str(4, 'Add')])));
  }
  const flattenFrom = lexiconInput ? 'summed' : gathered;
  // Flatten's default axis 1 keeps the batch and joins the rest.
  if (options.flatten) nodes.push(msg(1, concat([str(1, flattenFrom), str(2, outputName), str(3, 'flatten'), str(4, 'Flatten')])));
  const graph = concat([
    ...nodes,
    str(2, 'tiny'),
    ...initializers.map((i) => msg(5, i)),
    msg(11, valueInfo('input_ids', inputType, dims('batch', 'length'))),
    msg(11, valueInfo('attention_mask', inputType, dims('batch', 'length'))),
    ...(lexiconInput
      ? [msg(11, valueInfo('lexicon', lexiconInput.type === 'int64' ? INT64 : FLOAT, dims('batch', 'length', lexiconDim)))]
      : []),
    msg(12, valueInfo(outputName, half ? FLOAT16 : FLOAT, options.flatten ? dims('batch', 'flat') : dims('batch', 'length', emittedTags))),
  ]);
  return concat([varintField(1, 8), str(2, 'medner-tests'), msg(7, graph), msg(8, concat([str(1, ''), varintField(2, 13)]))]);
}

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
}

const varintField = (field: number, n: number) => concat([varint(field << 3), varint(n)]);
const bytesField = (field: number, b: Buffer) => concat([varint((field << 3) | 2), varint(b.length), b]);
const str = (field: number, s: string) => bytesField(field, Buffer.from(s, 'utf8'));
const msg = bytesField;
const concat = (parts: Buffer[]) => Buffer.concat(parts);
