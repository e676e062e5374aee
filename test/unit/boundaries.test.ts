// The stated boundaries of the source tree, checked: the core stands without the editor (the lint rule
// in eslint.config.mjs), offsets change between code points and UTF-16 in one module, and no two
// modules import each other.
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ESLint } from 'eslint';
import { ROOT } from './support';

function sources(): string[] {
  const src = path.join(ROOT, 'src');
  return readdirSync(src, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => path.join('src', f).split(path.sep).join('/'))
    .sort();
}

const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

describe('boundaries: src/core never imports the editor', function () {
  // ESLint starts the TypeScript project service on first use.
  this.timeout(120_000);
  const eslint = new ESLint({ cwd: ROOT, ruleFilter: ({ ruleId }) => ruleId === 'no-restricted-imports' });

  /** The lines of `code` the repository's lint config refuses an import on, as if `code` were `file`. */
  async function refusedLines(file: string, code: string): Promise<number[]> {
    const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, file) });
    assert.deepEqual(
      result.messages.filter((m) => m.ruleId !== 'no-restricted-imports'),
      [],
    );
    return result.messages.map((m) => m.line);
  }

  it('refuses vscode, the extension and the CLI in any file under src/core', async () => {
    const code = [
      "import * as vscode from 'vscode';",
      "import type { Controller } from '../../extension/controller';",
      "import { main } from '../../cli';",
      "import type { TextDocument } from 'vscode';",
      "import { activate } from '../../extension';",
      "import { clip } from '../clip';",
      'export const used = [vscode, main, activate, clip];',
      'export type Used = Controller | TextDocument;',
    ].join('\n');
    assert.deepEqual(await refusedLines('src/core/curation/edit.ts', code), [1, 2, 3, 4, 5]);
    assert.deepEqual(await refusedLines('src/core/clip.ts', "import * as vscode from 'vscode';\nexport const v = vscode;\n"), [1]);
  });

  it('lets the extension import vscode and the core', async () => {
    const code = "import * as vscode from 'vscode';\nimport { clip } from '../core/clip';\nexport const used = [vscode, clip];\n";
    assert.deepEqual(await refusedLines('src/extension/legend.ts', code), []);
  });
});

// What converts between code points and UTF-16 by hand. Each is a fact about UTF-16 that
// src/core/offsets.ts states once: surrogate ranges, the width of an astral character, and the
// code-point count or split of a string.
const BY_HAND: [string, RegExp][] = [
  ['surrogate range', /\b0x[dD][89a-fA-F][0-9a-fA-F]{2}\b/g],
  ['astral bound', /\b0x[fF]{4}\b/g],
  ['code-point count', /(?:Array\.from\([^(),]*(?:\([^()]*\))?\)|\[\.\.\.[^\]]+\])\.length/g],
  ['code-point split', /Array\.from\(\s*[\w.]*[tT]ext\w*(?:\(\))?\s*\)/g],
];
// Editor code reaches code points only through src/extension/ranges.ts.
const EDITOR_BY_HAND = /\bOffsetMap\b/g;

function conversions(file: string, text: string): string[] {
  const patterns = file === 'src/core/offsets.ts' ? [] : BY_HAND;
  const found = patterns.flatMap(([what, re]) => [...text.matchAll(re)].map((m) => `${file}: ${what}: ${m[0]}`));
  const editorSide = !file.startsWith('src/core/') && file !== 'src/extension/ranges.ts';
  if (editorSide) found.push(...[...text.matchAll(EDITOR_BY_HAND)].map((m) => `${file}: offsets outside ranges.ts: ${m[0]}`));
  return found;
}

describe('boundaries: offsets convert in one module', () => {
  it('no source converts between code points and UTF-16 outside src/core/offsets.ts and src/extension/ranges.ts', () => {
    const files = sources();
    assert.ok(files.includes('src/core/offsets.ts') && files.includes('src/extension/ranges.ts'));
    assert.deepEqual(
      files.flatMap((f) => conversions(f, read(f))),
      [],
    );
  });

  it('the check catches each way of converting by hand', () => {
    const probe = [
      'if (c >= 0xd800 && c <= 0xDBFF) i++;',
      'i += cp > 0xffff ? 2 : 1;',
      'const n = Array.from(doc.text).length + [...edit.text].length;',
      'const chars = Array.from(document.getText());',
      'const map = new OffsetMap(text);',
    ].join('\n');
    assert.deepEqual(
      conversions('src/extension/curation.ts', probe).map((f) => f.split(': ')[1]),
      // Array.from(doc.text).length both splits and counts.
      [
        'surrogate range',
        'surrogate range',
        'astral bound',
        'code-point count',
        'code-point count',
        'code-point split',
        'code-point split',
        'offsets outside ranges.ts',
      ],
    );
    assert.deepEqual(conversions('src/core/offsets.ts', probe), []);
    // Counting other things is not converting offsets.
    assert.deepEqual(
      conversions('src/core/engine.ts', 'Array.from({ length: 11 }, f); Array.from(keys.keys()); 0x10ffff; [...a, ...b];'),
      [],
    );
  });
});

/** Relative imports of each source file (type-only ones too: they still tie the two files together). */
function importGraph(): Map<string, string[]> {
  const files = new Set(sources());
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const targets = [...read(file).matchAll(/^(?:import|export)\b[^;]*?\bfrom\s+'(\.{1,2}\/[^']+)'/gm)].map((m) => {
      const base = path.posix.join(path.posix.dirname(file), m[1]);
      const hit = [`${base}.ts`, `${base}/index.ts`].find((c) => files.has(c));
      assert.ok(hit, `${file}: cannot resolve ${m[1]}`);
      return hit;
    });
    graph.set(file, targets);
  }
  return graph;
}

/** Every cycle found by a depth-first walk, as the files on it. */
function cycles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string) => {
    state.set(file, 'open');
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'open') found.push(stack.slice(stack.indexOf(next)));
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  return found;
}

describe('boundaries: no import circles', () => {
  it('no two modules of src import each other, even for types only', () => {
    const graph = importGraph();
    assert.ok(graph.size > 50);
    assert.deepEqual(cycles(graph), []);
  });

  it('the walk finds a circle, and only the files on it', () => {
    const graph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['a.ts']],
    ]);
    assert.deepEqual(cycles(graph), [['a.ts', 'b.ts', 'c.ts']]);
  });
});
