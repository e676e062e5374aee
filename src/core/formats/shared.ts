// What the annotation export/import formats (brat, conll, doccano, labelstudio, registry)
// share: type names in and out, errors that name their file and line, and entity building.
import { quote } from '../clip';
import { type Encoding, ENCODINGS } from '../decode';
import { LABEL_ALIASES, parseLabel, YIDU_LABELS, type YiduLabel } from '../labels';
import type { DocumentId, Entity } from './jsonl';

/** How entity types are written: the canonical Chinese names (default) or the English aliases. */
export type LabelNames = 'chinese' | 'english';

export function labelName(label: YiduLabel, names: LabelNames = 'chinese'): string {
  return names === 'english' ? LABEL_ALIASES[label] : label;
}

export interface LabelResolveOptions {
  /**
   * Foreign type name -> our label, checked before the Chinese names and English aliases;
   * `null` drops the type's entities (e.g. the Tianchi drug corpus's SYMPTOM).
   */
  labelMap?: Readonly<Record<string, YiduLabel | null>>;
  /** A type that is neither mapped nor one of ours: an error (default) or its entities are dropped. */
  unknownTypes?: 'error' | 'skip';
}

const ALLOWED = YIDU_LABELS.map((l) => `${l} (${LABEL_ALIASES[l]})`).join(', ');

/** Our label for a type name read from a file, or undefined when its entities are to be dropped. */
export function resolveLabel(name: string, options: LabelResolveOptions, where: string): YiduLabel | undefined {
  const map = options.labelMap;
  if (map && Object.prototype.hasOwnProperty.call(map, name)) return map[name] ?? undefined;
  const label = parseLabel(name);
  if (label) return label;
  if (options.unknownTypes === 'skip') return undefined;
  throw new ImportError(
    where,
    `unknown entity type ${quote(name)}; allowed: ${ALLOWED}; map it with labelMap (null drops it) or pass unknownTypes: 'skip'`,
  );
}

/** Receives one line per entity or document a format cannot hold as it is, naming it and what was written instead. */
export type OnWarning = (message: string) => void;

/** An import error; the message starts with where it happened, e.g. `12.ann:3: ...`. */
export class ImportError extends Error {
  constructor(where: string, message: string) {
    super(where ? `${where}: ${message}` : message);
    this.name = 'ImportError';
  }
}

export function entity(chars: readonly string[], start: number, end: number, label: YiduLabel, score: number): Entity {
  return { start, end, label, text: chars.slice(start, end).join(''), score };
}

/** By start, then end; stable, so equal spans keep their order in the file. */
export function sortEntities(entities: Entity[]): Entity[] {
  return entities.sort((a, b) => a.start - b.start || a.end - b.end);
}

export function isEncoding(value: unknown): value is Encoding {
  return typeof value === 'string' && (ENCODINGS as readonly string[]).includes(value);
}

/** A document as an importer reads it: formats that do not carry the encoding leave it to the file's. */
export interface ImportedDocument {
  path: string;
  id?: DocumentId;
  encoding?: Encoding;
  text: string;
  entities: Entity[];
}
