/** MedNER: Export Annotations… — the active document's entities in any format, written atomically. */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { decodeBuffer, type Encoding } from '../core/decode';
import { writeExportFiles } from '../core/exportWriter';
import { FORMATS } from '../core/formats/registry';
import type { Controller } from './controller';
import { siblingOutDir } from '../core/batch';
import { type ExportChoice, pickExport } from './exportFormats';
import { exportWarnings } from './exportWarnings';
import { confirmExport, overwritesSource, pickOutputFolder } from './outputFolder';

export interface ExportPreset extends Partial<ExportChoice> {
  /** Where to write: the file of a single-file format, the folder of brat's .txt/.ann pair. */
  target?: string;
}

export async function exportAnnotations(c: Controller, preset: ExportPreset = {}): Promise<string[] | undefined> {
  const editor = vscode.window.activeTextEditor;
  const placed = editor && c.placed(editor.document);
  if (!editor || !placed) {
    void vscode.window.showInformationMessage('MedNER: nothing to export yet — analyse the document first.');
    return undefined;
  }
  const choice = await pickExport(preset);
  if (!choice) return undefined;
  const doc = editor.document;
  const onDisk = doc.uri.scheme === 'file';
  const docPath = onDisk ? doc.uri.fsPath : doc.uri.toString();
  // What the user sees is exported: entities hidden by settings, and rejected ones, stay out.
  const entities = placed.map((p) => p.entity);
  const warnings = exportWarnings(c.log);
  const files = FORMATS[choice.format].export(
    [{ path: path.basename(docPath), encoding: await encodingOf(doc), text: doc.getText(), entities }],
    { labelNames: choice.labelNames, baseName: path.parse(docPath).name, onWarning: warnings.onWarning },
  );
  const perDocument = files.length > 1;
  let target = preset.target;
  if (!target) {
    // brat's pair goes where Label Folder writes (a folder beside the document's, never among the
    // records: its .txt would land on the source); one file goes beside the document.
    const picked = perDocument
      ? onDisk
        ? await pickOutputFolder(siblingOutDir(docPath, false), 'folder for the .txt and .ann')
        : (
            await vscode.window.showOpenDialog({
              title: 'MedNER: folder for the .txt and .ann',
              canSelectFolders: true,
              canSelectFiles: false,
              openLabel: 'Export here',
            })
          )?.[0]?.fsPath
      : (
          await vscode.window.showSaveDialog({
            title: `MedNER: export as ${choice.format}`,
            defaultUri: vscode.Uri.file(onDisk ? path.join(path.dirname(docPath), files[0].relativePath) : files[0].relativePath),
          })
        )?.fsPath;
    if (!picked) return undefined;
    target = picked;
  }
  const dir = perDocument ? target : path.dirname(target);
  const renamed = perDocument ? files : [{ ...files[0], relativePath: path.basename(target) }];
  const clash = overwritesSource(
    dir,
    renamed.map((f) => f.relativePath),
    [onDisk ? docPath : undefined],
  );
  if (clash) {
    void vscode.window.showErrorMessage(`MedNER: the export would overwrite the record ${clash}: choose another folder.`);
    return undefined;
  }
  const written = (await writeExportFiles(dir, renamed)).map((w) => path.join(dir, w));
  warnings.report();
  confirmExport(`${entities.length} entities`, written, dir);
  return written;
}

/** VS Code 1.90 does not expose a document's encoding: the file on disk tells, while it matches the editor. */
async function encodingOf(doc: vscode.TextDocument): Promise<Encoding> {
  if (doc.uri.scheme !== 'file' || doc.isDirty) return 'utf-8';
  const bytes = await fs.readFile(doc.uri.fsPath).catch(() => undefined);
  const decoded = bytes && decodeBuffer(bytes);
  return decoded && 'text' in decoded && decoded.text === doc.getText() ? decoded.encoding : 'utf-8';
}
