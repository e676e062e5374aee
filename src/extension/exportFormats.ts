/** The export formats offered in the editor, over the core's serializers. */
import * as vscode from 'vscode';
import { type DocumentResult, serializeDocuments } from '../core/formats/jsonl';
import { serializeYidu } from '../core/formats/yidu';

export interface ExportFormat {
  label: string;
  detail: string;
  files(docs: DocumentResult[]): { relativePath: string; content: string }[];
}

export const EXPORT_FORMATS: Record<string, ExportFormat> = {
  jsonl: {
    label: 'MedNER jsonl',
    detail: 'one line per document: path, encoding, text, entities with code-point offsets and scores',
    files: (docs) => [{ relativePath: 'annotations.jsonl', content: serializeDocuments(docs) }],
  },
  yidu: {
    label: 'Yidu-S4K JSON lines',
    detail: 'CCKS 2019 format: originalText, entities with label_type, start_pos, end_pos',
    files: (docs) => [{ relativePath: 'annotations.yidu.jsonl', content: serializeYidu(docs) }],
  },
};

export async function pickExportFormat(): Promise<string | undefined> {
  const pick = await vscode.window.showQuickPick(
    Object.entries(EXPORT_FORMATS).map(([id, f]) => ({ id, label: f.label, detail: f.detail })),
    { title: 'MedNER: output format' },
  );
  return pick?.id;
}
