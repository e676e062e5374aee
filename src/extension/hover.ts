/** Hover over an entity: its text, type, confidence, and links to copy it or list its type. */
import * as vscode from 'vscode';
import type { Analyzer } from './analyzer';
import { isShown, type MedNerConfig } from './config';
import { findAt } from './ranges';
import { displayName } from './types';

export const HOVER_COMMANDS = ['medner.copyEntityJson', 'medner.showEntitiesOfType'];

export class EntityHover implements vscode.HoverProvider {
  constructor(
    private readonly analyzer: Analyzer,
    private readonly config: () => MedNerConfig,
  ) {}

  provideHover(doc: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined {
    const config = this.config();
    const result = this.analyzer.get(doc.uri);
    if (!config.enabled || !result || result.version !== doc.version) return undefined;
    const offset = doc.offsetAt(position);
    const hit = findAt(result.placed, offset);
    if (!hit || !isShown(hit.entity, config)) return undefined;
    const { entity } = hit;
    const args = (value: unknown) => encodeURIComponent(JSON.stringify(value));
    const md = new vscode.MarkdownString(undefined, true);
    md.isTrusted = { enabledCommands: HOVER_COMMANDS };
    md.appendMarkdown(`**${escape(entity.text)}** — ${displayName(entity.label)}\n\n`);
    md.appendMarkdown(`confidence ${(100 * entity.score).toFixed(1)}% · characters ${entity.start}–${entity.end}\n\n`);
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
