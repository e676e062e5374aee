/** Curation from the Quick Fix menu (Ctrl+.): decide on the entity at the cursor, or add the selection as one. */
import * as vscode from 'vscode';
import { isVisible } from '../core/curation/record';
import type { Curation } from './curation';

const CURATE_KIND = vscode.CodeActionKind.QuickFix.append('medner');

export class CurationActions implements vscode.CodeActionProvider {
  static readonly metadata: vscode.CodeActionProviderMetadata = { providedCodeActionKinds: [CURATE_KIND] };

  constructor(private readonly curation: Curation) {}

  provideCodeActions(doc: vscode.TextDocument, range: vscode.Range | vscode.Selection): vscode.CodeAction[] {
    const shown = this.curation.shown(doc);
    if (!shown) return [];
    const offset = doc.offsetAt(range.start);
    const hit = shown.find((s) => s.start <= offset && offset < s.end && isVisible(s.entity));
    const actions: vscode.CodeAction[] = [];
    const action = (title: string, command: string, args: unknown[] = []) => {
      const a = new vscode.CodeAction(title, CURATE_KIND);
      a.command = { title, command, arguments: args };
      actions.push(a);
    };
    if (hit) {
      const target = [doc.uri.toString(), hit.entity.start];
      const what = `“${hit.entity.text}”`;
      if (hit.entity.status === 'predicted') action(`MedNER: Accept ${what}`, 'medner.accept', target);
      action(`MedNER: Reject ${what}`, 'medner.reject', target);
      action(`MedNER: Change the type of ${what}…`, 'medner.changeType', target);
    }
    if (!range.isEmpty && doc.getText(range).trim()) action('MedNER: Add the selection as an entity…', 'medner.addEntity');
    return actions;
  }
}
