// Shared reading of JSON-lines files: errors name the 1-based line they come from.

export interface JsonLine {
  line: number;
  value: unknown;
}

export class FormatError extends Error {
  constructor(
    readonly line: number,
    /** The message without its place, for callers that name the file too: `FILE:LINE: what`. */
    readonly what: string,
  ) {
    super(`line ${line}: ${what}`);
    this.name = 'FormatError';
  }
}

/** Parses each non-blank line as JSON. A UTF-8 BOM before the first line is ignored (Yidu-S4K files carry one). */
export function readJsonLines(content: string): JsonLine[] {
  const body = content.startsWith('\uFEFF') ? content.slice(1) : content;
  const out: JsonLine[] = [];
  body.split('\n').forEach((raw, index) => {
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (text.trim() === '') return;
    try {
      out.push({ line: index + 1, value: JSON.parse(text) as unknown });
    } catch (err) {
      throw new FormatError(index + 1, `invalid JSON (${err instanceof Error ? err.message : String(err)})`);
    }
  });
  return out;
}

export function expectObject(value: unknown, line: number, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new FormatError(line, `${what} must be a JSON object`);
  }
  return value as Record<string, unknown>;
}

export function expectString(obj: Record<string, unknown>, key: string, line: number, what: string): string {
  const v = obj[key];
  if (typeof v !== 'string') throw new FormatError(line, `${what}: "${key}" must be a string`);
  return v;
}

export function expectArray(obj: Record<string, unknown>, key: string, line: number, what: string): unknown[] {
  const v = obj[key];
  if (!Array.isArray(v)) throw new FormatError(line, `${what}: "${key}" must be an array`);
  return v;
}

export function expectInteger(obj: Record<string, unknown>, key: string, line: number, what: string): number {
  const v = obj[key];
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new FormatError(line, `${what}: "${key}" must be an integer`);
  return v;
}

/** Checks 0 <= start < end <= length, all in code points. */
export function checkRange(start: number, end: number, length: number, line: number, what: string): void {
  if (start < 0 || start >= end || end > length) {
    throw new FormatError(line, `${what}: span ${start}..${end} is empty or outside the text (length ${length} code points)`);
  }
}
