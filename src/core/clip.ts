/** At most ~200 characters of something a user gave, for a one-line message (a 20 MB bad line must not come back whole). */
export function clip(text: string, max = 200): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length.toLocaleString('en')} characters)`;
}

/** A value read from a file, as JSON, clipped: `got ${quote(raw)}`. */
export function quote(value: unknown): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch {
    // nested too deeply to print (a stack overflow) or a cycle: say what it is instead
    json = Array.isArray(value) ? '[…]' : '{…}';
  }
  return clip(json ?? String(value));
}
