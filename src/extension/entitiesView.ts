/**
 * The "MedNER Entities" view: the review queue (open predictions across the workspace, least certain
 * first), then every curated document with its counts by status, its entities grouped by type.
 * Clicking an entity selects it in its document. The view's message tells the overall progress.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { countByLabel, countByStatus, progress, reviewQueue } from '../core/curation/queue';
import type { CuratedEntity } from '../core/curation/record';
import { YIDU_LABELS, type YiduLabel } from '../core/labels';
import type { Curation, IndexedDocument } from './curation';
import { alias, themeColor } from './entityTypes';

/** Entries of the queue listed in the view; Next in Review Queue walks the whole of it. */
const QUEUE_SHOWN = 50;

export type EntitiesNode =
  | { kind: 'queue' }
  | { kind: 'document'; doc: IndexedDocument }
  | { kind: 'type'; doc: IndexedDocument; label: YiduLabel }
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

  constructor(private readonly curation: Curation) {
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
      const counts = countByLabel(node.doc.entities);
      return YIDU_LABELS.filter((l) => counts.get(l)).map((label) => ({ kind: 'type', doc: node.doc, label }));
    }
    if (node.kind === 'type') {
      return node.doc.entities
        .filter((e) => e.label === node.label)
        .map((entity) => ({ kind: 'entity', uri: node.doc.uri, key: node.doc.key, entity }));
    }
    return [];
  }

  getParent(node: EntitiesNode): EntitiesNode | undefined {
    if (node.kind === 'type') return { kind: 'document', doc: node.doc };
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
        item.description = documentDescription(doc);
        item.tooltip = `${doc.key}\n${item.description}`;
        item.iconPath = new vscode.ThemeIcon(
          doc.status === 'done' ? 'pass-filled' : doc.status === 'in-progress' ? 'circle-large-outline' : 'circle-outline',
        );
        item.contextValue = `document.${doc.status}`;
        return item;
      }
      case 'type': {
        const n = node.doc.entities.filter((e) => e.label === node.label).length;
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

function documentDescription(doc: IndexedDocument): string {
  const c = countByStatus(doc.entities);
  const parts = [doc.status === 'in-progress' ? 'in progress' : doc.status === 'todo' ? 'to do' : 'done'];
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
  return parts.join(' · ');
}
