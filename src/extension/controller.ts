/** Connects editor events, settings, the model and the views. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { looksBinary } from '../core/decode';
import { Analyzer, type DocumentEntities } from './analyzer';
import { documentSelector, isShown, type MedNerConfig, readConfig, SECTION } from './config';
import { Decorations } from './decorations';
import { EntityHover } from './hover';
import { Legend } from './legend';
import { ModelHost } from './modelHost';
import type { Placed } from './ranges';
import { StatusItem } from './status';

export class Controller implements vscode.Disposable {
  config: MedNerConfig = readConfig();
  /** Time spent in activate(), for the benchmark. */
  activationMs = 0;
  readonly model: ModelHost;
  readonly analyzer: Analyzer;
  readonly legend: Legend;
  readonly decorations: Decorations;
  private readonly status: StatusItem;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly shippedModel: string;
  /** Documents the user cleared: left alone until edited or analysed on request. */
  private readonly cleared = new Set<string>();

  constructor(
    readonly log: vscode.LogOutputChannel,
    extensionPath: string,
  ) {
    const current = () => this.config;
    this.shippedModel = path.join(extensionPath, 'models', 'bbrac');
    this.model = new ModelHost(this.config.modelPath || this.shippedModel, log, this.config.threads, this.config.precision);
    this.analyzer = new Analyzer(this.model, log);
    this.decorations = new Decorations(this.analyzer, current);
    this.legend = new Legend(this.analyzer, current);
    this.status = new StatusItem(this.model, current);
    this.disposables.push(
      // Every document: one analysed on request need not match the automatic selector.
      vscode.languages.registerHoverProvider('*', new EntityHover(this.analyzer, current)),
      this.model, this.analyzer, this.decorations, this.legend, this.status,
      vscode.window.registerTreeDataProvider('medner.legend', this.legend),
      this.analyzer.onDidChange((uri) => {
        this.decorations.refresh(uri);
        if (uri.toString() === vscode.window.activeTextEditor?.document.uri.toString()) this.updateViews();
      }),
      this.model.onDidChangeState(() => this.updateViews()),
      vscode.window.onDidChangeVisibleTextEditors((editors) => {
        for (const e of editors) this.maybeAnalyze(e.document);
        this.decorations.refresh();
      }),
      vscode.window.onDidChangeActiveTextEditor(() => this.updateViews()),
      vscode.workspace.onDidChangeTextDocument((e) => this.onEdit(e)),
      vscode.workspace.onDidCloseTextDocument((doc) => {
        this.cleared.delete(doc.uri.toString());
        this.analyzer.forget(doc.uri);
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(SECTION)) this.onConfigChange();
      }),
    );
    for (const e of vscode.window.visibleTextEditors) this.maybeAnalyze(e.document);
    this.updateViews();
  }

  matches(doc: vscode.TextDocument): boolean {
    return vscode.languages.match(documentSelector(this.config), doc) > 0;
  }

  shown(placed: readonly Placed[]): Placed[] {
    return placed.filter((p) => isShown(p.entity, this.config));
  }

  /** Explicit analysis (the command): any document, any size, cancellable. */
  async analyzeNow(doc: vscode.TextDocument, token?: vscode.CancellationToken): Promise<DocumentEntities | undefined> {
    this.cleared.delete(doc.uri.toString());
    try {
      return await this.analyzer.analyze(doc, token);
    } catch (e) {
      if (this.model.state !== 'error') void vscode.window.showErrorMessage(`MedNER: analysis failed: ${(e as Error).message}`);
      return undefined;
    }
  }

  clear(doc: vscode.TextDocument): void {
    this.cleared.add(doc.uri.toString());
    this.analyzer.forget(doc.uri);
  }

  private maybeAnalyze(doc: vscode.TextDocument): void {
    const { enabled, liveAnalysis } = this.config;
    if (!enabled || !liveAnalysis || !this.matches(doc) || this.cleared.has(doc.uri.toString())) return;
    const existing = this.analyzer.get(doc.uri);
    if (existing?.fresh && existing.version === doc.version) return;
    const why = this.notAutomatic(doc);
    if (why) {
      this.log.info(`${doc.uri.fsPath} ${why}; run Analyze to analyse it anyway`);
      return;
    }
    this.analyzer.schedule(doc);
  }

  private onEdit(e: vscode.TextDocumentChangeEvent): void {
    if (!e.contentChanges.length) return;
    this.cleared.delete(e.document.uri.toString());
    this.analyzer.onEdit(e);
    const visible = vscode.window.visibleTextEditors.some((ed) => ed.document === e.document);
    const { enabled, liveAnalysis, debounceMs } = this.config;
    if (visible && enabled && liveAnalysis && this.matches(e.document) && !this.notAutomatic(e.document)) {
      this.analyzer.schedule(e.document, debounceMs);
    }
  }

  /** Why `doc` is left to the Analyze command, if it is. */
  private notAutomatic(doc: vscode.TextDocument): string | undefined {
    const text = doc.getText();
    const { maxDocumentSize } = this.config;
    if (text.length > maxDocumentSize) return `is longer than medner.maxDocumentSize (${maxDocumentSize})`;
    // As the CLI skips binary files: a file opened with "Open Anyway" is no record, and labelling
    // it would only burn CPU on noise.
    if (looksBinary(text)) return 'looks binary';
    return undefined;
  }

  private onConfigChange(): void {
    const before = this.config;
    this.config = readConfig();
    const modelChanged = before.modelPath !== this.config.modelPath || before.precision !== this.config.precision;
    this.model.configure(this.config.modelPath || this.shippedModel, this.config.threads, this.config.precision);
    // Another model's entities are not this one's: analyse again.
    if (modelChanged || !this.config.enabled) this.analyzer.forgetAll();
    for (const e of vscode.window.visibleTextEditors) this.maybeAnalyze(e.document);
    this.decorations.refresh();
    this.updateViews();
  }

  private updateViews(): void {
    const doc = vscode.window.activeTextEditor?.document;
    const result = doc && this.analyzer.get(doc.uri);
    const count = result && result.version === doc.version ? this.shown(result.placed).length : undefined;
    this.status.update(count, !!doc && this.matches(doc));
    this.legend.refresh();
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
