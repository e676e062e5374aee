// Which characters break lines, which are blank, which are controls: one answer for the engine's
// entity-edge trimming and for every writer, so that a span the engine emits is one each format
// can hold. The sets follow Python, because the tools that read our exports (brat's server,
// doccano, Label Studio's converter, the training code) are Python programs.
//
// The model's own whitespace list (model.json normalization.whitespace, models/training/text.py)
// is a different thing: it decides which characters the tokenizer maps to [SPACE], fixed when the
// model was trained. It lacks U+001C..U+001F, which the model therefore sees as [UNK] and may tag;
// trimming by this module instead of by that list removes them from entity edges without changing
// what the model reads.

/**
 * Python's str.splitlines() boundaries. brat's server reads an `.ann` with codecs' readlines(),
 * which splits at exactly these, so none may appear inside a brat mention.
 */
const LINE_BREAKS = new Set(['\n', '\r', '\v', '\f', '\x1c', '\x1d', '\x1e', '\x85', '\u2028', '\u2029']);

export function isLineBreak(ch: string): boolean {
  return LINE_BREAKS.has(ch);
}

/** What Python's str.isspace() adds to JavaScript's \s: U+001C..U+001F and U+0085. */
const PYTHON_SPACES = new Set(['\x1c', '\x1d', '\x1e', '\x1f', '\x85']);

/** Python's str.isspace() plus JavaScript's \s (which adds U+FEFF). */
export function isBlank(ch: string): boolean {
  return /^\s$/u.test(ch) || PYTHON_SPACES.has(ch);
}

/** Control characters (Cc), and lone surrogates, which no text format can write as themselves. */
const CONTROL = /^[\p{Cc}\p{Cs}]$/u;

export function isControl(ch: string): boolean {
  return CONTROL.test(ch);
}

/** What no entity starts or ends with: blanks, line breaks and controls. */
export function isEdgeTrimmed(ch: string): boolean {
  return isBlank(ch) || isControl(ch);
}

/**
 * [start, end) of `chars` without the trimmed characters at either edge; start === end when
 * nothing else is left.
 */
export function trimSpan(chars: readonly string[], start: number, end: number): [number, number] {
  let s = start;
  let e = end;
  while (s < e && isEdgeTrimmed(chars[s]!)) s++;
  while (e > s && isEdgeTrimmed(chars[e - 1]!)) e--;
  return [s, e];
}
