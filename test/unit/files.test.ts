import * as assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { collectInputs } from '../../src/core/files';

describe('collectInputs', () => {
  let root: string;
  const p = (...parts: string[]) => path.join(root, ...parts);

  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'medner-files-'));
    await mkdir(p('docs', 'sub'), { recursive: true });
    await writeFile(p('docs', 'b.txt'), 'b');
    await writeFile(p('docs', 'a.txt'), 'a');
    await writeFile(p('docs', 'notes.md'), 'md');
    await writeFile(p('docs', 'sub', 'c.txt'), 'c');
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('finds matching files recursively in sorted order', async () => {
    const result = await collectInputs([p('docs')]);
    assert.deepEqual(result, { files: [p('docs', 'a.txt'), p('docs', 'b.txt'), p('docs', 'sub', 'c.txt')], problems: [] });
  });

  it('includes files named explicitly whatever the glob', async () => {
    const result = await collectInputs([p('docs', 'notes.md'), p('docs', 'sub')]);
    assert.deepEqual(result.files, [p('docs', 'notes.md'), p('docs', 'sub', 'c.txt')]);
  });

  it('matches the glob against the path relative to the folder', async () => {
    const result = await collectInputs([p('docs')], 'sub/*.txt');
    assert.deepEqual(result.files, [p('docs', 'sub', 'c.txt')]);
  });

  it('reports missing paths and keeps going', async () => {
    const result = await collectInputs([p('missing.txt'), p('docs', 'a.txt')]);
    assert.deepEqual(result, { files: [p('docs', 'a.txt')], problems: [{ path: p('missing.txt'), reason: 'not found' }] });
  });

  it('survives a symlink loop and lists each file once', async () => {
    await symlink(p('docs'), p('docs', 'sub', 'loop'), 'dir');
    const result = await collectInputs([p('docs')]);
    assert.deepEqual(result, { files: [p('docs', 'a.txt'), p('docs', 'b.txt'), p('docs', 'sub', 'c.txt')], problems: [] });
  });

  it('reports a self-referencing symlink and a dangling one', async () => {
    await symlink(p('docs', 'self.txt'), p('docs', 'self.txt'));
    await symlink(p('nowhere.txt'), p('docs', 'dangling.txt'));
    const result = await collectInputs([p('docs')]);
    assert.deepEqual(result.problems, [
      { path: p('docs', 'dangling.txt'), reason: 'broken symbolic link' },
      { path: p('docs', 'self.txt'), reason: 'symbolic link loop' },
    ]);
    assert.equal(result.files.length, 3);
  });

  it('lists a file reached through two arguments once, under its first name', async () => {
    await symlink(p('docs', 'a.txt'), p('alias.txt'));
    const result = await collectInputs([p('alias.txt'), p('docs')]);
    assert.deepEqual(result.files, [p('alias.txt'), p('docs', 'b.txt'), p('docs', 'sub', 'c.txt')]);
  });
});
