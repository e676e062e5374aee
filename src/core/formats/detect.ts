/** Reads an annotation file whose format (Yidu JSON lines or our jsonl) is told by its first record. */
import { parseDocuments } from './jsonl';
import { readJsonLines } from './lines';
import { parseYidu, type YiduRecord } from './yidu';

export function readAnnotated(file: string, content: string): YiduRecord[] {
  const first = readJsonLines(content)[0]?.value as Record<string, unknown> | undefined;
  try {
    if (first && 'originalText' in first) return parseYidu(content);
    if (first && 'text' in first) return parseDocuments(content);
    if (!first) return [];
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`);
  }
  throw new Error(`${file}: neither Yidu JSON lines ("originalText") nor MedNER jsonl ("text")`);
}
