// The Yidu-S4K (CCKS 2019) annotation format, used for training data and evaluation.
// Offsets are code points (the corpus was produced with Python), end exclusive.
import { quote } from '../clip';
import { isYiduLabel, type YiduLabel } from '../labels';
import { codePoints } from '../offsets';
import { documentId } from './jsonl';
import { checkRange, expectArray, expectInteger, expectObject, expectString, FormatError, readJsonLines } from './lines';

export interface YiduEntity {
  start: number;
  end: number;
  label: YiduLabel;
}

export interface YiduRecord {
  /** The record's "id", read and written when present (a labelled input record's own). */
  id?: string | number;
  text: string;
  entities: YiduEntity[];
}

/** A parsed record remembers its 1-based line so that later errors can point back to it. */
export interface ParsedYiduRecord extends YiduRecord {
  line: number;
}

/**
 * @param textOnly records without "entities" are read too, with none: CCKS releases its test
 *   texts so, and they are what is labelled. Annotations (gold for eval) must have the field.
 */
export function parseYidu(content: string, textOnly = false): ParsedYiduRecord[] {
  return readJsonLines(content).map(({ line, value }) => {
    const obj = expectObject(value, line, 'record');
    const text = expectString(obj, 'originalText', line, 'record');
    const length = codePoints(text).length;
    const id = obj['id'] === undefined ? {} : { id: documentId(obj['id'], line, 'record') };
    if (textOnly && obj['entities'] === undefined) return { line, ...id, text, entities: [] };
    const entities = expectArray(obj, 'entities', line, 'record').map((raw, i) => {
      const what = `entity ${i}`;
      const e = expectObject(raw, line, what);
      const label = expectString(e, 'label_type', line, what);
      if (!isYiduLabel(label)) throw new FormatError(line, `${what}: unknown label_type ${quote(label)}`);
      const start = expectInteger(e, 'start_pos', line, what);
      const end = expectInteger(e, 'end_pos', line, what);
      checkRange(start, end, length, line, what);
      return { start, end, label };
    });
    return { line, ...id, text, entities };
  });
}

/** One line per record, each ending in a newline, without a BOM. */
export function serializeYidu(records: readonly YiduRecord[]): string {
  return records
    .map(
      (r) =>
        JSON.stringify({
          id: r.id,
          originalText: r.text,
          entities: r.entities.map((e) => ({ label_type: e.label, start_pos: e.start, end_pos: e.end, overlap: 0 })),
        }) + '\n',
    )
    .join('');
}
