// How the model's predictions compare with gold (curated or imported): strict per-type scores, which
// types it confuses, where it gets the boundaries wrong, and whether its confidence means what it says.
import { evaluate, type EvalResult } from '../eval';
import { YIDU_LABELS } from '../labels';
import { codePoints } from '../offsets';

export interface Span {
  start: number;
  end: number;
  label: string;
}

export interface ScoredSpan extends Span {
  score: number;
}

export interface ComparedDocument {
  name: string;
  text: string;
  gold: readonly Span[];
  predicted: readonly ScoredSpan[];
}

/** The label of a confusion row or column for "no entity there". */
export const NONE = '—';

export interface BoundaryErrors {
  /** Overlapping a gold entity of the same type, with other boundaries. */
  sameType: number;
  /** Overlapping a gold entity of another type, with other boundaries. */
  otherType: number;
  /** Of the same-type ones: predicted longer / shorter than gold / shifted. */
  tooLong: number;
  tooShort: number;
  shifted: number;
}

export interface CalibrationBin {
  /** Confidence range [from, to). */
  from: number;
  to: number;
  count: number;
  /** Mean confidence of the predictions in the bin. */
  confidence: number;
  /** Fraction of them that are exactly right. */
  accuracy: number;
}

export interface Comparison {
  documents: number;
  strict: EvalResult;
  /** gold label (or NONE) -> predicted label (or NONE) -> count, over exact spans and misses. */
  confusion: Map<string, Map<string, number>>;
  boundary: BoundaryErrors;
  calibration: CalibrationBin[];
  /** Expected calibration error: mean |accuracy - confidence| weighted by bin size. */
  ece: number;
  /**
   * Examples for a person to look at, a few of each kind: confusions ('type'), boundary errors,
   * gold entities the model missed, and its spurious predictions (a person rejected them, in
   * curated gold). `start`/`end`: the code points to show in the document.
   */
  examples: { document: string; gold?: string; predicted?: string; kind: string; start: number; end: number }[];
}

const BINS = 10;
const EXAMPLES_PER_KIND = 5;

export function compare(docs: readonly ComparedDocument[]): Comparison {
  const strict = evaluate(
    docs.map((d) => ({ text: d.text, entities: d.gold })),
    docs.map((d) => ({ text: d.text, entities: d.predicted })),
  );
  const labels = [...YIDU_LABELS, NONE];
  const confusion = new Map(labels.map((g) => [g as string, new Map(labels.map((p) => [p as string, 0]))]));
  const bump = (g: string, p: string) => {
    if (!confusion.has(g)) confusion.set(g, new Map());
    const row = confusion.get(g)!;
    row.set(p, (row.get(p) ?? 0) + 1);
  };
  const boundary: BoundaryErrors = { sameType: 0, otherType: 0, tooLong: 0, tooShort: 0, shifted: 0 };
  const bins = Array.from({ length: BINS }, (_, i) => ({ from: i / BINS, to: (i + 1) / BINS, count: 0, sum: 0, right: 0 }));
  const examples: Comparison['examples'] = [];
  const example = (doc: ComparedDocument, kind: string, g?: Span, p?: Span) => {
    if (examples.filter((e) => e.kind === kind).length >= EXAMPLES_PER_KIND) return;
    const chars = codePoints(doc.text);
    const show = (s: Span) => `${chars.slice(s.start, s.end).join('')} (${s.label}, ${s.start}–${s.end})`;
    const start = Math.min(g?.start ?? Infinity, p?.start ?? Infinity);
    const end = Math.max(g?.end ?? -Infinity, p?.end ?? -Infinity);
    examples.push({ document: doc.name, kind, ...(g ? { gold: show(g) } : {}), ...(p ? { predicted: show(p) } : {}), start, end });
  };
  const overlaps = (a: Span, b: Span) => a.start < b.end && b.start < a.end;

  for (const doc of docs) {
    const goldAt = new Map(doc.gold.map((g) => [`${g.start}:${g.end}`, g]));
    const predAt = new Map(doc.predicted.map((p) => [`${p.start}:${p.end}`, p]));
    for (const g of doc.gold) {
      const p = predAt.get(`${g.start}:${g.end}`);
      if (p) {
        bump(g.label, p.label);
        if (p.label !== g.label) example(doc, 'type', g, p);
      } else if (!doc.predicted.some((q) => overlaps(q, g))) {
        bump(g.label, NONE);
        example(doc, 'missed', g);
      }
    }
    for (const p of doc.predicted) {
      const exact = goldAt.get(`${p.start}:${p.end}`);
      const bin = bins[Math.min(BINS - 1, Math.floor(p.score * BINS))];
      bin.count++;
      bin.sum += p.score;
      if (exact && exact.label === p.label) bin.right++;
      if (exact) continue;
      const near = doc.gold.find((g) => overlaps(g, p));
      if (!near) {
        bump(NONE, p.label);
        example(doc, 'spurious', undefined, p);
        continue;
      }
      if (near.label !== p.label) boundary.otherType++;
      else {
        boundary.sameType++;
        if (p.start <= near.start && p.end >= near.end) boundary.tooLong++;
        else if (p.start >= near.start && p.end <= near.end) boundary.tooShort++;
        else boundary.shifted++;
      }
      example(doc, 'boundary', near, p);
    }
  }
  const total = bins.reduce((n, b) => n + b.count, 0);
  const calibration = bins.map((b) => ({
    from: b.from,
    to: b.to,
    count: b.count,
    confidence: b.count ? b.sum / b.count : 0,
    accuracy: b.count ? b.right / b.count : 0,
  }));
  const ece = total ? calibration.reduce((s, b) => s + (b.count / total) * Math.abs(b.accuracy - b.confidence), 0) : 0;
  return { documents: docs.length, strict, confusion, boundary, calibration, ece, examples };
}
