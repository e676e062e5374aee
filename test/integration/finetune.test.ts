// MedNER: Fine-tune on Curated Data… in the extension host, against a fake interpreter (CI has no
// torch): it speaks the pipeline's protocol (an import check, JSON progress lines on stderr, a model
// folder on success), so the command's progress, cancel, model switch and evaluation are real.
import * as assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { FinetuneProgress } from '../../src/core/finetune/progress';
import type { FinetuneResult } from '../../src/extension/finetuneCommand';
import { controller, waitFor } from './helpers';

// What pipeline.py --finetune-from does, faked: FAKE_FINETUNE=hang reports progress until killed
// (its pid in OUT/fake.pid); otherwise the base model is copied as the "fine-tuned" one, with the
// record model.json keeps and the held-out records.
const FAKE_PIPELINE = String.raw`
const fs = require('fs');
const path = require('path');
const args = process.argv.slice(2);
if (args[0] === '-c') process.exit(process.env.FAKE_FINETUNE === 'no-torch' ? 1 : 0);
const opt = (name) => args[args.indexOf(name) + 1];
const out = opt('--out');
const base = opt('--finetune-from');
fs.mkdirSync(out, { recursive: true });
const report = (stage, fraction, message, extra = {}) =>
  process.stderr.write(JSON.stringify({ medner_progress: { stage, fraction, message, ...extra } }) + '\n');
if (process.env.FAKE_FINETUNE === 'hang') {
  fs.writeFileSync(path.join(out, 'fake.pid'), String(process.pid));
  let step = 0;
  setInterval(() => report('train', Math.min(0.9, 0.05 + step++ / 100), 'epoch 1/4, step ' + step), 50);
} else {
  fs.writeFileSync(path.join(out, 'args.json'), JSON.stringify(args));
  process.stderr.write('a warning that is not progress\n');
  for (const f of ['model.onnx', 'model.int8.onnx', 'parity.json']) fs.copyFileSync(path.join(base, f), path.join(out, f));
  const meta = JSON.parse(fs.readFileSync(path.join(base, 'model.json'), 'utf8'));
  // A dictionary-feature model's lexicon travels with it, as the real export writes it.
  if (meta.lexicon) fs.copyFileSync(path.join(base, meta.lexicon.file), path.join(out, meta.lexicon.file));
  const curated = fs.readFileSync(opt('--curated'), 'utf8');
  meta.training = { finetunedFrom: {
    base: { name: meta.name, path: base, sha256: meta.onnx.sha256 },
    curated: { records: 2, entities: 3, trainRecords: 1, heldOutRecords: 1, folds: 0 },
    heldOut: { before: { f1: 0.5 }, after: { f1: 0.75 } },
  } };
  fs.writeFileSync(path.join(out, 'model.json'), JSON.stringify(meta));
  fs.writeFileSync(path.join(out, 'heldout.yidu.jsonl'), curated.split('\n')[0] + '\n');
  [0.1, 0.5, 0.9].forEach((f) => report('train', f, 'training ' + f));
  report('done', 1, 'fine-tuned model in ' + out, { out });
}
`;

const CURATED = [
  {
    originalText: '患者行腹腔镜下胆囊切除术，术后予头孢曲松抗感染。',
    entities: [
      { label_type: '手术', start_pos: 3, end_pos: 12, overlap: 0 },
      { label_type: '药物', start_pos: 15, end_pos: 19, overlap: 0 },
    ],
  },
  { originalText: 'CT示右肺上叶结节。', entities: [{ label_type: '影像检查', start_pos: 0, end_pos: 2, overlap: 0 }] },
];

