/** MedNER: Export Curated Data… — the gold entities of the store's documents, in any format of the registry. */
import * as vscode from 'vscode';
import { writeExportFiles } from '../core/exportWriter';
import { FORMATS } from '../core/formats/registry';
import { exportWarnings } from './exportWarnings';
import type { Controller } from './controller';
import { type ExportChoice, pickExport } from './exportFormats';
import { goldDocuments } from './goldDocuments';

export interface CuratedExportPreset extends Partial<ExportChoice> {
  /** Only documents marked done (the default), or every curated document with its gold so far. */
  scope?: 'done' | 'all';
  /** The folder to write to. */
  target?: string;
}

export async function exportCurated(c: Controller, preset: CuratedExportPreset = {}): Promise<string[] | undefined> {
  const docs = await c.curation.documents();
  const done = docs.filter((d) => d.status === 'done').length;
  const scope =
    preset.scope ??
    (
      await vscode.window.showQuickPick(
        [
          { label: `Documents marked done (${done})`, detail: 'Complete gold: every entity decided', value: 'done' as const },
          {
            label: `All documents under review (${docs.filter((d) => d.status !== 'todo').length})`,
            detail: 'Accepted, edited and added entities so far; open predictions left out',
            value: 'all' as const,
          },
        ],
        { title: 'MedNER: which documents to export?' },
      )
    )?.value;
  if (!scope) return undefined;
  const choice = await pickExport(preset);
  if (!choice) return undefined;
  const gold = await goldDocuments(c, scope);
  if (!gold.length) {
    void vscode.window.showInformationMessage(
      scope === 'done' ? 'MedNER: no document is marked done yet (Ctrl+Alt+M D).' : 'MedNER: nothing curated yet.',
    );
    return undefined;
  }
  const target =
    preset.target ??
    (
      await vscode.window.showOpenDialog({
        title: 'MedNER: folder for the curated data',
        canSelectFolders: true,
        canSelectFiles: false,
        openLabel: 'Export here',
      })
    )?.[0]?.fsPath;
  if (!target) return undefined;
  const warnings = exportWarnings(c.log);
  const files = FORMATS[choice.format].export(
    gold.map((g) => g.doc),
    { labelNames: choice.labelNames, baseName: 'curated', onWarning: warnings.onWarning },
  );
  const written = await writeExportFiles(target, files);
  warnings.report();
  const entities = gold.reduce((n, g) => n + g.doc.entities.length, 0);
  c.log.info(`exported ${gold.length} curated documents (${entities} entities) as ${choice.format} to ${target}`);
  vscode.window.setStatusBarMessage(`MedNER: exported ${gold.length} documents, ${entities} entities`, 4000);
  return written.map((w) => vscode.Uri.joinPath(vscode.Uri.file(target), w).fsPath);
}
