// The fault fixture suite, generated at test time (nothing here is a checked-in blob): inputs a
// clinical-records folder really contains — other encodings, damaged bytes, odd characters, huge
// files, special files, unreadable paths — each with what MedNER must do with it. The texts use
// runs of 病, so the tiny model (tinyModel.ts) has something to find in every one of them.
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import * as path from 'node:path';
import type { Encoding } from '../../src/core/decode';

export type Expectation =
  /** Labelled: the decoded text, exactly, and the encoding reported. */
  | { text: string; encoding: Encoding }
  /** Skipped with one message whose reason matches. */
  | { skipped: RegExp };

export interface FaultCase {
  /** Path inside the fixture folder. */
  name: string;
  create(file: string): void;
  expect: Expectation;
}

const RECORD = '患者因“右上腹痛3天”入院，诊断：病病。\n既往病史：无。予头孢曲松治疗，病情好转。';
const MB = 1024 * 1024;
// Root reads a chmod 000 file anyway: then the honest expectation is that it is labelled.
const ROOT_USER = process.getuid?.() === 0;

const utf8 = (text: string) => Buffer.from(text, 'utf8');
const utf16be = (text: string) => Buffer.from(text, 'utf16le').swap16();
const labelled = (text: string, encoding: Encoding = 'utf-8'): Expectation => ({ text, encoding });

function bytesCase(name: string, bytes: Buffer, expect: Expectation): FaultCase {
  return { name, create: (file) => writeFileSync(file, bytes), expect };
}

function textCase(name: string, text: string): FaultCase {
  return bytesCase(name, utf8(text), labelled(text));
}

/** `size` bytes of text with no line break: RECORD's characters repeated, cut at a character boundary. */
function oneLine(size: number): string {
  const unit = RECORD.replace(/\n/g, '');
  const unitBytes = utf8(unit).length;
  let text = unit.repeat(Math.floor(size / unitBytes));
  for (const ch of unit) {
    if (utf8(text + ch).length > size) break;
    text += ch;
  }
  return text;
}

/** A file of `size` bytes of text, written in slices so the test never holds it as one string. */
export function writeLarge(file: string, size: number): void {
  const slice = utf8(oneLine(MB));
  const fd = openSync(file, 'w');
  try {
    for (let left = size; left > 0; left -= slice.length) writeSync(fd, slice, 0, Math.min(left, slice.length));
  } finally {
    closeSync(fd);
  }
}

// Node has no GB18030 encoder: invert its decoder over the two-byte codes, which hold every CJK
// character of the Basic Multilingual Plane.
let gbTable: Map<string, Buffer> | undefined;
function gb18030(text: string): Buffer {
  if (!gbTable) {
    gbTable = new Map();
    const decoder = new TextDecoder('gb18030', { fatal: true });
    for (let lead = 0x81; lead <= 0xfe; lead++) {
      for (let trail = 0x40; trail <= 0xfe; trail++) {
        if (trail === 0x7f) continue;
        const bytes = Buffer.from([lead, trail]);
        try {
          const ch = decoder.decode(bytes);
          if (!gbTable.has(ch)) gbTable.set(ch, bytes);
        } catch {
          // an unassigned code
        }
      }
    }
  }
  return Buffer.concat(
    Array.from(text, (ch) => {
      if (ch.charCodeAt(0) < 0x80) return Buffer.from(ch, 'latin1');
      const bytes = gbTable!.get(ch);
      if (!bytes) throw new Error(`no two-byte GB18030 code for ${ch}`);
      return bytes;
    }),
  );
}

