/** Hover over an entity: its text, type, confidence and review status, with links to curate it, copy it or list its type. */
import * as vscode from 'vscode';
import { isShown, type MedNerConfig } from './config';
import type { Shown } from './curation';
import { displayName } from './entityTypes';

/** The last argument of the curation links in a hover: the command then shows the hover again, fresh. */
export const HOVER = 'hover';

const HOVER_COMMANDS = ['medner.copyEntityJson', 'medner.showEntitiesOfType', 'medner.accept', 'medner.reject', 'medner.changeType'];

export class EntityHover implements vscode.HoverProvider {
  /** The hover last given to VS Code: what tests read back of a hover on screen. */
  lastShown?: { uri: string; start: number; markdown: string };

  constructor(
    private readonly entities: (doc: vscode.TextDocument) => Shown[] | undefined,
    private readonly config: () => MedNerConfig,
  ) {}

  provideHover(doc: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined {
    const config = this.config();
    const shown = config.enabled ? this.entities(doc) : undefined;
    if (!shown) return undefined;
    const offset = doc.offsetAt(position);
    const hit = shown.find((s) => s.start <= offset && offset < s.end && isShown(s.entity, config));
    if (!hit) return undefined;
    const { entity } = hit;
    const args = (value: unknown) => encodeURIComponent(JSON.stringify(value));
    const target = args([doc.uri.toString(), entity.start, HOVER]);
    const md = new vscode.MarkdownString(undefined, true);
    md.isTrusted = { enabledCommands: HOVER_COMMANDS };
    md.appendMarkdown(`**${escape(entity.text)}** — ${displayName(entity.label)}\n\n`);
    const confidence = entity.score === undefined ? 'added by hand' : `confidence ${(100 * entity.score).toFixed(1)}%`;
    md.appendMarkdown(`${entity.status} · ${confidence} · characters ${entity.start}–${entity.end}\n\n`);
    const curate = [
      entity.status === 'predicted' || entity.status === 'rejected'
        ? `[$(check) Accept](command:medner.accept?${target} "Accept (Ctrl+Alt+M A)")`
        : undefined,
      entity.status !== 'rejected' ? `[$(close) Reject](command:medner.reject?${target} "Reject (Ctrl+Alt+M R)")` : undefined,
      `[$(symbol-enum) Change type](command:medner.changeType?${args([doc.uri.toString(), entity.start, null, HOVER])} "Change the type (Ctrl+Alt+M T)")`,
    ].filter(Boolean);
    md.appendMarkdown(curate.join(' · ') + '\n\n');
    md.appendMarkdown(
      `[$(copy) Copy as JSON](command:medner.copyEntityJson?${args([doc.uri.toString(), entity.start])} "Copy this entity in MedNER's jsonl schema") · ` +
        `[$(list-filter) All ${escape(entity.label)}](command:medner.showEntitiesOfType?${args([entity.label])} "List the entities of this type")`,
    );
    this.lastShown = { uri: doc.uri.toString(), start: entity.start, markdown: md.value };
    return new vscode.Hover(md, new vscode.Range(doc.positionAt(hit.start), doc.positionAt(hit.end)));
  }
}

function escape(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
}
