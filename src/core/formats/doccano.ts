// doccano's sequence-labelling JSONL: one `{"text": ..., "label": [[start, end, "TYPE"], ...]}`
// a line (https://doccano.github.io/doccano/tutorial/ ; the import "label" column).
//
// Offsets. doccano 1.x (Vue front end, labels made by its v-annotator component) stores the
// selection's JavaScript string indices, i.e. UTF-16 code units, unless the project was created
// with "Count grapheme clusters as one character": https://github.com/doccano/doccano/issues/2290
// ("label indices ... refer to positions in a sequence of 16-bit Unicode code units") and
// https://github.com/doccano/doccano/issues/2484 (2026, still so). So by default we write and read
// UTF-16 offsets and convert at the boundary with OffsetMap; they differ from ours only after an
// astral character (😀, 𠀀). Exports of doccano before 1.0 counted code points
// (https://github.com/doccano/doccano/pull/108): pass `offsets: 'codepoint'` for those. Projects
// in grapheme-cluster mode are not supported (their offsets count user-perceived characters).
//
// doccano keeps extra keys of an imported line as the document's metadata, so we add "path",
// "encoding" and a record's "id" to each line; on import they are read from the top level or from
// "meta", and every other key ("Comments", ...) is ignored. doccano's export writes
// {"id": <its own id>, "text", ...meta}, so the id we gave comes back as "id". doccano has no
// scores: imported entities get score 1.
//
// Empty documents. doccano refuses a line whose text is empty ("Invalid data in line N": its
// TextData validator, backend/data_import/pipeline/data.py, rejects empty text), so export leaves
// empty documents out, with a warning naming each. They hold no entity, so nothing is lost, and
// evaluation (eval.ts alignDocuments) passes over empty documents on either side.
// Import also accepts the relation-project layout, `"entities": [{"start_offset", "end_offset", "label"}]`.
import { quote } from '../clip';
import type { Encoding } from '../decode';
import { type DocumentId, documentId, type Entity } from './jsonl';
import { codePoints, OffsetMap } from '../offsets';
import { expectObject, FormatError, readJsonLines } from './lines';
import {
  entity,
  type ImportedDocument,
  isEncoding,
  labelName,
  type LabelNames,
  type LabelResolveOptions,
  type OnWarning,
  resolveLabel,
  sortEntities,
} from './shared';

export type OffsetUnit = 'utf16' | 'codepoint';

export interface DoccanoExportOptions {
  labelNames?: LabelNames;
  /** Default 'utf16', as doccano 1.x counts. */
  offsets?: OffsetUnit;
  onWarning?: OnWarning;
}

export interface DoccanoImportOptions extends LabelResolveOptions {
  offsets?: OffsetUnit;
  /** Names the file in error messages and in the paths of documents that carry none. */
  file?: string;
}

export function serializeDoccano(
  docs: readonly { path: string; id?: DocumentId; encoding: Encoding; text: string; entities: readonly Entity[] }[],
  options: DoccanoExportOptions = {},
): string {
  return docs
    .map((doc) => {
      if (doc.text === '') {
        options.onWarning?.(`doccano: ${doc.path}: an empty document, which doccano refuses: left out`);
        return '';
      }
      const map = new OffsetMap(doc.text);
      const utf16 = (options.offsets ?? 'utf16') === 'utf16';
      const label = doc.entities.map((e) => [
        utf16 ? map.toUtf16(e.start) : e.start,
        utf16 ? map.toUtf16(e.end) : e.end,
        labelName(e.label, options.labelNames),
      ]);
      return JSON.stringify({ text: doc.text, label, path: doc.path, encoding: doc.encoding, id: doc.id }) + '\n';
    })
    .join('');
}

export function parseDoccano(content: string, options: DoccanoImportOptions = {}): ImportedDocument[] {
  const file = options.file ?? 'doccano';
  const utf16 = (options.offsets ?? 'utf16') === 'utf16';
  return readJsonLines(content).map(({ line, value }) => {
    const obj = expectObject(value, line, 'document');
    const text = obj['text'];
    if (typeof text !== 'string') throw new FormatError(line, 'document: "text" must be a string');
    const meta = typeof obj['meta'] === 'object' && obj['meta'] !== null ? (obj['meta'] as Record<string, unknown>) : {};
    const path = stringField(obj, meta, 'path') ?? `${file}:${line}`;
    const encodingValue = obj['encoding'] ?? meta['encoding'];
    const encoding = isEncoding(encodingValue) ? encodingValue : undefined;
    const chars = codePoints(text);
    const map = new OffsetMap(text);
    const spans = obj['label'] ?? obj['entities'] ?? [];
    if (!Array.isArray(spans)) throw new FormatError(line, 'document: "label" must be an array of [start, end, "TYPE"]');
    const entities: Entity[] = [];
    spans.forEach((raw, i) => {
      const what = `span ${i}`;
      let start: unknown, end: unknown, type: unknown;
      if (Array.isArray(raw) && raw.length === 3) [start, end, type] = raw as unknown[];
      else if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
        const o = raw as Record<string, unknown>;
        [start, end, type] = [o['start_offset'], o['end_offset'], o['label']];
      }
      if (!Number.isInteger(start) || !Number.isInteger(end) || typeof type !== 'string') {
        throw new FormatError(line, `${what}: want [start, end, "TYPE"] or {"start_offset", "end_offset", "label"}, got ${quote(raw)}`);
      }
      const [s, e] = [start as number, end as number];
      const length = utf16 ? map.utf16Length : map.codePointLength;
      if (s < 0 || s >= e || e > length) {
        throw new FormatError(
          line,
          `${what}: span ${s}..${e} is empty or outside the text (length ${length} ${utf16 ? 'UTF-16 units' : 'code points'})`,
        );
      }
      let cs = s;
      let ce = e;
      if (utf16) {
        try {
          cs = map.toCodePoint(s);
          ce = map.toCodePoint(e);
        } catch {
          throw new FormatError(
            line,
            `${what}: span ${s}..${e} splits a character in two (UTF-16 offsets); were they code points? pass offsets: 'codepoint'`,
          );
        }
      }
      let label;
      try {
        label = resolveLabel(type, options, what);
      } catch (err) {
        throw new FormatError(line, (err as Error).message);
      }
      if (label !== undefined) entities.push(entity(chars, cs, ce, label, 1));
    });
    const id = obj['id'] ?? meta['id'];
    const doc: ImportedDocument = { path, encoding, text, entities: sortEntities(entities) };
    if (id !== undefined) doc.id = documentId(id, line, 'document');
    return doc;
  });
}

function stringField(obj: Record<string, unknown>, meta: Record<string, unknown>, key: string): string | undefined {
  const v = obj[key] ?? meta[key];
  return typeof v === 'string' ? v : undefined;
}
