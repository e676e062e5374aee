/** Owns the model: loaded lazily on first use, reloaded when its settings change, failures reported once. */
import * as vscode from 'vscode';
import type { NerEngine } from '../core/engine';
import type { Precision } from '../core/model';

export type ModelState = 'idle' | 'loading' | 'ready' | 'error';

export class ModelHost implements vscode.Disposable {
  private engine?: Promise<NerEngine>;
  private reported = false;
  private _state: ModelState = 'idle';
  private readonly changed = new vscode.EventEmitter<ModelState>();
  readonly onDidChangeState = this.changed.event;
  lastError?: string;

  constructor(
    private modelDir: string,
    private readonly log: vscode.LogOutputChannel,
    private threads: number,
    private precision: Precision,
    private userLexicon = '',
  ) {}

  get state(): ModelState {
    return this._state;
  }

  /** The engine, loading it on first call. Rejects with the load error (already logged and shown). */
  get(): Promise<NerEngine> {
    this.engine ??= this.load();
    return this.engine;
  }

  /** Applies model settings; a change unloads the engine, and the next use loads it anew. */
  configure(modelDir: string, threads: number, precision: Precision, userLexicon = ''): void {
    if (modelDir === this.modelDir && threads === this.threads && precision === this.precision && userLexicon === this.userLexicon) return;
    this.modelDir = modelDir;
    this.threads = threads;
    this.precision = precision;
    this.userLexicon = userLexicon;
    this.unload();
  }

  private async load(): Promise<NerEngine> {
    this.setState('loading');
    const started = Date.now();
    try {
      // Imported here, not at activation: the ONNX runtime and model are needed only once a document is analysed.
      const { NerEngine } = await import('../core/engine');
      const engine = await NerEngine.load(this.modelDir, {
        threads: this.threads,
        precision: this.precision,
        inWorker: true,
        userLexicon: this.userLexicon || undefined,
      });
      this.log.info(
        `model ${engine.meta.name} (${this.precision}) loaded from ${this.modelDir} in ${Date.now() - started} ms (threads: ${this.threads || 'auto'})`,
      );
      this.setState('ready');
      return engine;
    } catch (e) {
      this.engine = undefined;
      this.lastError = (e as Error).message;
      this.log.error(`cannot load the model: ${this.lastError}`);
      this.setState('error');
      if (!this.reported) {
        this.reported = true;
        void vscode.window.showErrorMessage(`MedNER could not load its model: ${this.lastError}`, 'Show Log').then((choice) => {
          if (choice) this.log.show();
        });
      }
      throw e;
    }
  }

  private setState(state: ModelState): void {
    this._state = state;
    this.changed.fire(state);
  }

  private unload(): void {
    const old = this.engine;
    this.engine = undefined;
    this.reported = false;
    this.lastError = undefined;
    this.setState('idle');
    void old?.then(
      (e) => e.dispose(),
      () => undefined,
    );
  }

  dispose(): void {
    this.unload();
    this.changed.dispose();
  }
}