/** Every case; `maxBytes` is the limit the reader is given (the CLI's default, 20 MB). */
export function faultCases(): FaultCase[] {
  const crlf = RECORD.replace(/\n/g, '\r\n');
  const loneCr = RECORD.replace(/\n/g, '\r') + '\r病\r\n病\n\r病';
  const astral = '😀病病👨‍⚕️病𠀀病病🇨🇳\u{1F3FB}病' + RECORD;
  const zeroWidth = '病\u200b病\u200c病\u200d病\u2060病\ufeff病' + RECORD;
  const fullWidth = 'ＣＴ示：病病\u3000病；ＷＢＣ１２．３×１０^９／Ｌ，病';
  const gbText = '患者因腹痛入院，诊断：病病。予头孢曲松治疗，病情好转。';
  const line = oneLine(MB);
  return [
    bytesCase(
      'binary.txt',
      Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]), utf8('IHDR'), Buffer.alloc(64, 7)]),
      { skipped: /^binary file$/ },
    ),
    bytesCase('nul-byte.txt', Buffer.concat([utf8(RECORD), Buffer.from([0]), utf8(RECORD)]), { skipped: /^binary file$/ }),
    bytesCase('control-chars.txt', Buffer.from('\x01\x02\x03\x04\x05\x06病病\x07\x08', 'utf8'), { skipped: /^binary file$/ }),
    bytesCase('invalid-utf8.txt', Buffer.concat([utf8(RECORD), Buffer.from([0xff, 0x80]), utf8(RECORD)]), {
      skipped: /^not valid utf-8 or gb18030 text$/,
    }),
    bytesCase('invalid-utf8-bom.txt', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), utf8(RECORD), Buffer.from([0xc0, 0x80])]), {
      skipped: /^not valid utf-8 text$/,
    }),
    bytesCase('utf16le-odd-length.txt', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(RECORD, 'utf16le'), Buffer.from([0x41])]), {
      skipped: /^not valid utf-16le text$/,
    }),
    bytesCase('utf8-bom.txt', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), utf8(crlf)]), labelled(crlf, 'utf-8-bom')),
    bytesCase('utf16le-bom.txt', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(astral, 'utf16le')]), labelled(astral, 'utf-16le')),
    bytesCase('utf16be-bom.txt', Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(crlf)]), labelled(crlf, 'utf-16be')),
    // 𠀀 (U+20000) is one of GB18030's four-byte codes.
    bytesCase(
      'gb18030.txt',
      Buffer.concat([gb18030(gbText), Buffer.from([0x95, 0x32, 0x82, 0x36]), gb18030('病\r\n')]),
      labelled(gbText + '𠀀病\r\n', 'gb18030'),
    ),
    textCase('crlf.txt', crlf),
    textCase('lone-cr.txt', loneCr),
    textCase('astral-emoji.txt', astral),
    textCase('zero-width.txt', zeroWidth),
    textCase('full-width.txt', fullWidth),
    textCase('empty.txt', ''),
    textCase('whitespace-only.txt', ' \t\r\n\u3000\n\f '),
    { name: 'one-line-1mb.txt', create: (file) => writeFileSync(file, line), expect: labelled(line) },
    {
      name: 'huge-50mb.txt',
      create: (file) => writeLarge(file, 50 * MB),
      expect: { skipped: /^larger than the 20\.0 MB limit \(50\.0 MB\)$/ },
    },
    {
      name: 'fifo.txt',
      create: (file) => {
        const r = spawnSync('mkfifo', [file]);
        if (r.status !== 0) throw new Error(`mkfifo failed: ${r.stderr}`);
      },
      expect: { skipped: /^not a regular file or folder$/ },
    },
    {
      name: 'dangling-link.txt',
      create: (file) => symlinkSync(path.join(path.dirname(file), 'nowhere.txt'), file),
      expect: { skipped: /^broken symbolic link$/ },
    },
    { name: 'self-link.txt', create: (file) => symlinkSync(file, file), expect: { skipped: /^symbolic link loop$/ } },
    {
      name: 'unreadable.txt',
      create: (file) => {
        writeFileSync(file, RECORD);
        chmodSync(file, 0o000);
      },
      expect: ROOT_USER ? labelled(RECORD) : { skipped: /^permission denied$/ },
    },
    {
      // A folder that links back to its parent: walked once, nothing listed twice.
      name: path.join('loop', 'inside.txt'),
      create: (file) => {
        mkdirSync(path.dirname(file));
        writeFileSync(file, RECORD);
        symlinkSync('..', path.join(path.dirname(file), 'back'));
      },
      expect: labelled(RECORD),
    },
  ];
}

/** Writes every case into `dir` (which must exist and be empty). */
export function writeFaultFolder(dir: string, cases: readonly FaultCase[] = faultCases()): FaultCase[] {
  for (const c of cases) c.create(path.join(dir, c.name));
  return [...cases];
}

export interface Snapshot {
  [relativePath: string]: { mode: number; mtimeMs: number; sha256?: string };
}

/** Every entry under `dir` (links not followed), with the hash of each regular file: sources must stay exactly as they were. */
export function snapshot(dir: string, out: Snapshot = {}, rel = ''): Snapshot {
  // Not readdir's recursive mode: it follows symbolic links to folders, round a loop many times.
  for (const name of readdirSync(path.join(dir, rel)).sort()) {
    const entry = path.join(rel, name);
    const full = path.join(dir, entry);
    const st = lstatSync(full);
    // A FIFO is never opened (that would block); root can read a chmod 000 file, others skip its hash.
    const readable = st.isFile() && (ROOT_USER || (st.mode & 0o444) !== 0);
    out[entry] = {
      mode: st.mode,
      mtimeMs: st.mtimeMs,
      sha256: readable ? createHash('sha256').update(readFileSync(full)).digest('hex') : undefined,
    };
    // A folder its owner cannot list (not root) is compared by its own entry only.
    if (st.isDirectory() && (ROOT_USER || (st.mode & 0o500) === 0o500)) snapshot(dir, out, entry);
  }
  return out;
}
