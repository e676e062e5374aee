// Inputs that hold many documents as records, each with a text field and perhaps an id: Yidu JSON
// lines, generic JSON lines (doccano's among them), CSV/TSV with a header, and Label Studio tasks.
// Each record becomes a document named FILE:N (N the JSON line, the CSV row with the header as row
// 1, or the task's place in the array) that keeps its id and its other fields for the writers.
import { parse as parseCsv } from 'csv-parse/sync';
import { quote } from './clip';
import { type DocumentId, documentId } from './formats/jsonl';
import { readTasks } from './formats/labelstudio';
import { expectObject, FormatError, readJsonLines } from './formats/lines';
import { parseYidu } from './formats/yidu';

export type RecordFormat = 'yidu' | 'jsonl' | 'doccano' | 'csv' | 'tsv' | 'labelstudio';

export interface RecordOptions {
  /** The field holding the text; default "text" ("originalText" for Yidu). */
  textField?: string;
  /** The field holding the record's id; default "id" when a record has one (required when named). */
  idField?: string;
}

export interface InputRecord {
  line: number;
  text: string;
  id?: DocumentId;
  fields?: Record<string, unknown>;
  textField?: string;
}

/** The records of one file's text; errors are FormatErrors naming the record's line or row. */
export function readRecords(content: string, format: RecordFormat, options: RecordOptions = {}): InputRecord[] {
  switch (format) {
    case 'yidu':
      return yidu(content, options);
    case 'jsonl':
    case 'doccano':
      return jsonLines(content, options);
    case 'csv':
    case 'tsv':
      return table(content, format === 'tsv' ? '\t' : ',', options);
    case 'labelstudio':
      return tasks(content, options);
  }
}

function yidu(content: string, options: RecordOptions): InputRecord[] {
  const idField = options.idField ?? 'id';
  const ids = options.idField === undefined ? undefined : new Map(readJsonLines(content).map(({ line, value }) => [line, value]));
  return parseYidu(content, true).map((r) => {
    // parseYidu reads "id" only: another id field is read from the same lines again.
    const id = ids ? requiredId((ids.get(r.line) as Record<string, unknown>)[idField], idField, r.line) : r.id;
    return id === undefined ? { line: r.line, text: r.text } : { line: r.line, text: r.text, id };
  });
}

function jsonLines(content: string, options: RecordOptions): InputRecord[] {
  const textField = options.textField ?? 'text';
  const idField = options.idField ?? 'id';
  return readJsonLines(content).map(({ line, value }) => {
    const obj = expectObject(value, line, 'record');
    const text = obj[textField];
    if (typeof text !== 'string') throw new FormatError(line, `record: "${textField}" must be a string${hint(textField)}`);
    const rawId = obj[idField];
    const id =
      options.idField !== undefined
        ? requiredId(rawId, idField, line)
        : rawId === undefined
          ? undefined
          : documentId(rawId, line, 'record');
    return record(line, text, id, obj, textField);
  });
}

function table(content: string, delimiter: string, options: RecordOptions): InputRecord[] {
  const textField = options.textField ?? 'text';
  const idField = options.idField ?? 'id';
  let rows: string[][];
  try {
    rows = parseCsv(content, { bom: true, delimiter, relax_quotes: false, skip_empty_lines: true }) as string[][];
  } catch (err) {
    const e = err as Error & { lines?: number };
    throw new FormatError(e.lines ?? 1, e.message.replace(/^Invalid [^:]*: /, ''));
  }
  const [header, ...body] = rows;
  if (!header) return [];
  const column = (name: string) => header.indexOf(name);
  const textAt = column(textField);
  if (textAt < 0)
    throw new FormatError(1, `the header has no ${quote(textField)} column${hint(textField)}; it has ${quote(header.join(', '))}`);
  const idAt = column(idField);
  if (options.idField !== undefined && idAt < 0) throw new FormatError(1, `the header has no ${quote(idField)} column (--id-field)`);
  return body.map((row, i) => {
    const fields: Record<string, unknown> = Object.fromEntries(header.map((name, k) => [name, row[k]]));
    return record(i + 2, row[textAt]!, idAt < 0 ? undefined : row[idAt], fields, textField);
  });
}

function tasks(content: string, options: RecordOptions): InputRecord[] {
  const textField = options.textField ?? 'text';
  try {
    return readTasks(content, '', textField).map((t, i) => ({
      line: i + 1,
      text: t.text,
      ...(t.id === undefined ? {} : { id: t.id }),
      fields: t.fields,
      ...(textField === 'text' ? {} : { textField }),
    }));
  } catch (err) {
    // "": task 3: what  ->  task 3: what
    throw new Error((err as Error).message.replace(/^: /, ''));
  }
}

function record(line: number, text: string, id: DocumentId | undefined, all: Record<string, unknown>, textField: string): InputRecord {
  // The id stays among the fields too: Label Studio replaces a task's own id on import, so a record's
  // id survives there only as a data field.
  const fields = Object.fromEntries(Object.entries(all).filter(([k]) => k !== textField));
  const out: InputRecord = { line, text, fields };
  if (id !== undefined) out.id = id;
  if (textField !== 'text') out.textField = textField;
  return out;
}

function requiredId(value: unknown, idField: string, line: number): DocumentId {
  if (value === undefined) throw new FormatError(line, `record: no "${idField}" field (--id-field)`);
  return documentId(value, line, 'record');
}

function hint(textField: string): string {
  return textField === 'text' ? ' (name the field with --text-field)' : '';
}
