/**
 * Character -> id mapping, identical to models/training/text.py. One code point is one token, so a
 * token index is a code-point offset and no alignment table is needed.
 */
import { codeUnits } from './offsets';

export interface Normalization {
  unit: 'codepoint';
  fullwidthAscii: { from: number; to: number; offset: number };
  lowercaseAscii: boolean;
  whitespace: number[];
  spaceToken: string;
  unknownToken: string;
  padToken: string;
}

export class Tokenizer {
  private readonly index = new Map<string, number>();
  private readonly cache = new Map<number, number>();
  private readonly whitespace: Set<number>;
  readonly unknownId: number;
  readonly padId: number;

  constructor(
    vocab: readonly string[],
    private readonly norm: Normalization,
  ) {
    vocab.forEach((token, id) => this.index.set(token, id));
    this.whitespace = new Set(norm.whitespace);
    this.unknownId = this.require(norm.unknownToken);
    this.padId = this.require(norm.padToken);
    // Whitespace encodes as the space token, so the vocabulary must hold it.
    this.require(norm.spaceToken);
  }

  /** The normalised token string of one code point, before vocabulary lookup. */
  normalize(cp: number): string {
    if (this.whitespace.has(cp)) return this.norm.spaceToken;
    const fw = this.norm.fullwidthAscii;
    if (cp >= fw.from && cp <= fw.to) cp -= fw.offset;
    if (this.norm.lowercaseAscii && cp >= 0x41 && cp <= 0x5a) cp += 0x20;
    return String.fromCodePoint(cp);
  }

  idOf(cp: number): number {
    let id = this.cache.get(cp);
    if (id === undefined) {
      id = this.index.get(this.normalize(cp)) ?? this.unknownId;
      this.cache.set(cp, id);
    }
    return id;
  }

  /** Ids of every code point of `text` between the UTF-16 offsets `from` and `to`, in order. */
  encode(text: string, from = 0, to = text.length): Int32Array {
    const ids = new Int32Array(to - from);
    let n = 0;
    // codePointAt gives a lone surrogate as itself, so this counts code points as `for...of` does.
    for (let i = from; i < to;) {
      const cp = text.codePointAt(i)!;
      ids[n++] = this.idOf(cp);
      i += codeUnits(cp);
    }
    return n === ids.length ? ids : ids.slice(0, n);
  }

  private require(token: string): number {
    const id = this.index.get(token);
    if (id === undefined) throw new Error(`vocabulary lacks the special token ${token}`);
    return id;
  }
}
