// package.json's `contributes` against what the code reads (src/extension/settings.ts), what the
// extension registers, and what the README documents: each is written in more than one place.
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { LABEL_ALIASES, YIDU_LABELS } from '../../src/core/labels';
import { BOUNDS, DEFAULTS, SECTION } from '../../src/extension/settings';
import { ROOT } from './support';

interface Setting {
  type: string;
  default: unknown;
  markdownDescription?: string;
  description?: string;
  scope?: string;
  order?: number;
  minimum?: number;
  maximum?: number;
  enum?: string[];
  enumDescriptions?: string[];
  items?: { enum?: string[]; enumDescriptions?: string[] };
}
interface Category {
  title?: string;
  order?: number;
  properties: Record<string, Setting>;
}
interface MenuItem {
  command: string;
  when?: string;
}

const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const configuration: Category[] = [manifest.contributes.configuration].flat();
const settings: [string, Setting][] = configuration.flatMap((c) => Object.entries(c.properties));
const commands: string[] = manifest.contributes.commands.map((c: { command: string }) => c.command);
const palette: MenuItem[] = manifest.contributes.menus.commandPalette;

/** Commands that only make sense with the argument a view, hover or link passes them. */
const ARGUMENT_ONLY = {
  'medner.copyEntityJson': "the hover's Copy link passes the entity",
  'medner.revealEntity': 'an Entities view item passes its entity',
  'medner.removeUnanchored': "an Entities view item's button passes its entity",
};

/** The scopes VS Code knows; `window` is its default, written out so that the choice is visible. */
const SCOPES = ['application', 'machine', 'machine-overridable', 'window', 'resource', 'language-overridable'];

/** The Marketplace's categories (vsce's list). */
const CATEGORIES = [
  'AI',
  'Azure',
  'Chat',
  'Data Science',
  'Debuggers',
  'Education',
  'Extension Packs',
  'Formatters',
  'Keymaps',
  'Language Packs',
  'Linters',
  'Machine Learning',
  'Notebooks',
  'Other',
  'Programming Languages',
  'SCM Providers',
  'Snippets',
  'Testing',
  'Themes',
  'Visualization',
];

function key(setting: string): keyof typeof DEFAULTS {
  return setting.slice(SECTION.length + 1) as keyof typeof DEFAULTS;
}

function typeOf(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (Number.isInteger(value)) return 'integer';
  return typeof value;
}

function markdownFiles(): string[] {
  const docs = path.join(ROOT, 'docs');
  return [
    path.join(ROOT, 'README.md'),
    ...readdirSync(docs, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.md'))
      .map((f) => path.join(docs, f)),
  ];
}

/** Rows of the settings tables: `| \`medner.x\` | \`default as JSON\` | ... |`. */
function documentedSettings(): { setting: string; cell: string; where: string }[] {
  return markdownFiles().flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(/^\|\s*`(medner\.[\w.]+)`\s*\|\s*([^|]*?)\s*\|/gm)].map((m) => ({
      setting: m[1],
      cell: m[2],
      where: path.relative(ROOT, file),
    })),
  );
}

function parseJson(text: string, setting: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    assert.fail(`${setting}: the documented default ${text} is not JSON`);
  }
}

