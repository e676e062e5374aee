// The documentation is split by audience across several files (README.md for users, docs/ for
// reference, CONTRIBUTING.md for developers, the model card for figures), held together by relative
// links; a moved section or a renamed heading must not leave one pointing nowhere.
import * as assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { ROOT } from './support';

interface Link {
  file: string;
  line: number;
  target: string;
}

/** The Markdown files whose links are checked, relative to the repository root. */
function documents(): string[] {
  const docs = readdirSync(path.join(ROOT, 'docs'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.md'))
    .map((f) => path.join('docs', f).split(path.sep).join('/'));
  return ['README.md', 'CONTRIBUTING.md', 'CHANGELOG.md', 'models/bbrac/MODEL_CARD.md', ...docs.sort()];
}

/** Text outside fenced code blocks and inline code, line by line (a `[x](y)` in code is not a link). */
function proseLines(markdown: string): string[] {
  let fenced = false;
  return markdown.split('\n').map((line) => {
    if (/^\s*```/.test(line)) {
      fenced = !fenced;
      return '';
    }
    return fenced ? '' : line.replace(/`[^`]*`/g, '');
  });
}

function linksOf(file: string, markdown: string): Link[] {
  return proseLines(markdown).flatMap((text, i) =>
    [...text.matchAll(/!?\[[^\]]*\]\(([^)\s]+)\)/g)].map((m) => ({ file, line: i + 1, target: m[1] })),
  );
}

/** GitHub's heading anchors: lower case, punctuation dropped (not hyphens), spaces become hyphens. */
function slug(heading: string): string {
  return heading
    .replace(/`/g, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    const m = !fenced && /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = slug(m[1]);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** Why a relative link is broken, or undefined when it resolves (a file or folder, and its heading if it names one). */
function brokenReason(root: string, link: Link): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(link.target)) return undefined;
  const [rel, anchor] = link.target.split('#', 2) as [string, string | undefined];
  const target = rel === '' ? path.join(root, link.file) : path.resolve(root, path.dirname(link.file), decodeURIComponent(rel));
  if (path.relative(root, target).startsWith('..')) return `${rel} leaves the repository`;
  if (!existsSync(target)) return `${rel} does not exist`;
  if (anchor === undefined) return undefined;
  if (!target.endsWith('.md') || statSync(target).isDirectory()) return `#${anchor} on a file that is not Markdown`;
  if (!anchors(readFileSync(target, 'utf8')).has(anchor)) return `no heading #${anchor} in ${path.relative(root, target)}`;
  return undefined;
}

describe('docs: every relative link resolves', () => {
  it('covers the README, CONTRIBUTING, the changelog, the model card and every page of docs/', () => {
    const files = documents();
    for (const f of [
      'README.md',
      'CONTRIBUTING.md',
      'docs/cli.md',
      'docs/formats.md',
      'docs/scale-out.md',
      'docs/performance.md',
      'docs/curation.md',
    ]) {
      assert.ok(files.includes(f), `${f} is checked`);
    }
  });

  it('each link points to an existing file in the repository, and to an existing heading where it names one', () => {
    const links = documents().flatMap((f) => linksOf(f, readFileSync(path.join(ROOT, f), 'utf8')));
    assert.ok(links.length > 50, `found ${links.length} links`);
    const broken = links.flatMap((l) => {
      const why = brokenReason(ROOT, l);
      return why ? [`${l.file}:${l.line}: ${l.target}: ${why}`] : [];
    });
    assert.deepEqual(broken, []);
  });

  it('the check itself catches a missing file, a missing heading and a link out of the repository', () => {
    const md = [
      '[ok](docs/cli.md) [gone](docs/nowhere.md) ![pic](media/none.png)',
      '[heading](CONTRIBUTING.md#no-such-heading) [good heading](docs/cli.md#folders-resumably---out-dir-dir)',
      '[out](../elsewhere.md) [web](https://example.org/x) `[code](not/a/link.md)`',
      '```',
      '[fenced](not/a/link/either.md)',
      '```',
    ].join('\n');
    const reasons = linksOf('README.md', md).map((l) => [l.target, brokenReason(ROOT, l)]);
    assert.deepEqual(reasons, [
      ['docs/cli.md', undefined],
      ['docs/nowhere.md', 'docs/nowhere.md does not exist'],
      ['media/none.png', 'media/none.png does not exist'],
      ['CONTRIBUTING.md#no-such-heading', 'no heading #no-such-heading in CONTRIBUTING.md'],
      ['docs/cli.md#folders-resumably---out-dir-dir', undefined],
      ['../elsewhere.md', '../elsewhere.md leaves the repository'],
      ['https://example.org/x', undefined],
    ]);
  });
});
