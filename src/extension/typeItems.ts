/** The items of the entity-type quick pick. No `vscode` import, so that a unit test reads them. */
import { LABEL_ALIASES, type YiduLabel } from '../core/labels';

export interface TypeItem {
  label: string;
  description: string;
  detail?: string;
  value: YiduLabel;
}

/** Numbered like the Ctrl+Alt+M 1–6 keys; the current type says so; the keys are listed only where they apply. */
export function typeItems(labels: readonly YiduLabel[], options: { current?: YiduLabel; shortcuts: boolean }): TypeItem[] {
  return labels.map((label, i) => ({
    label: `${i + 1}  ${label}`,
    description: label === options.current ? `${LABEL_ALIASES[label]} · current type` : LABEL_ALIASES[label],
    ...(options.shortcuts ? { detail: `Ctrl+Alt+M ${i + 1}` } : {}),
    value: label,
  }));
}
