/** Command handlers. Every command contributed in package.json is registered here. */
import * as vscode from 'vscode';
import { serializeDocument } from '../core/formats/jsonl';
import type { YiduLabel } from '../core/labels';
import { labelFolder, type LabelFolderPreset } from './batchCommand';
import type { Controller } from './controller';
import { type CuratedExportPreset, exportCurated } from './curatedExport';
import { registerCurationCommands } from './curationCommands';
import { evaluate, type EvaluatePreset } from './evaluateCommand';
import { finetune, type FinetunePreset } from './finetuneCommand';
import { registerReviewCommands } from './reviewCommands';
import { exportAnnotations, type ExportPreset } from './exportCommand';
import type { Placed } from './ranges';
import { displayName } from './entityTypes';
import { pickType } from './typePicker';

export function registerCommands(c: Controller): vscode.Disposable[] {
  const reg = (id: string, handler: (...args: never[]) => unknown) => vscode.commands.registerCommand(id, handler);
  return [
    reg('medner.analyzeDocument', () => analyzeActive(c)),
    reg('medner.clear', () => {
      const doc = vscode.window.activeTextEditor?.document;
      if (doc) c.clear(doc);
    }),
    reg('medner.toggle', () =>
      vscode.workspace.getConfiguration('medner').update('enabled', !c.config.enabled, vscode.ConfigurationTarget.Global),
    ),
    reg('medner.listEntities', () => pickEntity(c)),
    reg('medner.showEntitiesOfType', async (label?: YiduLabel) => {
      // From the palette no type comes with the command: ask for one.
      const chosen = label ?? (await pickType('Show the entities of type…', { shortcuts: false }));
      if (chosen) await pickEntity(c, chosen);
    }),
    reg('medner.copyEntitiesJson', () => copyAll(c)),
    reg('medner.copyEntityJson', (uri: string, start: number) => copyOne(c, uri, start)),
    reg('medner.showLog', () => c.log.show()),
    reg('medner.exportAnnotations', (preset?: ExportPreset) => exportAnnotations(c, preset)),
    reg('medner.labelFolder', (clicked?: vscode.Uri, selected?: vscode.Uri[], preset?: LabelFolderPreset) =>
      labelFolder(c, clicked, selected, preset),
    ),
    reg('medner.exportCurated', (preset?: CuratedExportPreset) => exportCurated(c, preset)),
    reg('medner.evaluate', (preset?: EvaluatePreset) => evaluate(c, preset)),
    reg('medner.finetune', (preset?: FinetunePreset) => finetune(c, preset)),
    ...registerCurationCommands(c),
    ...registerReviewCommands(c),
  ];
}

async function analyzeActive(c: Controller): Promise<void> {
  const doc = vscode.window.activeTextEditor?.document;
  if (!doc) {
    void vscode.window.showWarningMessage('MedNER: open a document to analyse.');
    return;
  }
  const result = await vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: `MedNER: analysing ${vscode.workspace.asRelativePath(doc.uri)}`,
      cancellable: true,
    },
    (_progress, token) => c.analyzeNow(doc, token),
  );
  if (result) vscode.window.setStatusBarMessage(`MedNER: ${result.placed.length} entities`, 3000);
}

/** Entities of the active document that settings let through, optionally of one type. */
function shownEntities(c: Controller, label?: YiduLabel): { editor: vscode.TextEditor; placed: Placed[] } | undefined {
  const editor = vscode.window.activeTextEditor;
  const placed = editor && c.placed(editor.document);
  if (!editor || !placed) {
    void vscode.window.showInformationMessage('MedNER: no entities for this document yet — run “MedNER: Analyze Current Document”.');
    return undefined;
  }
  return { editor, placed: placed.filter((p) => !label || p.entity.label === label) };
}

async function pickEntity(c: Controller, label?: YiduLabel): Promise<void> {
  const found = shownEntities(c, label);
  if (!found) return;
  const { editor, placed } = found;
  const doc = editor.document;
  const items = placed.map((p) => {
    const range = new vscode.Range(doc.positionAt(p.start), doc.positionAt(p.end));
    return {
      label: p.entity.text,
      description: displayName(p.entity.label),
      detail: `Ln ${range.start.line + 1}, Col ${range.start.character + 1} · confidence ${(100 * p.entity.score).toFixed(1)}%`,
      range,
    };
  });
  const reveal = (range: vscode.Range) => editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  const pick = await vscode.window.showQuickPick(items, {
    title: label ? `MedNER: ${displayName(label)} (${items.length})` : `MedNER: entities (${items.length})`,
    placeHolder: 'Type to filter; Enter selects the entity in the editor',
    matchOnDescription: true,
    onDidSelectItem: (item) => reveal((item as (typeof items)[number]).range),
  });
  if (pick) {
    editor.selection = new vscode.Selection(pick.range.start, pick.range.end);
    reveal(pick.range);
  }
}

async function copyAll(c: Controller): Promise<void> {
  const found = shownEntities(c);
  if (!found) return;
  const doc = found.editor.document;
  const line = serializeDocument({
    path: doc.uri.scheme === 'file' ? doc.uri.fsPath : doc.uri.toString(),
    // The editor holds decoded text; the JSON on the clipboard is that text, so UTF-8 is its encoding.
    encoding: 'utf-8',
    text: doc.getText(),
    entities: found.placed.map((p) => p.entity),
  });
  await vscode.env.clipboard.writeText(line + '\n');
  vscode.window.setStatusBarMessage(`MedNER: copied ${found.placed.length} entities as JSON`, 3000);
}

async function copyOne(c: Controller, uri: string, start: number): Promise<void> {
  const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri);
  const hit = doc && c.placed(doc)?.find((p) => p.entity.start === start);
  if (!hit) return;
  const { entity } = hit;
  await vscode.env.clipboard.writeText(
    JSON.stringify({ start: entity.start, end: entity.end, label: entity.label, text: entity.text, score: entity.score }),
  );
  vscode.window.setStatusBarMessage(`MedNER: copied “${entity.text}”`, 3000);
}
