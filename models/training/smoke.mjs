// CI smoke run of the training pipeline: Python unit tests, then a tiny end-to-end run (few records,
// one short epoch, export, ONNX parity), a fine-tuning of that export on two curated records (the
// network rebuilt from its ONNX file, cross-validated, exported, parity-checked), then the
// TypeScript parity tests against both fresh exports.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

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

// A model with dictionary features (lexicon.py; ~15 s without teachers): lexicon.tsv and a third ONNX
// input, which the TypeScript engine must feed as Python computes it, fp32 and int8 (parity.test.js),
// and the CLI with a user's terms added (--lexicon).
run(PYTHON, ['models/training/pipeline.py', '--smoke', '--run-dir', `${OUT}/lexicon-run`, '--out', `${OUT}/lexicon`,
  '--set', 'lexicon=["train","ccks2020-vocab"]', '--set', 'teacher_seeds=[]', '--set', 'intermediate_epochs=0', '--set', 'pseudo_epochs=0']);
if (!existsSync(`${OUT}/lexicon/lexicon.tsv`) || !existsSync(`${OUT}/lexicon/model.int8.onnx`)) {
  console.error('smoke: the lexicon model lacks lexicon.tsv or its int8 variant');
  process.exit(1);
}
run('npx', ['mocha', 'out/test/unit/parity.test.js'], { MEDNER_SMOKE_MODEL: `${OUT}/lexicon` });
writeFileSync(`${OUT}/user-lexicon.tsv`, '急性胆囊炎\t疾病和诊断\r\n头孢曲松\t药物\r\n');
for (const precision of [[], ['--int8']]) {
  run(process.execPath, ['dist/cli.js', 'label', 'test/fixtures/yidu-sample.txt', '--input-format', 'yidu', '--quiet', '--model', `${OUT}/lexicon`,
    '--lexicon', `${OUT}/user-lexicon.tsv`, '--out', `${OUT}/lexicon-labelled.jsonl`, ...precision]);
}
// Fine-tuning from it keeps its lexicon (onnx_weights.rebuild feeds the features; the export ships lexicon.tsv).
run(PYTHON, ['models/training/pipeline.py', '--finetune-from', `${OUT}/lexicon`, '--curated', 'test/fixtures/yidu-sample.txt',
  '--out', `${OUT}/lexicon-finetuned`, '--set', 'epochs=1', '--set', 'max_steps=2']);
run('npx', ['mocha', 'out/test/unit/parity.test.js'], { MEDNER_SMOKE_MODEL: `${OUT}/lexicon-finetuned` });

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
