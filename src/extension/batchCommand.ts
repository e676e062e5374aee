/** MedNER: Label Folder… — the core's resumable batch labelling, with progress, ETA and a working cancel. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { type BatchSummary, inputInside, labelBatch, siblingOutDir } from '../core/batch';
import type { Controller } from './controller';
import { FORMATS } from '../core/formats/registry';
import { nothingMatched } from '../core/inputs';
import { type ExportChoice, pickExport } from './exportFormats';
import { labelledMessage, progressMessage } from './batchMessages';
import { exportWarnings } from './exportWarnings';
import { pickOutputFolder } from './outputFolder';

/** Answers to the prompts, for scripted use (other extensions, tasks, tests); the prompts ask for what is missing. */
export interface LabelFolderPreset extends Partial<ExportChoice> {
  glob?: string;
  outDir?: string;
  /** Cancels like the progress notification's button. */
  signal?: AbortSignal;
}

export async function labelFolder(
  c: Controller,
  clicked?: vscode.Uri,
  selected?: vscode.Uri[],
  preset: LabelFolderPreset = {},
): Promise<BatchSummary | undefined> {
  const inputs = selected?.length
    ? selected
    : clicked
      ? [clicked]
      : await vscode.window.showOpenDialog({
          title: 'MedNER: folders or files to label',
          canSelectFolders: true,
          canSelectFiles: true,
          canSelectMany: true,
          openLabel: 'Label',
        });
  if (!inputs?.length) return undefined;
  const glob =
    preset.glob ??
    (await vscode.window.showInputBox({
      title: 'MedNER: which files in the folders?',
      value: '**/*.txt',
      prompt: 'Glob pattern relative to each folder (**, *, ?, {a,b}); files picked one by one are always labelled',
    }));
  if (glob === undefined) return undefined;
  const choice = await pickExport(preset);
  if (!choice) return undefined;
  const outDir = preset.outDir ?? (await pickOutDir(inputs));
  if (!outDir) return undefined;
  // Before the model loads: an output folder holding the sources would write among them.
  const held = await inputInside(
    outDir,
    inputs.map((u) => u.fsPath),
  );
  if (held !== undefined) {
    void vscode.window.showErrorMessage(
      `MedNER: the output folder ${outDir} holds the input ${held}: choose a folder outside the inputs, e.g. ${siblingOutDir(held, false)}.`,
    );
    return undefined;
  }

  let summary: BatchSummary | undefined;
  const warnings = exportWarnings(c.log);
  try {
    const engine = await c.model.get();
    summary = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'MedNER: labelling', cancellable: true },
      async (progress, token) => {
        const abort = new AbortController();
        token.onCancellationRequested(() => abort.abort(new Error('cancelled')));
        preset.signal?.addEventListener('abort', () => abort.abort(new Error('cancelled')));
        let reported = 0;
        return labelBatch(
          engine,
          inputs.map((u) => u.fsPath),
          {
            outDir,
            glob,
            signal: abort.signal,
            exportFiles: (docs) => FORMATS[choice.format].export(docs, { labelNames: choice.labelNames, onWarning: warnings.onWarning }),
            exportConcatenates: FORMATS[choice.format].concatenates,
            onProgress: (p) => {
              const pct = p.filesTotal ? (100 * p.filesDone) / p.filesTotal : 100;
              progress.report({ increment: pct - reported, message: progressMessage(p) });
              reported = pct;
            },
          },
        );
      },
    );
  } catch (e) {
    const msg = (e as Error).message;
    if (/cancelled/.test(msg)) {
      void vscode.window.showInformationMessage(
        'MedNER: labelling cancelled. Finished results are kept; run it again on the same output folder to resume.',
      );
    } else if (c.model.state !== 'error') {
      c.log.error(`labelling failed: ${msg}`);
      void vscode.window.showErrorMessage(`MedNER: labelling failed: ${msg}`);
    }
    return undefined;
  }
  c.log.info(
    `labelled ${summary.documents} documents (${summary.reused} reused) into ${summary.outDir} in ${summary.seconds.toFixed(1)} s`,
  );
  warnings.report();
  const done = summary;
  const openSummary = (choice: string | undefined) => {
    if (choice) void vscode.window.showTextDocument(vscode.Uri.file(path.join(done.outDir, 'summary.md')));
  };
  if (!done.matched) {
    // Nothing to label is no success: said as a warning, and no summary is returned.
    void vscode.window.showWarningMessage(
      `MedNER: ${nothingMatched(
        inputs.map((u) => u.fsPath),
        { glob },
      )}.`,
    );
    return undefined;
  }
  void vscode.window.showInformationMessage(labelledMessage(done), 'Open Summary').then(openSummary);
  return summary;
}

/** The output folder: a new `<folder>-medner` beside the input, proposed first, or one the user browses to. */
async function pickOutDir(inputs: readonly vscode.Uri[]): Promise<string | undefined> {
  const type = await vscode.workspace.fs.stat(inputs[0]).then(
    (st) => st.type,
    () => vscode.FileType.Unknown,
  );
  const proposed = siblingOutDir(inputs[0].fsPath, (type & vscode.FileType.Directory) !== 0);
  return pickOutputFolder(proposed, 'output folder (results, manifest and summary go here; a rerun resumes)');
}
