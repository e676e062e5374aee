// CoNLL, character level: one character of the text a line with its BIO tag, as the Chinese
// NER corpora (MSRA, Resume, CLUENER conversions) are distributed. Our convention, lossless:
//
//   -DOCSTART- notes/01.txt<TAB>O  one line opening each document, with the document's path
//                                  (blank line)
//   患<TAB>O                       <character> TAB <tag>; tags are O, B-<TYPE>, I-<TYPE>
//   急<TAB>B-疾病和诊断
//   性<TAB>I-疾病和诊断
//   <CR><TAB>O                     blanks, line breaks and controls (charClass.ts) are written as
//   <LF><TAB>O                     escapes <SP> <TAB> <LF> <CR>, or <U+XXXX> for any other, so
//                                  (blank line)    that every line splits into exactly two fields
//
// The columns are TAB-separated because doccano's CoNLL importer (backend/data_import/pipeline/
// parsers.py, CoNLLParser) splits each line at TAB and refuses any line without exactly two
// columns; whitespace-splitting readers take TABs too. doccano joins a block's tokens into one
// example, so it imports each -DOCSTART- line as an example of its own, tagged O.
//
// Every character of the text is a line, line breaks included, so the text is rebuilt exactly,
// CRLF and all. A token that is more than one character is always an escape, so '<' needs none.
// A blank line ends a sentence: after each line break of the text (CRLF counts as one), unless an
// entity runs across it (entities never cross a sentence boundary, as CoNLL readers expect),
// and after the document's last character. Blank lines carry no text. The path is written as a
// JSON string when it is empty, contains a line break or control character, starts with `"`, `{`
// or `-X-` (CoNLL-2003's "-DOCSTART- -X- -X- O" names no path) or has leading or trailing
// whitespace; a document with an id gets a JSON object instead, `{"path": ..., "id": ...}`.
//
// CoNLL carries no scores and no encoding: imported entities get score 1. Overlapping entities
// cannot be tagged: the later of two that overlap is skipped, with a warning. Import also accepts
// the space-separated columns MedNER wrote before, the BIOES / BMES schemes (E- ends an entity,
// S- is a single character, M- is I-), extra middle columns (the first column is the character,
// the last the tag), and no -DOCSTART- at all (one document).
import { quote } from '../clip';
import { isBlank, isControl } from '../charClass';
import { type DocumentId, documentId, type Entity } from './jsonl';
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
import type { YiduLabel } from '../labels';

export interface ConllDocument {
  path: string;
  id?: DocumentId;
  text: string;
  entities: Entity[];
}

export interface ConllExportOptions {
  labelNames?: LabelNames;
  onWarning?: OnWarning;
}

export interface ConllImportOptions extends LabelResolveOptions {
  /** Names the file in error messages. */
  file?: string;
}

const DOCSTART = '-DOCSTART-';

const NAMED_ESCAPES: Readonly<Record<string, string>> = { ' ': '<SP>', '\t': '<TAB>', '\n': '<LF>', '\r': '<CR>' };
const UNESCAPES: Readonly<Record<string, string>> = { '<SP>': ' ', '<TAB>': '\t', '<LF>': '\n', '<CR>': '\r' };
export function escapeChar(ch: string): string {
  const named = NAMED_ESCAPES[ch];
  if (named) return named;
  if (!isBlank(ch) && !isControl(ch)) return ch;
  return `<U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}>`;
}

function unescapeToken(token: string, where: string): string {
  if (codePoints(token).length === 1) return token;
  const named = UNESCAPES[token];
  if (named !== undefined) return named;
  const m = /^<U\+([0-9A-Fa-f]{4,6})>$/.exec(token);
  if (m) {
    const cp = parseInt(m[1]!, 16);
    if (cp <= 0x10ffff) return String.fromCodePoint(cp);
  }
  throw new ImportError(where, `token ${quote(token)} is neither one character nor an escape (<SP> <TAB> <LF> <CR> <U+XXXX>)`);
}

