// Strict entity-level scoring as in the CCKS 2019 task: a prediction counts only if its
// start, end and label all equal a gold entity's.
import { YIDU_LABELS } from './labels';

export interface EvalEntity {
  start: number;
  end: number;
  label: string;
}

export interface EvalDocument {
  text: string;
  entities: readonly EvalEntity[];
}

export interface Score {
  tp: number;
  fp: number;
  fn: number;
  precision: number;
  recall: number;
  f1: number;
}

export interface EvalResult {
  /** Yidu labels first in their canonical order, then any other label seen, sorted. */
  perLabel: Map<string, Score>;
  micro: Score;
}

/**
 * Gold and predicted documents are paired by index and must have identical texts.
 * Entities are compared as sets: a duplicate prediction is neither a second hit nor an error.
 */
export function evaluate(gold: readonly EvalDocument[], predicted: readonly EvalDocument[]): EvalResult {
  if (gold.length !== predicted.length) {
    throw new Error(`gold has ${gold.length} documents but predictions have ${predicted.length}`);
  }
  const counts = new Map<string, { tp: number; fp: number; fn: number }>();
  const bucket = (label: string) => {
    let c = counts.get(label);
    if (!c) counts.set(label, (c = { tp: 0, fp: 0, fn: 0 }));
    return c;
  };
  for (const label of YIDU_LABELS) bucket(label);

  gold.forEach((g, i) => {
    const p = predicted[i]!;
    if (g.text !== p.text) throw new Error(`document ${i}: gold and predicted texts differ`);
    const goldKeys = keySet(g.entities);
    const predKeys = keySet(p.entities);
    for (const [key, label] of predKeys) {
      if (goldKeys.has(key)) bucket(label).tp++;
      else bucket(label).fp++;
    }
    for (const [key, label] of goldKeys) {
      if (!predKeys.has(key)) bucket(label).fn++;
    }
  });

  const yidu = new Set<string>(YIDU_LABELS);
  const extra = [...counts.keys()].filter((l) => !yidu.has(l)).sort();
  const perLabel = new Map<string, Score>();
  const total = { tp: 0, fp: 0, fn: 0 };
  for (const label of [...YIDU_LABELS, ...extra]) {
    const c = counts.get(label)!;
    perLabel.set(label, score(c.tp, c.fp, c.fn));
    total.tp += c.tp;
    total.fp += c.fp;
    total.fn += c.fn;
  }
  return { perLabel, micro: score(total.tp, total.fp, total.fn) };
}

function keySet(entities: readonly EvalEntity[]): Map<string, string> {
  return new Map(entities.map((e) => [`${e.start}\u0000${e.end}\u0000${e.label}`, e.label]));
}

function score(tp: number, fp: number, fn: number): Score {
  const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 0 : tp / (tp + fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { tp, fp, fn, precision, recall, f1 };
}

/** A plain-text table: one row per label, then the micro average; P/R/F1 as percentages. */
export function formatEvalTable(result: EvalResult, labelName: (label: string) => string = (l) => l): string {
  const rows: string[][] = [['label', 'P', 'R', 'F1', 'TP', 'FP', 'FN']];
  const row = (name: string, s: Score) => [name, pct(s.precision), pct(s.recall), pct(s.f1), String(s.tp), String(s.fp), String(s.fn)];
  for (const [label, s] of result.perLabel) rows.push(row(labelName(label), s));
  rows.push(row('micro', result.micro));
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => displayWidth(r[col]!))));
  return rows
    .map((r) =>
      r
        .map((cell, col) => {
          const pad = ' '.repeat(widths[col]! - displayWidth(cell));
          return col === 0 ? cell + pad : pad + cell;
        })
        .join('  '),
    )
    .join('\n')
    .concat('\n');
}

function pct(x: number): string {
  return (100 * x).toFixed(2);
}

// CJK characters take two columns in a terminal, so label columns line up only if they count double.
function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s)
    w += /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]|[\u{20000}-\u{3fffd}]/u.test(ch)
      ? 2
      : 1;
  return w;
}
