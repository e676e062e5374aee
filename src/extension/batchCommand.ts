/** MedNER: Label Folder… — the core's resumable batch labelling, with progress, ETA and a working cancel. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { type BatchSummary, labelBatch } from '../core/batch';
import type { Controller } from './controller';
import { FORMATS } from '../core/formats/registry';
import { type ExportChoice, pickExport } from './exportFormats';
import { exportWarnings } from './exportWarnings';

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
  const first = inputs[0].fsPath;
  const [outUri] = preset.outDir
    ? [vscode.Uri.file(preset.outDir)]
    : ((await vscode.window.showOpenDialog({
        title: 'MedNER: output folder (results, manifest and summary go here; a rerun resumes)',
        canSelectFolders: true,
        canSelectFiles: false,
        defaultUri: vscode.Uri.file(path.dirname(first)),
        openLabel: 'Write here',
      })) ?? []);
  if (!outUri) return undefined;

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
            outDir: outUri.fsPath,
            glob,
            signal: abort.signal,
            exportFiles: (docs) => FORMATS[choice.format].export(docs, { labelNames: choice.labelNames, onWarning: warnings.onWarning }),
            exportConcatenates: FORMATS[choice.format].concatenates,
            onProgress: (p) => {
              const pct = p.filesTotal ? (100 * p.filesDone) / p.filesTotal : 100;
              const eta = p.etaSeconds === undefined ? '' : `, ETA ${formatSeconds(p.etaSeconds)}`;
              progress.report({
                increment: pct - reported,
                message: `${p.filesDone}/${p.filesTotal} files, ${Math.round(p.charsPerSecond).toLocaleString('en')} chars/s${eta}`,
              });
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
  const skipped = summary.skipped.length ? `, ${summary.skipped.length} skipped` : '';
  const done = summary;
  void vscode.window
    .showInformationMessage(
      `MedNER: ${done.documents} documents labelled (${done.reused} files unchanged, reused${skipped}) in ${done.seconds.toFixed(1)} s.`,
      'Open Summary',
    )
    .then((choice) => choice && vscode.window.showTextDocument(vscode.Uri.file(path.join(done.outDir, 'summary.md'))));
  return summary;
}

function formatSeconds(s: number): string {
  return s < 90 ? `${Math.ceil(s)} s` : `${Math.round(s / 60)} min`;
}
