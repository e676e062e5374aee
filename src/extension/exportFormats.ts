/** Picking an export format and type names in the editor, over the core's format registry. */
import * as vscode from 'vscode';
import { FORMAT_NAMES, type FormatName, FORMATS } from '../core/formats/registry';
import type { LabelNames } from '../core/formats/shared';

export interface ExportChoice {
  format: FormatName;
  labelNames: LabelNames;
}

export async function pickExport(preset: Partial<ExportChoice> = {}): Promise<ExportChoice | undefined> {
  const format =
    preset.format ??
    (
      await vscode.window.showQuickPick(
        FORMAT_NAMES.map((name) => ({ label: name, description: FORMATS[name].extensions[0], detail: FORMATS[name].description, name })),
        { title: 'MedNER: output format' },
      )
    )?.name;
  if (!format) return undefined;
  const namesMatter = format !== 'jsonl' && format !== 'yidu';
  const labelNames =
    preset.labelNames ??
    (namesMatter
      ? (
          await vscode.window.showQuickPick(
            [
              { label: 'Chinese type names', description: '疾病和诊断 解剖部位 药物 …', value: 'chinese' as const },
              { label: 'English type names', description: 'disease anatomy drug lab operation imaging', value: 'english' as const },
            ],
            { title: 'MedNER: entity type names' },
          )
        )?.value
      : 'chinese');
  return labelNames ? { format, labelNames } : undefined;
}
