/**
 * MedNER: Fine-tune on Curated Data… — runs models/training/pipeline.py --finetune-from in the
 * background (a Python with torch, onnx and numpy), with progress and a working Cancel, then offers
 * the new model and a side-by-side evaluation of base and new on the records it held out.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { writeExportFiles } from '../core/exportWriter';
import { ownFolder } from '../core/curation/containment';
import { STORE_DIR } from '../core/curation/store';
import { FORMATS } from '../core/formats/registry';
import { type FinetuneProgress, type FinetuneRecord, finetuneRecord, LineSplitter, parseProgress } from '../core/finetune/progress';
import type { Controller } from './controller';
import { goldDocuments } from './goldDocuments';
import { findPython, INSTALL_HINT } from './python';
import { sideBySide } from './sideBySideCommand';

/** Answers to the prompts, for scripted use (tasks, tests); the prompts ask for what is missing. */
export interface FinetunePreset {
  /** Curated records (Yidu or MedNER JSON lines); default: the store's documents marked done, exported as Yidu. */
  curated?: string[];
  /** With `curated`: uncurated texts for the distillation term (default: none). */
  texts?: string[];
  /** The new model's folder; default .medner/models/<timestamp>/ of the first workspace folder. */
  outDir?: string;
  /** Cancels like the progress notification's button. */
  signal?: AbortSignal;
  /** Called with every progress event the pipeline reports. */
  onProgress?: (p: FinetuneProgress) => void;
  /** Answer to "use the new model?" (default: ask). */
  useModel?: boolean;
  /** Answer to "evaluate base and new on the held-out records?" (default: ask). */
  evaluate?: boolean;
}

export interface FinetuneResult {
  outDir: string;
  record?: FinetuneRecord;
  /** The side-by-side report, when it was asked for. */
  report?: string;
}

