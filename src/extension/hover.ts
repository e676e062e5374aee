/** Hover over an entity: its text, type, confidence and review status, with links to curate it, copy it or list its type. */
import * as vscode from 'vscode';
import { isShown, type MedNerConfig } from './config';
import type { Shown } from './curation';
import { displayName } from './entityTypes';

const HOVER_COMMANDS = ['medner.copyEntityJson', 'medner.showEntitiesOfType', 'medner.accept', 'medner.reject', 'medner.changeType'];

export class EntityHover implements vscode.HoverProvider {
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
    const target = args([doc.uri.toString(), entity.start]);
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
      `[$(symbol-enum) Change type](command:medner.changeType?${target} "Change the type (Ctrl+Alt+M T)")`,
    ].filter(Boolean);
    md.appendMarkdown(curate.join(' · ') + '\n\n');
    md.appendMarkdown(
      `[$(copy) Copy as JSON](command:medner.copyEntityJson?${args([doc.uri.toString(), entity.start])} "Copy this entity in MedNER's jsonl schema") · ` +
        `[$(list-filter) All ${escape(entity.label)}](command:medner.showEntitiesOfType?${args([entity.label])} "List the entities of this type")`,
    );
    return new vscode.Hover(md, new vscode.Range(doc.positionAt(hit.start), doc.positionAt(hit.end)));
  }
}

function escape(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
}
