// CI smoke run of the training pipeline: Python unit tests, then a tiny end-to-end run (few records,
// one short epoch, export, ONNX parity), a fine-tuning of that export on two curated records (the
// network rebuilt from its ONNX file, cross-validated, exported, parity-checked), then the
// TypeScript parity tests against both fresh exports.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';

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

function fail(why) {
  console.error(`smoke: pipeline.py --finetune-from: ${why}`);
  process.exit(1);
}
const ft = spawnSync(
  PYTHON,
  ['models/training/pipeline.py', '--finetune-from', `${OUT}/model`, '--curated', 'test/fixtures/yidu-sample.txt',
    '--out', `${OUT}/finetuned`, '--set', 'epochs=1', '--set', 'max_steps=2'],
  { encoding: 'utf8', stdio: ['ignore', 'inherit', 'pipe'] },
);
process.stderr.write(ft.stderr ?? '');
if (ft.status !== 0) fail(`exit ${ft.status}`);
const events = ft.stderr.split('\n').filter((l) => l.startsWith('{"medner_progress"')).map((l) => JSON.parse(l).medner_progress);
if (events.at(-1)?.stage !== 'done' || events.at(-1).fraction !== 1) fail('no final "done" progress line');
if (events.some((e, i) => i && e.fraction < events[i - 1].fraction)) fail('progress went backwards');
const base = JSON.parse(readFileSync(`${OUT}/model/model.json`, 'utf8'));
const tuned = JSON.parse(readFileSync(`${OUT}/finetuned/model.json`, 'utf8'));
const record = tuned.training.finetunedFrom;
if (record.base.sha256 !== base.onnx.sha256) fail('model.json does not name the base model by its sha256');
if (record.curated.records !== 2 || record.curated.folds !== 2 || !record.heldOut) fail(`curated data or scores not recorded: ${JSON.stringify(record.curated)}`);
if (!existsSync(`${OUT}/finetuned/model.int8.onnx`)) fail('no int8 variant');
run('npx', ['mocha', 'out/test/unit/parity.test.js'], { MEDNER_SMOKE_MODEL: `${OUT}/finetuned` });
