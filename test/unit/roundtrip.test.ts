import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { writeExportFiles } from '../../src/core/exportWriter';
import { readAnnotations } from '../../src/core/formats/detect';
import { ENCODINGS } from '../../src/core/decode';
import type { DocumentResult, Entity } from '../../src/core/formats/jsonl';
import { type Carries, FORMAT_NAMES, FORMATS, type FormatName } from '../../src/core/formats/registry';
import { YIDU_LABELS } from '../../src/core/labels';

// Text units: CJK, ASCII, whitespace, every kind of line ending, astral characters (an emoji, a
// ZWJ sequence and a CJK Extension B character), so code points and UTF-16 units differ, and the
// invisible or look-alike characters of the fault fixtures: zero-width space and joiner, a BOM
// inside the text, full-width letters and digits.
const UNITS = [
  '患',
  '者',
  '急',
  '性',
  '炎',
  '，',
  'a',
  'Z',
  '7',
  '<',
  '"',
  '\\',
  ' ',
  '\t',
  '\r\n',
  '\n',
  '\r',
  '😀',
  '𠀀',
  '\u3000',
  '👨\u200d⚕️',
  '\u200b',
  '\ufeff',
  'Ｃ',
  '１',
];

const docArb = (pathArb: fc.Arbitrary<string>): fc.Arbitrary<DocumentResult> =>
  fc
    .record({
      path: pathArb,
      encoding: fc.constantFrom(...ENCODINGS),
      units: fc.array(fc.constantFrom(...UNITS), { maxLength: 40 }),
      cuts: fc.array(fc.nat(), { maxLength: 12 }),
      labels: fc.array(fc.constantFrom(...YIDU_LABELS), { minLength: 6, maxLength: 6 }),
      scores: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 6, maxLength: 6 }),
      // A record's id (a CSV cell, a JSON or task id), carried by every format.
      id: fc.option(fc.oneof(fc.string(), fc.integer()), { nil: undefined }),
    })
    .map(({ path, encoding, units, cuts, labels, scores, id }) => {
      const text = units.join('');
      const chars = [...text];
      // Sorted distinct cut points, paired up, give sorted non-overlapping (possibly adjacent) spans.
      const points = [...new Set(cuts.map((c) => c % (chars.length + 1)))].sort((x, y) => x - y);
      const entities: Entity[] = [];
      for (let k = 0; k + 1 < points.length; k += 2) {
        const [start, end] = [points[k]!, points[k + 1]!];
        const i = entities.length % 6;
        entities.push({ start, end, label: labels[i]!, text: chars.slice(start, end).join(''), score: scores[i]! });
      }
      return id === undefined ? { path, encoding, text, entities } : { path, id, encoding, text, entities };
    });

// Up to four documents, empty ones included; '{i}' in a path becomes the document's index.
const docsArb = (pathArb: fc.Arbitrary<string>): fc.Arbitrary<DocumentResult[]> =>
  fc.array(docArb(pathArb), { maxLength: 4 }).map((docs) => docs.map((d, i) => ({ ...d, path: d.path.replace('{i}', String(i)) })));

/** What a format carries of a document; the rest is compared nowhere. */
function carried(doc: DocumentResult, carries: Carries) {
  return {
    id: doc.id,
    path: carries.path ? doc.path : null,
    encoding: carries.encoding ? doc.encoding : null,
    text: doc.text,
    entities: doc.entities.map((e) => ({ start: e.start, end: e.end, label: e.label, text: e.text, score: carries.scores ? e.score : 1 })),
  };
}

// Python's str.splitlines() boundaries, which brat's server splits an .ann at.
const BREAKS = new Set([...'\n\r\v\f\u2028\u2029', ...[0x1c, 0x1d, 0x1e, 0x85].map((c) => String.fromCharCode(c))]);
const BREAK = { test: (ch: string) => BREAKS.has(ch) };

// What each format holds of the documents: a brat mention cannot start or end with a line break,
// so brat writes such an entity without them, and skips one of nothing else; doccano cannot hold
// an empty document, so it leaves those out.
function forFormat(name: FormatName, docs: DocumentResult[]): DocumentResult[] {
  if (name === 'doccano') return docs.filter((d) => d.text !== '');
  if (name !== 'brat') return docs;
  return docs.map((d) => {
    const chars = [...d.text];
    const entities: Entity[] = [];
    for (const e of d.entities) {
      let [start, end] = [e.start, e.end];
      while (start < end && BREAK.test(chars[start]!)) start++;
      while (end > start && BREAK.test(chars[end - 1]!)) end--;
      if (start < end) entities.push({ ...e, start, end, text: chars.slice(start, end).join('') });
    }
    return { ...d, entities };
  });
}

