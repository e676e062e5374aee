/**
 * The curation state of the documents in the editor: one session per analysed document (loaded
 * from the workspace's annotation store when it has a record), fed by the model's readings, moved
 * along with text edits, saved back after each curation step. Also keeps the folder-wide index that
 * the Entities view and the review queue read.
 */
import * as vscode from 'vscode';
import type { TextEdit } from '../core/curation/anchor';
import type { DocumentEntities } from '../core/curation/queue';
import type { CuratedEntity, DocumentStatus } from '../core/curation/record';
import { CurationSession } from '../core/curation/session';
import { CurationStore, placeRecord } from '../core/curation/store';
import type { Analyzer } from './analyzer';
import { EditorOffsets } from './ranges';

/** A curated entity placed in the document: UTF-16 offsets of the current version. */
export interface Shown {
  entity: CuratedEntity;
  start: number;
  end: number;
}

interface Live {
  doc: vscode.TextDocument;
  session: CurationSession;
  /** The text the session's offsets refer to (the document's, kept in step with edits), and its version. */
  text: string;
  version: number;
  store?: CurationStore;
  key?: string;
  /** Written to (or read from) the store: later changes are saved too. */
  persisted: boolean;
  /** Its record was refused (unreadable, invalid, or the document leads out of the folder): it is not overwritten until a person fixes it. */
  unreadable?: string;
  loading?: Promise<void>;
  saveTimer?: ReturnType<typeof setTimeout>;
  saving?: Promise<void>;
  placed?: { version: number; revision: number; shown: Shown[] };
  revision: number;
}

/** An indexed document of the store: where it is, and its entities as last saved or edited. */
export interface IndexedDocument extends DocumentEntities {
  uri: vscode.Uri;
}

const SAVE_DELAY_MS = 150;

export class Curation implements vscode.Disposable {
  private readonly live = new Map<string, Live>();
  private readonly stores = new Map<string, CurationStore>();
  private index?: Promise<Map<string, IndexedDocument>>;
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  /** A document's curated entities changed (step, undo, new reading, edit, load). */
  readonly onDidChange = this.changed.event;
  private readonly indexChanged = new vscode.EventEmitter<void>();
  readonly onDidChangeIndex = this.indexChanged.event;

