/**
 * The Evaluate webview's page, built from a comparison: charts as inline SVG coloured by the theme's
 * CSS variables, a strict Content-Security-Policy (nothing remote, the one script and style by
 * nonce), and the only messages the page may send. Free of the vscode API, so unit tests cover it.
 */
import { type Comparison, NONE } from '../core/curation/compare';
import { LABEL_ALIASES, type YiduLabel } from '../core/labels';

export type EvaluationMessage = { type: 'openReport' } | { type: 'rerun' } | { type: 'reveal'; example: number };

/** Messages come from a page that renders corpus text: anything but the three known shapes is ignored. */
export function parseMessage(message: unknown): EvaluationMessage | undefined {
  if (!message || typeof message !== 'object' || Array.isArray(message)) return undefined;
  const { type, example } = message as { type?: unknown; example?: unknown };
  const keys = Object.keys(message).length;
  if (keys === 1 && (type === 'openReport' || type === 'rerun')) return { type };
  // Only an index into the examples the extension holds: the page never names a file.
  if (keys === 2 && type === 'reveal' && Number.isSafeInteger(example) && (example as number) >= 0)
    return { type, example: example as number };
  return undefined;
}

const esc = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
const pct = (x: number) => (100 * x).toFixed(1);
const short = (label: string) => (label === NONE ? NONE : (LABEL_ALIASES[label as YiduLabel] ?? label));

export function evaluationHtml(c: Comparison, options: { cspSource: string; nonce: string; title: string; reportPath?: string }): string {
  const { nonce } = options;
  const csp = `default-src 'none'; img-src ${options.cspSource} data:; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}';`;
  const m = c.strict.micro;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${esc(options.title)}</title>
<style nonce="${nonce}">${STYLE}</style>
</head>
<body>
<h1>${esc(options.title)}</h1>
<p class="summary">${c.documents} documents · strict micro F1 <strong>${pct(m.f1)}</strong> (P ${pct(m.precision)}, R ${pct(m.recall)}) · ${m.tp} right, ${m.fp} spurious or wrong, ${m.fn} missed</p>
<p><button id="open-report"${options.reportPath ? '' : ' disabled'}>Open the Markdown report</button> <button id="rerun">Evaluate again</button></p>
<section><h2>Per type</h2>${perTypeChart(c)}${perTypeTable(c)}</section>
<section><h2>Confusion between types</h2><p class="note">Rows: gold, columns: predicted, exact spans; ${NONE} is no entity (a miss or a spurious prediction).</p>${confusionTable(c)}</section>
<section><h2>Boundary errors</h2>${boundaryChart(c)}</section>
<section><h2>Confidence calibration</h2><p class="note">Bars: the share of predictions in each confidence bin that are exactly right; the diagonal is perfect calibration. Expected calibration error ${pct(c.ece)} points.</p>${calibrationChart(c)}</section>
${c.examples.length ? `<section><h2>Examples</h2>${examplesTable(c)}</section>` : ''}
<script nonce="${nonce}">
const vscode = acquireVsCodeApi();
document.getElementById('open-report').addEventListener('click', () => vscode.postMessage({ type: 'openReport' }));
document.getElementById('rerun').addEventListener('click', () => vscode.postMessage({ type: 'rerun' }));
for (const link of document.querySelectorAll('[data-example]'))
  link.addEventListener('click', (event) => {
    event.preventDefault();
    vscode.postMessage({ type: 'reveal', example: Number(link.dataset.example) });
  });
</script>
</body>
</html>`;
}

const STYLE = `
body { font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); color: var(--vscode-foreground); background: var(--vscode-editor-background); padding: 0 20px 20px; }
h1 { font-size: 1.4em; } h2 { font-size: 1.1em; margin-top: 1.6em; border-bottom: 1px solid var(--vscode-panel-border); padding-bottom: 4px; }
.note, .summary { color: var(--vscode-descriptionForeground); }
a { color: var(--vscode-textLink-foreground); } a:hover { color: var(--vscode-textLink-activeForeground); }
.summary strong { color: var(--vscode-foreground); }
button { background: var(--vscode-button-background); color: var(--vscode-button-foreground); border: none; padding: 4px 12px; cursor: pointer; }
button:hover { background: var(--vscode-button-hoverBackground); } button:disabled { opacity: 0.5; cursor: default; }
button:focus-visible { outline: 1px solid var(--vscode-focusBorder); outline-offset: 2px; }
table { border-collapse: collapse; margin-top: 8px; } th, td { padding: 3px 8px; text-align: right; border: 1px solid var(--vscode-panel-border); }
th:first-child, td:first-child { text-align: left; }
svg text { fill: var(--vscode-foreground); font-size: 11px; font-family: var(--vscode-font-family); }
.axis { stroke: var(--vscode-panel-border); } .diag { stroke: var(--vscode-descriptionForeground); stroke-dasharray: 4 3; }
.p { fill: var(--vscode-charts-blue); } .r { fill: var(--vscode-charts-green); } .f { fill: var(--vscode-charts-orange); } .b { fill: var(--vscode-charts-purple); } .cal { fill: var(--vscode-charts-blue); }
.legend-p { color: var(--vscode-charts-blue); } .legend-r { color: var(--vscode-charts-green); } .legend-f { color: var(--vscode-charts-orange); }
${Array.from({ length: 11 }, (_, i) => `.h${i} { background: color-mix(in srgb, var(--vscode-charts-red) ${i * 8}%, transparent); }`).join('\n')}
.diagcell { background: color-mix(in srgb, var(--vscode-charts-green) 30%, transparent); }
`;

function perTypeChart(c: Comparison): string {
  const rows = [...c.strict.perLabel].filter(([, s]) => s.tp + s.fp + s.fn > 0);
  const row = 46;
  const left = 90;
  const width = 360;
  const bars = rows.map(([label, s], i) => {
    const y = i * row + 4;
    const bar = (v: number, k: number, cls: string) =>
      `<rect class="${cls}" x="${left}" y="${y + k * 13}" width="${(width * v).toFixed(1)}" height="11"><title>${esc(label)}: ${pct(v)}</title></rect><text x="${left + width * v + 4}" y="${y + k * 13 + 9}">${pct(v)}</text>`;
    return `<text x="0" y="${y + 22}">${esc(short(label))}</text>${bar(s.precision, 0, 'p')}${bar(s.recall, 1, 'r')}${bar(s.f1, 2, 'f')}`;
  });
  const h = Math.max(row, rows.length * row);
  return `<p class="note"><span class="legend-p">■ precision</span> <span class="legend-r">■ recall</span> <span class="legend-f">■ F1</span></p>
