// A small glob matcher for input selection, so the CLI and extension share one
// dependency-free rule: `**` spans directories, `*` and `?` stay within one path
// segment, `{a,b}` is alternation (nestable). Paths are matched with `/` separators.

export function globToRegExp(glob: string): RegExp {
  const [source, rest] = compile(glob, 0, false);
  if (rest !== glob.length) throw new Error(`unbalanced '}' in glob ${JSON.stringify(glob)}`);
  return new RegExp(`^${source}$`, 'u');
}

export function matchesGlob(relPath: string, glob: string): boolean {
  return globToRegExp(glob).test(relPath);
}

// Compiles from index i until the end, or (inBraces) until the closing `}` / a `,`.
// Returns the regex source and the index where compilation stopped.
function compile(glob: string, i: number, inBraces: boolean): [string, number] {
  let out = '';
  while (i < glob.length) {
    const c = glob[i]!;
    if (inBraces && (c === ',' || c === '}')) return [out, i];
    if (c === '*' && glob[i + 1] === '*') {
      const atSegmentStart = i === 0 || glob[i - 1] === '/';
      if (atSegmentStart && glob[i + 2] === '/') {
        out += '(?:[^/]*/)*';
        i += 3;
      } else {
        out += '.*';
        i += 2;
      }
    } else if (c === '*') {
      out += '[^/]*';
      i++;
    } else if (c === '?') {
      out += '[^/]';
      i++;
    } else if (c === '{') {
      const alternatives: string[] = [];
      i++;
      for (;;) {
        const [alt, next] = compile(glob, i, true);
        alternatives.push(alt);
        if (next >= glob.length) throw new Error(`unclosed '{' in glob ${JSON.stringify(glob)}`);
        i = next + 1;
        if (glob[next] === '}') break;
      }
      out += `(?:${alternatives.join('|')})`;
    } else if (c === '}' && !inBraces) {
      return [out, i];
    } else {
      out += c.replace(/[.+^$()|[\]\\]/g, '\\$&');
      i++;
    }
  }
  return [out, i];
}
