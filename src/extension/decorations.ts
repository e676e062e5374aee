/** Entity highlights: one decoration type per entity type, created once, applied to visible editors only. */
import * as vscode from 'vscode';
import type { YiduLabel } from '../core/labels';
import type { Analyzer } from './analyzer';
import { isShown, type MedNerConfig } from './config';
import { LABELS, themeColor } from './types';

export class Decorations implements vscode.Disposable {
  private readonly types = new Map<YiduLabel, vscode.TextEditorDecorationType>(
    LABELS.map((label) => [
      label,
      vscode.window.createTextEditorDecorationType({
        backgroundColor: themeColor(label, 'background'),
        borderColor: themeColor(label, 'border'),
        borderStyle: 'solid',
        borderWidth: '0 0 2px 0',
        overviewRulerColor: themeColor(label, 'border'),
        overviewRulerLane: vscode.OverviewRulerLane.Right,
        rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
      }),
    ]),
  );

  /** What each visible document was last drawn with, per type: the state tests and the legend read back. */
  readonly drawn = new Map<string, Map<YiduLabel, vscode.Range[]>>();

  constructor(
    private readonly analyzer: Analyzer,
    private readonly config: () => MedNerConfig,
  ) {}

  /** Redraws every visible editor showing `uri` (all visible editors when omitted). */
  refresh(uri?: vscode.Uri): void {
    for (const editor of vscode.window.visibleTextEditors) {
      if (!uri || editor.document.uri.toString() === uri.toString()) this.render(editor);
    }
  }

  private render(editor: vscode.TextEditor): void {
    const config = this.config();
    const result = config.enabled ? this.analyzer.get(editor.document.uri) : undefined;
    const byLabel = new Map<YiduLabel, vscode.Range[]>(LABELS.map((l) => [l, []]));
    // Results of another version would land on the wrong text: draw nothing rather than that.
    if (result && result.version === editor.document.version) {
      for (const p of result.placed) {
        if (!isShown(p.entity, config)) continue;
        byLabel.get(p.entity.label)!.push(new vscode.Range(editor.document.positionAt(p.start), editor.document.positionAt(p.end)));
      }
    }
    for (const [label, ranges] of byLabel) editor.setDecorations(this.types.get(label)!, ranges);
    this.drawn.set(editor.document.uri.toString(), byLabel);
  }

  dispose(): void {
    for (const type of this.types.values()) type.dispose();
  }
}
