import * as assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { writeFileAtomic } from '../../src/core/atomic';

describe('writeFileAtomic', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'medner-atomic-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates a file and replaces an existing one, leaving no temp files', async () => {
    const target = path.join(dir, 'out.jsonl');
    await writeFileAtomic(target, '第一版\n');
    assert.equal(await readFile(target, 'utf8'), '第一版\n');
    await writeFile(target, 'old');
    await writeFileAtomic(target, new Uint8Array([0x61, 0x62]));
    assert.equal(await readFile(target, 'utf8'), 'ab');
    assert.deepEqual(await readdir(dir), ['out.jsonl']);
  });

  it('removes the temp file and keeps the target when the rename fails', async () => {
    const target = path.join(dir, 'taken');
    await mkdir(target);
    await writeFile(path.join(target, 'inside'), 'x');
    await assert.rejects(writeFileAtomic(target, 'data'));
    assert.deepEqual((await readdir(dir)).sort(), ['taken']);
    assert.deepEqual(await readdir(target), ['inside']);
  });

  it('fails without leaving anything when the folder does not exist', async () => {
    await assert.rejects(writeFileAtomic(path.join(dir, 'no', 'such.txt'), 'x'), { code: 'ENOENT' });
    assert.deepEqual(await readdir(dir), []);
  });
});
