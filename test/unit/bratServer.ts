// How brat's server (nlplab/brat, server/src/annotation.py and document.py) reads a collection,
// restated for tests: a document is a file ending in "txt"; its text is read with
// codecs.open(encoding='utf8', errors='strict') — binary mode, so no newline translation, and a
// BOM is character 0; the .ann is split with readlines(), i.e. str.splitlines(keepends=True); a T
// line is `ID\tTYPE START END[;START END]*\tTEXT`, each span inside the text, TEXT the spans'
// text joined by one space (DISCONT_SEP), followed by nothing or whitespace.
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

export interface BratShown {
  text: string;
  /** Each text-bound annotation: its type and the text brat shows for each span. */
  spans: { id: string; type: string; texts: string[] }[];
}

const STRICT = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
// Python's str.splitlines() boundaries (CRLF is one).
const BREAKS = new Set([...'\n\r\v\f\u2028\u2029', ...[0x1c, 0x1d, 0x1e, 0x85].map((c) => String.fromCharCode(c))]);

/** str.splitlines(keepends=True). */
function splitlines(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (!BREAKS.has(text[i]!)) continue;
    if (text[i] === '\r' && text[i + 1] === '\n') i++;
    out.push(text.slice(start, i + 1));
    start = i + 1;
  }
  if (start < text.length) out.push(text.slice(start));
  return out;
}

export function bratReadCollection(dir: string): Map<string, BratShown> {
  const out = new Map<string, BratShown>();
  for (const name of readdirSync(dir)
    .filter((f) => f.endsWith('txt'))
    .sort()) {
    const base = name.slice(0, -4);
    let text: string;
    try {
      text = STRICT.decode(readFileSync(path.join(dir, name)));
    } catch {
      throw new Error(`${name}: Error reading text file: nonstandard encoding or binary?`);
    }
    const chars = [...text];
    const ann = STRICT.decode(readFileSync(path.join(dir, `${base}.ann`)));
    const spans: BratShown['spans'] = [];
    for (const line of splitlines(ann)) {
      const tab = line.indexOf('\t');
      if (tab < 0) throw new Error(`${base}.ann: Unable to parse the following line(s): ${JSON.stringify(line)}`);
      const id = line.slice(0, tab);
      if (!id.startsWith('T')) continue;
      const rest = [...line.slice(tab + 1)];
      const dataEnd = rest.indexOf('\t');
      const data = rest.slice(0, dataEnd < 0 ? rest.length : dataEnd).join('');
      const tail = dataEnd < 0 ? [] : rest.slice(dataEnd);
      const [type, offsets] = [data.slice(0, data.indexOf(' ')), data.slice(data.indexOf(' ') + 1)];
      const ranges = offsets.split(';').map((s) => s.split(' ').map(Number) as [number, number]);
      for (const [s, e] of ranges) {
        if (!(s <= e) || s < 0 || e > chars.length || !Number.isInteger(s) || !Number.isInteger(e)) {
          throw new Error(`${base}.ann: Unable to parse the following line(s): ${JSON.stringify(line)} (offsets)`);
        }
      }
      const texts = ranges.map(([s, e]) => chars.slice(s, e).join(''));
      const spanLength = ranges.reduce((n, [s, e]) => n + e - s, 0) + ranges.length - 1;
      const written = tail.slice(1, spanLength + 1).join('');
      const after = tail.slice(spanLength + 1);
      if (tail[0] !== '\t' || written !== texts.join(' ') || (after.length > 0 && !/^\s/u.test(after[0]!))) {
        throw new Error(`${base}.ann: Unable to parse the following line(s): ${JSON.stringify(line)} (text)`);
      }
      spans.push({ id, type, texts });
    }
    out.set(base, { text, spans });
  }
  return out;
}
