// The evaluation as a Markdown report: what the Evaluate command writes beside the store.
import { LABEL_ALIASES, type YiduLabel } from '../labels';
import { type Comparison, NONE } from './compare';

const pct = (x: number) => (100 * x).toFixed(1);

function name(label: string): string {
  return label in LABEL_ALIASES ? `${label} (${LABEL_ALIASES[label as YiduLabel]})` : label;
}

export function markdownReport(c: Comparison, title: string): string {
  const out: string[] = [
    `# ${title}`,
    '',
    `${c.documents} documents. Strict matching: an entity counts only when start, end and type all agree.`,
    '',
  ];
  out.push('## Per type', '', '| type | P | R | F1 | TP | FP | FN |', '|---|---:|---:|---:|---:|---:|---:|');
  for (const [label, s] of c.strict.perLabel)
    out.push(`| ${name(label)} | ${pct(s.precision)} | ${pct(s.recall)} | ${pct(s.f1)} | ${s.tp} | ${s.fp} | ${s.fn} |`);
  const m = c.strict.micro;
  out.push(`| **micro** | **${pct(m.precision)}** | **${pct(m.recall)}** | **${pct(m.f1)}** | ${m.tp} | ${m.fp} | ${m.fn} |`, '');
  const labels = [...c.confusion.keys()];
  out.push('## Confusion (rows: gold, columns: predicted, exact spans; — is no entity)', '');
  out.push(
    `| gold \\ predicted | ${labels.map((l) => (l === NONE ? NONE : (LABEL_ALIASES[l as YiduLabel] ?? l))).join(' | ')} |`,
    `|---|${labels.map(() => '---:').join('|')}|`,
  );
  for (const g of labels)
    out.push(`| ${g === NONE ? NONE : name(g)} | ${labels.map((p) => c.confusion.get(g)?.get(p) ?? 0).join(' | ')} |`);
  const b = c.boundary;
  out.push(
    '',
    '## Boundary errors',
    '',
    `Predictions overlapping a gold entity with other boundaries: ${b.sameType} of the same type (${b.tooLong} too long, ${b.tooShort} too short, ${b.shifted} shifted), ${b.otherType} of another type.`,
    '',
  );
  out.push(
    '## Confidence calibration',
    '',
    `Expected calibration error: ${pct(c.ece)} points.`,
    '',
    '| confidence | predictions | mean confidence | exactly right |',
    '|---|---:|---:|---:|',
  );
  for (const bin of c.calibration)
    if (bin.count)
      out.push(`| ${bin.from.toFixed(1)}–${bin.to.toFixed(1)} | ${bin.count} | ${pct(bin.confidence)} | ${pct(bin.accuracy)} |`);
  if (c.examples.length) {
    out.push('', '## Examples', '', '| document | kind | gold | predicted |', '|---|---|---|---|');
    for (const e of c.examples) out.push(`| ${cell(e.document)} | ${e.kind} | ${cell(e.gold ?? NONE)} | ${cell(e.predicted ?? NONE)} |`);
  }
  return out.join('\n') + '\n';
}

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}
