// brat standoff: each document is a `.txt` and an `.ann` beside it with one text-bound annotation
// a line: `T<n>\t<TYPE> <start> <end>\t<mention>`.
//
// The `.txt`. brat's server (server/src/annotation.py, open_textfile) reads it with
// codecs.open(..., encoding='utf8', errors='strict'): binary mode, so CRLF stays two characters,
// and strict UTF-8, so a GB18030 or UTF-16 file is refused ("nonstandard encoding or binary?") and
// a UTF-8 byte-order mark becomes character 0, shifting every offset by one. So the `.txt` is the
// document's text as UTF-8 without a BOM, whatever the source's encoding, and the offsets count
// code points of exactly that text. What the pair cannot carry (the source's encoding, its path
// when it differs from the file's, a record id) goes into `<stem>.medner.json` beside them, which
// brat does not list (it lists files ending in "txt") and import reads back.
//
// Offsets. brat's format documentation (https://brat.nlplab.org/standoff.html) defines them as
// 0-based *character* offsets, start inclusive and end exclusive; the server slices a Python
// string, so a character is a code point, our convention. (brat's JavaScript client counts UTF-16
// units, so spans its web UI creates *after* an astral character such as 😀 are off by one per
// such character: https://github.com/nlplab/brat/issues/1115. That is a brat bug; the files
// themselves are in code points.)
//
// Line breaks. The server reads the `.ann` with codecs' readlines(), which splits at every
// str.splitlines() boundary (charClass.ts), so a mention cannot hold one. brat's discontinuous
// annotations (`T1\tTYPE 0 5;16 23\tNorth America`, fragments' texts joined by one space, brat's
// DISCONT_SEP) carry such an entity: export splits it at its line breaks into fragments; an entity
// that starts or ends with line breaks is written without them, and one of nothing but line
// breaks is skipped, each with a warning. Import joins fragments back into one span when only
// blanks lie between them: that is what brat's own annotator writes for a selection across lines
// (server/src/annotator.py splits it at each \n and strips the blanks around each piece). Other
// discontinuous annotations have no continuous equivalent: an error.
//
// brat carries no scores: imported entities get score 1 (gold annotations). Only T lines are read;
// relations (R), events (E), attributes (A/M), normalizations (N), notes (#) and equivalences (*)
// are skipped.
import { quote } from '../clip';
import { isBlank, isLineBreak } from '../charClass';
import type { Entity } from './jsonl';
import { codePoints } from '../offsets';
import {
  entity,
  ImportError,
  labelName,
  type LabelNames,
  type LabelResolveOptions,
  type OnWarning,
  resolveLabel,
  sortEntities,
} from './shared';

export interface BratExportOptions {
  labelNames?: LabelNames;
  onWarning?: OnWarning;
}

export interface BratImportOptions extends LabelResolveOptions {
  /** Names the `.ann` in error messages. */
  annPath?: string;
}

export interface BratDocument {
  txt: string;
  ann: string;
}

/** The `.txt` (the text itself) and the `.ann`, one T line per entity brat can show, numbered in the given order. */
export function serializeBrat(
  doc: { path?: string; text: string; entities: readonly Entity[] },
  options: BratExportOptions = {},
): BratDocument {
  const chars = codePoints(doc.text);
  const lines: string[] = [];
  for (const e of doc.entities) {
    let start = e.start;
    let end = e.end;
    while (start < end && isLineBreak(chars[start]!)) start++;
    while (end > start && isLineBreak(chars[end - 1]!)) end--;
    const where = `brat: ${doc.path ? `${doc.path}: ` : ''}entity ${e.start}..${e.end} ${quote(e.text)}`;
    if (start === end) {
      options.onWarning?.(`${where} is only line breaks, which a brat mention cannot hold: skipped`);
      continue;
    }
    if (start !== e.start || end !== e.end) {
      options.onWarning?.(`${where} starts or ends with a line break, which a brat mention cannot hold: written as ${start}..${end}`);
    }
    const fragments = splitAtLineBreaks(chars, start, end);
    const offsets = fragments.map(([s, t]) => `${s} ${t}`).join(';');
    const mention = fragments.map(([s, t]) => chars.slice(s, t).join('')).join(' ');
    lines.push(`T${lines.length + 1}\t${labelName(e.label, options.labelNames)} ${offsets}\t${mention}\n`);
  }
  return { txt: doc.text, ann: lines.join('') };
}

/** The runs of [start, end) between line breaks; the span neither starts nor ends with one. */
function splitAtLineBreaks(chars: readonly string[], start: number, end: number): [number, number][] {
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
      if (gapEnd < gapStart || !chars.slice(gapStart, gapEnd).every(isBlank)) {
        throw new ImportError(
          where,
          `${id}: discontinuous annotation ${offsetText.trim()} has no continuous equivalent (fragments may be separated only by line breaks and blanks)`,
        );
      }
    }
    const label = resolveLabel(type, options, where);
    if (label === undefined) return;
    out.push(entity(chars, fragments[0]![0], fragments[fragments.length - 1]![1], label, 1));
  });
  return sortEntities(out);
}