<svg role="img" aria-label="Precision, recall and F1 per type" width="${left + width + 50}" height="${h}" viewBox="0 0 ${left + width + 50} ${h}"><line class="axis" x1="${left}" y1="0" x2="${left}" y2="${h}"/>${bars.join('')}</svg>`;
}

function perTypeTable(c: Comparison): string {
  const rows = [...c.strict.perLabel].map(
    ([label, s]) =>
      `<tr><td>${esc(label)} (${esc(short(label))})</td><td>${pct(s.precision)}</td><td>${pct(s.recall)}</td><td>${pct(s.f1)}</td><td>${s.tp}</td><td>${s.fp}</td><td>${s.fn}</td></tr>`,
  );
  const m = c.strict.micro;
  rows.push(
    `<tr><th>micro</th><th>${pct(m.precision)}</th><th>${pct(m.recall)}</th><th>${pct(m.f1)}</th><th>${m.tp}</th><th>${m.fp}</th><th>${m.fn}</th></tr>`,
  );
  return `<table><tr><th>type</th><th>P</th><th>R</th><th>F1</th><th>TP</th><th>FP</th><th>FN</th></tr>${rows.join('')}</table>`;
}

function confusionTable(c: Comparison): string {
  const labels = [...c.confusion.keys()];
  const max = Math.max(1, ...labels.flatMap((g) => labels.filter((p) => p !== g).map((p) => c.confusion.get(g)?.get(p) ?? 0)));
  const cell = (g: string, p: string) => {
    const n = c.confusion.get(g)?.get(p) ?? 0;
    const cls = g === p && g !== NONE ? 'diagcell' : `h${Math.round((10 * n) / max)}`;
    return `<td class="${n ? cls : ''}" title="gold ${esc(g)}, predicted ${esc(p)}: ${n}">${n}</td>`;
  };
  return `<table><tr><th>gold \\ predicted</th>${labels.map((l) => `<th>${esc(short(l))}</th>`).join('')}</tr>${labels.map((g) => `<tr><th>${esc(short(g))}</th>${labels.map((p) => cell(g, p)).join('')}</tr>`).join('')}</table>`;
}

function boundaryChart(c: Comparison): string {
  const b = c.boundary;
  const items: [string, number][] = [
    ['too long', b.tooLong],
    ['too short', b.tooShort],
    ['shifted', b.shifted],
    ['other type', b.otherType],
  ];
  const max = Math.max(1, ...items.map(([, n]) => n));
  const bars = items.map(
    ([name, n], i) =>
      `<text x="0" y="${i * 20 + 13}">${name}</text><rect class="b" x="80" y="${i * 20 + 2}" width="${((300 * n) / max).toFixed(1)}" height="14"/><text x="${84 + (300 * n) / max}" y="${i * 20 + 13}">${n}</text>`,
  );
  return `<p class="note">Predictions that overlap a gold entity but do not match its boundaries: ${b.sameType} of the same type, ${b.otherType} of another type.</p><svg role="img" aria-label="Boundary errors" width="420" height="84" viewBox="0 0 420 84">${bars.join('')}</svg>`;
}

function calibrationChart(c: Comparison): string {
  const size = 240;
  const x0 = 36;
  const y0 = 8;
  const bw = size / c.calibration.length;
  const bars = c.calibration.map((bin, i) => {
    if (!bin.count) return '';
    const h = size * bin.accuracy;
    return `<rect class="cal" x="${(x0 + i * bw + 1).toFixed(1)}" y="${(y0 + size - h).toFixed(1)}" width="${(bw - 2).toFixed(1)}" height="${h.toFixed(1)}"><title>confidence ${bin.from.toFixed(1)}–${bin.to.toFixed(1)}: ${bin.count} predictions, mean confidence ${pct(bin.confidence)}%, ${pct(bin.accuracy)}% right</title></rect>`;
  });
  const ticks = [0, 0.5, 1].map(
    (t) => `<text x="${x0 + size * t - 6}" y="${y0 + size + 14}">${t}</text><text x="4" y="${y0 + size - size * t + 4}">${t}</text>`,
  );
  const counts = c.calibration.map(
    (bin) =>
      `<tr><td>${bin.from.toFixed(1)}–${bin.to.toFixed(1)}</td><td>${bin.count}</td><td>${bin.count ? pct(bin.confidence) : ''}</td><td>${bin.count ? pct(bin.accuracy) : ''}</td></tr>`,
  );
  return `<svg role="img" aria-label="Reliability diagram" width="${x0 + size + 20}" height="${y0 + size + 36}" viewBox="0 0 ${x0 + size + 20} ${y0 + size + 36}">
