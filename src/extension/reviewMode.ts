/**
 * Review mode: while a person curates a document its text cannot change by accident. The first
 * curation command in a document (or MedNER: Start Review) makes its editor read-only for the
 * session, VS Code's own state, so a stray key changes nothing on screen or on disk; MedNER: Stop
 * Review (Ctrl+Alt+M M, or the status bar item) makes it editable again, and edits then move the
 * annotations as ever.
 */
import * as vscode from 'vscode';

const READONLY = 'workbench.action.files.setActiveEditorReadonlyInSession';
const WRITEABLE = 'workbench.action.files.setActiveEditorWriteableInSession';

export class ReviewMode implements vscode.Disposable {
  /** Documents (URIs) made read-only for review in this window. */
  private readonly reviewing = new Set<string>();
  private readonly item = vscode.window.createStatusBarItem('medner.review', vscode.StatusBarAlignment.Right, 101);
  private readonly disposables: vscode.Disposable[];

  constructor(private readonly log: vscode.LogOutputChannel) {
    this.item.name = 'MedNER Review';
    this.item.text = '$(lock) Reviewing';
    this.item.tooltip =
      'MedNER review: this document is read-only while you curate it, so no key can change the record.\nClick to stop reviewing and edit the text (Ctrl+Alt+M M).';
    this.item.command = 'medner.stopReview';
    this.disposables = [
      this.item,
      vscode.window.onDidChangeActiveTextEditor(() => this.update()),
      vscode.commands.registerCommand('medner.startReview', () => this.start()),
      vscode.commands.registerCommand('medner.stopReview', () => this.stop()),
    ];
    this.update();
  }

  isReviewing(uri: vscode.Uri): boolean {
    return this.reviewing.has(uri.toString());
  }

  /** Puts `editor`'s document under review (read-only), once: curation commands call this before they act. */
  async enter(editor: vscode.TextEditor): Promise<void> {
    if (this.isReviewing(editor.document.uri)) return;
    // VS Code's command acts on the active editor.
    if (vscode.window.activeTextEditor?.document !== editor.document)
      await vscode.window.showTextDocument(editor.document, editor.viewColumn);
    if (!(await this.run(READONLY))) return;
    this.reviewing.add(editor.document.uri.toString());
    this.update();
    vscode.window.setStatusBarMessage(
      'MedNER: reviewing — the document is read-only while you curate (Ctrl+Alt+M M to edit its text)',
      5000,
    );
  }

  private async start(): Promise<boolean> {
    const editor = vscode.window.activeTextEditor;
    if (!editor) {
      void vscode.window.showInformationMessage('MedNER: open a document to review.');
      return false;
    }
    await this.enter(editor);
    return true;
  }

  /** Makes the active document editable again (also when VS Code's own command made it read-only). */
  private async stop(): Promise<boolean> {
    const editor = vscode.window.activeTextEditor;
    if (!editor) return false;
    if (!(await this.run(WRITEABLE))) return false;
    this.reviewing.delete(editor.document.uri.toString());
    this.update();
    vscode.window.setStatusBarMessage(
      'MedNER: review stopped — the text can be edited, and the annotations move with it; the next curation command makes it read-only again',
      6000,
    );
    return true;
  }

  /** Runs VS Code's read-only command; a VS Code without it leaves the editor as it is, and curation goes on. */
  private async run(command: string): Promise<boolean> {
    try {
      await vscode.commands.executeCommand(command);
      return true;
    } catch (e) {
      this.log.warn(`review mode: ${command} failed: ${(e as Error).message}`);
      return false;
    }
  }

  private update(): void {
    const doc = vscode.window.activeTextEditor?.document;
    const reviewing = !!doc && this.isReviewing(doc.uri);
    void vscode.commands.executeCommand('setContext', 'medner.reviewing', reviewing);
    if (reviewing) this.item.show();
    else this.item.hide();
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
