import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { Comparison } from '../core/curation/compare';
import { evaluationHtml, parseMessage } from './evaluationHtml';
import { EditorOffsets } from './ranges';

/** The one evaluation webview: created on first use, re-rendered by later evaluations. */
export class EvaluationPanel implements vscode.Disposable {
  private panel?: vscode.WebviewPanel;
  private messages?: vscode.Disposable;

  constructor(private readonly log: vscode.LogOutputChannel) {}

  /** The page shown now, if the panel is open. */
  get html(): string | undefined {
    return this.panel?.webview.html;
  }

  /**
   * @param documentOf the file of a compared document, by its name in the comparison, if it is one
   *   (a document of an imported gold file may exist nowhere)
   */
  show(
    comparison: Comparison,
    title: string,
    report: string,
    rerun: () => void,
    documentOf: (name: string) => vscode.Uri | undefined,
  ): void {
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
      else if (message.type === 'reveal') void this.reveal(comparison.examples[message.example], documentOf);
      else rerun();
    });
    this.panel.reveal();
  }

  /** Opens an example's document beside the page with the example's span selected. */
  async reveal(
    example: Comparison['examples'][number] | undefined,
    documentOf: (name: string) => vscode.Uri | undefined,
  ): Promise<boolean> {
    const uri = example && documentOf(example.document);
    if (!example || !uri) {
      if (example)
        void vscode.window.showInformationMessage(`MedNER: ${example.document} is not a file here: the example cannot be shown.`);
      return false;
    }
    const editor = await vscode.window.showTextDocument(uri, { viewColumn: vscode.ViewColumn.Beside });
    const doc = editor.document;
    const { start, end } = new EditorOffsets(doc.getText()).toUtf16(example);
    const range = new vscode.Range(doc.positionAt(start), doc.positionAt(end));
    editor.selection = new vscode.Selection(range.start, range.end);
    editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    return true;
  }

  dispose(): void {
    this.messages?.dispose();
    this.panel?.dispose();
  }
}