<line class="axis" x1="${x0}" y1="${y0 + size}" x2="${x0 + size}" y2="${y0 + size}"/><line class="axis" x1="${x0}" y1="${y0}" x2="${x0}" y2="${y0 + size}"/>
${bars.join('')}<line class="diag" x1="${x0}" y1="${y0 + size}" x2="${x0 + size}" y2="${y0}"/>${ticks.join('')}<text x="${x0 + size / 2 - 30}" y="${y0 + size + 30}">confidence</text></svg>
<table><tr><th>confidence</th><th>predictions</th><th>mean confidence</th><th>exactly right</th></tr>${counts.join('')}</table>`;
}

function examplesTable(c: Comparison): string {
  const rows = c.examples.map(
    (e, i) =>
      `<tr><td><a href="#" data-example="${i}" title="Show it in the document">${esc(e.document)}</a></td><td>${esc(e.kind)}</td><td>${esc(e.gold ?? NONE)}</td><td>${esc(e.predicted ?? NONE)}</td></tr>`,
  );
  return `<p class="note">Type confusions, boundary errors, misses and spurious predictions (in curated gold: the ones a person rejected), a few of each; click a document to see the example there.</p><table><tr><th>document</th><th>kind</th><th>gold</th><th>predicted</th></tr>${rows.join('')}</table>`;
}
