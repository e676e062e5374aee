// The entity types' colours (package.json `contributes.colors`) and line styles (typeStyles.ts): apart
// for readers with the common colour-vision deficiencies, in every kind of theme, and on its background.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { LABEL_ALIASES, YIDU_LABELS } from '../../src/core/labels';
import { TYPE_STYLES } from '../../src/extension/typeStyles';
import { ROOT } from './support';

type Theme = 'light' | 'dark' | 'highContrast' | 'highContrastLight';
const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const colors = new Map<string, Record<Theme, string>>(
  manifest.contributes.colors.map((c: { id: string; defaults: Record<Theme, string> }) => [c.id, c.defaults]),
);
/** The editor background of VS Code's default theme of each kind. */
const BACKGROUND: Record<Theme, string> = { light: '#ffffff', dark: '#1e1e1e', highContrast: '#000000', highContrastLight: '#ffffff' };

type Rgb = [number, number, number];
const linear = (hex: string): Rgb =>
  [1, 3, 5].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }) as Rgb;

/** Machado, Oliveira & Fernandes (2009), severity 1: the full dichromacies, on linear RGB. */
const VISION: Record<string, number[][]> = {
  typical: [
    [1, 0, 0],
    [0, 1, 0],
    [0, 0, 1],
  ],
  protanopia: [
    [0.152286, 1.052583, -0.204868],
    [0.114503, 0.786281, 0.099216],
    [-0.003882, -0.048116, 1.051998],
  ],
  deuteranopia: [
    [0.367322, 0.860646, -0.227968],
    [0.280085, 0.672501, 0.047413],
    [-0.01182, 0.04294, 0.968881],
  ],
  tritanopia: [
    [1.255528, -0.076749, -0.178779],
    [-0.078411, 0.930809, 0.147602],
    [0.004733, 0.691367, 0.3039],
  ],
};

function lab([r, g, b]: Rgb): Rgb {
  const [x, y, z] = [
    (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047,
    0.2126 * r + 0.7152 * g + 0.0722 * b,
    (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883,
  ].map((t) => (t > 0.008856 ? Math.cbrt(t) : 7.787 * t + 16 / 116));
  return [116 * y - 16, 500 * (x - y), 200 * (y - z)];
}

function seenBy(vision: string, hex: string): Rgb {
  const c = linear(hex);
  return VISION[vision].map((row) => Math.min(1, Math.max(0, row[0] * c[0] + row[1] * c[1] + row[2] * c[2]))) as Rgb;
}

/** CIE76 colour difference, as a reader with `vision` sees the two colours. */
const deltaE = (vision: string, a: string, b: string) => Math.hypot(...lab(seenBy(vision, a)).map((v, i) => v - lab(seenBy(vision, b))[i]));

function contrast(a: string, b: string): number {
  const l = (hex: string) => {
    const [r, g, bl] = linear(hex);
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [l(a), l(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

describe('entity type palette', () => {
  for (const theme of Object.keys(BACKGROUND) as Theme[]) {
    it(`${theme}: every two types differ by ΔE ≥ 10 for typical, protan, deutan and tritan vision; lines contrast ≥ 3:1`, () => {
      const border = YIDU_LABELS.map((l) => colors.get(`medner.${LABEL_ALIASES[l]}.border`)![theme].slice(0, 7));
      for (const vision of Object.keys(VISION)) {
        for (let i = 0; i < border.length; i++) {
          for (let j = i + 1; j < border.length; j++) {
            const d = deltaE(vision, border[i], border[j]);
            assert.ok(
              d >= 10,
              `${theme}, ${vision}: ${YIDU_LABELS[i]} ${border[i]} and ${YIDU_LABELS[j]} ${border[j]} differ by ΔE ${d.toFixed(1)}`,
            );
          }
        }
      }
      for (const [i, c] of border.entries()) {
        const ratio = contrast(c, BACKGROUND[theme]);
        assert.ok(ratio >= 3, `${theme}: ${YIDU_LABELS[i]} ${c} on ${BACKGROUND[theme]} is ${ratio.toFixed(2)}:1`);
      }
    });
  }

  it('draws every type with its own line style, so types differ without colour too', () => {
    const styles = YIDU_LABELS.map((l) => JSON.stringify(TYPE_STYLES[l]));
    assert.equal(new Set(styles).size, YIDU_LABELS.length, styles.join('\n'));
  });
});
