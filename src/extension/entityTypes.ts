/** Display names and theme colours of the six entity types. */
import * as vscode from 'vscode';
import { LABEL_ALIASES, type YiduLabel } from '../core/labels';

export function alias(label: YiduLabel): string {
  return LABEL_ALIASES[label];
}

export function displayName(label: YiduLabel): string {
  return `${label} (${LABEL_ALIASES[label]})`;
}

/** Colours contributed in package.json `contributes.colors`, so themes and users can override them. */
export function themeColor(label: YiduLabel, part: 'background' | 'border'): vscode.ThemeColor {
  return new vscode.ThemeColor(`medner.${LABEL_ALIASES[label]}.${part}`);
}
