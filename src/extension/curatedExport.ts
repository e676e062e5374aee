/** MedNER: Export Curated Data… — the gold entities of the store's documents, in any format of the registry. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { writeExportFiles } from '../core/exportWriter';
import { FORMATS } from '../core/formats/registry';
import { exportWarnings } from './exportWarnings';
import type { Controller } from './controller';
import { type ExportChoice, pickExport } from './exportFormats';
import { goldDocuments } from './goldDocuments';
import { confirmExport, overwritesSource, pickOutputFolder } from './outputFolder';

export interface CuratedExportPreset extends Partial<ExportChoice> {
  /** Only documents marked done (the default), or every curated document with its gold so far. */
  scope?: 'done' | 'all';
  /** Where to write: a folder (the export keeps its own name), or the file of a single-file format. */
  target?: string;
}

export async function exportCurated(c: Controller, preset: CuratedExportPreset = {}): Promise<string[] | undefined> {
  const docs = await c.curation.documents();
  const done = docs.filter((d) => d.status === 'done').length;
  const started = docs.filter((d) => d.status !== 'todo').length;
  const untouched = docs.length - started;
  const scope =
    preset.scope ??
    (
      await vscode.window.showQuickPick(
        [
          { label: `Documents marked done (${done})`, detail: 'Complete gold: every entity decided', value: 'done' as const },
          {
            label: `Documents under review (${started})`,
            description: `marked done or in progress${untouched ? `; not the ${untouched} prepared but not yet curated` : ''}`,
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
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const baseName = `${folder ? path.basename(folder.fsPath) : 'medner'}-curated`;
  const warnings = exportWarnings(c.log);
  const files = FORMATS[choice.format].export(
    gold.map((g) => g.doc),
    { labelNames: choice.labelNames, baseName, onWarning: warnings.onWarning },
  );
  const perDocument = !FORMATS[choice.format].concatenates && files.length > 1;
  const target = preset.target ?? (await askTarget(choice, perDocument, folder, files[0].relativePath));
  if (!target) return undefined;
  // A preset folder keeps the format's own name; a file chosen in the save dialog names the export.
  const intoFolder = perDocument || (await isFolder(target));
  const dir = intoFolder ? target : path.dirname(target);
  const named = intoFolder ? files : [{ ...files[0], relativePath: path.basename(target) }];
  const clash = overwritesSource(
    dir,
    named.map((f) => f.relativePath),
    gold.map((g) => (g.uri.scheme === 'file' ? g.uri.fsPath : undefined)),
  );
  if (clash) {
    void vscode.window.showErrorMessage(`MedNER: the export would overwrite the record ${clash}: choose another folder.`);
    return undefined;
  }
  const written = (await writeExportFiles(dir, named)).map((w) => path.join(dir, w));
  warnings.report();
  const entities = gold.reduce((n, g) => n + g.doc.entities.length, 0);
  c.log.info(`exported ${gold.length} curated documents (${entities} entities) as ${choice.format} to ${dir}`);
  confirmExport(`${gold.length} documents, ${entities} entities`, written, dir);
  return written;
}

/** A save dialog for one file (named after the workspace), a folder beside the workspace for brat's pairs. */
async function askTarget(
  choice: ExportChoice,
  perDocument: boolean,
  folder: vscode.Uri | undefined,
  name: string,
): Promise<string | undefined> {
  if (perDocument) {
    if (folder?.scheme === 'file') return pickOutputFolder(`${folder.fsPath}-curated`, 'folder for the curated .txt and .ann pairs');
    const [chosen] =
      (await vscode.window.showOpenDialog({
        title: 'MedNER: folder for the curated .txt and .ann pairs',
        canSelectFolders: true,
        canSelectFiles: false,
        openLabel: 'Export here',
      })) ?? [];
    return chosen?.fsPath;
  }
  const picked = await vscode.window.showSaveDialog({
    title: `MedNER: export the curated data as ${choice.format}`,
    defaultUri: folder ? vscode.Uri.joinPath(folder, name) : undefined,
    filters: { [choice.format]: FORMATS[choice.format].extensions.map((e) => e.split('.').pop()!) },
  });
  return picked?.fsPath;
}

async function isFolder(p: string): Promise<boolean> {
  const st = await vscode.workspace.fs.stat(vscode.Uri.file(p)).then(
    (s) => s,
    () => undefined,
  );
  return !!st && (st.type & vscode.FileType.Directory) !== 0;
}
