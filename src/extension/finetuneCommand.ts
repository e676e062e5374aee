/**
 * MedNER: Fine-tune on Curated Data… — runs models/training/pipeline.py --finetune-from in the
 * background (a Python with torch, onnx and numpy), with progress and a working Cancel, then offers
 * the new model and a side-by-side evaluation of base and new on the records it held out.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
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
  /** Curated records (Yidu or MedNER JSON lines); default: the store's documents, exported as Yidu. */
  curated?: string[];
  /** Which store documents when `curated` is not given. */
  scope?: 'done' | 'all';
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
  let curated = preset.curated;
  try {
    if (!preset.outDir && folder) await ownFolder(folder.uri.fsPath, outDir);
    curated ??= await exportStore(c, outDir, preset.scope);
  } catch (e) {
    void vscode.window.showErrorMessage(`MedNER: ${(e as Error).message}`);
    return undefined;
  }
  if (!curated) return undefined;
  const base = c.config.modelPath || c.shippedModel;
  const script = path.join(c.extensionPath, 'models', 'training', 'pipeline.py');
  const args = [script, '--finetune-from', base, ...curated.flatMap((f) => ['--curated', f]), '--out', outDir];
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
      `MedNER: fine-tuning cancelled. Finished epochs are kept in ${outDir}; run it again on that folder to resume.`,
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
  const inWorkspace = folder && path.join(folder.uri.fsPath, STORE_DIR, 'models', stamp);
  const pick = await vscode.window.showQuickPick(
    [
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

/** The store's curated documents as Yidu JSON lines in the model folder: the pipeline's training data. */
async function exportStore(c: Controller, outDir: string, preset?: 'done' | 'all'): Promise<string[] | undefined> {
  const docs = await c.curation.documents();
  const scope =
    preset ??
    (
      await vscode.window.showQuickPick(
        [
          {
            label: `Documents marked done (${docs.filter((d) => d.status === 'done').length})`,
            detail: 'Complete gold',
            value: 'done' as const,
          },
          {
            label: `All documents under review (${docs.filter((d) => d.status !== 'todo').length})`,
            detail: 'Accepted, edited and added entities so far; undecided predictions are not gold and are left out',
            value: 'all' as const,
          },
        ],
        { title: 'MedNER: fine-tune on which curated documents?' },
      )
    )?.value;
  if (!scope) return undefined;
  const gold = await goldDocuments(c, scope);
  if (!gold.length) {
    void vscode.window.showInformationMessage(
      scope === 'done' ? 'MedNER: no document is marked done yet (Ctrl+Alt+M D).' : 'MedNER: nothing curated yet.',
    );
    return undefined;
  }
  const files = FORMATS.yidu.export(
    gold.map((g) => g.doc),
    { labelNames: 'chinese', baseName: 'curated' },
  );
  const written = await writeExportFiles(outDir, files, []);
  c.log.info(`fine-tuning: ${gold.length} curated documents written to ${outDir}`);
  return written.map((w) => path.join(outDir, w));
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
