/** The Legend view: each entity type with its colour and its count in the active document. */
import * as vscode from 'vscode';
import { YIDU_LABELS, type YiduLabel } from '../core/labels';
import type { MedNerConfig } from './config';
import type { Placed } from './ranges';
import { alias, themeColor } from './entityTypes';

export class Legend implements vscode.TreeDataProvider<YiduLabel>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;

  constructor(
    private readonly placed: (doc: vscode.TextDocument) => Placed[] | undefined,
    private readonly config: () => MedNerConfig,
  ) {}

  refresh(): void {
    this.changed.fire();
  }

  /** Counts of shown entities per type in the active editor's document; undefined while there is none to count yet. */
  counts(): Map<YiduLabel, number> | undefined {
    const doc = vscode.window.activeTextEditor?.document;
    const placed = doc && this.placed(doc);
    if (!placed) return undefined;
    const counts = new Map<YiduLabel, number>(YIDU_LABELS.map((l) => [l, 0]));
    for (const p of placed) counts.set(p.entity.label, counts.get(p.entity.label)! + 1);
    return counts;
  }

  getChildren(element?: YiduLabel): YiduLabel[] {
    return element ? [] : [...YIDU_LABELS];
  }

  getTreeItem(label: YiduLabel): vscode.TreeItem {
    const shown = this.config().shownTypes.has(label);
    const item = new vscode.TreeItem(label);
    item.id = label;
    item.description = shown ? `${alias(label)} · ${this.counts()?.get(label) ?? '–'}` : `${alias(label)} · hidden`;
    item.iconPath = new vscode.ThemeIcon(shown ? 'circle-filled' : 'circle-outline', themeColor(label, 'border'));
    item.tooltip = `${label} (${alias(label)}): click to list them in the active document`;
    item.command = { command: 'medner.showEntitiesOfType', title: 'Show entities of this type', arguments: [label] };
    return item;
  }

  dispose(): void {
    this.changed.dispose();
  }
}
