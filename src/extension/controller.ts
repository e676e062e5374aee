/** Connects editor events, settings, the model and the views. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { looksBinary } from '../core/decode';
import { Analyzer, type DocumentEntities } from './analyzer';
import { documentSelector, type MedNerConfig, readConfig, SECTION } from './config';
import { Curation, type Shown } from './curation';
import { CurationActions } from './codeActions';
import { Decorations } from './decorations';
import { EntitiesView } from './entitiesView';
import { EvaluationPanel } from './evaluationPanel';
import { EntityHover } from './hover';
import { inDocument } from './inDocument';
import { Legend } from './legend';
import { ModelHost } from './modelHost';
import type { Placed } from './ranges';
import { ReviewMode } from './reviewMode';
import { StatusItem } from './status';

export class Controller implements vscode.Disposable {
  config: MedNerConfig = readConfig();
  /** Time spent in activate(), for the benchmark. */
  activationMs = 0;
  readonly model: ModelHost;
  readonly analyzer: Analyzer;
  readonly legend: Legend;
  readonly decorations: Decorations;
  readonly curation: Curation;
  readonly entitiesView: EntitiesView;
  readonly evaluation: EvaluationPanel;
  readonly review: ReviewMode;
  readonly hover: EntityHover;
  readonly status: StatusItem;
  private readonly disposables: vscode.Disposable[] = [];
  readonly shippedModel: string;
  /** Documents the user cleared: left alone until edited or analysed on request. */
  private readonly cleared = new Set<string>();

  constructor(
    readonly log: vscode.LogOutputChannel,
    readonly extensionPath: string,
  ) {
    const current = () => this.config;
    this.shippedModel = path.join(extensionPath, 'models', 'bbrac');
    this.model = new ModelHost(
      this.config.modelPath || this.shippedModel,
      log,
      this.config.threads,
      this.config.precision,
      this.config.userLexicon,
    );
    this.analyzer = new Analyzer(this.model, log);
    this.curation = new Curation(this.analyzer, log);
    this.decorations = new Decorations((doc) => this.curation.shown(doc, this.config.showRejected), current);
    this.legend = new Legend((doc) => (this.analyzer.analysing(doc.uri) === undefined ? this.placed(doc) : undefined), current);
    this.entitiesView = new EntitiesView(this.curation, current);
    this.evaluation = new EvaluationPanel(log);
    this.review = new ReviewMode(log);
    this.hover = new EntityHover((doc) => this.curation.shown(doc, this.config.showRejected), current);
    this.status = new StatusItem(this.model, current);
    this.disposables.push(
      // Every document: one analysed on request need not match the automatic selector.
      vscode.languages.registerHoverProvider('*', this.hover),
      vscode.languages.registerCodeActionsProvider('*', new CurationActions(this.curation), CurationActions.metadata),
      this.model,
      this.analyzer,
      this.curation,
      this.decorations,
      this.legend,
      this.entitiesView,
      this.evaluation,
      this.review,
      this.status,
      vscode.window.registerTreeDataProvider('medner.legend', this.legend),
      this.analyzer.onDidChange((uri) => this.curation.onPredictions(uri)),
      this.curation.onDidChange((uri) => {
        this.decorations.refresh(uri);
        if (uri.toString() === vscode.window.activeTextEditor?.document.uri.toString()) this.updateViews();
      }),
      this.model.onDidChangeState(() => this.updateViews()),
      this.analyzer.onDidChangeProgress((uri) => {
        if (uri.toString() === vscode.window.activeTextEditor?.document.uri.toString()) this.updateViews();
      }),
      vscode.window.onDidChangeVisibleTextEditors((editors) => {
        for (const e of editors) this.maybeAnalyze(e.document);
        this.decorations.refresh();
      }),
      vscode.workspace.onDidOpenTextDocument((doc) => this.openCuration(doc)),
      vscode.window.onDidChangeActiveTextEditor(() => this.updateViews()),
      vscode.workspace.onDidChangeTextDocument((e) => this.onEdit(e)),
      vscode.workspace.onDidCloseTextDocument((doc) => {
        this.cleared.delete(doc.uri.toString());
        this.analyzer.forget(doc.uri);
        void this.curation.close(doc.uri);
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(SECTION)) this.onConfigChange();
      }),
    );
    for (const doc of vscode.workspace.textDocuments) this.openCuration(doc);
    for (const e of vscode.window.visibleTextEditors) this.maybeAnalyze(e.document);
    this.updateViews();
  }

  /** A document MedNER analyses gets its curation session at once, so a stored record shows before the model has run. */
  private openCuration(doc: vscode.TextDocument): void {
    if (this.matches(doc) && this.curation.storeFor(doc.uri)) this.curation.open(doc);
  }

  /** The entities in `doc` now (inDocument.ts says which), or undefined before its first reading. */
  placed(doc: vscode.TextDocument): Placed[] | undefined {
    return this.curation
      .shown(doc, true)
      ?.filter((s) => inDocument(s.entity, this.config))
      .map(toPlaced);
  }

  matches(doc: vscode.TextDocument): boolean {
    return vscode.languages.match(documentSelector(this.config), doc) > 0;
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
    this.curation.onEdit(e);
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
    const modelChanged =
      before.modelPath !== this.config.modelPath ||
      before.precision !== this.config.precision ||
      before.userLexicon !== this.config.userLexicon;
    this.model.configure(this.config.modelPath || this.shippedModel, this.config.threads, this.config.precision, this.config.userLexicon);
    // Another model's entities are not this one's: analyse again.
    if (modelChanged || !this.config.enabled) this.analyzer.forgetAll();
    for (const e of vscode.window.visibleTextEditors) this.maybeAnalyze(e.document);
    this.decorations.refresh();
    this.entitiesView.refresh();
    this.updateViews();
  }

  private updateViews(): void {
    const doc = vscode.window.activeTextEditor?.document;
    const count = doc && this.placed(doc)?.length;
    this.status.update(count, !!doc && this.matches(doc), doc && this.analyzer.analysing(doc.uri));
    void vscode.commands.executeCommand('setContext', 'medner.curatable', !!doc && (this.matches(doc) || count !== undefined));
    this.legend.refresh();
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

/** A curated entity as the entity commands, exports and the legend see it: a person's entity is certain. */
function toPlaced(s: Shown): Placed {
  const { entity } = s;
  return {
    entity: { start: entity.start, end: entity.end, label: entity.label, text: entity.text, score: entity.score ?? 1 },
    start: s.start,
    end: s.end,
    status: entity.status,
  };
}
