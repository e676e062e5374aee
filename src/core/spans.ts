// Turns a decoded BIO tag sequence into labelled spans. Positions are indices into the
// tag sequence; mapping them to text offsets is the tokenizer's business.

export interface TagSpan {
  start: number;
  /** Exclusive. */
  end: number;
  label: string;
}

type ParsedTag = { kind: 'O' } | { kind: 'B' | 'I'; label: string };

function parseTag(tag: string): ParsedTag {
  if (tag === 'O') return { kind: 'O' };
  const m = /^([BI])-(.+)$/u.exec(tag);
  if (!m) throw new Error(`tag ${JSON.stringify(tag)} is not O, B-<type> or I-<type>`);
  return { kind: m[1] as 'B' | 'I', label: m[2]! };
}

/**
 * Lenient BIO: an I-X that follows O or a tag of another type starts a new span rather
 * than being dropped, since the CRF rarely produces it and the characters are still
 * most likely part of an X mention.
 */
export function tagsToSpans(tagIds: Int32Array, tags: readonly string[]): TagSpan[] {
  const parsed = tags.map(parseTag);
  const spans: TagSpan[] = [];
  let open: TagSpan | undefined;
  for (let t = 0; t < tagIds.length; t++) {
    const tag = parsed[tagIds[t]!];
    if (tag === undefined) throw new RangeError(`tag id ${tagIds[t]} at position ${t} is outside 0..${tags.length - 1}`);
    if (tag.kind === 'I' && open?.label === tag.label) {
      open.end = t + 1;
      continue;
    }
    if (open) spans.push(open);
    open = tag.kind === 'O' ? undefined : { start: t, end: t + 1, label: tag.label };
  }
  if (open) spans.push(open);
  return spans;
}

/**
 * Confidence of a span: the smallest posterior probability, over its positions, of the
 * tag that was decoded there. A span is only as reliable as its weakest position; a mean
 * would let a long confident span hide one doubtful boundary character.
 */
export function spanScore(marginals: Float32Array, numTags: number, tagIds: Int32Array, span: TagSpan): number {
  if (span.start < 0 || span.end > tagIds.length || span.start >= span.end) {
    throw new RangeError(`span ${span.start}..${span.end} outside 0..${tagIds.length} or empty`);
  }
  let min = Infinity;
  for (let t = span.start; t < span.end; t++) {
    min = Math.min(min, marginals[t * numTags + tagIds[t]!]!);
  }
  return min;
}
