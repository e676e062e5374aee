// One document under curation: its entities, its review status, and the undo/redo history of the
// curation steps. Text edits move every snapshot along, so undo never puts an entity on the wrong text.
import type { Entity } from '../engine';
import { applyEdits, type TextEdit } from './anchor';
import { mergePredictions } from './edit';
import type { CuratedEntity, DocumentStatus } from './record';

interface Snapshot {
  entities: readonly CuratedEntity[];
  status: DocumentStatus;
}

/** Enough to undo a morning's work; older steps are forgotten. */
const HISTORY_LIMIT = 500;

export class CurationSession {
  private undoStack: Snapshot[] = [];
  private redoStack: Snapshot[] = [];

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
    const nextStatus = status ?? (this.status === 'todo' ? 'in-progress' : this.status);
    if (!next && nextStatus === this.status) return false;
    this.undoStack.push({ entities: this.entities, status: this.status });
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
    const snapshot = from.pop();
    if (!snapshot) return false;
    to.push({ entities: this.entities, status: this.status });
    this.entities = snapshot.entities;
    this.status = snapshot.status;
    return true;
  }

  /** The model's new reading: not a curation step, so not undone. */
  mergePredictions(predictions: readonly Entity[]): void {
    this.entities = mergePredictions(this.entities, predictions);
  }

  /** The document's text changed: the entities, and every snapshot, follow it. */
  applyTextEdits(oldText: string, newText: string, edits: readonly TextEdit[]): void {
    const move = (s: Snapshot): Snapshot => ({ ...s, entities: applyEdits(s.entities, oldText, newText, edits) });
    this.entities = applyEdits(this.entities, oldText, newText, edits);
    this.undoStack = this.undoStack.map(move);
    this.redoStack = this.redoStack.map(move);
  }
}
