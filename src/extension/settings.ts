/**
 * MedNER's settings as config.ts reads them: key, default and bounds. No `vscode` import, so that a
 * unit test (test/unit/contributes.test.ts) checks package.json and the README against this table.
 */
import { LABEL_ALIASES, YIDU_LABELS } from '../core/labels';
import type { Precision } from '../core/model';

export const SECTION = 'medner';

/** Every setting under `medner.`, by its key below the section. */
export interface SettingValues {
  enabled: boolean;
  shownTypes: readonly string[];
  minConfidence: number;
  debounceMs: number;
  liveAnalysis: boolean;
  threads: number;
  modelPath: string;
  precision: Precision;
  userLexicon: string;
  maxDocumentSize: number;
  languages: readonly string[];
  documentPatterns: readonly string[];
  showTypeLabels: boolean;
  'curation.showRejected': boolean;
  'curation.advance': boolean;
  'curation.uncertainBelow': number;
  pythonPath: string;
}

export type SettingKey = keyof SettingValues;

export type NumberSettingKey = { [K in SettingKey]: SettingValues[K] extends number ? K : never }[SettingKey];

export const DEFAULTS: Readonly<SettingValues> = {
  enabled: true,
  shownTypes: YIDU_LABELS.map((label) => LABEL_ALIASES[label]),
  minConfidence: 0,
  debounceMs: 400,
  liveAnalysis: true,
  threads: 0,
  modelPath: '',
  precision: 'int8',
  userLexicon: '',
  maxDocumentSize: 2_000_000,
  languages: ['plaintext'],
  documentPatterns: [],
  showTypeLabels: false,
  'curation.showRejected': false,
  'curation.advance': true,
  'curation.uncertainBelow': 0.9,
  pythonPath: '',
};

/**
 * The range config.ts clamps each number to, named as in JSON Schema: the Settings UI only warns
 * about a value out of range, and settings.json is not checked at all.
 */
export const BOUNDS: Readonly<Record<NumberSettingKey, { minimum: number; maximum?: number }>> = {
  minConfidence: { minimum: 0, maximum: 1 },
  debounceMs: { minimum: 0, maximum: 10_000 },
  threads: { minimum: 0, maximum: 64 },
  maxDocumentSize: { minimum: 1000 },
  'curation.uncertainBelow': { minimum: 0, maximum: 1 },
};
