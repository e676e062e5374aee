/** The one place that reads MedNER's settings, typed and clamped. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { parseLabel, type YiduLabel } from '../core/labels';
import type { Precision } from '../core/model';
export { isShown } from './inDocument';
import { BOUNDS, DEFAULTS, type NumberSettingKey, SECTION, type SettingKey, type SettingValues } from './settings';

export interface MedNerConfig {
  enabled: boolean;
  shownTypes: ReadonlySet<YiduLabel>;
  minConfidence: number;
  debounceMs: number;
  liveAnalysis: boolean;
  threads: number;
  /** Empty: the shipped model. */
  modelPath: string;
  precision: Precision;
  /** A user's terms for a model with dictionary features (`medner label --lexicon`); empty: none. */
  userLexicon: string;
  maxDocumentSize: number;
  languages: readonly string[];
  documentPatterns: readonly string[];
  /** Write each entity's type after it. */
  showTypeLabels: boolean;
  /** Curation: draw rejected entities (struck through) instead of hiding them. */
  showRejected: boolean;
  /** Curation: after accepting, rejecting or retyping, move to the next open prediction. */
  advance: boolean;
  /** Curation: predictions below this confidence are "uncertain" for Next Uncertain Entity. */
  uncertainBelow: number;
  /** Fine-tuning's interpreter; empty: the first python3 found that imports torch, onnx and numpy. */
  pythonPath: string;
}

export { SECTION };

/**
 * Reads through `get`, never `inspect().workspaceValue`: `get` is what honours
 * `capabilities.untrustedWorkspaces.restrictedConfigurations` (in Restricted Mode it leaves out a
 * workspace's `medner.modelPath`, and VS Code fires a configuration change when trust is granted).
 */
export function readConfig(): MedNerConfig {
  const c = vscode.workspace.getConfiguration(SECTION);
  const get = <K extends SettingKey>(key: K): SettingValues[K] => c.get(key, DEFAULTS[key]);
  const number = (key: NumberSettingKey): number => clamp(get(key), BOUNDS[key]);
  return {
    enabled: get('enabled'),
    shownTypes: new Set(
      get('shownTypes')
        .map(parseLabel)
        .filter((l): l is YiduLabel => l !== undefined),
    ),
    minConfidence: number('minConfidence'),
    debounceMs: number('debounceMs'),
    liveAnalysis: get('liveAnalysis'),
    threads: Math.round(number('threads')),
    modelPath: resolveModelPath(get('modelPath').trim()),
    precision: get('precision') === 'fp32' ? 'fp32' : 'int8',
    userLexicon: get('userLexicon').trim(),
    maxDocumentSize: number('maxDocumentSize'),
    languages: get('languages'),
    documentPatterns: get('documentPatterns'),
    showTypeLabels: get('showTypeLabels'),
    showRejected: get('curation.showRejected'),
    advance: get('curation.advance'),
    uncertainBelow: number('curation.uncertainBelow'),
    pythonPath: get('pythonPath').trim(),
  };
}

/** The documents MedNER analyses on its own: configured languages or path patterns, on disk or unsaved. */
export function documentSelector(config: MedNerConfig): vscode.DocumentFilter[] {
  const schemes = ['file', 'untitled', 'vscode-remote'];
  return [
    ...config.languages.flatMap((language) => schemes.map((scheme) => ({ language, scheme }))),
    ...config.documentPatterns.map((pattern) => ({ pattern })),
  ];
}

/** A relative model folder (as a workspace writes it: `models/curated`) is the workspace's, not the host's working directory's. */
function resolveModelPath(p: string): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  return p && !path.isAbsolute(p) && folder?.uri.scheme === 'file' ? path.join(folder.uri.fsPath, p) : p;
}

function clamp(n: number, { minimum, maximum = Infinity }: { minimum: number; maximum?: number }): number {
  return Number.isFinite(n) ? Math.min(maximum, Math.max(minimum, n)) : minimum;
}
