/**
 * Dictionary features, identical to models/training/lexicon.py: for each code point, whether it
 * begins, continues, ends or stands alone as a lexicon term, per term type, one bit each
 * (bit = position index * types + type index). Terms and text match after the tokenizer's
 * normalisation; terms with whitespace or longer than `maxTermLength` code points are left out.
 */
import { codeUnits } from './offsets';

export interface LexiconMeta {
  types: string[];
  positions: string;
  maxTermLength: number;
}

interface Node {
  next: Map<string, Node>;
  types?: number[];
}

export class Lexicon {
  private readonly root: Node = { next: new Map() };
  readonly dim: number;

  /**
   * `tsv`: `term<TAB>type,type` lines (no types: untyped, "term"); `normalize`: the tokenizer's, per
   * code point; `source`: the file, as an error names it.
   */
  constructor(
    tsv: string,
    private readonly meta: LexiconMeta,
    private readonly normalize: (cp: number) => string,
    private readonly whitespace: ReadonlySet<number>,
    source?: string,
  ) {
    this.dim = meta.positions.length * meta.types.length;
    this.addTerms(tsv, source);
  }

  /** More terms, e.g. a user's lexicon on top of a model's; a term already known gains the new types. */
  addTerms(tsv: string, source?: string): void {
    // Line breaks as Python's text files read them (universal newlines), so a CRLF file parses the same.
    tsv.split(/\r\n|\r|\n/).forEach((line, n) => {
      if (!line.trim()) return;
      const tab = line.indexOf('\t');
      const term = tab < 0 ? line : line.slice(0, tab);
      const names = tab < 0 || tab === line.length - 1 ? ['term'] : line.slice(tab + 1).split(',');
      const types = names.map((name) => {
        const t = this.meta.types.indexOf(name);
        if (t < 0)
          throw new Error(`${source === undefined ? 'line ' : `${source}:`}${n + 1}: unknown type ${JSON.stringify(name).slice(0, 60)}`);
        return t;
      });
      this.add(term, types);
    });
  }

  private add(term: string, types: number[]): void {
    const cps = Array.from(term, (c) => c.codePointAt(0)!);
    if (cps.length === 0 || cps.length > this.meta.maxTermLength || cps.some((cp) => this.whitespace.has(cp))) return;
    let node = this.root;
    for (const cp of cps) {
      const key = this.normalize(cp);
      let child = node.next.get(key);
      if (!child) {
        child = { next: new Map() };
        node.next.set(key, child);
      }
      node = child;
    }
    node.types = [...new Set([...(node.types ?? []), ...types])];
  }

  /** One feature word per code point of `text` between the UTF-16 offsets `from` and `to`. */
  features(text: string, from = 0, to = text.length): Int32Array {
    const keys: string[] = [];
    for (let i = from; i < to;) {
      const cp = text.codePointAt(i)!;
      keys.push(this.normalize(cp));
      i += codeUnits(cp);
    }
    const n = keys.length;
    const t = this.meta.types.length;
    const bits = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      let node: Node | undefined = this.root;
      for (let j = i; j < Math.min(n, i + this.meta.maxTermLength); j++) {
        node = node.next.get(keys[j]);
        if (!node) break;
        for (const type of node.types ?? []) {
          if (j === i) {
            bits[i] |= 1 << (3 * t + type);
            continue;
          }
          bits[i] |= 1 << type;
          bits[j] |= 1 << (2 * t + type);
          for (let m = i + 1; m < j; m++) bits[m] |= 1 << (t + type);
        }
      }
    }
    return bits;
  }
}
