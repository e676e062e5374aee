// Label Studio JSON tasks, for a labelling config with `<Text name="text" value="$text"/>` and
// `<Labels name="label" toName="text">` holding our type names:
//
//   [{"data": {"text": ..., "path": ..., "encoding": ...},
//     "predictions": [{"model_version": "medner", "score": <document>, "result": [
//       {"id": "e1", "from_name": "label", "to_name": "text", "type": "labels",
//        "value": {"start": 3, "end": 8, "text": "急性胆囊炎", "labels": ["疾病和诊断"]}, "score": 0.97}]}]}]
//
// one task a line inside the array. We export predictions (pre-annotations the annotator
// corrects); a prediction's score is its weakest entity's (1 without entities), so Label
// Studio's "sort by prediction score" puts the least certain documents first.
//
// Offsets. Label Studio's Text tag stores start/end in code points, not in JavaScript's UTF-16
// units: its own end-to-end test web/libs/editor/tests/integration/e2e/ner/emoji.cy.ts
// (HumanSignal/label-studio, "Should calculate offsets by code points in text") expects "test" in
// "🐱 Warning: This is a test text" at 21..25, the code-point count (UTF-16 would be 22..26), with
// the FF_LSDV_4620_3 feature flag on and off. Versions of 2021 counted UTF-16 units
// (https://github.com/HumanSignal/label-studio/issues/1347, fixed by storing code points:
// https://github.com/HumanSignal/label-studio/pull/1559). So no conversion by default;
// `offsets: 'utf16'` reads or writes tasks of such versions, converted with OffsetMap.
//
// Import reads Label Studio's three JSON shapes (checked against label-studio-sdk 2.1's Converter,
// src/label_studio_sdk/converter/converter.py):
//  - JSON export and tasks to import: `[{"id", "data": {...}, "annotations": [...], "predictions": [...]}]`;
//  - JSON-MIN export: one flat record per annotation, `{"text", ...other data fields, "id": <task>,
//    "<Labels name>": [{"start", "end", "text", "labels"}], "annotator", "annotation_id", "created_at", ...}`,
//    so a task with several annotations comes as several records with the same id;
//  - tasks without "data" (`[{"text": ...}]`), which Label Studio's import also takes.
// By default (`source: 'auto'`) a task's latest annotation (by created_at, the order Label Studio's
// converter uses) that was not cancelled or skipped is read, and a task without one gives its first
// prediction; `source` picks annotations or predictions only. Results of type "labels" (or
// untyped ones with value.start/end/labels) are entities, and one that cannot be read (string
// offsets, a bare string for labels, no labels) is an error, never dropped; relations, choices and
// text areas are not entities and are skipped.
// A result's value.text, when present, must match the text; a missing score means 1.
//
// Export writes a document read from a task back as that task: its id, its data (the text under
// the field it came from), and MedNER's prediction, so the file imports as pre-annotations. A
// record id that is not a task's own goes into the data ("id"), since Label Studio replaces task
// ids on import; a CSV or JSON record's fields, its id column included, are the task's data.
import { quote } from '../clip';
import type { Encoding } from '../decode';
import { type DocumentId, documentId, type Entity } from './jsonl';
import { codePoints, OffsetMap } from '../offsets';
import type { OffsetUnit } from './doccano';
import {
  entity,
  type ImportedDocument,
  ImportError,
  isEncoding,
  labelName,
  type LabelNames,
  type LabelResolveOptions,
  resolveLabel,
  sortEntities,
} from './shared';
import type { YiduLabel } from '../labels';

export interface LabelStudioExportOptions {
  labelNames?: LabelNames;
  /** Default 'codepoint', as current Label Studio counts. */
  offsets?: OffsetUnit;
  /** The prediction's model_version; default 'medner'. */
  modelVersion?: string;
  /** The `name` of the Labels control and of the Text object in the labelling config. */
  fromName?: string;
  toName?: string;
}

export interface LabelStudioImportOptions extends LabelResolveOptions {
  offsets?: OffsetUnit;
  /** 'auto' (default): the latest annotation when the task has one, else the first prediction. */
  source?: LabelStudioSource;
  /** Names the file in error messages and in the paths of tasks that carry none. */
  file?: string;
  /** The data field holding the text; default "text". */
  textField?: string;
}

export type LabelStudioSource = 'auto' | 'annotations' | 'predictions';

