import type { EmissionRunner } from '../../src/core/onnxRunner';
import type { ModelMeta } from '../../src/core/model';

// A stand-in model whose answer does not depend on context: every run of 病 is a disease. Whatever
// the windowing does, the engine must return exactly those runs.
const VOCAB = ['[PAD]', '[UNK]', '[SPACE]', '病', 'a', '。'];
const SICK = 3;
const TAGS = ['O', 'B-疾病和诊断', 'I-疾病和诊断'];

export function meta(maxLength: number): ModelMeta {
  return {
    dir: '',
    onnxPath: '',
    name: 'fake',
    sha256: 'fake',
    key: 'fake',
    maxLength,
    tags: TAGS,
    vocab: VOCAB,
    metrics: {},
    labels: [{ name: '疾病和诊断', alias: 'disease' }],
    normalization: {
      unit: 'codepoint',
      fullwidthAscii: { from: 0xff01, to: 0xff5e, offset: 0xfee0 },
      lowercaseAscii: true,
      whitespace: [0x20, 0x0a, 0x0d],
      spaceToken: '[SPACE]',
      unknownToken: '[UNK]',
      padToken: '[PAD]',
    },
    crf: { transitions: new Float32Array(9), start: new Float32Array(3), end: new Float32Array(3) },
  };
}

export class RuleRunner implements EmissionRunner {
  batches: number[][] = [];
  async run(batch: readonly Int32Array[]): Promise<Float32Array[]> {
    this.batches.push(batch.map((s) => s.length));
    return batch.map((ids) => {
      const em = new Float32Array(ids.length * 3);
      ids.forEach((id, i) => {
        const tag = id !== SICK ? 0 : i > 0 && ids[i - 1] === SICK ? 2 : 1;
        em[i * 3 + tag] = 10;
      });
      return em;
    });
  }
  async dispose(): Promise<void> {}
}
