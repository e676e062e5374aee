// MedNER's own output: one JSON object per analysed document. Offsets are code points,
// end exclusive, so Python tools can slice `text[start:end]` directly.
import { quote } from '../clip';
import { type Encoding, ENCODINGS } from '../decode';
import { isYiduLabel, type YiduLabel } from '../labels';
import { codePoints, cutAtOrBefore } from '../offsets';
import { checkRange, expectArray, expectInteger, expectObject, expectString, FormatError, readJsonLines } from './lines';

export interface Entity {
  start: number;
  end: number;
  label: YiduLabel;
  text: string;
  /** Confidence in [0, 1]. */
  score: number;
}

export interface DocumentResult {
  path: string;
  /** The record's own id (a JSON or CSV input's id field, a Label Studio task's id), carried into every format. */
  id?: DocumentId;
  encoding: Encoding;
  text: string;
  entities: Entity[];
  /** The input record's other fields (a Label Studio task's data but the text, a CSV row's other columns). */
  fields?: Record<string, unknown>;
  /** The field the text came from, when not "text": Label Studio tasks are written back under it. */
  textField?: string;
}

export type DocumentId = string | number;

export function serializeDocument(doc: DocumentResult): string {
  return JSON.stringify({
    path: doc.path,
    id: doc.id,
    encoding: doc.encoding,
    text: doc.text,
    entities: doc.entities.map((e) => ({ start: e.start, end: e.end, label: e.label, text: e.text, score: e.score })),
    textField: doc.textField,
    fields: doc.fields,
  });
}

const PIECE_CHARS = 1 << 20;

/**
 * serializeDocument's line, then `suffix`, in pieces of about a million characters: a 20 MB record
 * as one JSON string, plus its bytes, cost ~200 MB at once. A small document is one piece.
 */
export function* serializeDocumentPieces(doc: DocumentResult, suffix = ''): Generator<string> {
  // ~100 characters per entity in JSON
  if (doc.text.length + 100 * doc.entities.length < PIECE_CHARS) {
    yield serializeDocument(doc) + suffix;
    return;
  }
  const id = doc.id === undefined ? '' : `"id":${JSON.stringify(doc.id)},`;
  let out = `{"path":${JSON.stringify(doc.path)},${id}"encoding":${JSON.stringify(doc.encoding)},"text":"`;
  const { text } = doc;
  for (let i = 0; i < text.length;) {
    // Not between the halves of a surrogate pair: JSON.stringify would escape each as a lone one.
    const j = cutAtOrBefore(text, Math.min(i + PIECE_CHARS, text.length));
    out += JSON.stringify(text.slice(i, j)).slice(1, -1);
    i = j;
    if (out.length >= PIECE_CHARS) {
      yield out;
      out = '';
    }
  }
  out += '","entities":[';
  for (const [k, e] of doc.entities.entries()) {
    out += (k ? ',' : '') + JSON.stringify({ start: e.start, end: e.end, label: e.label, text: e.text, score: e.score });
    if (out.length >= PIECE_CHARS) {
      yield out;
      out = '';
    }
  }
  const textField = doc.textField === undefined ? '' : `,"textField":${JSON.stringify(doc.textField)}`;
  const fields = doc.fields === undefined ? '' : `,"fields":${JSON.stringify(doc.fields)}`;
  yield out + ']' + textField + fields + '}' + suffix;
}

/** One line per document, each ending in a newline. */
export function serializeDocuments(docs: readonly DocumentResult[]): string {
  return docs.map((d) => serializeDocument(d) + '\n').join('');
}

export function parseDocuments(content: string): DocumentResult[] {
  return readJsonLines(content).map(({ line, value }) => parseDocument(value, line));
}

/** One parsed JSON line as a document; errors are FormatErrors naming `line`. */
export function parseDocument(value: unknown, line: number): DocumentResult {
  const obj = expectObject(value, line, 'document');
  const path = expectString(obj, 'path', line, 'document');
  const encoding = expectString(obj, 'encoding', line, 'document');
  if (!(ENCODINGS as readonly string[]).includes(encoding)) {
    throw new FormatError(line, `document: unknown encoding ${quote(encoding)}`);
  }
  const text = expectString(obj, 'text', line, 'document');
  const chars = codePoints(text);
  const entities = expectArray(obj, 'entities', line, 'document').map((raw, i) => {
    const what = `entity ${i}`;
    const e = expectObject(raw, line, what);
    const start = expectInteger(e, 'start', line, what);
    const end = expectInteger(e, 'end', line, what);
    checkRange(start, end, chars.length, line, what);
    const label = expectString(e, 'label', line, what);
    if (!isYiduLabel(label)) throw new FormatError(line, `${what}: unknown label ${quote(label)}`);
    const entityText = expectString(e, 'text', line, what);
    const actual = chars.slice(start, end).join('');
    if (entityText !== actual) {
      throw new FormatError(line, `${what}: text ${quote(entityText)} differs from the document's ${quote(actual)} at ${start}..${end}`);
    }
    const score = e['score'];
    if (typeof score !== 'number' || !(score >= 0 && score <= 1)) {
      throw new FormatError(line, `${what}: "score" must be a number in [0, 1]`);
    }
    return { start, end, label, text: entityText, score };
  });
  const doc: DocumentResult = { path, encoding: encoding as Encoding, text, entities };
  const id = obj['id'];
  if (id !== undefined) doc.id = documentId(id, line, 'document');
  const textField = obj['textField'];
  if (textField !== undefined) doc.textField = expectString(obj, 'textField', line, 'document');
  if (obj['fields'] !== undefined) doc.fields = expectObject(obj['fields'], line, 'document: "fields"');
  return doc;
}

/** A record's id: a string or a finite number, as JSON and CSV inputs hold them. */
export function documentId(value: unknown, line: number, what: string): DocumentId {
  if (typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value))) return value;
  throw new FormatError(line, `${what}: an id must be a string or a number, got ${quote(value)}`);
}