export function serializeLabelStudio(
  docs: readonly {
    path: string;
    id?: DocumentId;
    encoding: Encoding;
    text: string;
    entities: readonly Entity[];
    fields?: Record<string, unknown>;
    textField?: string;
  }[],
  options: LabelStudioExportOptions = {},
): string {
  const utf16 = options.offsets === 'utf16';
  const tasks = docs.map((doc) => {
    const map = new OffsetMap(doc.text);
    const result = doc.entities.map((e, i) => ({
      id: `e${i + 1}`,
      from_name: options.fromName ?? 'label',
      to_name: options.toName ?? 'text',
      type: 'labels',
      value: {
        start: utf16 ? map.toUtf16(e.start) : e.start,
        end: utf16 ? map.toUtf16(e.end) : e.end,
        text: e.text,
        labels: [labelName(e.label, options.labelNames)],
      },
      score: e.score,
    }));
    const score = doc.entities.reduce((min, e) => Math.min(min, e.score), 1);
    // Label Studio replaces a task's id on import (HumanSignal/label-studio#3509): a task's own
    // (integer) id is kept where it was, any other record id is kept in the data, which survives.
    const data: Record<string, unknown> = doc.fields
      ? { ...doc.fields, [doc.textField ?? 'text']: doc.text }
      : { text: doc.text, path: doc.path, encoding: doc.encoding };
    const taskId = doc.id !== undefined && isTaskId(doc.id);
    // A record's fields hold its id column already.
    if (doc.id !== undefined && !taskId && !Object.values(doc.fields ?? {}).includes(doc.id)) data['id'] = doc.id;
    return {
      ...(taskId ? { id: doc.id } : {}),
      data,
      predictions: [{ model_version: options.modelVersion ?? 'medner', score, result }],
    };
  });
  return tasks.length === 0 ? '[]\n' : `[\n${tasks.map((t) => JSON.stringify(t)).join(',\n')}\n]\n`;
}

function isTaskId(id: DocumentId): boolean {
  return typeof id === 'number' && Number.isInteger(id);
}

export function parseLabelStudio(content: string, options: LabelStudioImportOptions = {}): ImportedDocument[] {
  const file = options.file ?? 'labelstudio';
  return readTasks(content, file, options.textField ?? 'text').map(({ where: taskWhere, id, text, fields, results: candidates }, index) => {
    const path = typeof fields['path'] === 'string' ? fields['path'] : `${file}#${id ?? index + 1}`;
    const encoding = isEncoding(fields['encoding']) ? fields['encoding'] : undefined;
    const chars = codePoints(text);
    const map = new OffsetMap(text);
    const results = pickResults(candidates, options.source ?? 'auto', taskWhere);
    const entities: Entity[] = [];
    results.forEach((rawResult, i) => {
      const where = `${taskWhere}: result ${i + 1}`;
      const r = object(rawResult, where, 'a result');
      if (!isSpan(r, where)) return;
      const v = object(r['value'], where, '"value"');
      const [start, end] = [offset(v, 'start', where), offset(v, 'end', where)];
      const labels = v['labels'];
      if (!Array.isArray(labels)) throw new ImportError(where, `"value.labels" must be an array of type names, got ${quote(labels)}`);
      if (labels.length === 0) throw new ImportError(where, '"value.labels" is empty: a span without a type');
      const length = options.offsets === 'utf16' ? map.utf16Length : map.codePointLength;
      if (start < 0 || start >= end || end > length) {
        throw new ImportError(where, `span ${start}..${end} is empty or outside the text (length ${length})`);
      }
      let [s, e] = [start, end];
      if (options.offsets === 'utf16') {
        try {
          [s, e] = [map.toCodePoint(start), map.toCodePoint(end)];
        } catch {
          throw new ImportError(where, `span ${start}..${end} splits a character in two (UTF-16 offsets)`);
        }
      }
      const resolved = new Set<YiduLabel>();
      for (const name of labels) {
        if (typeof name !== 'string') throw new ImportError(where, '"value.labels" must hold strings');
        const label = resolveLabel(name, options, where);
        if (label !== undefined) resolved.add(label);
      }
      if (resolved.size === 0) return;
      if (resolved.size > 1)
        throw new ImportError(where, `one span with several types (${[...resolved].join(', ')}); MedNER entities have one`);
      const actual = chars.slice(s, e).join('');
      if (typeof v['text'] === 'string' && v['text'] !== actual) {
        throw new ImportError(where, `value.text ${quote(v['text'])} differs from the task's ${quote(actual)} at ${start}..${end}`);
      }
      const score = r['score'] ?? 1;
      if (typeof score !== 'number' || !(score >= 0 && score <= 1)) throw new ImportError(where, '"score" must be a number in [0, 1]');
      entities.push(entity(chars, s, e, [...resolved][0]!, score));
    });
    const doc: ImportedDocument = { path, encoding, text, entities: sortEntities(entities) };
    if (id !== undefined) doc.id = id;
    return doc;
  });
}

/** A task as read: its text, its other data fields, and the result lists it holds. */
export interface ReadTask {
  where: string;
  id?: DocumentId;
  text: string;
  fields: Record<string, unknown>;
  results: { annotations: Record<string, unknown>[]; predictions: Record<string, unknown>[] };
}

