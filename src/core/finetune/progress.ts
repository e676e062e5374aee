// The fine-tuning pipeline (models/training/finetune_from.py) reports on stderr one JSON object a
// line, `{"medner_progress": {...}}`, among Python's own warnings: these read the first kind and
// leave the rest to the log.

export interface FinetuneProgress {
  /** load, fold, train, score, export, parity, quantize, done. */
  stage: string;
  /** Of the whole job, 0..1, never going back. */
  fraction: number;
  message: string;
  /** On `done`: the model folder. */
  out?: string;
}

/** The progress event on `line`, or undefined for any other line (a warning, a traceback). */
export function parseProgress(line: string): FinetuneProgress | undefined {
  if (!line.startsWith('{"medner_progress"')) return undefined;
  let value: unknown;
  try {
    value = (JSON.parse(line) as { medner_progress?: unknown }).medner_progress;
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { stage, fraction, message, out } = value as Record<string, unknown>;
  if (typeof stage !== 'string' || typeof fraction !== 'number' || !Number.isFinite(fraction) || typeof message !== 'string')
    return undefined;
  return { stage, fraction: Math.min(1, Math.max(0, fraction)), message, ...(typeof out === 'string' ? { out } : {}) };
}

/** Splits a stream's chunks into whole lines; the last, unfinished one waits for the next chunk. */
export class LineSplitter {
  private rest = '';

  push(chunk: string): string[] {
    const lines = (this.rest + chunk).split(/\r?\n/);
    this.rest = lines.pop() ?? '';
    return lines;
  }

  end(): string[] {
    const last = this.rest;
    this.rest = '';
    return last ? [last] : [];
  }
}

/** What model.json records of a fine-tuning (training.finetunedFrom), as far as the editor shows it. */
export interface FinetuneRecord {
  base: { name: string; path: string; sha256: string };
  curated: { records: number; entities: number; trainRecords: number; heldOutRecords: number; folds: number };
  heldOut: { before: { f1: number }; after: { f1: number } } | null;
}

/** The fine-tuning record of a model.json's parsed contents, or undefined when it is not a fine-tuned model's. */
export function finetuneRecord(meta: unknown): FinetuneRecord | undefined {
  const record = (meta as { training?: { finetunedFrom?: unknown } } | undefined)?.training?.finetunedFrom;
  if (typeof record !== 'object' || record === null) return undefined;
  const r = record as Partial<FinetuneRecord>;
  return r.base && r.curated ? (r as FinetuneRecord) : undefined;
}
