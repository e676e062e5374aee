// A model with a lexicon (models/training/export.py's third input): model.json's "lexicon" validated,
// the dictionary features fed per window in-process and in the worker, and a user's lexicon added.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { NerEngine } from '../../src/core/engine';
import { loadModelMeta, ModelError } from '../../src/core/model';
import { OnnxRunner } from '../../src/core/onnxRunner';
import { WorkerRunner } from '../../src/core/workerRunner';
import { ROOT } from './support';
import { writeTinyModel } from './tinyModel';

const SCRIPT = path.join(ROOT, 'dist', 'inferenceWorker.js');
// CRLF and an untyped term, as a Windows user's file or lexicon.py's shipped form may have them.
const TERMS = '胃炎\t疾病和诊断\r\n胃\t解剖部位,term\r\n溃疡\n';
const TEXT = '患者胃炎，肺炎病。';

const diseases = (entities: { text: string; label: string }[]) => entities.filter((e) => e.label === '疾病和诊断').map((e) => e.text);

async function analyze(dir: string, options: { userLexicon?: string; inWorker?: boolean; text?: string } = {}) {
  const meta = loadModelMeta(dir, true, 'fp32', { userLexicon: options.userLexicon });
  const runner = options.inWorker ? await WorkerRunner.create(meta, { threads: 1 }, SCRIPT) : await OnnxRunner.create(meta, { threads: 1 });
  const engine = new NerEngine(meta, runner);
  try {
    return await engine.analyze(options.text ?? TEXT);
  } finally {
    await engine.dispose();
  }
}

function rejects(make: () => unknown, pattern: RegExp): void {
  assert.throws(make, (e: Error) => {
    assert.ok(e instanceof ModelError, `${e.name}: ${e.message}`);
    assert.match(e.message, pattern);
    assert.ok(!e.message.includes('\n'), 'one line');
    return true;
  });
}

