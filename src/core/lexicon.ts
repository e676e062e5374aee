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

export class Lexicon {
  /**
   * A trie over the normalised terms' UTF-16 code units, its edges in one open-addressing hash table
   * of typed arrays: (node, unit) -> child. A trie of Maps took 200 ms and 90 MB to build for the
   * 52,880 terms of a lexicon model, a sorted array was 10 times slower to match; this builds in a
   * few tens of milliseconds and matches without allocating.
   */
  private edgeNode = new Int32Array(1 << 16).fill(-1);
  private edgeUnit = new Int32Array(1 << 16);
  private edgeChild = new Int32Array(1 << 16);
  private edges = 0;
  /** Per node: the bit mask of the types of the term that ends there (0: none). Node 0 is the root. */
  private masks = new Int32Array(1 << 12);
  private nodes = 1;
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
      let mask = 0;
      for (const name of names) {
        const t = this.meta.types.indexOf(name);
        if (t < 0)
          throw new Error(`${source === undefined ? 'line ' : `${source}:`}${n + 1}: unknown type ${JSON.stringify(name).slice(0, 60)}`);
        mask |= 1 << t;
      }
      this.add(term, mask);
    });
  }

  private add(term: string, mask: number): void {
    let normalized = '';
    let length = 0;
    for (const c of term) {
      const cp = c.codePointAt(0)!;
      if (this.whitespace.has(cp) || ++length > this.meta.maxTermLength) return;
      normalized += this.normalize(cp);
    }
    if (length === 0) return;
    let node = 0;
    for (let u = 0; u < normalized.length; u++) {
      const unit = normalized.charCodeAt(u);
      let child = this.child(node, unit);
      if (child < 0) child = this.insert(node, unit);
      node = child;
    }
    this.masks[node] |= mask;
  }

  /** One feature word per code point of `text` between the UTF-16 offsets `from` and `to`. */
  features(text: string, from = 0, to = text.length): Int32Array {
    // The window's normalised text, where each code point starts in it, and which are whitespace
    // (no term holds one, so no match runs across it).
    let norm = '';
    const starts: number[] = [];
    const blank: boolean[] = [];
    for (let i = from; i < to;) {
      const cp = text.codePointAt(i)!;
      starts.push(norm.length);
      blank.push(this.whitespace.has(cp));
      norm += this.normalize(cp);
      i += codeUnits(cp);
    }
    const n = starts.length;
    starts.push(norm.length);
    const t = this.meta.types.length;
    const bits = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      let node = 0;
      for (let j = i; j < Math.min(n, i + this.meta.maxTermLength) && !blank[j]; j++) {
        for (let u = starts[j]; u < starts[j + 1] && node >= 0; u++) node = this.child(node, norm.charCodeAt(u));
        if (node < 0) break;
        const mask = this.masks[node];
        if (mask) this.mark(bits, i, j, mask, t);
      }
    }
    return bits;
  }

  private slot(node: number, unit: number): number {
    const bits = 31 - Math.clz32(this.edgeNode.length);
    return (Math.imul(node, 0x9e3779b1) ^ Math.imul(unit + 1, 0x85ebca6b)) >>> (32 - bits);
  }

  private child(node: number, unit: number): number {
    const size = this.edgeNode.length - 1;
    for (let s = this.slot(node, unit); ; s = (s + 1) & size) {
      const at = this.edgeNode[s];
      if (at < 0) return -1;
      if (at === node && this.edgeUnit[s] === unit) return this.edgeChild[s];
    }
  }

  private insert(node: number, unit: number): number {
    if (2 * (this.edges + 1) > this.edgeNode.length) this.grow();
    if (this.nodes === this.masks.length) {
      const masks = new Int32Array(2 * this.masks.length);
      masks.set(this.masks);
      this.masks = masks;
    }
    const child = this.nodes++;
    this.put(node, unit, child);
    return child;
  }

  private put(node: number, unit: number, child: number): void {
    const size = this.edgeNode.length - 1;
    let s = this.slot(node, unit);
    while (this.edgeNode[s] >= 0) s = (s + 1) & size;
    this.edgeNode[s] = node;
    this.edgeUnit[s] = unit;
    this.edgeChild[s] = child;
    this.edges++;
  }

  private grow(): void {
    const [nodes, units, children] = [this.edgeNode, this.edgeUnit, this.edgeChild];
    this.edgeNode = new Int32Array(2 * nodes.length).fill(-1);
    this.edgeUnit = new Int32Array(2 * nodes.length);
    this.edgeChild = new Int32Array(2 * nodes.length);
    this.edges = 0;
    for (let s = 0; s < nodes.length; s++) if (nodes[s] >= 0) this.put(nodes[s], units[s], children[s]);
  }

  private mark(bits: Int32Array, i: number, j: number, mask: number, t: number): void {
    for (let type = 0; mask >> type; type++) {
      if (!((mask >> type) & 1)) continue;
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
