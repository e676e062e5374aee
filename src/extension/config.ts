/** The one place that reads MedNER's settings, typed and clamped. */
import * as vscode from 'vscode';
import { LABEL_ALIASES, parseLabel, YIDU_LABELS, type YiduLabel } from '../core/labels';
import type { EntityStatus } from '../core/curation/record';
import type { Precision } from '../core/model';

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
  maxDocumentSize: number;
  languages: readonly string[];
  documentPatterns: readonly string[];
  /** Curation: draw rejected entities (struck through) instead of hiding them. */
  showRejected: boolean;
  /** Curation: after accepting, rejecting or retyping, move to the next open prediction. */
  advance: boolean;
  /** Curation: predictions below this confidence are "uncertain" for Next Uncertain Entity. */
  uncertainBelow: number;
}

export const SECTION = 'medner';

export function readConfig(): MedNerConfig {
  const c = vscode.workspace.getConfiguration(SECTION);
  const shown = c.get<string[]>('shownTypes', YIDU_LABELS.map((l) => LABEL_ALIASES[l]));
  return {
    enabled: c.get('enabled', true),
    shownTypes: new Set(shown.map(parseLabel).filter((l): l is YiduLabel => l !== undefined)),
    minConfidence: clamp(c.get('minConfidence', 0), 0, 1),
    debounceMs: clamp(c.get('debounceMs', 400), 0, 10_000),
    liveAnalysis: c.get('liveAnalysis', true),
    threads: Math.round(clamp(c.get('threads', 0), 0, 64)),
    modelPath: c.get('modelPath', '').trim(),
    precision: c.get<string>('precision', 'int8') === 'fp32' ? 'fp32' : 'int8',
    maxDocumentSize: Math.max(1000, c.get('maxDocumentSize', 2_000_000)),
    languages: c.get<string[]>('languages', ['plaintext']),
    documentPatterns: c.get<string[]>('documentPatterns', []),
    showRejected: c.get('curation.showRejected', false),
    advance: c.get('curation.advance', true),
    uncertainBelow: clamp(c.get('curation.uncertainBelow', 0.9), 0, 1),
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

function clamp(n: number, lo: number, hi: number): number {
  return Number.isFinite(n) ? Math.min(hi, Math.max(lo, n)) : lo;
}

/**
 * Whether settings let an entity be shown (highlighted, hovered, listed, counted, copied). The
 * confidence threshold filters the model's open predictions only, never a person's decisions.
 */
export function isShown(entity: { label: YiduLabel; score?: number; status?: EntityStatus }, config: MedNerConfig): boolean {
  if (!config.shownTypes.has(entity.label)) return false;
  return (entity.status !== undefined && entity.status !== 'predicted') || (entity.score ?? 1) >= config.minConfidence;
}