describe('export -> import is the identity on what each format carries (property)', () => {
  it('covers every registered format, each writing files of its own names', () => {
    assert.deepEqual(FORMAT_NAMES, ['jsonl', 'yidu', 'brat', 'conll', 'doccano', 'labelstudio']);
    const doc: DocumentResult = { path: '/abs/01.txt', encoding: 'utf-8', text: '', entities: [] };
    assert.deepEqual(
      FORMAT_NAMES.map((n) => FORMATS[n].export([doc], { baseName: 'out' }).map((f) => f.relativePath)),
      [
        ['out.jsonl'],
        ['out.yidu.jsonl'],
        ['abs/01.txt', 'abs/01.ann', 'abs/01.medner.json'],
        ['out.conll'],
        ['out.doccano.jsonl'],
        ['out.labelstudio.json'],
      ],
    );
  });

  for (const name of FORMAT_NAMES) {
    const format = FORMATS[name];
    const what = Object.entries(format.carries)
      .map(([k, v]) => `${v ? '' : 'no '}${k}`)
      .join(', ');
    it(`${name} (${what})`, () => {
      // brat file names come from paths: give it clean relative ones, which it keeps (brat.test.ts
      // covers the rest). Elsewhere paths are arbitrary strings.
      const pathArb =
        name === 'brat'
          ? fc.constantFrom('d{i}/note.txt', 'note{i}.txt')
          : fc.oneof(fc.string(), fc.constantFrom('a/b.txt', '-', '"q"', ' x ', 'a\nb', '-X- -X- O'));
      fc.assert(
        fc.property(docsArb(pathArb), fc.constantFrom('chinese' as const, 'english' as const), (generated, labelNames) => {
          const docs = forFormat(name, generated);
          const files = format.export(generated, { labelNames });
          const back = format.import(files);
          const carries = format.carries;
          assert.deepEqual(
            back.map((d) => carried(d, carries)),
            docs.map((d) => carried(d, carries)),
          );
        }),
        { numRuns: 150 },
      );
    });
  }
});

describe('brat on disk: export, write, read back (property)', () => {
  it('gives back every text, entity, path and encoding through UTF-8 .txt files and their .medner.json', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'medner-roundtrip-'));
    try {
      await fc.assert(
        fc.asyncProperty(docsArb(fc.constant('note{i}.txt')), async (generated) => {
          const docs = forFormat('brat', generated);
          const out = mkdtempSync(path.join(dir, 'run-'));
          await writeExportFiles(out, FORMATS.brat.export(generated));
          // A folder is read in file-name order, and a record's id names its files.
          const byPath = (a: DocumentResult, b: DocumentResult) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
          const back = (await readAnnotations(out, 'brat')).sort(byPath);
          assert.deepEqual(
            back.map((d) => carried(d, FORMATS.brat.carries)),
            [...docs].sort(byPath).map((d) => carried(d, FORMATS.brat.carries)),
          );
        }),
        { numRuns: 100 },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('formats that concatenate export a chunk at a time (property)', () => {
  for (const name of FORMAT_NAMES.filter((n) => FORMATS[n].concatenates)) {
    it(`${name}: export(a ++ b) is export(a) followed by export(b), in one file of the same name`, () => {
      fc.assert(
        fc.property(docsArb(fc.constantFrom('a/{i}.txt', 'b {i}.txt')), docsArb(fc.constantFrom('c/{i}.txt')), (a, b) => {
          const [whole, ...none] = FORMATS[name].export([...a, ...b]);
          const [first] = FORMATS[name].export(a);
          const [second] = FORMATS[name].export(b);
          assert.equal(none.length, 0);
          assert.equal(whole.relativePath, first.relativePath);
          assert.equal(whole.relativePath, second.relativePath);
          assert.equal(whole.content, first.content + second.content);
        }),
      );
    });
  }

  it('the others do not, so a folder export holds their documents whole', () => {
    const doc = (p: string): DocumentResult => ({ path: p, encoding: 'utf-8', text: '病', entities: [] });
    assert.deepEqual(
      FORMAT_NAMES.filter((n) => !FORMATS[n].concatenates),
      ['brat', 'labelstudio'],
    );
    // One JSON array of tasks.
    const [both] = FORMATS.labelstudio.export([doc('x.txt'), doc('y.txt')]);
    assert.notEqual(
      both.content,
      FORMATS.labelstudio.export([doc('x.txt')])[0].content + FORMATS.labelstudio.export([doc('y.txt')])[0].content,
    );
    // File names made unique across all documents: two exports would write x.txt twice.
    const names = FORMATS.brat.export([doc('a/x.txt'), doc('a/x.txt')]).map((f) => f.relativePath);
    assert.deepEqual(names, ['a/x.txt', 'a/x.ann', 'a/x-2.txt', 'a/x-2.ann', 'a/x-2.medner.json']);
  });
});
