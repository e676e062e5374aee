/**
 * The "MedNER Entities" view: the review queue (open predictions across the workspace, least certain
 * first), then every curated document: the entities in it (inDocument.ts: as the legend and the
 * status bar count them) grouped by type, then its rejected and unanchored ones. Clicking an entity
 * selects it in its document. The view's message tells the overall progress.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { countByStatus, progress, reviewQueue } from '../core/curation/queue';
import type { CuratedEntity } from '../core/curation/record';
import { YIDU_LABELS, type YiduLabel } from '../core/labels';
import type { MedNerConfig } from './config';
import type { Curation, IndexedDocument } from './curation';
import { type Tally, tally, tallyText } from './inDocument';
import { alias, themeColor } from './entityTypes';

/** Entries of the queue listed in the view; Next in Review Queue walks the whole of it. */
const QUEUE_SHOWN = 50;

export type EntitiesNode =
  | { kind: 'queue' }
  | { kind: 'document'; doc: IndexedDocument }
  | { kind: 'type'; doc: IndexedDocument; label: YiduLabel }
  | { kind: 'set aside'; doc: IndexedDocument; which: 'rejected' | 'unanchored' }
  | { kind: 'entity'; uri: vscode.Uri; key: string; entity: CuratedEntity; inQueue?: boolean };

const STATUS_ICONS: Record<string, string> = {
  predicted: 'circle-outline',
  accepted: 'pass-filled',
  rejected: 'close',
  edited: 'edit',
  manual: 'add',
};

