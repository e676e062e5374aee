// One document under curation: its entities, its review status, and the undo/redo history of the
// curation steps. Text edits move every snapshot along, so undo never puts an entity on the wrong text.
// A snapshot only notes the edits (their shifts, and where the entities they touched went) and
// applies them when it is restored, so typing costs the same however long the history.
import type { Entity } from '../engine';
import { countCodePoints } from '../offsets';
import { applyEdits, placedUnanchored, remember, restoreEarlier, TextChange, type TextEdit } from './anchor';
import { mergePredictions } from './edit';
import { byPosition, type CuratedEntity, type DocumentStatus, hashText } from './record';

/** Code points [start, end) replaced by `length` of them. */
interface Shift {
  start: number;
  end: number;
  length: number;
}

/**
 * One text change as a snapshot needs it: the shifts, where each entity it touched went (null:
 * nowhere), the hashes of the texts before and after, and the length after (code points).
 */
interface PendingChange {
  shifts: Shift[];
  relocated: Map<string, { start: number; end: number } | null>;
  oldId: string;
  newId: string;
  length: number;
}

interface Snapshot {
  entities: readonly CuratedEntity[];
  status: DocumentStatus;
  /** Text changes since the snapshot was taken, in order. */
  pending: PendingChange[];
}

/** Enough to undo a morning's work; older steps are forgotten. */
const HISTORY_LIMIT = 500;

export class CurationSession {
  private undoStack: Snapshot[] = [];
  private redoStack: Snapshot[] = [];
  /** The document's text as of the last change, and its hash. */
  private text?: { value: string; id: string };

  constructor(
    public entities: readonly CuratedEntity[],
    public status: DocumentStatus = 'todo',
  ) {}

  /**
   * Applies one curation step (an edit function returning undefined when it does not apply).
   * The first step starts the document's review; a step that leaves no prediction open keeps a done
   * document done.
   */
  apply(step: (entities: readonly CuratedEntity[]) => CuratedEntity[] | undefined, status?: DocumentStatus): boolean {
    const next = step(this.entities);
    // A step that does not apply changes nothing, not even the document's status.
    if (!next && status === undefined) return false;
    const nextStatus = status ?? (this.status === 'todo' ? 'in-progress' : this.status);
    if (!next && nextStatus === this.status) return false;
    this.undoStack.push({ entities: this.entities, status: this.status, pending: [] });
    if (this.undoStack.length > HISTORY_LIMIT) this.undoStack.shift();
    this.redoStack = [];
    if (next) this.entities = next;
    this.status = nextStatus;
    return true;
  }

  get canUndo(): boolean {
    return this.undoStack.length > 0;
  }

  get canRedo(): boolean {
    return this.redoStack.length > 0;
  }

  undo(): boolean {
    return this.travel(this.undoStack, this.redoStack);
  }

  redo(): boolean {
    return this.travel(this.redoStack, this.undoStack);
  }

  private travel(from: Snapshot[], to: Snapshot[]): boolean {
    const restored = from.pop();
    if (!restored) return false;
    to.push({ entities: this.entities, status: this.status, pending: [] });
    this.entities = settle(restored);
    this.status = restored.status;
    return true;
  }

  /** The model's new reading: not a curation step, so not undone. */
  mergePredictions(predictions: readonly Entity[]): void {
    this.entities = mergePredictions(this.entities, predictions);
  }

  /** The document's text changed: the entities, and every snapshot, follow it. */
  applyTextEdits(oldText: string, newText: string, edits: readonly TextEdit[]): void {
    // The hash of each text names it: a change back to an earlier text (Undo) is known by it.
    const oldId = this.text?.value === oldText ? this.text.id : hashText(oldText);
    const newId = hashText(newText);
    this.text = { value: newText, id: newId };
    const change = new TextChange(oldText, newText, edits, { old: oldId, new: newId });
    const relocated = new Map<string, { start: number; end: number } | null>();
    this.entities = applyEdits(this.entities, change, (e, at) => relocated.set(key(e), at ?? null));
    if (!this.undoStack.length && !this.redoStack.length) return;
    const pending: PendingChange = {
      shifts: change.edits.map((e) => ({ start: e.start, end: e.end, length: countCodePoints(e.text) })),
      relocated,
      oldId,
      newId,
      length: change.newMap.codePointLength,
    };
    for (const s of [...this.undoStack, ...this.redoStack]) s.pending.push(pending);
  }
}

function key(e: CuratedEntity): string {
  return `${e.start}:${e.end}:${e.text}`;
}

/**
 * The snapshot's entities with its pending changes applied as they were to the session's: shifted,
 * or moved where the same entity of the session went; one the session did not hold then (since
 * removed) is flagged unanchored. Like the session's, they go back where they were when a change
 * brings back a text they were in.
 */
function settle(s: Snapshot): readonly CuratedEntity[] {
  if (!s.pending.length) return s.entities;
  let entities = [...s.entities];
  for (const change of s.pending) {
    entities = entities.map((e) => {
      let delta = 0;
      let hit = false;
      for (const b of change.shifts) {
        if (b.end <= e.start) delta += b.length - (b.end - b.start);
        else if (b.start < e.end) hit = true;
      }
      const shifted = { start: e.start + delta, end: e.end + delta };
      if (e.unanchored) return placedUnanchored(e, shifted, change.length);
      if (!hit) return delta === 0 ? e : { ...e, ...shifted };
      const at = change.relocated.get(key(e));
      const remembered = remember(e, change.oldId);
      return at ? { ...remembered, ...at } : placedUnanchored({ ...remembered, unanchored: true }, shifted, change.length);
    });
    entities = restoreEarlier(entities, () => change.newId);
  }
  s.entities = entities.sort(byPosition);
  s.pending = [];
  return s.entities;
}
