// Base and fine-tuned model on the same gold records, one table: what the fine-tuning changed per type.
import { LABEL_ALIASES, type YiduLabel } from '../labels';
import type { Comparison } from '../curation/compare';

const pct = (x: number) => (100 * x).toFixed(1);
const delta = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(100 * x).toFixed(1)}`;

export function sideBySideReport(base: Comparison, tuned: Comparison, title: string, names: { base: string; tuned: string }): string {
  const out = [
    `# ${title}`,
    '',
    `${tuned.documents} documents held out of the fine-tuning. Strict matching: an entity counts only when start, end and type all agree.`,
    '',
    `Base: ${names.base}  `,
    `Fine-tuned: ${names.tuned}`,
    '',
    '| type | base P | base R | base F1 | new P | new R | new F1 | ΔF1 |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  const labels = [...new Set([...base.strict.perLabel.keys(), ...tuned.strict.perLabel.keys()])];
  const zero = { precision: 0, recall: 0, f1: 0 };
  for (const label of labels) {
    const b = base.strict.perLabel.get(label) ?? zero;
    const t = tuned.strict.perLabel.get(label) ?? zero;
    const name = label in LABEL_ALIASES ? `${label} (${LABEL_ALIASES[label as YiduLabel]})` : label;
    out.push(
      `| ${name} | ${pct(b.precision)} | ${pct(b.recall)} | ${pct(b.f1)} | ${pct(t.precision)} | ${pct(t.recall)} | ${pct(t.f1)} | ${delta(t.f1 - b.f1)} |`,
    );
  }
  const b = base.strict.micro;
  const t = tuned.strict.micro;
  out.push(
    `| **micro** | ${pct(b.precision)} | ${pct(b.recall)} | **${pct(b.f1)}** | ${pct(t.precision)} | ${pct(t.recall)} | **${pct(t.f1)}** | **${delta(t.f1 - b.f1)}** |`,
    '',
  );
  return out.join('\n');
}
