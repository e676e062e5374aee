import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

export interface StoredEntry {
  size: number;
  sha256: string;
  result: string;
}

/**
 * What an --out-dir's state says it finished, read the way a resuming run reads it: the manifest,
 * then the journal's complete lines on top (a line without its newline does not count).
 */
export function storedInputs(outDir: string): Record<string, StoredEntry> {
  const dir = path.join(outDir, '.medner');
  const manifestFile = path.join(dir, 'manifest.json');
  const inputs: Record<string, StoredEntry> = existsSync(manifestFile)
    ? (JSON.parse(readFileSync(manifestFile, 'utf8')) as { inputs: Record<string, StoredEntry> }).inputs
    : {};
  const journalFile = path.join(dir, 'journal.jsonl');
  if (!existsSync(journalFile)) return inputs;
  const lines = readFileSync(journalFile, 'utf8').split('\n').slice(1, -1);
  for (const line of lines) {
    const { path: file, removed, ...entry } = JSON.parse(line) as StoredEntry & { path: string; removed?: true };
    if (removed) delete inputs[file];
    else inputs[file] = entry;
  }
  return inputs;
}

/** Complete lines of the journal after its header: one per input finished since the last compaction. */
export function journalEntries(outDir: string): number {
  const file = path.join(outDir, '.medner', 'journal.jsonl');
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').slice(1, -1).length : 0;
}
