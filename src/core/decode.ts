// Turns file bytes into text without altering it: line endings are kept, and only a
// leading byte-order mark is removed, so offsets into the decoded text are stable.

export type Encoding = 'utf-8' | 'utf-8-bom' | 'utf-16le' | 'utf-16be' | 'gb18030';

export const ENCODINGS: readonly Encoding[] = ['utf-8', 'utf-8-bom', 'utf-16le', 'utf-16be', 'gb18030'];

export type Decoded = { text: string; encoding: Encoding } | { error: string };

// Above this share of control characters the bytes are almost surely not prose.
const MAX_CONTROL_RATIO = 0.1;

export function decodeBuffer(buf: Uint8Array): Decoded {
  if (startsWith(buf, [0xef, 0xbb, 0xbf])) {
    return finish(strictDecode('utf-8', buf.subarray(3)), 'utf-8-bom');
  }
  if (startsWith(buf, [0xff, 0xfe])) return finish(strictDecode('utf-16le', buf.subarray(2)), 'utf-16le');
  if (startsWith(buf, [0xfe, 0xff])) return finish(strictDecode('utf-16be', buf.subarray(2)), 'utf-16be');

  // Without a BOM a NUL byte cannot occur in real UTF-8 or GB18030 text.
  if (buf.includes(0)) return { error: 'binary file' };
  const utf8 = strictDecode('utf-8', buf);
  if (utf8 !== undefined) return finish(utf8, 'utf-8');
  // Chinese clinical records exported from older Windows systems are commonly GBK,
  // which GB18030 includes.
  const gb18030 = strictDecode('gb18030', buf);
  // Both were tried: naming only the fallback would puzzle the owner of a damaged UTF-8 file.
  if (gb18030 === undefined) return { error: 'not valid utf-8 or gb18030 text' };
  return finish(gb18030, 'gb18030');
}

function finish(text: string | undefined, encoding: Encoding): Decoded {
  if (text === undefined) return { error: `not valid ${encoding === 'utf-8-bom' ? 'utf-8' : encoding} text` };
  if (looksBinary(text)) return { error: 'binary file' };
  return { text, encoding };
}

function strictDecode(label: string, bytes: Uint8Array): string | undefined {
  try {
    // ignoreBOM keeps a second BOM as text: only the leading one is a marker.
    return new TextDecoder(label, { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** Whether decoded text is almost surely not prose (a NUL, or too many control characters). */
export function looksBinary(text: string): boolean {
  if (text.length === 0) return false;
  let controls = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0) return true;
    const isControl = (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0c && c !== 0x0d) || c === 0x7f;
    if (isControl) controls++;
  }
  return controls / text.length > MAX_CONTROL_RATIO;
}

function startsWith(buf: Uint8Array, prefix: number[]): boolean {
  return buf.length >= prefix.length && prefix.every((b, i) => buf[i] === b);
}
