/** What Label Folder says while and after it runs. No `vscode` import, so that unit tests read it. */
import type { BatchProgress, BatchSummary } from '../core/batch';

/** "MedNER: 24 documents in OUT after 3.1 s (4 files unchanged since the last run kept their results; 1 file skipped: see the summary)." */
export function labelledMessage(s: BatchSummary): string {
  const files = (n: number) => `${n} file${n > 1 ? 's' : ''}`;
  const parts: string[] = [];
  if (s.reused) parts.push(`${files(s.reused)} unchanged since the last run kept ${s.reused > 1 ? 'their results' : 'its result'}`);
  if (s.skipped.length) parts.push(`${files(s.skipped.length)} skipped: see the summary`);
  const detail = parts.length ? ` (${parts.join('; ')})` : '';
  return `MedNER: ${s.documents} documents in ${s.outDir} after ${s.seconds.toFixed(1)} s${detail}.`;
}

/** "12/40 files, 5,300 chars/s, ETA 8 s"; before anything is labelled (a resumed run checking its reused files) no rate or ETA. */
export function progressMessage(p: BatchProgress): string {
  const files = `${p.filesDone}/${p.filesTotal} files`;
  if (p.etaSeconds === undefined) return files;
  return `${files}, ${Math.round(p.charsPerSecond).toLocaleString('en')} chars/s, ETA ${formatSeconds(p.etaSeconds)}`;
}

function formatSeconds(s: number): string {
  return s < 90 ? `${Math.ceil(s)} s` : `${Math.round(s / 60)} min`;
}