/** The tasks of a Label Studio JSON file in any of its shapes; JSON-MIN records of one task become one task. */
export function readTasks(content: string, file: string, textField = 'text'): ReadTask[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(content.startsWith('\uFEFF') ? content.slice(1) : content);
  } catch (err) {
    throw new ImportError(file, `invalid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  const out: ReadTask[] = [];
  const byId = new Map<DocumentId, ReadTask>();
  (Array.isArray(parsed) ? parsed : [parsed]).forEach((raw, index) => {
    const where = `${file}: task ${index + 1}`;
    const item = object(raw, where, 'a task');
    const full = 'data' in item;
    const data = full ? object(item['data'], where, '"data"') : item;
    // A record id MedNER put into the data, when the task has none of its own.
    const rawId = item['id'] ?? (full ? data['id'] : undefined);
    const id = rawId === undefined ? undefined : idOf(rawId, where);
    const text = data[textField];
    if (typeof text !== 'string') {
      throw new ImportError(
        where,
        `"${full ? 'data.' : ''}${textField}" must be a string${textField === 'text' ? ' (another field: --text-field)' : ''}`,
      );
    }
    const isMin = !full && item['annotation_id'] !== undefined;
    const fields: Record<string, unknown> = {};
    const regions: Record<string, unknown>[] = [];
    for (const [key, value] of Object.entries(data)) {
      // A JSON-MIN record's id is its task's; a flat task's "id" is one of its data fields.
      if (key === textField || (!full && key === 'id' && isMin)) continue;
      if (!full && isRegionList(value)) regions.push(...(value as Record<string, unknown>[]));
      else if (!full && MIN_KEYS.has(key)) continue;
      else fields[key] = value;
    }
    const list = (key: string): Record<string, unknown>[] => {
      const v = item[key] ?? [];
      if (!Array.isArray(v)) throw new ImportError(where, `"${key}" must be an array`);
      return v.map((a, i) => object(a, where, `${key}[${i}]`));
    };
    // A JSON-MIN record is one annotation, its regions bare values: made a result list here.
    const annotations = full
      ? [...list('annotations'), ...list('completions')]
      : isMin && item['annotation_id'] !== null
        ? [{ created_at: item['created_at'], result: regions.map((value) => ({ type: 'labels', value })) }]
        : [];
    const task: ReadTask = { where, id, text, fields, results: { annotations, predictions: full ? list('predictions') : [] } };
    const twin = !full && id !== undefined ? byId.get(id) : undefined;
    if (twin) {
      twin.results.annotations.push(...annotations);
      return;
    }
    if (!full && id !== undefined) byId.set(id, task);
    out.push(task);
  });
  return out;
}

// What JSON-MIN adds to a task's data fields besides the regions.
const MIN_KEYS = new Set(['annotator', 'annotation_id', 'created_at', 'updated_at', 'lead_time', 'agreement']);

function isRegionList(value: unknown): boolean {
  return (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((v) => typeof v === 'object' && v !== null && 'start' in v && 'end' in v && ('labels' in v || 'text' in v))
  );
}

function idOf(value: unknown, where: string): DocumentId {
  try {
    return documentId(value, 0, 'task');
  } catch (err) {
    throw new ImportError(where, (err as { what: string }).what);
  }
}

function pickResults(candidates: ReadTask['results'], source: LabelStudioSource, where: string): unknown[] {
  const annotations =
    source === 'predictions' ? [] : candidates.annotations.filter((a) => a['was_cancelled'] !== true && a['skipped'] !== true);
  const chosen = latest(annotations) ?? (source === 'annotations' ? undefined : candidates.predictions[0]);
  if (!chosen) return [];
  const result = chosen['result'] ?? [];
  if (!Array.isArray(result)) throw new ImportError(where, '"result" must be an array');
  return result;
}

/** The annotation created last; of equal (or missing) times, the first listed. */
function latest(annotations: readonly Record<string, unknown>[]): Record<string, unknown> | undefined {
  const time = (a: Record<string, unknown>) => {
    const t = typeof a['created_at'] === 'string' ? Date.parse(a['created_at']) : NaN;
    return Number.isNaN(t) ? -Infinity : t;
  };
  return annotations.reduce<Record<string, unknown> | undefined>(
    (best, a) => (best === undefined || time(a) > time(best) ? a : best),
    undefined,
  );
}

/**
 * Whether a result is a labelled span over the text (an entity) — those are read or refused, never
 * dropped. Relations, choices, text areas and ratings are not entities; span types of other
 * objects (HyperTextLabels, ParagraphLabels) count offsets differently and are refused.
 */
function isSpan(r: Record<string, unknown>, where: string): boolean {
  const type = r['type'];
  if (type === 'labels') return true;
  if (typeof type === 'string' && /labels$/i.test(type))
    throw new ImportError(where, `result type ${quote(type)} is not read: only "labels" spans over a Text are entities`);
  if (type !== undefined) return false;
  const value = r['value'];
  return typeof value === 'object' && value !== null && ['start', 'end', 'labels'].some((k) => k in value);
}

function offset(value: Record<string, unknown>, key: 'start' | 'end', where: string): number {
  const v = value[key];
  if (typeof v !== 'number' || !Number.isInteger(v))
    throw new ImportError(where, `"value.${key}" must be an integer offset, got ${quote(v)}`);
  return v;
}

function object(value: unknown, where: string, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ImportError(where, `${what} must be a JSON object`);
  return value as Record<string, unknown>;
}
