// Parity gate of the training pipeline: the exported ONNX graph, run by onnxruntime-node on the
// padded parity batch, must reproduce PyTorch's emissions. Usage: node check_onnx.js MODEL_DIR
'use strict';
const fs = require('fs');
const path = require('path');
const ort = require(require.resolve('onnxruntime-node', { paths: [path.join(__dirname, '..', '..')] }));

const TOLERANCE = 1e-3;

async function main() {
  const dir = process.argv[2];
  const { cases } = JSON.parse(fs.readFileSync(path.join(dir, 'parity.json'), 'utf8'));
  const t = Math.max(...cases.map((c) => c.ids.length));
  const ids = new BigInt64Array(cases.length * t);
  const mask = new BigInt64Array(cases.length * t);
  cases.forEach((c, b) => c.ids.forEach((id, i) => { ids[b * t + i] = BigInt(id); mask[b * t + i] = 1n; }));
  const feeds = {
    input_ids: new ort.Tensor('int64', ids, [cases.length, t]),
    attention_mask: new ort.Tensor('int64', mask, [cases.length, t]),
  };
  const { lexicon } = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
  if (lexicon) {
    // Dictionary features: one bit per (position, type) of each code point, as lexicon.py computes them.
    const dim = lexicon.positions.length * lexicon.types.length;
    const lex = new Float32Array(cases.length * t * dim);
    cases.forEach((c, b) => c.lexicon.forEach((bits, i) => {
      for (let f = 0; f < dim; f++) lex[(b * t + i) * dim + f] = (bits >> f) & 1;
    }));
    feeds.lexicon = new ort.Tensor('float32', lex, [cases.length, t, dim]);
  }
  const session = await ort.InferenceSession.create(path.join(dir, 'model.onnx'));
  const out = await session.run(feeds);
  const em = out.emissions;
  const k = em.dims[2];
  let worst = 0;
  cases.forEach((c, b) => c.emissions.forEach((row, i) => row.forEach((want, j) => {
    worst = Math.max(worst, Math.abs(em.data[(b * t + i) * k + j] - want));
  })));
  if (worst > TOLERANCE) {
    console.error(`ONNX/PyTorch emission mismatch: max |diff| ${worst} > ${TOLERANCE}`);
    process.exit(1);
  }
  console.log(`ONNX matches PyTorch: max |diff| ${worst.toExponential(2)} over ${cases.length} padded texts`);
}

main().catch((e) => { console.error(e); process.exit(1); });
