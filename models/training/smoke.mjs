// CI smoke run of the training pipeline: Python unit tests, then a tiny end-to-end run (few records,
// one short epoch, export, ONNX parity), then the TypeScript parity tests against that fresh export.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';

const PYTHON = process.env.MEDNER_PYTHON ?? '/usr/bin/python3';
const OUT = 'out/smoke';

function run(cmd, args, env = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  if (r.status !== 0) {
    console.error(`smoke: ${cmd} ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`})`);
    process.exit(1);
  }
}

rmSync(OUT, { recursive: true, force: true });
run(PYTHON, ['-m', 'unittest', 'discover', '-s', 'models/training']);
run(PYTHON, ['models/training/pipeline.py', '--smoke', '--run-dir', `${OUT}/run`, '--out', `${OUT}/model`]);
// A checkpoint trained elsewhere (a GPU machine) exports to the same bytes.
run(PYTHON, ['models/training/pipeline.py', '--smoke', '--run-dir', `${OUT}/run`, '--checkpoint', `${OUT}/run/best.pt`, '--out', `${OUT}/reexport`]);
if (!readFileSync(`${OUT}/model/model.onnx`).equals(readFileSync(`${OUT}/reexport/model.onnx`))) {
  console.error('smoke: pipeline.py --checkpoint exported a different model.onnx');
  process.exit(1);
}
run('npx', ['mocha', 'out/test/unit/parity.test.js', 'out/test/unit/tokenizer.test.js'], { MEDNER_SMOKE_MODEL: `${OUT}/model` });