describe('Model lexicon (dictionary features)', function () {
  this.timeout(30_000);

  it('feeds each window its features: a lexicon disease is found, in-process and in the worker', async () => {
    const dir = writeTinyModel({ lexicon: TERMS });
    for (const inWorker of [false, true]) {
      // 病 by its emission table; 胃炎 only through the lexicon input (both characters are unknown ids).
      assert.deepEqual(diseases(await analyze(dir, { inWorker })), ['胃炎', '病'], `inWorker ${inWorker}`);
    }
  });

  it('computes the features per window, as training did: a term across a window boundary is not matched', async () => {
    const dir = writeTinyModel({ lexicon: TERMS, maxLength: 4 });
    // Windows of 4 code points (no punctuation to cut at): 胃炎 at 3-5 straddles the first boundary.
    assert.deepEqual(diseases(await analyze(dir, { text: '患者甲胃炎乙' })), []);
    assert.deepEqual(diseases(await analyze(dir, { text: '患者胃炎甲乙' })), ['胃炎']);
  });

  it("adds a user's lexicon to the model's, and gives the pair its own key", async () => {
    const dir = writeTinyModel({ lexicon: TERMS });
    const user = path.join(dir, 'user.tsv');
    writeFileSync(user, '肺炎\t疾病和诊断\r\n');
    assert.deepEqual(diseases(await analyze(dir, { userLexicon: user })), ['胃炎', '肺炎病']);
    const alone = loadModelMeta(dir);
    const withUser = loadModelMeta(dir, true, 'fp32', { userLexicon: user });
    assert.notEqual(withUser.key, alone.key);
    assert.equal(withUser.lexicon?.userFile, user);
    writeFileSync(user, '肺炎\t疾病和诊断\n胃\t器官\n');
    // An input's errors, not the model's: `FILE:LINE: what`.
    assert.throws(() => loadModelMeta(dir, true, 'fp32', { userLexicon: user }), {
      name: 'Error',
      message: `${user}:2: unknown type "器官"`,
    });
    assert.throws(() => loadModelMeta(dir, true, 'fp32', { userLexicon: path.join(dir, 'missing.tsv') }), {
      name: 'Error',
      message: `cannot read the user lexicon ${path.join(dir, 'missing.tsv')}: no such file`,
    });
    assert.throws(() => loadModelMeta(dir, true, 'fp32', { userLexicon: dir }), {
      name: 'Error',
      message: `cannot read the user lexicon ${dir}: is a folder, not a regular file`,
    });
  });

  it('refuses a user lexicon for a model without one, in one line', () => {
    rejects(
      () => loadModelMeta(writeTinyModel(), false, 'fp32', { userLexicon: 'mine.tsv' }),
      /^model .* has no lexicon \(model\.json's "lexicon"\), so it cannot use the user lexicon mine\.tsv$/,
    );
  });

  it("keeps a model without a lexicon's key, and puts the lexicon in a lexicon model's key", () => {
    const plain = writeTinyModel();
    const raw = JSON.parse(readFileSync(path.join(plain, 'model.json'), 'utf8')) as Record<string, unknown>;
    const old = createHash('sha256')
      .update(
        JSON.stringify([
          (raw.onnx as { sha256: string }).sha256,
          raw.maxLength,
          raw.tags,
          raw.labels,
          raw.vocab,
          raw.normalization,
          raw.crf,
        ]),
      )
      .digest('hex');
    assert.equal(loadModelMeta(plain, false).key, old);
    const a = loadModelMeta(writeTinyModel({ lexicon: TERMS })).key;
    assert.equal(loadModelMeta(writeTinyModel({ lexicon: TERMS })).key, a);
    assert.notEqual(loadModelMeta(writeTinyModel({ lexicon: TERMS + '肺炎\t疾病和诊断\n' })).key, a);
    assert.notEqual(loadModelMeta(writeTinyModel({})).key, a);
  });

  it('refuses a bad or missing lexicon, naming the file', () => {
    const corrupt = writeTinyModel({ lexicon: TERMS });
    writeFileSync(path.join(corrupt, 'lexicon.tsv'), TERMS + '肺炎\t疾病和诊断\n');
    rejects(() => loadModelMeta(corrupt), /^lexicon file .*lexicon\.tsv does not match its metadata \(sha256 /);
    rejects(() => loadModelMeta(writeTinyModel({ lexicon: '胃炎\t疾病和诊断\n胃\t器官\n' })), /lexicon\.tsv:2: unknown type "器官"$/);
    rejects(
      () => loadModelMeta(writeTinyModel({ lexicon: TERMS, lexiconMeta: { file: 'gone.tsv' } })),
      /cannot read lexicon file .*gone\.tsv/,
    );
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ file: '../lexicon.tsv' }, /"lexicon\.file" must name a file inside the model folder/],
      [{ file: path.join(ROOT, 'package.json') }, /"lexicon\.file" must name a file inside the model folder/],
      [{ sha256: undefined }, /"lexicon\.sha256" must be the lexicon file's sha256/],
      [{ positions: 'BIES' }, /"lexicon\.positions" must be "BMES"/],
      [{ types: ['疾病和诊断', '器官'] }, /"lexicon\.types" must be distinct Yidu-S4K types or "term"/],
      [{ types: ['term', 'term'] }, /"lexicon\.types" must be distinct/],
      [{ maxTermLength: 0 }, /"lexicon\.maxTermLength" must be an integer/],
    ];
    for (const [lexiconMeta, pattern] of bad) rejects(() => loadModelMeta(writeTinyModel({ lexicon: TERMS, lexiconMeta })), pattern);
  });

  it("refuses a graph whose lexicon input does not match model.json's", async () => {
    const cases: [Parameters<typeof writeTinyModel>[0], RegExp][] = [
      [{ lexicon: TERMS, lexiconInput: 'none' }, /has no input lexicon for the dictionary features/],
      [{ lexicon: TERMS, lexiconInput: { type: 'int64' } }, /input lexicon is an int64 tensor, not a float32 tensor/],
      [{ lexicon: TERMS, lexiconInput: { dim: 27 } }, /input lexicon has shape batchxlengthx27, not batch x length x 28/],
    ];
    for (const [options, pattern] of cases) {
      await assert.rejects(
        OnnxRunner.create(loadModelMeta(writeTinyModel(options)), { threads: 1 }),
        (e: Error) => e instanceof ModelError && pattern.test(e.message),
      );
    }
    // A graph with the input and model.json without the block.
    const dir = writeTinyModel({ lexicon: TERMS });
    const meta = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8')) as Record<string, unknown>;
    delete meta.lexicon;
    writeFileSync(path.join(dir, 'model.json'), JSON.stringify(meta));
    await assert.rejects(
      OnnxRunner.create(loadModelMeta(dir), { threads: 1 }),
      (e: Error) =>
        e instanceof ModelError && /takes dictionary features \(input lexicon\) but model\.json has no "lexicon"/.test(e.message),
    );
  });
});

describe('medner label --lexicon', function () {
  this.timeout(30_000);
  const CLI = path.join(ROOT, 'dist', 'cli.js');
  const label = (...args: string[]) => spawnSync(process.execPath, [CLI, 'label', '--quiet', ...args], { encoding: 'utf8' });

  it("adds the file's terms to the model's lexicon", () => {
    const dir = writeTinyModel({ lexicon: TERMS });
    const input = path.join(dir, 'note.txt');
    writeFileSync(input, TEXT);
    const user = path.join(dir, 'user.tsv');
    writeFileSync(user, '肺炎\t疾病和诊断\n');
    const found = (r: ReturnType<typeof label>) => {
      assert.equal(r.status, 0, r.stderr);
      return diseases((JSON.parse(r.stdout) as { entities: { text: string; label: string }[] }).entities);
    };
    assert.deepEqual(found(label(input, '--model', dir)), ['胃炎', '病']);
    assert.deepEqual(found(label(input, '--model', dir, '--lexicon', user)), ['胃炎', '肺炎病']);
    writeFileSync(user, '肺炎\t器官\n');
    const bad = label(input, '--model', dir, '--lexicon', user);
    assert.equal(bad.status, 2);
    assert.equal(bad.stderr, `medner: ${user}:1: unknown type "器官"\n`);
  });

  it('refuses it for a model without a lexicon, in one line', () => {
    const dir = writeTinyModel();
    const input = path.join(dir, 'note.txt');
    writeFileSync(input, TEXT);
    const r = label(input, '--model', dir, '--lexicon', path.join(dir, 'user.tsv'));
    assert.equal(r.status, 2);
    assert.match(
      r.stderr,
      /^medner: model error: model .* has no lexicon \(model\.json's "lexicon"\), so it cannot use the user lexicon .*user\.tsv\n$/,
    );
  });
});