function encodeDocstart(path: string, id: DocumentId | undefined): string {
  if (id !== undefined) return JSON.stringify({ path, id });
  const plain = path !== '' && !/^["{]|^-X-/.test(path) && path.trim() === path && !/[\p{Cc}\u2028\u2029]/u.test(path);
  return plain ? path : JSON.stringify(path);
}

export function serializeConll(
  docs: readonly { path: string; id?: DocumentId; text: string; entities: readonly Entity[] }[],
  options: ConllExportOptions = {},
): string {
  const out: string[] = [];
  for (const doc of docs) {
    const chars = codePoints(doc.text);
    const tags = new Array<string>(chars.length).fill('O');
    let covered = 0;
    for (const e of [...doc.entities].sort((a, b) => a.start - b.start || a.end - b.end)) {
      if (e.start < covered) {
        options.onWarning?.(
          `conll: ${doc.path}: entity ${e.start}..${e.end} ${quote(e.text)} overlaps an earlier one, which CoNLL tags cannot carry: skipped`,
        );
        continue;
      }
      const name = labelName(e.label, options.labelNames);
      tags[e.start] = `B-${name}`;
      for (let i = e.start + 1; i < e.end; i++) tags[i] = `I-${name}`;
      covered = e.end;
    }
    out.push(`${DOCSTART} ${encodeDocstart(doc.path, doc.id)}\tO\n\n`);
    let open = false;
    for (let i = 0; i < chars.length; i++) {
      const ch = chars[i]!;
      out.push(`${escapeChar(ch)}\t${tags[i]}\n`);
      open = true;
      const lineEnd = ch === '\n' || (ch === '\r' && chars[i + 1] !== '\n');
      if (lineEnd && !tags[i + 1]?.startsWith('I-')) {
        out.push('\n');
        open = false;
      }
    }
    if (open) out.push('\n');
  }
  return out.join('');
}

export function parseConll(content: string, options: ConllImportOptions = {}): ConllDocument[] {
  const file = options.file ?? 'conll';
  const docs: ConllDocument[] = [];
  let doc: { path: string; id?: DocumentId; chars: string[]; entities: Entity[] } | undefined;
  let current: { start: number; end: number; label: YiduLabel } | undefined;

  const close = (): void => {
    if (doc && current) doc.entities.push(entity(doc.chars, current.start, current.end, current.label, 1));
    current = undefined;
  };
  const finish = (): void => {
    close();
    if (doc) {
      const done: ConllDocument = { path: doc.path, text: doc.chars.join(''), entities: sortEntities(doc.entities) };
      if (doc.id !== undefined) done.id = doc.id;
      docs.push(done);
    }
    doc = undefined;
  };

  const body = content.startsWith('\uFEFF') ? content.slice(1) : content;
  const lines = body.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((raw, index) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const where = `${file}:${index + 1}`;
    if (line.startsWith(DOCSTART)) {
      finish();
      doc = { ...parseDocstart(line.slice(DOCSTART.length), where), chars: [], entities: [] };
      return;
    }
    if (/^[ \t]*$/.test(line)) {
      close();
      return;
    }
    const fields = line.split(/[ \t]+/);
    if (fields.length < 2 || fields[0] === '') {
      throw new ImportError(where, `want "<character> <tag>", got ${quote(line)}`);
    }
    doc ??= { path: '', chars: [], entities: [] };
    const ch = unescapeToken(fields[0]!, where);
    const tag = fields[fields.length - 1]!;
    const pos = doc.chars.length;
    doc.chars.push(ch);
    if (tag === 'O') {
      close();
      return;
    }
    const m = /^([BIESM])-(.+)$/.exec(tag);
    if (!m) throw new ImportError(where, `tag ${quote(tag)} is not O or B-/I-/E-/S-/M-<TYPE>`);
    const scheme = m[1]!;
    const label = resolveLabel(m[2]!, options, where);
    if (label === undefined) {
      close();
      return;
    }
    const continues = (scheme === 'I' || scheme === 'M' || scheme === 'E') && current?.label === label;
    if (!continues) {
      close();
      current = { start: pos, end: pos + 1, label };
    } else {
      current!.end = pos + 1;
    }
    if (scheme === 'E' || scheme === 'S') close();
  });
  finish();
  return docs;
}

function parseDocstart(rest: string, where: string): { path: string; id?: DocumentId } {
  if (rest === '') return { path: '' };
  if (rest[0] !== ' ' && rest[0] !== '\t') throw new ImportError(where, `want "${DOCSTART} <path>"`);
  // The TAB-separated form ends in the O tag; the old space-separated form has none, and wrote a
  // path holding a TAB as a JSON string, so a raw TAB is always the column separator.
  const value = rest.slice(1).replace(/\tO$/, '');
  // CoNLL-2003 writes "-DOCSTART- -X- -X- O": no path.
  if (/^-X-(\s|$)/.test(value)) return { path: '' };
  if (value.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      // an old file's plain path that starts with '{'
      return { path: value };
    }
    const o = parsed as Record<string, unknown>;
    if (typeof o === 'object' && o !== null && typeof o['path'] === 'string') {
      return o['id'] === undefined ? { path: o['path'] } : { path: o['path'], id: idOf(o['id'], where) };
    }
    return { path: value };
  }
  if (!value.startsWith('"')) return { path: value };
  try {
    const parsed: unknown = JSON.parse(value);
    if (typeof parsed === 'string') return { path: parsed };
  } catch {
    // reported below
  }
  throw new ImportError(where, `the path after ${DOCSTART} starts with '"' but is not a JSON string`);
}

function idOf(value: unknown, where: string): DocumentId {
  try {
    return documentId(value, 0, 'document');
  } catch (err) {
    throw new ImportError(where, (err as { what: string }).what);
  }
}