export class EntitiesView implements vscode.TreeDataProvider<EntitiesNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly view: vscode.TreeView<EntitiesNode>;
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly curation: Curation,
    private readonly config: () => MedNerConfig,
  ) {
    this.view = vscode.window.createTreeView('medner.entities', { treeDataProvider: this, showCollapseAll: true });
    this.subscription = curation.onDidChangeIndex(() => this.refresh());
  }

  refresh(): void {
    this.changed.fire();
  }

  /** Shows the review queue opened, without taking the focus from the editor. */
  async revealQueue(): Promise<void> {
    await this.view.reveal({ kind: 'queue' }, { expand: true, focus: false, select: false });
  }

  async getChildren(node?: EntitiesNode): Promise<EntitiesNode[]> {
    if (!node) {
      const docs = await this.curation.documents();
      this.showProgress(docs);
      return docs.length ? [{ kind: 'queue' }, ...docs.map((doc) => ({ kind: 'document' as const, doc }))] : [];
    }
    if (node.kind === 'queue') {
      return reviewQueue(await this.curation.documents(), QUEUE_SHOWN).map(({ doc, entity }) => ({
        kind: 'entity',
        uri: doc.uri,
        key: doc.key,
        entity,
        inQueue: true,
      }));
    }
    if (node.kind === 'document') {
      const t = this.tally(node.doc);
      return [
        ...YIDU_LABELS.filter((l) => t.shown.some((e) => e.label === l)).map((label) => ({ kind: 'type' as const, doc: node.doc, label })),
        ...(['rejected', 'unanchored'] as const)
          .filter((which) => t[which].length)
          .map((which) => ({ kind: 'set aside' as const, doc: node.doc, which })),
      ];
    }
    if (node.kind === 'type' || node.kind === 'set aside') {
      const t = this.tally(node.doc);
      const entities = node.kind === 'type' ? t.shown.filter((e) => e.label === node.label) : t[node.which];
      return entities.map((entity) => ({ kind: 'entity', uri: node.doc.uri, key: node.doc.key, entity }));
    }
    return [];
  }

  private tally(doc: IndexedDocument): Tally {
    return tally(doc.entities, this.config());
  }

  getParent(node: EntitiesNode): EntitiesNode | undefined {
    if (node.kind === 'type' || node.kind === 'set aside') return { kind: 'document', doc: node.doc };
    if (node.kind === 'entity' && node.inQueue) return { kind: 'queue' };
    return undefined;
  }

  getTreeItem(node: EntitiesNode): vscode.TreeItem {
    switch (node.kind) {
      case 'queue': {
        const item = new vscode.TreeItem('Review queue', vscode.TreeItemCollapsibleState.Collapsed);
        item.id = 'queue';
        item.iconPath = new vscode.ThemeIcon('list-ordered');
        item.tooltip = 'Open predictions of all documents not done, least certain first (Ctrl+Alt+M Q goes to the first)';
        return item;
      }
      case 'document': {
        const { doc } = node;
        const item = new vscode.TreeItem(path.posix.basename(doc.key), vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `doc:${doc.uri.toString()}`;
        item.resourceUri = doc.uri;
        item.description = `${statusName(doc)} · ${tallyText(this.tally(doc))}`;
        item.tooltip = `${doc.key}\n${item.description}\n${reviewDescription(doc)}`;
        item.iconPath = new vscode.ThemeIcon(
          doc.status === 'done' ? 'pass-filled' : doc.status === 'in-progress' ? 'circle-large-outline' : 'circle-outline',
        );
        item.contextValue = `document.${doc.status}`;
        return item;
      }
      case 'set aside': {
        const n = this.tally(node.doc)[node.which].length;
        const item = new vscode.TreeItem(node.which === 'rejected' ? 'Rejected' : 'Unanchored', vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `${node.which}:${node.doc.uri.toString()}`;
        item.description = String(n);
        item.iconPath = new vscode.ThemeIcon(node.which === 'rejected' ? 'close' : 'warning');
        item.tooltip =
          node.which === 'rejected'
            ? 'Rejected predictions: not entities of the document, not counted or highlighted'
            : 'Entities whose text was not found again after the document changed';
        return item;
      }
      case 'type': {
        const n = this.tally(node.doc).shown.filter((e) => e.label === node.label).length;
        const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `type:${node.doc.uri.toString()}:${node.label}`;
        item.description = `${alias(node.label)} · ${n}`;
        item.iconPath = new vscode.ThemeIcon('circle-filled', themeColor(node.label, 'border'));
        return item;
      }
      case 'entity': {
        const { entity } = node;
        const item = new vscode.TreeItem(entity.text, vscode.TreeItemCollapsibleState.None);
        item.id = `${node.inQueue ? 'q' : 'e'}:${node.uri.toString()}:${entity.start}:${entity.end}:${entity.label}`;
        const confidence = entity.score === undefined ? '' : ` · ${(100 * entity.score).toFixed(1)}%`;
        item.description = node.inQueue
          ? `${alias(entity.label)}${confidence} · ${path.posix.basename(node.key)}`
          : `${entity.unanchored ? 'unanchored' : entity.status}${confidence}`;
        item.iconPath = entity.unanchored
          ? new vscode.ThemeIcon('warning')
          : new vscode.ThemeIcon(STATUS_ICONS[entity.status], themeColor(entity.label, 'border'));
        item.tooltip = `${entity.text} — ${entity.label} (${alias(entity.label)}), ${entity.unanchored ? 'not found in the changed document' : entity.status}${confidence}`;
        item.command = {
          command: 'medner.revealEntity',
          title: 'Go to entity',
          arguments: [node.uri.toString(), entity.start, entity.text, !!entity.unanchored],
        };
        item.contextValue = entity.unanchored ? 'entity.unanchored' : 'entity';
        return item;
      }
    }
  }

  private showProgress(docs: readonly IndexedDocument[]): void {
    const p = progress(docs);
    this.view.description = p.documents ? `${p.done}/${p.documents} done` : undefined;
    // An empty view shows package.json's `viewsWelcome` instead, with its buttons.
    this.view.message = p.documents
      ? `${p.done} of ${p.documents} documents done, ${p.inProgress} in progress · ${p.reviewed} of ${p.entities} entities reviewed`
      : undefined;
  }

  dispose(): void {
    this.subscription.dispose();
    this.view.dispose();
    this.changed.dispose();
  }
}

function statusName(doc: IndexedDocument): string {
  return doc.status === 'in-progress' ? 'in progress' : doc.status === 'todo' ? 'to do' : 'done';
}

/** "5 open · 10 accepted · 2 added": where the review of the entities stands. */
function reviewDescription(doc: IndexedDocument): string {
  const c = countByStatus(doc.entities);
  const parts: string[] = [];
  for (const [name, n] of [
    ['open', c.predicted],
    ['accepted', c.accepted],
    ['edited', c.edited],
    ['added', c.manual],
    ['rejected', c.rejected],
    ['unanchored', c.unanchored],
  ] as const) {
    if (n) parts.push(`${n} ${name}`);
  }
  return parts.join(' · ') || 'no entities';
}
