/**
 * The curation commands: decide on the entity at the cursor (or the one a hover link, code action
 * or tree item names), add one from the selection, undo/redo, and move between entities. Every one
 * has a keybinding under the Ctrl+Alt+M chord; see package.json.
 */
import * as vscode from 'vscode';
import { accept, acceptAll, add, entityAt, reject, resize, setLabel } from '../core/curation/edit';
import { type CuratedEntity, isVisible } from '../core/curation/record';
import type { CurationSession } from '../core/curation/session';
import { parseLabel, type YiduLabel } from '../core/labels';
import { codePoints } from '../core/offsets';
import { isShown } from './config';
import type { Controller } from './controller';
import { HOVER } from './hover';
import { EditorOffsets } from './ranges';
import { pickType } from './typePicker';

interface Target {
  editor: vscode.TextEditor;
  session: CurationSession;
  offsets: EditorOffsets;
  /** Code-point offset the command acts at. */
  offset: number;
}

export function registerCurationCommands(c: Controller): vscode.Disposable[] {
  const reg = (id: string, handler: (...args: never[]) => unknown) => vscode.commands.registerCommand(id, handler);
  const decide =
    (name: string, run: (entities: readonly CuratedEntity[], index: number) => CuratedEntity[] | undefined, advance: boolean) =>
    async (uri?: string, start?: number, via?: string) => {
      const t = await target(c, uri, start);
      if (!t) return false;
      // A rejected entity is not "at" any offset, but a hover link may still name it.
      // Where a rejected and a shown entity start together, the link means the shown one.
      const at = (e: CuratedEntity) => e.start === start && !e.unanchored;
      const shown = t.session.entities.findIndex((e) => at(e) && isVisible(e));
      const named = start === undefined ? -1 : shown >= 0 ? shown : t.session.entities.findIndex(at);
      const index = named >= 0 ? named : entityAt(t.session.entities, t.offset);
      if (index === undefined) {
        vscode.window.setStatusBarMessage(`MedNER: no entity at the cursor to ${name}`, 3000);
        return false;
      }
      const before = t.session.entities[index];
      if (!c.curation.step(t.editor.document, (s) => s.apply((entities) => run(entities, index)))) return false;
      const after = findAfter(t.session, before) ?? before;
      if (advance && c.config.advance) moveTo(c, t.editor, (e, from) => e.status === 'predicted' && e.start >= from, after.end);
      else select(t.editor, t.offsets, after);
      if (via === HOVER) await refreshHover();
      return true;
    };

  return [
    reg(
      'medner.accept',
      decide('accept', (e, i) => accept(e, i), true),
    ),
    reg(
      'medner.reject',
      decide('reject', (e, i) => reject(e, i), true),
    ),
    reg('medner.changeType', async (first?: string, start?: number, label?: string | null, via?: string) => {
      // From a keybinding the only argument is the type; from a hover link, the document and entity.
      const direct = first !== undefined ? parseLabel(first) : undefined;
      const chosen =
        direct ??
        (label != null ? parseLabel(label) : undefined) ??
        (await pickType('Change the type to…', { current: await typeAt(c, first, start), shortcuts: true }));
      if (!chosen) return false;
      const t = await target(c, direct ? undefined : first, start);
      if (!t) return false;
      const index = entityAt(t.session.entities, t.offset);
      if (index === undefined) {
        vscode.window.setStatusBarMessage('MedNER: no entity at the cursor to change', 3000);
        return false;
      }
      const before = t.session.entities[index];
      if (!c.curation.step(t.editor.document, (s) => s.apply((e) => setLabel(e, index, chosen)))) return false;
      select(t.editor, t.offsets, findAfter(t.session, before) ?? before);
      if (via === HOVER) await refreshHover();
      return true;
    }),
    reg('medner.growStart', () => resizeAt(c, 'start', 1)),
    reg('medner.shrinkStart', () => resizeAt(c, 'start', -1)),
    reg('medner.growEnd', () => resizeAt(c, 'end', 1)),
    reg('medner.shrinkEnd', () => resizeAt(c, 'end', -1)),
    reg('medner.addEntity', async (label?: string) => {
      const t = await target(c);
      if (!t) return false;
      const { selection, document } = t.editor;
      if (selection.isEmpty) {
        void vscode.window.showInformationMessage('MedNER: select the text of the entity first.');
        return false;
      }
      const chosen =
        (label !== undefined ? parseLabel(label) : undefined) ?? (await pickType('Add the selection as…', { shortcuts: false }));
      if (!chosen) return false;
      const chars = codePoints(document.getText());
      let { start, end } = t.offsets.toCodePoints(document.offsetAt(selection.start), document.offsetAt(selection.end));
      // A selection made by double-click or Shift+End may take in spaces: they are never part of an entity.
      while (start < end && /\s/u.test(chars[start])) start++;
      while (end > start && /\s/u.test(chars[end - 1])) end--;
      if (!c.curation.step(document, (s) => s.apply((e) => add(e, start, end, chosen, chars)))) return false;
      const added = t.session.entities.find((e) => e.start === start && e.end === end && isVisible(e));
      if (added) select(t.editor, t.offsets, added);
      return true;
    }),
    reg('medner.acceptAll', async () => {
      const t = await target(c);
      if (!t) return false;
      const open = t.session.entities.filter((e) => e.status === 'predicted' && !e.unanchored).length;
      const changed = c.curation.step(t.editor.document, (s) => s.apply((e) => acceptAll(e), 'done'));
      if (changed) vscode.window.setStatusBarMessage(`MedNER: accepted ${open} entities; the document is done`, 3000);
      return changed;
    }),
    reg('medner.undoCuration', () => history(c, 'undo')),
    reg('medner.redoCuration', () => history(c, 'redo')),
    reg('medner.markDone', async () => {
      const t = await target(c);
      if (!t) return undefined;
      const status = t.session.status === 'done' ? 'in-progress' : 'done';
      c.curation.setStatus(t.editor.document, status);
      vscode.window.setStatusBarMessage(`MedNER: document marked ${status === 'done' ? 'done' : 'in progress'}`, 3000);
      return status;
    }),
    reg('medner.nextEntity', () => navigate(c, 1)),
    reg('medner.previousEntity', () => navigate(c, -1)),
    reg('medner.nextUncertain', async () => {
      const t = await target(c);
      if (!t) return false;
      const below = c.config.uncertainBelow;
      const found = moveTo(c, t.editor, (e, from) => e.status === 'predicted' && (e.score ?? 1) < below && e.start > from, t.offset);
      if (!found)
        vscode.window.setStatusBarMessage(
          `MedNER: no open prediction below ${(100 * below).toFixed(0)}% confidence in this document`,
          3000,
        );
      return found;
    }),
  ];
}