  constructor(
    private readonly analyzer: Analyzer,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  storeFor(uri: vscode.Uri): { store: CurationStore; key: string } | undefined {
    if (uri.scheme !== 'file') return undefined;
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    if (!folder) return undefined;
    let store = this.stores.get(folder.uri.fsPath);
    if (!store) this.stores.set(folder.uri.fsPath, (store = new CurationStore(folder.uri.fsPath)));
    const key = store.keyOf(uri.fsPath);
    return key === undefined ? undefined : { store, key };
  }

  get(uri: vscode.Uri): CurationSession | undefined {
    return this.live.get(uri.toString())?.session;
  }

  /** The session of `doc`, created (and its stored record loaded) on first use; `ready` resolves once loaded. */
  open(doc: vscode.TextDocument): { session: CurationSession; ready: Promise<void> } {
    const id = doc.uri.toString();
    let live = this.live.get(id);
    if (!live) {
      const where = this.storeFor(doc.uri);
      live = { doc, session: new CurationSession([]), text: doc.getText(), version: doc.version, persisted: false, revision: 0, ...where };
      this.live.set(id, live);
      live.loading = this.load(live);
      this.takePredictions(live);
    }
    return { session: live.session, ready: live.loading ?? Promise.resolve() };
  }

  private async load(live: Live): Promise<void> {
    if (!live.store || live.key === undefined) return;
    // A document reached through a link out of the folder is not curated here at all.
    const outside = await live.store.refusal(live.key).catch((e: Error) => e.message);
    if (outside) {
      live.unreadable = outside;
      this.log.warn(`${live.doc.uri.fsPath}: ${outside}`);
      return;
    }
    try {
      const record = await live.store.read(live.key);
      if (!record || this.live.get(live.doc.uri.toString()) !== live) return;
      // The text may have changed while the file was read: place the record on the current text.
      const placed = placeRecord(record, live.text, live.store.fileOf(live.key));
      live.session = new CurationSession(placed.entities, record.status);
      live.persisted = true;
      if (placed.reanchored) {
        const lost = placed.entities.filter((e) => e.unanchored).length;
        this.log.info(
          `${live.key}: the document changed since it was curated; entities re-anchored${lost ? `, ${lost} could not be placed and are flagged` : ''}`,
        );
      }
      if (placed.unsearched) {
        const message = `${live.store.fileOf(live.key)}: re-anchoring stopped at its work limit; ${placed.unsearched} entities were not looked for and are flagged unanchored`;
        this.log.warn(message);
        void vscode.window.showWarningMessage(`MedNER: ${message}`);
      }
      this.takePredictions(live);
      this.touch(live);
    } catch (e) {
      live.unreadable = (e as Error).message;
      this.log.error(`cannot read the curation record of ${live.key}: ${live.unreadable}`);
      void vscode.window.showWarningMessage(`MedNER: ${live.unreadable}`);
    }
  }

  /** Why the document's stored record was refused, if it was: its session is not saved, exported or evaluated. */
  refused(uri: vscode.Uri): string | undefined {
    return this.live.get(uri.toString())?.unreadable;
  }

  /** The analyzer has a reading of `uri`: it becomes the session's predictions. */
  onPredictions(uri: vscode.Uri): void {
    const result = this.analyzer.get(uri);
    let live = this.live.get(uri.toString());
    if (!live) {
      const doc = result && vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
      if (!doc) return;
      this.open(doc);
      live = this.live.get(uri.toString())!;
      this.touch(live);
    } else if (!result) {
      // Cleared, or another model: its readings go, a person's decisions stay.
      live.session.mergePredictions([]);
      this.touch(live);
    } else if (this.takePredictions(live)) {
      this.touch(live, result.fresh && live.persisted);
    }
  }

  private takePredictions(live: Live): boolean {
    const result = this.analyzer.get(live.doc.uri);
    if (!result || result.version !== live.doc.version) return false;
    // The UTF-16 offsets are the ones the analyzer keeps current through edits (it shifts those
    // only); the code-point offsets are taken from them.
    const offsets = new EditorOffsets(live.text);
    live.session.mergePredictions(result.placed.map((p) => ({ ...p.entity, ...offsets.toCodePoints(p.start, p.end) })));
    return true;
  }

  /** Called before the analyzer shifts its own entities, so predictions arriving after the edit are on the new text. */
  onEdit(event: vscode.TextDocumentChangeEvent): void {
    const live = this.live.get(event.document.uri.toString());
    if (!live || !event.contentChanges.length) return;
    const oldText = live.text;
    const newText = event.document.getText();
    const offsets = new EditorOffsets(oldText);
    const edits: TextEdit[] = event.contentChanges.map((c) => ({
      ...offsets.toCodePoints(c.rangeOffset, c.rangeOffset + c.rangeLength),
      text: c.text,
    }));
    live.text = newText;
    live.version = event.document.version;
    live.session.applyTextEdits(oldText, newText, edits);
    this.touch(live, live.persisted);
  }

  /** The document was closed: its pending save is written and its session let go (the store keeps it). */
  async close(uri: vscode.Uri): Promise<void> {
    const live = this.live.get(uri.toString());
    if (!live) return;
    this.live.delete(uri.toString());
    await this.flush(live);
  }

  /** Runs a curation step on the document's session and saves it; false when the step does not apply. */
  step(doc: vscode.TextDocument, run: (session: CurationSession) => boolean): boolean {
    const { session } = this.open(doc);
    const live = this.live.get(doc.uri.toString())!;
    if (live.unreadable) {
      void vscode.window.showErrorMessage(
        `MedNER: cannot curate ${live.key}: ${live.unreadable}. Fix or delete its record (or the link), then reopen the document.`,
      );
      return false;
    }
    if (!run(session)) return false;
    live.persisted = true;
    this.touch(live, true);
    return true;
  }

  /** Shown entities of `doc` in UTF-16 offsets of its current version (rejected ones only when asked). */
  shown(doc: vscode.TextDocument, withRejected = false): Shown[] | undefined {
    const live = this.live.get(doc.uri.toString());
    if (!live || live.version !== doc.version) return undefined;
    if (!live.placed || live.placed.version !== doc.version || live.placed.revision !== live.revision) {
      const offsets = new EditorOffsets(live.text);
      const shown = live.session.entities
        .filter((e) => !e.unanchored && e.end <= offsets.codePointLength)
        .map((entity) => ({ entity, ...offsets.toUtf16(entity) }));
      live.placed = { version: doc.version, revision: live.revision, shown };
    }
    return withRejected ? live.placed.shown : live.placed.shown.filter((s) => s.entity.status !== 'rejected');
  }

  private touch(live: Live, save = false): void {
    live.revision++;
    if (save) this.scheduleSave(live);
    this.changed.fire(live.doc.uri);
  }

  private scheduleSave(live: Live): void {
    if (!live.store || live.key === undefined) return;
    if (live.saveTimer) clearTimeout(live.saveTimer);
    live.saveTimer = setTimeout(() => void this.flush(live), SAVE_DELAY_MS);
  }

  /** Writes pending changes of every open document now. */
  async flushAll(): Promise<void> {
    await Promise.all([...this.live.values()].map((l) => this.flush(l)));
  }

  private async flush(live: Live): Promise<void> {
    await live.loading;
    const pending = !!live.saveTimer;
    if (live.saveTimer) clearTimeout(live.saveTimer);
    live.saveTimer = undefined;
    await live.saving;
    if (!pending || !live.store || live.key === undefined) return;
    const { store, key, text } = live;
    const { entities, status } = live.session;
    live.saving = store
      .save(key, text, entities, status)
      .then(() => this.updateIndex(live.doc.uri, { key, status, entities }))
      .catch((e: Error) => {
        this.log.error(`cannot save the curation of ${key}: ${e.message}`);
        void vscode.window.showErrorMessage(`MedNER: cannot save the curation of ${key}: ${e.message}`);
      });
    await live.saving;
  }

  /** Every document of the workspace's stores, with the entities of open ones as they are now. */
  async documents(): Promise<IndexedDocument[]> {
    const index = await this.loadIndex();
    return [...index.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** Forgets the index: the next read lists the stores again (after files changed outside the editor). */
  reloadIndex(): void {
    this.index = undefined;
    this.indexChanged.fire();
  }

  private loadIndex(): Promise<Map<string, IndexedDocument>> {
    this.index ??= (async () => {
      const index = new Map<string, IndexedDocument>();
      const refused: string[] = [];
      for (const folder of vscode.workspace.workspaceFolders ?? []) {
        if (folder.uri.scheme !== 'file') continue;
        const store = this.storeFor(vscode.Uri.joinPath(folder.uri, 'x'))?.store;
        for (const record of (await store?.list((file, e) =>
          refused.push(e.message.startsWith(file) ? e.message : `${file}: ${e.message}`),
        )) ?? []) {
          const uri = vscode.Uri.file(store!.documentOf(record.path));
          index.set(uri.toString(), { uri, key: record.path, status: record.status, entities: record.entities });
        }
      }
      for (const r of refused) this.log.warn(`skipped: ${r}`);
      if (refused.length)
        void vscode.window.showWarningMessage(
          `MedNER: ${refused[0]}${refused.length > 1 ? ` (and ${refused.length - 1} more records skipped: see the MedNER log)` : ''}`,
        );
      for (const live of this.live.values()) {
        if (live.persisted && live.key !== undefined)
          index.set(live.doc.uri.toString(), {
            uri: live.doc.uri,
            key: live.key,
            status: live.session.status,
            entities: live.session.entities,
          });
      }
      return index;
    })();
    return this.index;
  }

  private async updateIndex(uri: vscode.Uri, doc: DocumentEntities): Promise<void> {
    if (!this.index) return;
    (await this.index).set(uri.toString(), { uri, ...doc });
    this.indexChanged.fire();
  }

  /** A record written by another command (the folder review): known to the index at once. */
  async recordWritten(uri: vscode.Uri, doc: DocumentEntities): Promise<void> {
    await this.updateIndex(uri, doc);
  }

  /** Keeps the document's record in the store from now on, without a curation step. */
  persist(doc: vscode.TextDocument): void {
    const live = this.live.get(doc.uri.toString());
    if (!live || live.unreadable) return;
    live.persisted = true;
    this.touch(live, true);
  }

  setStatus(doc: vscode.TextDocument, status: DocumentStatus): boolean {
    return this.step(doc, (s) => s.apply(() => undefined, status));
  }

  dispose(): void {
    // Pending saves are started, not awaited: writes are atomic, so at worst the last step is lost.
    for (const live of this.live.values()) if (live.saveTimer) void this.flush(live);
    this.changed.dispose();
    this.indexChanged.dispose();
  }
}
