/** Review at folder scale: go to an entity of any document, walk the review queue, and prepare a folder for review. */
import { promises as fs } from 'node:fs';
import * as vscode from 'vscode';
import { mergePredictions } from '../core/curation/edit';
import { reviewQueue } from '../core/curation/queue';
import { isVisible } from '../core/curation/record';
import { decodeBuffer } from '../core/decode';
import type { Controller } from './controller';
import { EditorOffsets } from './ranges';

export interface PrepareSummary {
  documents: number;
  entities: number;
  skipped: string[];
}

export function registerReviewCommands(c: Controller): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('medner.revealEntity', (uri: string, start: number, text: string, unanchored?: boolean) =>
      revealEntity(c, vscode.Uri.parse(uri), start, text, unanchored),
    ),
    vscode.commands.registerCommand(
      'medner.removeUnanchored',
      (node?: { uri: vscode.Uri; entity: { start: number; text: string } }) =>
        node && removeUnanchored(c, node.uri, node.entity.start, node.entity.text),
    ),
    vscode.commands.registerCommand('medner.nextInQueue', () => nextInQueue(c)),
    vscode.commands.registerCommand('medner.refreshEntities', () => c.curation.reloadIndex()),
    vscode.commands.registerCommand('medner.prepareReview', (glob?: string) => prepareReview(c, glob)),
  ];
}

/**
 * Opens the document and selects the entity: the one at `start` with that text, else the nearest with
 * that text (the file may have changed). An entity not found again after the document changed is
 * explained instead, when the item named it (`unanchored`) or nothing with its text is left: an
 * unanchored entity that shares its place with one on the text does not hide that one.
 */
async function revealEntity(c: Controller, uri: vscode.Uri, start: number, text: string, unanchored = false): Promise<boolean> {
  const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
  await c.review.enter(editor);
  const { ready } = c.curation.open(editor.document);
  await ready;
  const entities = c.curation.get(uri)?.entities ?? [];
  const lost = entities.find((e) => e.unanchored && e.start === start && e.text === text);
  const candidates = entities.filter((e) => e.text === text && !e.unanchored);
  const entity = unanchored
    ? undefined
    : (candidates.find((e) => e.start === start) ?? candidates.sort((a, b) => Math.abs(a.start - start) - Math.abs(b.start - start))[0]);
  if (!entity && lost) {
    const where = vscode.workspace.asRelativePath(uri);
    const choice = await vscode.window.showWarningMessage(
      `MedNER: “${text}” (${lost.label}, ${lost.status}) was not found again after ${where} changed. To keep it, select its text and Add Entity (Ctrl+Alt+M E); then remove this one.`,
      'Remove',
    );
    if (choice) await removeUnanchored(c, uri, start, text);
    return false;
  }
  if (!entity) {
    vscode.window.setStatusBarMessage(`MedNER: “${text}” is no longer in ${vscode.workspace.asRelativePath(uri)}`, 4000);
    return false;
  }
  const { start: from, end: to } = new EditorOffsets(editor.document.getText()).toUtf16(entity);
  const range = new vscode.Range(editor.document.positionAt(from), editor.document.positionAt(to));
  editor.selection = new vscode.Selection(range.start, range.end);
  editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  return isVisible(entity);
}

/** Drops an entity that could not be re-anchored: a curation step, so Undo brings it back. */
async function removeUnanchored(c: Controller, uri: vscode.Uri, start: number, text: string): Promise<boolean> {
  const doc = await vscode.workspace.openTextDocument(uri);
  const { ready } = c.curation.open(doc);
  await ready;
  return c.curation.step(doc, (s) =>
    s.apply((entities) => {
      const i = entities.findIndex((e) => e.unanchored && e.start === start && e.text === text);
      return i < 0 ? undefined : entities.filter((_, j) => j !== i);
    }),
  );
}

/** Goes to the least certain open prediction of the workspace. */
async function nextInQueue(c: Controller): Promise<boolean> {
  await c.curation.flushAll();
  const [first] = reviewQueue(await c.curation.documents(), 1);
  if (!first) {
    void vscode.window.showInformationMessage(
      'MedNER: the review queue is empty — every prediction of the curated documents has been decided. Run “MedNER: Prepare Folder for Review” to add documents.',
    );
    return false;
  }
  return revealEntity(c, first.doc.uri, first.entity.start, first.entity.text);
}

/**
 * Runs the model on every matching file of the workspace and writes its predictions to the store,
 * so that the review queue spans the folder. Decisions already made are kept.
 */
async function prepareReview(c: Controller, preset?: string): Promise<PrepareSummary | undefined> {
  const glob =
    preset ??
    (await vscode.window.showInputBox({
      title: 'MedNER: which files of the workspace to review?',
      value: '**/*.txt',
      prompt: 'Glob pattern; the .medner folder is always left out',
    }));
  if (!glob) return undefined;
  const files = (await vscode.workspace.findFiles(glob, '**/{.medner,node_modules,.git}/**')).filter((u) => c.curation.storeFor(u));
  files.sort((a, b) => a.fsPath.localeCompare(b.fsPath));
  const summary: PrepareSummary = { documents: 0, entities: 0, skipped: [] };
  let engine;
  try {
    engine = await c.model.get();
  } catch {
    return undefined;
  }
  await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'MedNER: preparing the review', cancellable: true },
    async (progress, token) => {
      const abort = new AbortController();
      token.onCancellationRequested(() => abort.abort());
      for (const [i, uri] of files.entries()) {
        if (token.isCancellationRequested) break;
        progress.report({ increment: 100 / files.length, message: `${i + 1}/${files.length} ${vscode.workspace.asRelativePath(uri)}` });
        const { store, key } = c.curation.storeFor(uri)!;
        const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
        try {
          if (open) {
            // An open document's session owns its record: analyse it there and keep it saved.
            await c.analyzeNow(open, token);
            c.curation.persist(open);
          } else {
            const decoded = decodeBuffer(await fs.readFile(uri.fsPath));
            if ('error' in decoded) {
              summary.skipped.push(`${key}: ${decoded.error}`);
              continue;
            }
            const predictions = await engine.analyze(decoded.text, { signal: abort.signal });
            const existing = await store.load(key, decoded.text);
            const entities = mergePredictions(existing?.entities ?? [], predictions);
            const status = existing?.record.status ?? 'todo';
            await store.save(key, decoded.text, entities, status);
            await c.curation.recordWritten(uri, { key, status, entities });
          }
          summary.documents++;
        } catch (e) {
          if (abort.signal.aborted) break;
          summary.skipped.push(`${key}: ${(e as Error).message}`);
        }
      }
    },
  );
  await c.curation.flushAll();
  const docs = await c.curation.documents();
  summary.entities = reviewQueue(docs).length;
  c.log.info(
    `prepared ${summary.documents} documents for review (${summary.skipped.length} skipped): ${summary.entities} open predictions`,
  );
  for (const s of summary.skipped) c.log.warn(`not prepared: ${s}`);
  vscode.window.setStatusBarMessage(`MedNER: ${summary.documents} documents ready for review, ${summary.entities} open predictions`, 5000);
  if (summary.entities) await c.entitiesView.revealQueue();
  return summary;
}