function pngSize(file: string): { width: number; height: number } {
  const png = readFileSync(file);
  assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG', `${file} is not a PNG`);
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

describe('contributes', () => {
  it("declares every setting config.ts reads, with config.ts's default and type", () => {
    assert.deepEqual(settings.map(([s]) => key(s)).sort(), Object.keys(DEFAULTS).sort());
    for (const [setting, schema] of settings) {
      assert.ok(setting.startsWith(`${SECTION}.`), setting);
      assert.deepEqual(schema.default, DEFAULTS[key(setting)], `${setting}: package.json's default differs from settings.ts's`);
      const type = typeOf(schema.default);
      assert.ok(
        schema.type === type || (schema.type === 'number' && type === 'integer'),
        `${setting}: default of type ${type}, declared ${schema.type}`,
      );
    }
  });

  it('states the bounds config.ts clamps numbers to', () => {
    const numbers = settings.filter(([, schema]) => schema.type === 'number' || schema.type === 'integer');
    assert.deepEqual(numbers.map(([s]) => key(s)).sort(), Object.keys(BOUNDS).sort());
    for (const [setting, schema] of numbers) {
      const { minimum, maximum } = schema;
      assert.deepEqual(JSON.parse(JSON.stringify({ minimum, maximum })), BOUNDS[key(setting) as keyof typeof BOUNDS], setting);
    }
  });

  it('gives every setting a markdownDescription, a scope and an order', () => {
    for (const [setting, schema] of settings) {
      assert.ok(schema.markdownDescription?.trim(), `${setting} has no markdownDescription`);
      assert.equal(schema.description, undefined, `${setting}: a description beside the markdownDescription is a second text to keep`);
      assert.ok(SCOPES.includes(schema.scope ?? ''), `${setting} has no scope`);
      assert.equal(typeof schema.order, 'number', `${setting} has no order`);
    }
  });

  it('groups the settings in ordered categories, medner.enabled first', () => {
    assert.ok(
      Array.isArray(manifest.contributes.configuration),
      'configuration is one flat list, which the Settings UI sorts alphabetically',
    );
    const byOrder = <T extends { order?: number }>(items: T[]) => [...items].sort((a, b) => (a.order ?? Infinity) - (b.order ?? Infinity));
    const categories = byOrder(configuration);
    for (const category of categories) {
      assert.ok(category.title, 'a category without a title');
      assert.equal(typeof category.order, 'number', `${category.title} has no order`);
      const orders = Object.values(category.properties).map((s) => s.order);
      assert.equal(new Set(orders).size, orders.length, `${category.title}: two settings share an order`);
    }
    assert.equal(new Set(categories.map((c) => c.order)).size, categories.length, 'two categories share an order');
    const first = byOrder(Object.entries(categories[0].properties).map(([setting, s]) => ({ setting, order: s.order })))[0];
    assert.equal(first.setting, 'medner.enabled');
  });

  it('restricts medner.modelPath in an untrusted workspace, where its scope lets a workspace set it', () => {
    const untrusted = manifest.capabilities.untrustedWorkspaces;
    assert.equal(untrusted.supported, 'limited');
    assert.ok(untrusted.restrictedConfigurations.includes('medner.modelPath'));
    const scopes = new Map(settings.map(([s, schema]) => [s, schema.scope]));
    for (const setting of untrusted.restrictedConfigurations) {
      assert.ok(scopes.has(setting), `${setting} is restricted but not declared`);
      // These scopes ignore workspace values everywhere, so restricting one would be moot.
      assert.ok(
        !['application', 'machine'].includes(scopes.get(setting) ?? ''),
        `${setting}: scope ${scopes.get(setting)} never reads a workspace value`,
      );
    }
  });

  it('describes every value of every enum, the six entity types included', () => {
    const shownTypes = Object.fromEntries(settings)['medner.shownTypes'];
    assert.deepEqual(
      shownTypes.items?.enum,
      YIDU_LABELS.map((l) => LABEL_ALIASES[l]),
    );
    YIDU_LABELS.forEach((label, i) =>
      assert.ok(shownTypes.items?.enumDescriptions?.[i]?.includes(label), `${LABEL_ALIASES[label]}'s description does not name ${label}`),
    );
    for (const [setting, schema] of settings) {
      for (const s of [schema, schema.items ?? {}]) {
        if (s.enum) assert.equal(s.enumDescriptions?.length, s.enum.length, `${setting}: enumDescriptions do not match enum`);
      }
    }
  });

  it("documents every setting once in the README's settings tables, with its default", () => {
    const documented = documentedSettings();
    const declared = new Map(settings);
    for (const { setting, where } of documented)
      assert.ok(declared.has(setting), `${where} documents ${setting}, which package.json does not declare`);
    for (const [setting, schema] of settings) {
      const rows = documented.filter((d) => d.setting === setting);
      assert.equal(rows.length, 1, `${setting} is documented in ${rows.length} settings-table rows`);
      const cell = /^`(.*)`$/.exec(rows[0].cell)?.[1];
      assert.ok(cell !== undefined, `${setting}: the default column should be the JSON value in backticks, not ${rows[0].cell}`);
      assert.deepEqual(parseJson(cell, setting), schema.default, `${setting}: ${rows[0].where} gives the default ${cell}`);
    }
  });

  it('registers every declared command, and hides from the palette exactly those that need an argument', () => {
    const sources = readdirSync(path.join(ROOT, 'src', 'extension')).map((f) =>
      readFileSync(path.join(ROOT, 'src', 'extension', f), 'utf8'),
    );
    const registered = new Set(
      sources.flatMap((text) => [...text.matchAll(/(?:reg|registerCommand)\(\s*'(medner\.\w+)'/g)].map((m) => m[1])),
    );
    assert.deepEqual([...registered].sort(), [...commands].sort());

    const menus: MenuItem[] = Object.values(manifest.contributes.menus as Record<string, MenuItem[]>).flat();
    for (const { command } of [...menus, ...manifest.contributes.keybindings])
      assert.ok(commands.includes(command), `${command} is not declared`);

    const hidden = palette.filter((m) => m.when === 'false').map((m) => m.command);
    assert.deepEqual(hidden.sort(), Object.keys(ARGUMENT_ONLY).sort());
    for (const command of commands)
      assert.ok(palette.filter((m) => m.command === command).length <= 1, `${command} has two palette entries`);
  });

  it('welcomes the user in the empty Entities view with commands that exist', () => {
    const welcome: { view: string; contents: string }[] = manifest.contributes.viewsWelcome ?? [];
    const entities = welcome.filter((w) => w.view === 'medner.entities');
    assert.ok(
      entities.some((w) => w.contents.includes('(command:medner.prepareReview)')),
      'no Prepare Folder for Review button',
    );
    for (const { contents } of welcome) {
      for (const [, command] of contents.matchAll(/\(command:([\w.]+)\)/g)) {
        assert.ok(commands.includes(command) || command === 'vscode.openFolder', `${command} is not a command`);
      }
    }
  });

  it('presents itself in the Marketplace: real categories, keywords, a PNG icon of at least 128×128', () => {
    assert.ok(manifest.categories.length > 0);
    for (const category of manifest.categories) assert.ok(CATEGORIES.includes(category) && category !== 'Other', `category ${category}`);
    assert.ok(manifest.keywords?.length > 0 && manifest.keywords.length <= 30, 'keywords');
    assert.match(manifest.icon ?? '', /\.png$/);
    const { width, height } = pngSize(path.join(ROOT, manifest.icon));
    assert.ok(width >= 128 && height >= 128, `icon is ${width}×${height}`);
  });
});
