// Every annotation format MedNER writes and reads, by name, behind one interface: documents
// to files and files back to documents. Files are text; the caller writes them as UTF-8 without a
// BOM and reads them in whatever encoding they come in.
import type { Encoding } from '../decode';
import { parseBrat, serializeBrat } from './brat';
import { parseConll, serializeConll } from './conll';
import { parseDoccano, serializeDoccano } from './doccano';
import { type DocumentResult, documentId, parseDocuments, serializeDocuments } from './jsonl';
import { type LabelStudioSource, parseLabelStudio, serializeLabelStudio } from './labelstudio';
import { codePoints } from '../offsets';
import { FormatError } from './lines';
import {
  entity,
  type ImportedDocument,
  ImportError,
  isEncoding,
  type LabelNames,
  type LabelResolveOptions,
  type OnWarning,
} from './shared';
import { parseYidu, serializeYidu } from './yidu';

export type FormatName = 'jsonl' | 'yidu' | 'brat' | 'conll' | 'doccano' | 'labelstudio';

export interface FormatFile {
  /** '/'-separated, relative to the folder the caller writes to or reads from. */
  relativePath: string;
  content: string;
  /** The encoding a file read was in; absent means UTF-8 (every file written is UTF-8). */
  encoding?: Encoding;
  /** For per-document files (brat's), the index of their document in the exported list: written together or not at all. */
  document?: number;
}

export interface ExportOptions {
  /** Type names: Chinese (default) or English aliases. jsonl and yidu always use the Chinese names. */
  labelNames?: LabelNames;
  /** File name, without extension, of the single-file formats; default 'annotations'. */
  baseName?: string;
  /** Told of each entity or document the format cannot hold as it is; the export goes on. */
  onWarning?: OnWarning;
}

/**
 * labelMap / unknownTypes apply to brat, conll, doccano and labelstudio; jsonl and yidu hold only our
 * six types. source picks a Label Studio task's annotations or predictions, textField its data field.
 */
export type ImportOptions = LabelResolveOptions & { source?: LabelStudioSource; textField?: string };

/** What survives export -> import besides text, spans and types. */
export interface Carries {
  path: boolean;
  encoding: boolean;
  scores: boolean;
}

export interface AnnotationFormat {
  name: FormatName;
  description: string;
  /** File extensions, with the dot; export writes the first, distinct per format so that several can share a folder. */
  extensions: readonly string[];
  carries: Carries;
  /**
   * Whether export(a ++ b) is one file whose content is export(a)'s followed by export(b)'s: a large
   * folder's export is then written a chunk of documents at a time instead of held whole.
   */
  concatenates: boolean;
  export(docs: readonly DocumentResult[], options?: ExportOptions): FormatFile[];
  import(files: readonly FormatFile[], options?: ImportOptions): DocumentResult[];
}

/** Import of a format whose parser reads one file's content; a document's own encoding wins over its file's. */
function perFile(parse: (content: string, options: ImportOptions & { file: string }) => ImportedDocument[]) {
  return (files: readonly FormatFile[], options: ImportOptions = {}): DocumentResult[] =>
    files.flatMap((f) =>
      withFile(f, () =>
        parse(f.content, { ...options, file: f.relativePath }).map((d) => ({ ...d, encoding: d.encoding ?? f.encoding ?? 'utf-8' })),
      ),
    );
}

function single(ext: string, write: (docs: readonly DocumentResult[], options: ExportOptions) => string) {
  return (docs: readonly DocumentResult[], options: ExportOptions = {}): FormatFile[] => [
    { relativePath: `${options.baseName ?? 'annotations'}${ext}`, content: write(docs, options) },
  ];
}