describe('MedNER: Fine-tune on Curated Data', function () {
  this.timeout(120_000);
  const config = () => vscode.workspace.getConfiguration('medner');
  let work: string;
  let curated: string;

  before(async () => {
    await controller();
    work = mkdtempSync(path.join(tmpdir(), 'medner-finetune-'));
    writeFileSync(path.join(work, 'pipeline.js'), FAKE_PIPELINE);
    // The interpreter is this host's Node behind a shell script: no Python, no PATH lookup.
    const python = path.join(work, 'python');
    writeFileSync(python, `#!/bin/sh\nexec "${process.execPath}" "${path.join(work, 'pipeline.js')}" "$@"\n`);
    chmodSync(python, 0o755);
    curated = path.join(work, 'curated.yidu.jsonl');
    writeFileSync(curated, CURATED.map((r) => JSON.stringify(r)).join('\n') + '\n');
    await config().update('pythonPath', python, vscode.ConfigurationTarget.Global);
  });

  after(async () => {
    delete process.env.FAKE_FINETUNE;
    await config().update('pythonPath', undefined, vscode.ConfigurationTarget.Global);
    await config().update('modelPath', undefined, vscode.ConfigurationTarget.Workspace);
  });

  it('cancels a running fine-tuning: the interpreter is stopped and nothing is offered', async () => {
    process.env.FAKE_FINETUNE = 'hang';
    const outDir = path.join(work, 'cancelled');
    const abort = new AbortController();
    const seen: FinetuneProgress[] = [];
    const result = await vscode.commands.executeCommand<FinetuneResult | undefined>('medner.finetune', {
      curated: [curated],
      outDir,
      signal: abort.signal,
      onProgress: (p: FinetuneProgress) => {
        seen.push(p);
        if (seen.length === 3) abort.abort();
      },
    });
    assert.equal(result, undefined);
    assert.ok(seen.length >= 3 && seen.every((p) => p.stage === 'train'), JSON.stringify(seen.slice(0, 4)));
    const pid = Number(readFileSync(path.join(outDir, 'fake.pid'), 'utf8'));
    const alive = () => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    await waitFor('the interpreter to stop', () => !alive(), 10_000);
    assert.equal(config().get('modelPath'), '');
  });

  it('reports progress, switches medner.modelPath to the new model and evaluates base and new side by side', async () => {
    process.env.FAKE_FINETUNE = 'done';
    const c = await controller();
    const folder = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const outDir = path.join(folder, '.medner', 'models', 'fake-run');
    const seen: FinetuneProgress[] = [];
    const result = await vscode.commands.executeCommand<FinetuneResult>('medner.finetune', {
      curated: [curated],
      outDir,
      useModel: true,
      evaluate: true,
      onProgress: (p: FinetuneProgress) => seen.push(p),
    });
    assert.deepEqual(
      seen.map((p) => [p.stage, p.fraction]),
      [
        ['train', 0.1],
        ['train', 0.5],
        ['train', 0.9],
        ['done', 1],
      ],
    );
    assert.equal(result.outDir, outDir);
    assert.equal(result.record?.heldOut?.after.f1, 0.75);
    // Relative: the model folder is inside the workspace, and the setting travels with it.
    assert.equal(config().get('modelPath'), '.medner/models/fake-run');
    await waitFor('the new model in use', () => c.config.modelPath === outDir);
    const engine = await c.model.get();
    assert.equal(engine.meta.name, 'bbrac');
    assert.ok(result.report && existsSync(result.report), 'the side-by-side report is written');
    const report = readFileSync(result.report, 'utf8');
    assert.match(report, /held-out curated records/);
    assert.match(report, /\| type \| base P \| base R \| base F1 \| new P \| new R \| new F1 \| ΔF1 \|/);
    // The fake's "fine-tuned" model is the base model: the same scores, side by side.
    assert.match(report, /\| \*\*micro\*\* \| ([\d.]+) \| ([\d.]+) \| \*\*([\d.]+)\*\* \| \1 \| \2 \| \*\*\3\*\* \| \*\*\+0\.0\*\* \|/);
  });

  it('trains on the documents marked done, with the texts of those in review for distillation only', async () => {
    process.env.FAKE_FINETUNE = 'done';
    const c = await controller();
    const root = vscode.workspace.workspaceFolders![0].uri;
    // Texts of their own, so other suites' curated copies of the fixture cannot be mistaken for them.
    const open = async (prefix: string, name: string) => {
      const uri = vscode.Uri.joinPath(root, name);
      const fixture = await vscode.workspace.fs.readFile(vscode.Uri.joinPath(root, '01-cholecystitis.txt'));
      await vscode.workspace.fs.writeFile(uri, Buffer.concat([Buffer.from(prefix), fixture]));
      const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
      await waitFor('predictions', () => c.analyzer.get(uri)?.fresh && c.curation.get(uri)?.entities.some((e) => e.status === 'predicted'));
      return { uri, editor };
    };
    const done = await open('病例甲。', 'finetune-done.txt');
    assert.equal(await vscode.commands.executeCommand('medner.acceptAll'), true);
    const accepted = c.curation.get(done.uri)!.entities.length;
    const review = await open('病例乙。', 'finetune-review.txt');
    const first = c.curation.get(review.uri)!.entities[0];
    const pos = review.editor.document.positionAt(first.start);
    review.editor.selection = new vscode.Selection(pos, pos);
    assert.equal(await vscode.commands.executeCommand('medner.reject'), true);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');

    const outDir = path.join(work, 'from-store');
    const result = await vscode.commands.executeCommand<FinetuneResult>('medner.finetune', { outDir, useModel: false, evaluate: false });
    assert.equal(result.outDir, outDir);
    const args = JSON.parse(readFileSync(path.join(outDir, 'args.json'), 'utf8')) as string[];
    assert.equal(args[args.indexOf('--curated') + 1], path.join(outDir, 'curated.yidu.jsonl'));
    assert.equal(args[args.indexOf('--texts') + 1], path.join(outDir, 'uncurated.jsonl'));
    const text = readFileSync(done.uri.fsPath, 'utf8');
    const curatedRecords = readFileSync(path.join(outDir, 'curated.yidu.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { originalText: string; entities: unknown[] });
    const mine = curatedRecords.filter((r) => r.originalText === text);
    assert.equal(mine.length, 1);
    assert.equal(mine[0].entities.length, accepted);
    assert.ok(!curatedRecords.some((r) => r.originalText === readFileSync(review.uri.fsPath, 'utf8')), 'a document in review is no gold');
    const uncurated = readFileSync(path.join(outDir, 'uncurated.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { text: string }).text);
    assert.ok(uncurated.length >= 1 && uncurated.length <= curatedRecords.length);
    assert.ok(!uncurated.includes(text), 'a document marked done is not among the uncurated texts');
    assert.equal(config().get('modelPath'), '.medner/models/fake-run', 'unchanged: the switch was declined');
  });

  it('names the missing packages and runs nothing when the interpreter cannot import torch', async () => {
    process.env.FAKE_FINETUNE = 'no-torch';
    const outDir = path.join(work, 'no-torch');
    const result = await vscode.commands.executeCommand<FinetuneResult | undefined>('medner.finetune', { curated: [curated], outDir });
    assert.equal(result, undefined);
    assert.ok(!existsSync(outDir), 'nothing ran');
  });
});
