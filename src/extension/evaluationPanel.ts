import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { Comparison } from '../core/curation/compare';
import { evaluationHtml, parseMessage } from './evaluationHtml';

/** The one evaluation webview: created on first use, re-rendered by later evaluations. */
export class EvaluationPanel implements vscode.Disposable {
  private panel?: vscode.WebviewPanel;
  private messages?: vscode.Disposable;

  constructor(private readonly log: vscode.LogOutputChannel) {}

  /** The page shown now, if the panel is open. */
  get html(): string | undefined {
    return this.panel?.webview.html;
  }

  show(comparison: Comparison, title: string, report: string, rerun: () => void): void {
    if (!this.panel) {
      this.panel = vscode.window.createWebviewPanel('medner.evaluation', 'MedNER Evaluation', vscode.ViewColumn.Active, {
        enableScripts: true,
        // The page loads nothing: no local file is reachable from it.
        localResourceRoots: [],
      });
      this.panel.onDidDispose(() => {
        this.messages?.dispose();
        this.panel = undefined;
      });
    }
    const webview = this.panel.webview;
    webview.html = evaluationHtml(comparison, {
      cspSource: webview.cspSource,
      nonce: randomBytes(16).toString('base64'),
      title,
      reportPath: report,
    });
    this.messages?.dispose();
    this.messages = webview.onDidReceiveMessage((raw: unknown) => {
      const message = parseMessage(raw);
      if (!message) {
        this.log.warn(`ignored an unexpected message from the evaluation view: ${JSON.stringify(raw)?.slice(0, 200)}`);
        return;
      }
      if (message.type === 'openReport')
        void vscode.window.showTextDocument(vscode.Uri.file(report), { viewColumn: vscode.ViewColumn.Beside });
      else rerun();
    });
    this.panel.reveal();
  }

  dispose(): void {
    this.messages?.dispose();
    this.panel?.dispose();
  }
}
