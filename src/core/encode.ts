/** Text back to bytes in the encodings decode.ts reads. GB18030 has no encoder in Node: callers copy the source bytes instead. */
import type { Encoding } from './decode';

export function encodeText(text: string, encoding: Encoding): Buffer {
  switch (encoding) {
    case 'utf-8':
      // A leading U+FEFF would be read back as a byte-order mark and dropped, moving every offset
      // by one: a BOM in front keeps it text (the file then reads back as utf-8-bom).
      return text.startsWith('\uFEFF') ? encodeText(text, 'utf-8-bom') : Buffer.from(text, 'utf8');
    case 'utf-8-bom':
      return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]);
    case 'utf-16le':
      return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    case 'utf-16be':
      return Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, 'utf16le').swap16()]);
    case 'gb18030':
      throw new Error('writing GB18030 is not supported: copy the source file instead');
  }
}