/**
 * A hover a step was taken from would go on showing the entity as it was (“predicted”, with an
 * Accept link): it is closed and shown afresh at the cursor, on the entity the step left selected.
 */
async function refreshHover(): Promise<void> {
  // A VS Code without the command keeps the old hover: the next one is fresh all the same.
  await vscode.commands.executeCommand('editor.action.hideHover').then(undefined, () => undefined);
  await vscode.commands.executeCommand('editor.action.showHover');
}

/** The document, session and offset a command acts on: a named entity's, else the active editor's cursor. */
async function target(c: Controller, uri?: string, start?: number): Promise<Target | undefined> {
  let editor = vscode.window.activeTextEditor;
  if (uri !== undefined && editor?.document.uri.toString() !== uri) {
    const doc =
      vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri) ??
      (await vscode.workspace.openTextDocument(vscode.Uri.parse(uri)));
    editor = await vscode.window.showTextDocument(doc);
  }
  if (!editor) {
    void vscode.window.showInformationMessage('MedNER: open a document to curate.');
    return undefined;
  }
  // Curating: the text is read-only from now on, so a stray key cannot replace the entity a step selected.
  await c.review.enter(editor);
  const { ready } = c.curation.open(editor.document);
  await ready;
  const session = c.curation.get(editor.document.uri)!;
  const offsets = new EditorOffsets(editor.document.getText());
  const { selection } = editor;
  const offset = start ?? offsets.toCodePoint(editor.document.offsetAt(selection.isEmpty ? selection.active : selection.start));
  return { editor, session, offsets, offset };
}