export const FORMATS: Readonly<Record<FormatName, AnnotationFormat>> = {
  jsonl: {
    name: 'jsonl',
    description: "MedNER's own JSON lines: path, encoding, text, entities with scores",
    extensions: ['.jsonl'],
    carries: { path: true, encoding: true, scores: true },
    concatenates: true,
    export: single('.jsonl', (docs) => serializeDocuments(docs)),
    import: (files) => files.flatMap((f) => withFile(f, () => parseDocuments(f.content))),
  },
  yidu: {
    name: 'yidu',
    description: 'Yidu-S4K (CCKS 2019) JSON lines: originalText and entities',
    extensions: ['.yidu.jsonl', '.jsonl', '.txt', '.json'],
    carries: { path: false, encoding: false, scores: false },
    concatenates: true,
    export: single('.yidu.jsonl', (docs) => serializeYidu(docs)),
    import: (files) =>
      files.flatMap((f) =>
        withFile(f, () =>
          parseYidu(f.content).map((r) => {
            const chars = codePoints(r.text);
            const doc: DocumentResult = {
              path: `${f.relativePath}:${r.line}`,
              encoding: f.encoding ?? 'utf-8',
              text: r.text,
              entities: r.entities.map((e) => entity(chars, e.start, e.end, e.label, 1)),
            };
            if (r.id !== undefined) doc.id = r.id;
            return doc;
          }),
        ),
      ),
  },
  brat: {
    name: 'brat',
    description: 'brat standoff: a .txt (UTF-8) and an .ann per document',
    extensions: ['.ann', '.txt'],
    carries: { path: true, encoding: true, scores: false },
    concatenates: false,
    export: (docs, options = {}) => {
      const stems = uniqueStems(docs.map((d) => (d.id === undefined ? d.path : String(d.id))));
      return docs.flatMap((doc, i) => {
        const { txt, ann } = serializeBrat(doc, options);
        const files: FormatFile[] = [
          { relativePath: `${stems[i]}.txt`, content: txt, document: i },
          { relativePath: `${stems[i]}.ann`, content: ann, document: i },
        ];
        if (doc.encoding !== 'utf-8' || doc.id !== undefined || doc.path !== `${stems[i]}.txt`) {
          const source = { path: doc.path, id: doc.id, encoding: doc.encoding };
          files.push({ relativePath: `${stems[i]}${BRAT_SOURCE}`, content: JSON.stringify(source) + '\n', document: i });
        }
        return files;
      });
    },
    import: (files, options = {}) => {
      const anns = new Map(files.filter((f) => f.relativePath.endsWith('.ann')).map((f) => [stem(f.relativePath), f]));
      const sources = new Map(
        files.filter((f) => f.relativePath.endsWith(BRAT_SOURCE)).map((f) => [f.relativePath.slice(0, -BRAT_SOURCE.length), f]),
      );
      const txts = files.filter((f) => f.relativePath.endsWith('.txt'));
      for (const [s, ann] of anns) {
        if (!txts.some((t) => stem(t.relativePath) === s)) throw new ImportError(ann.relativePath, `no ${s}.txt beside it`);
      }
      // Files other than .txt / .ann / .medner.json (annotation.conf, visual.conf, READMEs) are not documents.
      return txts.map((txt) => {
        const s = stem(txt.relativePath);
        const ann = anns.get(s);
        const source = sources.get(s);
        const doc: DocumentResult = {
          path: txt.relativePath,
          encoding: txt.encoding ?? 'utf-8',
          text: txt.content,
          entities: ann ? parseBrat(txt.content, ann.content, { ...options, annPath: ann.relativePath }) : [],
        };
        return source ? withSource(doc, source) : doc;
      });
    },
  },
  conll: {
    name: 'conll',
    description: 'CoNLL, one character and its BIO tag a line',
    extensions: ['.conll', '.bio', '.txt'],
    carries: { path: true, encoding: false, scores: false },
    concatenates: true,
    export: single('.conll', (docs, options) => serializeConll(docs, options)),
    import: perFile(parseConll),
  },
  doccano: {
    name: 'doccano',
    description: "doccano's sequence-labelling JSONL (UTF-16 offsets)",
    extensions: ['.doccano.jsonl', '.jsonl'],
    carries: { path: true, encoding: true, scores: false },
    concatenates: true,
    export: single('.doccano.jsonl', (docs, options) => serializeDoccano(docs, options)),
    import: perFile(parseDoccano),
  },
  labelstudio: {
    name: 'labelstudio',
    description: 'Label Studio JSON tasks with predictions (import also reads annotations)',
    extensions: ['.labelstudio.json', '.json'],
    carries: { path: true, encoding: true, scores: true },
    concatenates: false,
    export: single('.labelstudio.json', (docs, options) => serializeLabelStudio(docs, options)),
    import: perFile(parseLabelStudio),
  },
};

export const FORMAT_NAMES = Object.keys(FORMATS) as FormatName[];

/** Errors that do not name the file (those of the JSON-lines readers: "line 3: ...") gain its name: `FILE:3: ...`. */
function withFile<T>(file: FormatFile, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof FormatError) throw new ImportError(`${file.relativePath}:${err.line}`, err.what);
    if (!(err instanceof Error) || err.message.startsWith(file.relativePath)) throw err;
    throw new ImportError(file.relativePath, err.message);
  }
}

/** Beside a brat pair, what the pair cannot carry: the source's path, id and encoding. */
const BRAT_SOURCE = '.medner.json';

/** The document as its `.medner.json` describes its source. */
function withSource(doc: DocumentResult, file: FormatFile): DocumentResult {
  let value: unknown;
  try {
    value = JSON.parse(file.content);
  } catch (err) {
    throw new ImportError(file.relativePath, `invalid JSON (${(err as Error).message})`);
  }
  const o = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  if (typeof o['path'] !== 'string' || !isEncoding(o['encoding'])) {
    throw new ImportError(file.relativePath, 'want {"path": "...", "encoding": "...", "id": ...} describing the document beside it');
  }
  const out: DocumentResult = { ...doc, path: o['path'], encoding: o['encoding'] };
  if (o['id'] !== undefined) out.id = withFile(file, () => documentId(o['id'], 1, 'source'));
  return out;
}

function stem(relativePath: string): string {
  const slash = relativePath.lastIndexOf('/');
  const dot = relativePath.lastIndexOf('.');
  return dot > slash + 1 ? relativePath.slice(0, dot) : relativePath;
}

/**
 * A safe relative file stem per document: backslashes become '/', a drive, leading '/', '.' and
 * '..' segments are dropped, characters Windows forbids become '_', the extension goes, and a
 * repeated or empty stem gets a number.
 */
function uniqueStems(paths: readonly string[]): string[] {
  const used = new Set<string>();
  return paths.map((p, i) => {
    const segments = p
      .replace(/\\/g, '/')
      .replace(/^[A-Za-z]:/, '')
      .split('/')
      .filter((s) => s !== '' && s !== '.' && s !== '..')
      .map((s) => s.replace(/[<>:"|?*\p{Cc}]/gu, '_'));
    let base = segments.length > 0 ? stem(segments.join('/')) : '';
    if (base === '' || base === '-') base = `document-${i + 1}`;
    let candidate = base;
    for (let n = 2; used.has(candidate.toLowerCase()); n++) candidate = `${base}-${n}`;
    used.add(candidate.toLowerCase());
    return candidate;
  });
}
