// brat standoff: each document is a `.txt` (the text, unchanged) and an `.ann` beside it with
// one text-bound annotation a line: `T<n>\t<TYPE> <start> <end>\t<mention>`.
//
// Offsets. brat's format documentation (https://brat.nlplab.org/standoff.html and the wiki page
// https://github.com/nlplab/brat/wiki/Annotation-Data-Format) defines them as 0-based *character*
// offsets into the text, start inclusive and end exclusive. brat's server is Python: it reads
// the `.txt` as a Unicode string and slices it, so a character is a code point, exactly our
// convention (Python's `text[start:end]`), and no conversion is needed. (brat's JavaScript client
// counts UTF-16 units, so spans that brat's web UI creates *after* an astral character such as 😀
// are off by one per such character: https://github.com/nlplab/brat/issues/1115. That is a brat
// bug; the files themselves are in code points, as every Python tool that reads them assumes.)
// Python's 'utf-8' codec (unlike 'utf-8-sig') reads a byte-order mark as a character, so a `.txt`
// meant for brat is best written as UTF-8 without a BOM; the `.txt` we return is the text itself.
//
// Line breaks. The `.ann` is line-oriented, so a mention cannot contain a line break. brat's
// discontinuous annotations (`T1\tTYPE 0 5;16 23\tNorth America`, the fragments' texts joined by a
// single space, brat's DISCONT_SEP) carry such an entity: export splits it at its line breaks
// into fragments, and import joins fragments back into one span when only line-break characters
// lie between them. Other discontinuous annotations have no continuous equivalent: an error.
// The line-break characters are those of Python's str.splitlines().
//
// brat carries no scores: imported entities get score 1 (gold annotations). Only T lines are read;
// relations (R), events (E), attributes (A/M), normalizations (N), notes (#) and equivalences (*)
// are skipped.
import { quote } from '../clip';
import type { Entity } from './jsonl';
import { codePoints } from '../offsets';
import {
  entity,
  ExportError,
  ImportError,
  labelName,
  type LabelNames,
  type LabelResolveOptions,
  resolveLabel,
  sortEntities,
} from './shared';

export interface BratExportOptions {
  labelNames?: LabelNames;
}

export interface BratImportOptions extends LabelResolveOptions {
  /** Names the `.ann` in error messages. */
  annPath?: string;
}

export interface BratDocument {
  txt: string;
  ann: string;
}

/** Python's str.splitlines() boundaries: \n \r \v \f \x1c \x1d \x1e \x85 \u2028 \u2029. */
const LINE_BREAKS = new Set(['\n', '\r', '\v', '\f', '\x1c', '\x1d', '\x1e', '\x85', '\u2028', '\u2029']);

export function isLineBreak(ch: string): boolean {
  return LINE_BREAKS.has(ch);
}

/** The `.txt` (the text, unchanged) and the `.ann`, one T line per entity in the given order. */
export function serializeBrat(doc: { text: string; entities: readonly Entity[] }, options: BratExportOptions = {}): BratDocument {
  const chars = codePoints(doc.text);
  const lines = doc.entities.map((e, i) => {
    const fragments = splitAtLineBreaks(chars, e.start, e.end);
    if (fragments === undefined) {
      throw new ExportError(
        `brat: entity ${e.start}..${e.end} ${quote(e.text)} starts or ends with a line break, which a brat mention cannot hold`,
      );
    }
    const offsets = fragments.map(([s, t]) => `${s} ${t}`).join(';');
    const mention = fragments.map(([s, t]) => chars.slice(s, t).join('')).join(' ');
    return `T${i + 1}\t${labelName(e.label, options.labelNames)} ${offsets}\t${mention}\n`;
  });
  return { txt: doc.text, ann: lines.join('') };
}

/** The runs of [start, end) between line breaks; undefined if the span starts or ends with one. */
function splitAtLineBreaks(chars: readonly string[], start: number, end: number): [number, number][] | undefined {
  if (isLineBreak(chars[start]!) || isLineBreak(chars[end - 1]!)) return undefined;
  const out: [number, number][] = [];
  let runStart = start;
  for (let i = start; i < end; i++) {
    if (isLineBreak(chars[i]!)) {
      if (runStart < i) out.push([runStart, i]);
      runStart = i + 1;
    }
  }
  out.push([runStart, end]);
  return out;
}

const T_LINE = /^(T\S*)\t(\S+)((?: +\d+ +\d+(?: *; *\d+ +\d+)*)?)\t(.*)$/s;

/** The entities of an `.ann` against its text, sorted by position; each mention is checked against the text. */
export function parseBrat(text: string, ann: string, options: BratImportOptions = {}): Entity[] {
  const chars = codePoints(text);
  const file = options.annPath ?? '.ann';
  const out: Entity[] = [];
  ann.split('\n').forEach((raw, index) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (!line.startsWith('T')) return; // R, E, A, M, N, #, * lines and blank lines
    const where = `${file}:${index + 1}`;
    const m = T_LINE.exec(line);
    if (!m)
      throw new ImportError(where, `malformed text-bound annotation (want "T<n>\\t<TYPE> <start> <end>\\t<mention>"): ${quote(line)}`);
    const [, id, type, offsetText, mention] = m as unknown as [string, string, string, string, string];
    if (offsetText.trim() === '') throw new ImportError(where, `${id}: no offsets`);
    const fragments = offsetText
      .trim()
      .split(/ *; */)
      .map((f) => f.split(/ +/).map(Number) as [number, number]);
    for (const [s, t] of fragments) {
      if (!(s < t) || t > chars.length) {
        throw new ImportError(where, `${id}: span ${s}..${t} is empty or outside the text (length ${chars.length} code points)`);
      }
    }
    const expected = fragments.map(([s, t]) => chars.slice(s, t).join('')).join(' ');
    if (expected !== mention) {
      throw new ImportError(where, `${id}: mention ${quote(mention)} differs from the text's ${quote(expected)} at ${offsetText.trim()}`);
    }
    for (let k = 1; k < fragments.length; k++) {
      const gapStart = fragments[k - 1]![1];
      const gapEnd = fragments[k]![0];
      if (gapEnd < gapStart || !chars.slice(gapStart, gapEnd).every(isLineBreak)) {
        throw new ImportError(
          where,
          `${id}: discontinuous annotation ${offsetText.trim()} has no continuous equivalent (fragments may be separated only by line breaks)`,
        );
      }
    }
    const label = resolveLabel(type, options, where);
    if (label === undefined) return;
    out.push(entity(chars, fragments[0]![0], fragments[fragments.length - 1]![1], label, 1));
  });
  return sortEntities(out);
}