/** The entity that `before` became after a step: same place and text, or the same place. */
function findAfter(session: CurationSession, before: CuratedEntity): CuratedEntity | undefined {
  return (
    session.entities.find((e) => e.start === before.start && e.text === before.text) ??
    session.entities.find((e) => e.start <= before.start && before.start < e.end)
  );
}

/** Selects the entity, the cursor at its start: where the hover is shown from the keyboard. */
function select(editor: vscode.TextEditor, offsets: EditorOffsets, e: CuratedEntity): void {
  const doc = editor.document;
  const { start, end } = offsets.toUtf16(e);
  const range = new vscode.Range(doc.positionAt(start), doc.positionAt(end));
  editor.selection = new vscode.Selection(range.end, range.start);
  editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
}

/** Selects the first shown entity after code point `from` that `wanted` accepts, wrapping round; false if none. */
function moveTo(c: Controller, editor: vscode.TextEditor, wanted: (e: CuratedEntity, from: number) => boolean, from: number): boolean {
  const session = c.curation.get(editor.document.uri);
  if (!session) return false;
  const shown = session.entities.filter((e) => isVisible(e) && isShown(e, c.config));
  const hit = shown.find((e) => wanted(e, from)) ?? shown.find((e) => wanted(e, -1));
  if (hit) select(editor, new EditorOffsets(editor.document.getText()), hit);
  return !!hit;
}

async function navigate(c: Controller, direction: 1 | -1): Promise<boolean> {
  const t = await target(c);
  if (!t) return false;
  const shown = t.session.entities.filter((e) => isVisible(e) && isShown(e, c.config));
  if (!shown.length) return false;
  const hit =
    direction > 0
      ? (shown.find((e) => e.start > t.offset) ?? shown[0])
      : ([...shown].reverse().find((e) => e.start < t.offset) ?? shown[shown.length - 1]);
  select(t.editor, t.offsets, hit);
  return true;
}

async function resizeAt(c: Controller, edge: 'start' | 'end', delta: 1 | -1): Promise<boolean> {
  const t = await target(c);
  if (!t) return false;
  const index = entityAt(t.session.entities, t.offset);
  if (index === undefined) {
    vscode.window.setStatusBarMessage('MedNER: no entity at the cursor to resize', 3000);
    return false;
  }
  const chars = codePoints(t.editor.document.getText());
  const before = t.session.entities[index];
  if (!c.curation.step(t.editor.document, (s) => s.apply((e) => resize(e, index, edge, delta, chars)))) {
    vscode.window.setStatusBarMessage('MedNER: the boundary cannot move further that way', 3000);
    return false;
  }
  const start = edge === 'start' ? before.start - delta : before.start;
  const after = t.session.entities.find((e) => e.start === start && isVisible(e));
  if (after) select(t.editor, t.offsets, after);
  return true;
}

async function history(c: Controller, which: 'undo' | 'redo'): Promise<boolean> {
  const t = await target(c);
  if (!t) return false;
  const done = c.curation.step(t.editor.document, (s) => s[which]());
  if (!done) vscode.window.setStatusBarMessage(`MedNER: nothing to ${which}`, 3000);
  return done;
}

/** The type of the entity a Change Type without a type acts on, to mark in the list. */
async function typeAt(c: Controller, uri?: string, start?: number): Promise<YiduLabel | undefined> {
  const t = await target(c, uri, start);
  const index = t && entityAt(t.session.entities, t.offset);
  return index === undefined ? undefined : t!.session.entities[index].label;
}
