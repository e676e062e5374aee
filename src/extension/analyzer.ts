/**
 * Per-document analysis: debounced on edits, cancelled when the document changes again, visible
 * range first. Holds each document's latest entities (shifted along with edits until new ones arrive).
 */
import * as vscode from 'vscode';
import type { ModelHost } from './modelHost';
import { type Placed, place, shift, toCodePointRange } from './ranges';

export interface DocumentEntities {
  /** The document version the entities belong to (after shifting, the current one). */
  version: number;
  placed: Placed[];
  /** False while a newer analysis is due: the entities are shifted leftovers or a partial result. */
  fresh: boolean;
}

export class Analyzer implements vscode.Disposable {
  private readonly results = new Map<string, DocumentEntities>();
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly inFlight = new Map<string, AbortController>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  /** Documents with a complete reading since they were last forgotten: later analyses refine a count already right. */
  private readonly complete = new Set<string>();
  /** Percent of the windows decided, per document whose first reading is under way. */
  private readonly percent = new Map<string, number>();
  private readonly progressed = new vscode.EventEmitter<vscode.Uri>();
  /** A document's first reading started, moved on (by a percent) or ended. */
  readonly onDidChangeProgress = this.progressed.event;

  constructor(
    private readonly model: ModelHost,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  get(uri: vscode.Uri): DocumentEntities | undefined {
    return this.results.get(uri.toString());
  }

  /**
   * The percent of `uri` analysed while its first reading is due or running (its entities so far
   * are a partial count, or none); undefined when it has a complete reading or none is due.
   */
  analysing(uri: vscode.Uri): number | undefined {
    const key = uri.toString();
    if (this.complete.has(key) || !(this.inFlight.has(key) || this.timers.has(key))) return undefined;
    return this.percent.get(key) ?? 0;
  }

  private setPercent(key: string, percent: number | undefined): void {
    if (this.percent.get(key) === percent) return;
    if (percent === undefined) this.percent.delete(key);
    else this.percent.set(key, percent);
    this.progressed.fire(vscode.Uri.parse(key));
  }

  /** Runs the model on `doc` now (or after `delayMs`), replacing any pending or running analysis of it. */
  schedule(doc: vscode.TextDocument, delayMs = 0): void {
    const key = doc.uri.toString();
    this.cancel(key);
    // Load failures are already logged and shown once by the model host.
    const run = () => this.analyze(doc).catch(() => undefined);
    if (delayMs <= 0) {
      void run();
      return;
    }
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        void run();
      }, delayMs),
    );
    if (!this.complete.has(key)) this.setPercent(key, 0);
  }

  /** Analyses `doc` and resolves when its entities are stored; rejects only with the model's load error. */
  async analyze(doc: vscode.TextDocument, token?: vscode.CancellationToken): Promise<DocumentEntities | undefined> {
    const key = doc.uri.toString();
    this.cancel(key);
    const abort = new AbortController();
    this.inFlight.set(key, abort);
    const onCancel = token?.onCancellationRequested(() => abort.abort());
    const version = doc.version;
    const text = doc.getText();
    const started = Date.now();
    const first = !this.complete.has(key);
    if (first) this.setPercent(key, 0);
    try {
      const engine = await this.model.get();
      const visible = vscode.window.visibleTextEditors.find((e) => e.document === doc)?.visibleRanges[0];
      const priority = visible && toCodePointRange(text, doc.offsetAt(visible.start), doc.offsetAt(visible.end));
      const entities = await engine.analyze(text, {
        signal: abort.signal,
        priority,
        onProgress: (decided, windows) => {
          if (first && !abort.signal.aborted) this.setPercent(key, windows ? Math.floor((100 * decided) / windows) : 100);
        },
        onPartial: (partial) => {
          if (!abort.signal.aborted && doc.version === version) this.store(key, version, place(text, partial), false);
        },
      });
      if (abort.signal.aborted || doc.version !== version) return undefined;
      const stored = this.store(key, version, place(text, entities), true);
      this.log.debug(`${doc.uri.fsPath}: ${entities.length} entities in ${Date.now() - started} ms`);
      return stored;
    } catch (e) {
      if (abort.signal.aborted) return undefined;
      if (this.model.state !== 'error') this.log.error(`analysis of ${doc.uri.fsPath} failed: ${(e as Error).message}`);
      throw e;
    } finally {
      onCancel?.dispose();
      if (this.inFlight.get(key) === abort) {
        this.inFlight.delete(key);
        // Done, failed or cancelled for good: no longer analysing (a newer run keeps its own state).
        if (!this.timers.has(key)) this.setPercent(key, undefined);
      }
    }
  }

  /** Keeps highlights on their text while the user types; the caller schedules the re-analysis. */
  onEdit(event: vscode.TextDocumentChangeEvent): void {
    const key = event.document.uri.toString();
    this.cancel(key);
    const old = this.results.get(key);
    if (!old || !event.contentChanges.length) return;
    this.results.set(key, { version: event.document.version, placed: shift(old.placed, event.contentChanges), fresh: false });
    this.changed.fire(event.document.uri);
  }

  forget(uri: vscode.Uri): void {
    const key = uri.toString();
    this.cancel(key);
    this.complete.delete(key);
    this.setPercent(key, undefined);
    if (this.results.delete(key)) this.changed.fire(uri);
  }

  forgetAll(): void {
    for (const key of new Set([...this.results.keys(), ...this.timers.keys(), ...this.inFlight.keys()])) this.forget(vscode.Uri.parse(key));
  }

  private store(key: string, version: number, placed: Placed[], fresh: boolean): DocumentEntities {
    const old = this.results.get(key);
    if (!fresh && old) {
      // A partial result decides only the visible part: keep the older highlights elsewhere.
      const first = placed[0]?.start ?? Infinity;
      const last = placed.at(-1)?.end ?? -Infinity;
      placed = [...old.placed.filter((p) => p.end <= first), ...placed, ...old.placed.filter((p) => p.start >= last)];
    }
    const result = { version, placed, fresh };
    this.results.set(key, result);
    if (fresh) this.complete.add(key);
    this.changed.fire(vscode.Uri.parse(key));
    return result;
  }

  private cancel(key: string): void {
    const timer = this.timers.get(key);
    if (timer) clearTimeout(timer);
    this.timers.delete(key);
    this.inFlight.get(key)?.abort();
    this.inFlight.delete(key);
  }

  dispose(): void {
    for (const key of [...this.timers.keys(), ...this.inFlight.keys()]) this.cancel(key);
    this.changed.dispose();
    this.progressed.dispose();
  }
}