export async function finetune(c: Controller, preset: FinetunePreset = {}): Promise<FinetuneResult | undefined> {
  const python = await findPython(c.config.pythonPath);
  if (!python.found) {
    c.log.error(`fine-tuning: no Python with torch, onnx and numpy (${python.tried.join('; ')})`);
    void vscode.window
      .showErrorMessage(
        `MedNER: fine-tuning needs Python 3 with torch, onnx and numpy. Install them (${INSTALL_HINT}) or set medner.pythonPath.`,
        'Open Settings',
        'Show Log',
      )
      .then((choice) => {
        if (choice === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettings', 'medner.pythonPath');
        if (choice === 'Show Log') c.log.show();
      });
    return undefined;
  }
  const folder = vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === 'file');
  const outDir = preset.outDir ?? (await pickOutDir(folder));
  if (!outDir) return undefined;
  let data: { curated: string[]; texts: string[] } | undefined;
  try {
    if (!preset.outDir && folder) await ownFolder(folder.uri.fsPath, outDir);
    data = preset.curated ? { curated: preset.curated, texts: preset.texts ?? [] } : await exportStore(c, outDir);
  } catch (e) {
    void vscode.window.showErrorMessage(`MedNER: ${(e as Error).message}`);
    return undefined;
  }
  if (!data) return undefined;
  const base = c.config.modelPath || c.shippedModel;
  const script = path.join(c.extensionPath, 'models', 'training', 'pipeline.py');
  const args = [
    script,
    '--finetune-from',
    base,
    ...data.curated.flatMap((f) => ['--curated', f]),
    ...data.texts.flatMap((f) => ['--texts', f]),
    '--out',
    outDir,
  ];
  c.log.info(`fine-tuning: ${python.command} ${args.join(' ')}`);
  const outcome = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'MedNER: fine-tuning', cancellable: true },
    (progress, token) =>
      new Promise<'done' | 'cancelled' | Error>((resolve) => {
        const child = spawn(python.command, args, {
          // The pipeline's parity check runs onnxruntime-node under this same Node (VS Code's, as plain Node);
          // no __pycache__ written into the installed extension.
          env: {
            ...process.env,
            MEDNER_NODE: process.execPath,
            ELECTRON_RUN_AS_NODE: '1',
            PYTHONUNBUFFERED: '1',
            PYTHONDONTWRITEBYTECODE: '1',
            PYTHONIOENCODING: 'utf-8',
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let cancelled = false;
        const cancel = () => {
          cancelled = true;
          stop(child);
        };
        token.onCancellationRequested(cancel);
        if (preset.signal?.aborted) cancel();
        preset.signal?.addEventListener('abort', cancel);
        let reported = 0;
        let lastError = '';
        const onLine = (line: string, fromStderr: boolean) => {
          const p = fromStderr ? parseProgress(line) : undefined;
          if (p) {
            const pct = Math.max(reported, 100 * p.fraction);
            progress.report({ increment: pct - reported, message: p.message });
            reported = pct;
            preset.onProgress?.(p);
          } else if (line.trim()) {
            c.log.info(`fine-tuning: ${line}`);
            if (fromStderr) lastError = line;
          }
        };
        for (const [stream, fromStderr] of [
          [child.stdout, false],
          [child.stderr, true],
        ] as const) {
          const lines = new LineSplitter();
          stream.setEncoding('utf8');
          stream.on('data', (chunk: string) => lines.push(chunk).forEach((l) => onLine(l, fromStderr)));
          stream.on('end', () => lines.end().forEach((l) => onLine(l, fromStderr)));
        }
        child.on('error', (e) => resolve(e));
        child.on('close', (code) => {
          if (cancelled) resolve('cancelled');
          else if (code === 0) resolve('done');
          else resolve(new Error(lastError.replace(/^medner: /, '') || `${python.command} exited with status ${code}`));
        });
      }),
  );
  if (outcome === 'cancelled') {
    c.log.info('fine-tuning cancelled');
    void vscode.window.showInformationMessage(
      `MedNER: fine-tuning cancelled. Finished epochs are kept in ${outDir}; run the command again and pick that folder to resume.`,
    );
    return undefined;
  }
  if (outcome instanceof Error) {
    c.log.error(`fine-tuning failed: ${outcome.message}`);
    void vscode.window.showErrorMessage(`MedNER: fine-tuning failed: ${outcome.message}`, 'Show Log').then((choice) => {
      if (choice) c.log.show();
    });
    return undefined;
  }
  const record = readRecord(outDir);
  const scores = record?.heldOut
    ? ` Held-out F1 ${(100 * record.heldOut.before.f1).toFixed(1)} → ${(100 * record.heldOut.after.f1).toFixed(1)}.`
    : '';
  c.log.info(`fine-tuned model in ${outDir}.${scores}`);
  const heldOut = path.join(outDir, 'heldout.yidu.jsonl');
  const canEvaluate = existsSync(heldOut);
  const useLabel = 'Use This Model';
  const evalLabel = 'Evaluate Base vs New';
  let useModel = preset.useModel;
  let evaluate = preset.evaluate;
  if (useModel === undefined && evaluate === undefined) {
    const choice = await vscode.window.showInformationMessage(
      `MedNER: fine-tuned model ready in ${vscode.workspace.asRelativePath(outDir)}.${scores}`,
      useLabel,
      ...(canEvaluate ? [evalLabel] : []),
    );
    useModel = choice === useLabel;
    evaluate = choice === evalLabel;
  }
  const result: FinetuneResult = { outDir, record };
  if (evaluate && canEvaluate) result.report = await sideBySide(c, base, outDir, heldOut);
  if (useModel) await useNewModel(outDir, folder);
  return result;
}

/** SIGTERM, then SIGKILL if the interpreter does not stop (torch may sit in a long native call). */
function stop(child: ChildProcess): void {
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  child.on('close', () => clearTimeout(timer));
}

async function pickOutDir(folder: vscode.WorkspaceFolder | undefined): Promise<string | undefined> {
  const stamp = new Date()
    .toISOString()
    .replace(/[:.]/g, '-')
    .replace(/-\d+Z$/, 'Z');
  const models = folder && path.join(folder.uri.fsPath, STORE_DIR, 'models');
  const inWorkspace = models && path.join(models, stamp);
  const pick = await vscode.window.showQuickPick(
    [
      ...(models
        ? unfinished(models).map((name) => ({
            label: `${STORE_DIR}/models/${name}`,
            detail: 'Resume this unfinished run',
            value: path.join(models, name),
          }))
        : []),
      ...(inWorkspace ? [{ label: `${STORE_DIR}/models/${stamp}`, detail: 'In this workspace', value: inWorkspace }] : []),
      { label: 'Choose a folder…', value: '' },
    ],
    { title: 'MedNER: where should the fine-tuned model go?' },
  );
  if (!pick) return undefined;
  if (pick.value) return pick.value;
  const [uri] =
    (await vscode.window.showOpenDialog({
      title: 'MedNER: folder for the fine-tuned model',
      canSelectFolders: true,
      canSelectFiles: false,
      openLabel: 'Fine-tune into',
    })) ?? [];
  return uri?.fsPath;
}

/** Model folders a cancelled or failed run left: checkpoints, no model yet. Newest first. */
function unfinished(models: string): string[] {
  try {
    return readdirSync(models)
      .filter((name) => existsSync(path.join(models, name, '.finetune')) && !existsSync(path.join(models, name, 'model.json')))
      .sort()
      .reverse();
  } catch {
    return [];
  }
}

/**
 * The store's documents marked done as Yidu JSON lines in the model folder, the pipeline's training
 * data; the texts of documents still in review as uncurated texts for its distillation term (their
 * undecided predictions must not be read as "no entity there"), at most as many as the curated ones
 * so the run's time stays bounded.
 */
async function exportStore(c: Controller, outDir: string): Promise<{ curated: string[]; texts: string[] } | undefined> {
  const started = await goldDocuments(c, 'all');
  const done = await goldDocuments(c, 'done');
  if (!done.length) {
    void vscode.window.showInformationMessage(
      `MedNER: fine-tuning trains on documents marked done (Ctrl+Alt+M D), and none is yet${started.length ? ` (${started.length} in review)` : ''}.`,
    );
    return undefined;
  }
  const doneKeys = new Set(done.map((g) => g.doc.path));
  const inReview = started.filter((g) => !doneKeys.has(g.doc.path)).slice(0, done.length);
  const files = [
    ...FORMATS.yidu.export(
      done.map((g) => g.doc),
      { labelNames: 'chinese', baseName: 'curated' },
    ),
    ...(inReview.length
      ? [{ relativePath: 'uncurated.jsonl', content: inReview.map((g) => JSON.stringify({ text: g.doc.text })).join('\n') + '\n' }]
      : []),
  ];
  await writeExportFiles(outDir, files);
  c.log.info(`fine-tuning: ${done.length} documents marked done, and the texts of ${inReview.length} in review, written to ${outDir}`);
  return {
    curated: [path.join(outDir, 'curated.yidu.jsonl')],
    texts: inReview.length ? [path.join(outDir, 'uncurated.jsonl')] : [],
  };
}

function readRecord(outDir: string): FinetuneRecord | undefined {
  try {
    return finetuneRecord(JSON.parse(readFileSync(path.join(outDir, 'model.json'), 'utf8')));
  } catch {
    return undefined;
  }
}

/** medner.modelPath in the workspace, relative when the model is inside it (the folder travels with the workspace). */
async function useNewModel(outDir: string, folder: vscode.WorkspaceFolder | undefined): Promise<void> {
  const rel = folder && path.relative(folder.uri.fsPath, outDir);
  const value = rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel.split(path.sep).join('/') : outDir;
  const target = folder ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  await vscode.workspace.getConfiguration('medner').update('modelPath', value, target);
}
