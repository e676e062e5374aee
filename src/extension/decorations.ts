/**
 * Entity highlights by type and review status, applied to visible editors only. The decoration
 * types are created once: per entity type one for open predictions (its line or outline alone)
 * and one for a person's entities (accepted, edited, manual: filled too), an optional type tag
 * written after each entity, plus one for rejected entities, drawn only when asked for.
 */
import * as vscode from 'vscode';
import type { EntityStatus } from '../core/curation/record';
import { YIDU_LABELS, type YiduLabel } from '../core/labels';
import { isShown, type MedNerConfig } from './config';
import type { Shown } from './curation';
import { alias, themeColor } from './entityTypes';
import { TYPE_STYLES } from './typeStyles';

type Style = 'predicted' | 'curated';

export class Decorations implements vscode.Disposable {
  private readonly types = new Map<string, vscode.TextEditorDecorationType>(
    YIDU_LABELS.flatMap((label) => {
      const line: vscode.DecorationRenderOptions = {
        ...TYPE_STYLES[label],
        borderColor: themeColor(label, 'border'),
        overviewRulerColor: themeColor(label, 'border'),
        overviewRulerLane: vscode.OverviewRulerLane.Right,
        rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
      };
      return [
        [`${label}/predicted`, vscode.window.createTextEditorDecorationType(line)],
        [`${label}/curated`, vscode.window.createTextEditorDecorationType({ ...line, backgroundColor: themeColor(label, 'background') })],
      ];
    }),
  );

  /** The type written after each entity (medner.showTypeLabels), small, in the type's colour. */
  private readonly tags = new Map<YiduLabel, vscode.TextEditorDecorationType>(
    YIDU_LABELS.map((label) => [
      label,
      vscode.window.createTextEditorDecorationType({
        after: {
          contentText: alias(label),
          color: themeColor(label, 'border'),
          margin: '0 0.2em 0 0.1em',
          fontStyle: 'italic',
        },
        rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
      }),
    ]),
  );

  private readonly rejectedType = vscode.window.createTextEditorDecorationType({
    textDecoration: 'line-through',
    opacity: '0.6',
    rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
  });

  /** What each visible document was last drawn with, per type: the state tests and the legend read back. */
  readonly drawn = new Map<string, Map<YiduLabel, vscode.Range[]>>();
  /** The same, per review status. */
  readonly drawnByStatus = new Map<string, Map<EntityStatus, number>>();
  /** Type tags drawn per visible document. */
  readonly drawnTags = new Map<string, number>();

  constructor(
    private readonly entities: (doc: vscode.TextDocument) => Shown[] | undefined,
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
    const doc = editor.document;
    const shown = config.enabled ? this.entities(doc) : undefined;
    const byLabel = new Map<YiduLabel, vscode.Range[]>(YIDU_LABELS.map((l) => [l, []]));
    const byStyle = new Map<string, vscode.Range[]>([...this.types.keys()].map((k) => [k, []]));
    const rejected: vscode.Range[] = [];
    const byStatus = new Map<EntityStatus, number>();
    for (const { entity, start, end } of shown ?? []) {
      if (!isShown(entity, config)) continue;
      const range = new vscode.Range(doc.positionAt(start), doc.positionAt(end));
      if (entity.status === 'rejected') {
        if (config.showRejected) {
          rejected.push(range);
          byStatus.set('rejected', (byStatus.get('rejected') ?? 0) + 1);
        }
        continue;
      }
      byStatus.set(entity.status, (byStatus.get(entity.status) ?? 0) + 1);
      const style: Style = entity.status === 'predicted' ? 'predicted' : 'curated';
      byStyle.get(`${entity.label}/${style}`)!.push(range);
      byLabel.get(entity.label)!.push(range);
    }
    for (const [key, ranges] of byStyle) editor.setDecorations(this.types.get(key)!, ranges);
    for (const [label, tag] of this.tags) editor.setDecorations(tag, config.showTypeLabels ? byLabel.get(label)! : []);
    this.drawnTags.set(doc.uri.toString(), config.showTypeLabels ? [...byLabel.values()].reduce((n, r) => n + r.length, 0) : 0);
    editor.setDecorations(this.rejectedType, rejected);
    this.drawn.set(doc.uri.toString(), byLabel);
    this.drawnByStatus.set(doc.uri.toString(), byStatus);
  }

  dispose(): void {
    for (const type of [...this.types.values(), ...this.tags.values()]) type.dispose();
    this.rejectedType.dispose();
  }
}
