// Reliability under bad input and a hostile environment: the generated fault fixtures
// (faultFixtures.ts) through the core and the built CLI, then full disks, interrupts, inputs that
// change during a run, and broken models. Every case: a clear message, the rest of the work done,
// no partial output, and the sources left byte for byte and mtime for mtime as they were.
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { openAtomic } from '../../src/core/atomic';
import { labelBatch, type BatchOptions } from '../../src/core/batch';
import { NerEngine } from '../../src/core/engine';
import { decodeBuffer } from '../../src/core/decode';
import { readAnnotations } from '../../src/core/formats/detect';
import { parseDocuments, serializeDocumentPieces, serializeDocuments } from '../../src/core/formats/jsonl';
import { loadFile, readInputs } from '../../src/core/inputs';
import { ModelError } from '../../src/core/model';
import { WorkerRunner } from '../../src/core/workerRunner';
import { type FaultCase, faultCases, snapshot, writeFaultFolder, writeLarge } from './faultFixtures';
import { meta, RuleRunner } from './fakeModel';
import { journalEntries, storedInputs } from './outDirState';
import { ROOT } from './support';
import { sickRuns, writeTinyModel } from './tinyModel';

const CLI = path.join(ROOT, 'dist', 'cli.js');

function medner(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: ROOT, timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

// Every temporary folder and model these tests make, removed at the end.
const made: string[] = [];

function tempDir(prefix = 'medner-faults-'): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

function tinyModel(options: Parameters<typeof writeTinyModel>[0] = {}): string {
  const dir = writeTinyModel(options);
  made.push(dir);
  return dir;
}

after(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** Files an atomic write leaves behind only when it failed to clean up. */
function leftovers(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.tmp'));
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

describe('fault fixtures', function () {
  this.timeout(180_000);
  let root: string;
  let inDir: string;
  let cases: FaultCase[];
  let sources: ReturnType<typeof snapshot>;
  let tiny: string;
  const labelledCases = () => cases.filter((c) => 'text' in c.expect);
  const skippedCases = () => cases.filter((c) => 'skipped' in c.expect);

  before(function () {
    assert.ok(existsSync(CLI), 'run `npm run build` first');
    root = tempDir();
    inDir = path.join(root, 'in');
    mkdirSync(inDir);
    cases = writeFaultFolder(inDir, faultCases());
    sources = snapshot(inDir);
    tiny = tinyModel();
  });

  afterEach(() => {
    assert.deepEqual(snapshot(inDir), sources, 'the sources are untouched: same entries, bytes and mtimes');
  });

  after(() => {
    // Early, for the 50 MB file.
    rmSync(root, { recursive: true, force: true });
  });

  it('reads or skips every case as specified (core)', async () => {
    const seen = new Map<string, { text?: string; encoding?: string; reason?: string }>();
    for await (const item of readInputs([inDir])) {
      const p = 'doc' in item ? item.doc.path : item.skipped.path;
      const rel = path.relative(inDir, p);
      assert.ok(!seen.has(rel), `${rel} listed once`);
      seen.set(rel, 'doc' in item ? { text: item.doc.text, encoding: item.doc.encoding } : { reason: item.skipped.reason });
    }
    assert.deepEqual([...seen.keys()].sort(), cases.map((c) => c.name).sort());
    for (const c of cases) {
      const got = seen.get(c.name)!;
      if ('skipped' in c.expect) assert.match(got.reason ?? `read as ${got.encoding}`, c.expect.skipped, c.name);
      else assert.deepEqual(got, c.expect, c.name);
    }
  });

  it('labels each readable case at code-point offsets, windows included (core, tiny ONNX model)', async () => {
    const engine = await NerEngine.load(tiny, { threads: 1 });
    try {
      for (const c of labelledCases()) {
        const { text } = c.expect as { text: string };
        const entities = await engine.analyze(text);
        assert.deepEqual(
          entities.map((e) => ({ start: e.start, end: e.end })),
          sickRuns(text),
          c.name,
        );
        const chars = Array.from(text);
        for (const e of entities) assert.equal(e.text, chars.slice(e.start, e.end).join(''));
      }
    } finally {
      await engine.dispose();
    }
  });

  it('CLI: one "skipped" line per bad input, every other input labelled, exit 1', () => {
    const out = path.join(root, 'cli-out');
    mkdirSync(out);
    const started = Date.now();
    const r = medner(['label', inDir, '--model', tiny, '--out', path.join(out, 'all.jsonl')]);
    assert.equal(r.code, 1, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, skippedCases().length, r.stderr);
    for (const c of skippedCases()) {
      const line = lines.find((l) => l.startsWith(`medner: skipped ${path.join(inDir, c.name)}: `));
      assert.ok(line, `a line for ${c.name} in:\n${r.stderr}`);
      assert.match(line.slice(line.indexOf(': ', 'medner: skipped '.length) + 2), (c.expect as { skipped: RegExp }).skipped);
    }
    const docs = parseDocuments(readFileSync(path.join(out, 'all.jsonl'), 'utf8'));
    assert.deepEqual(
      docs.map((d) => path.relative(inDir, d.path)).sort(),
      labelledCases()
        .map((c) => c.name)
        .sort(),
    );
    for (const d of docs) {
      const c = cases.find((x) => x.name === path.relative(inDir, d.path))!;
      assert.deepEqual({ text: d.text, encoding: d.encoding }, c.expect, c.name);
      assert.deepEqual(
        d.entities.map((e) => ({ start: e.start, end: e.end })),
        sickRuns(d.text),
        c.name,
      );
    }
    assert.deepEqual(readdirSync(out), ['all.jsonl']);
    console.log(`      ${cases.length} fault cases (1 MB line included) in ${Date.now() - started} ms`);
  });

  it('CLI: --out-dir labels the same, records only what it labelled, and a rerun reuses it all', () => {
    const out = path.join(root, 'dir-out');
    const r = medner(['label', inDir, '--model', tiny, '--out-dir', out]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`medner: ${labelledCases().length} documents from `));
    const manifest = JSON.parse(readFileSync(path.join(out, '.medner', 'manifest.json'), 'utf8')) as {
      inputs: Record<string, { sha256: string }>;
    };
    assert.deepEqual(
      Object.keys(manifest.inputs)
        .map((p) => path.relative(inDir, p))
        .sort(),
      labelledCases()
        .map((c) => c.name)
        .sort(),
    );
    const summary = readFileSync(path.join(out, 'summary.md'), 'utf8');
    for (const c of skippedCases()) assert.ok(summary.includes(`\`${path.join(inDir, c.name)}\`: `), c.name);
    const again = medner(['label', inDir, '--model', tiny, '--out-dir', out]);
    assert.equal(again.code, 1, again.stderr);
    assert.match(again.stderr, new RegExp(`\\(${labelledCases().length} unchanged, reused\\)`));
    assert.deepEqual(leftovers(out), []);
  });

  it("CLI: brat export writes every labelled case's text as UTF-8 without a BOM, and reads back with the same entities", async () => {
    const out = path.join(root, 'brat-out');
    const r = medner(['label', inDir, '--model', tiny, '--out-dir', out, '--format', 'brat']);
    assert.equal(r.code, 1, r.stderr);
    for (const c of labelledCases()) {
      const txt = path.join(out, c.name.replace(/\.txt$/, '') + '.txt');
      const source = decodeBuffer(readFileSync(path.join(inDir, c.name)));
      assert.ok('text' in source, c.name);
      assert.deepEqual(readFileSync(txt), Buffer.from(source.text, 'utf8'), `${c.name}: its text in UTF-8`);
    }
    const back = await readAnnotations(out, 'brat');
    assert.equal(back.length, labelledCases().length);
    for (const d of back)
      assert.deepEqual(
        d.entities.map((e) => ({ start: e.start, end: e.end })),
        sickRuns(d.text),
        d.path,
      );
  });

  it('CLI: --max-bytes names the limit and the size of what it skips, stdin included', () => {
    const r = medner([
      'label',
      path.join(inDir, 'one-line-1mb.txt'),
      path.join(inDir, 'crlf.txt'),
      '--model',
      tiny,
      '--max-bytes',
      '1000000',
    ]);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stderr, `medner: skipped ${path.join(inDir, 'one-line-1mb.txt')}: larger than the 976.6 KB limit (1.0 MB)\n`);
    assert.deepEqual(
      parseDocuments(r.stdout).map((d) => path.basename(d.path)),
      ['crlf.txt'],
    );
    const stdin = spawnSync(process.execPath, [CLI, 'label', '-', '--model', tiny, '--max-bytes', '1000'], {
      input: '病'.repeat(1000),
      encoding: 'utf8',
    });
    assert.equal(stdin.status, 1);
    // The rest of a pipe is never read, so its size is not known.
    assert.equal(stdin.stderr, 'medner: skipped -: larger than the 1.0 KB limit\n');
    assert.equal(stdin.stdout, '');
  });

  it('CLI: stdin is read only up to --max-bytes: an endless pipe is skipped, never buffered', () => {
    const r = spawnSync(
      'sh',
      ['-c', `yes 病病病病病病病病 | "${process.execPath}" "${CLI}" label - --model "${tiny}" --max-bytes 100000`],
      { encoding: 'utf8', timeout: 60_000 },
    );
    assert.equal(r.signal, null, 'finished, without waiting for the end of the pipe');
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stderr, 'medner: skipped -: larger than the 97.7 KB limit\n');
  });
});

describe('FIFOs, sockets and devices are never opened', function () {
  this.timeout(60_000);

  function fifo(file: string): string {
    const r = spawnSync('mkfifo', [file]);
    assert.equal(r.status, 0, String(r.stderr));
    return file;
  }

  it('core: loadFile skips a FIFO without waiting for a writer', async () => {
    const dir = tempDir();
    const loaded = await loadFile(fifo(path.join(dir, 'records.jsonl')), { format: 'yidu' });
    assert.deepEqual(loaded, {
      skipped: { path: path.join(dir, 'records.jsonl'), reason: 'not a regular file (a FIFO, socket or device is never read)' },
    });
    assert.deepEqual(await loadFile('/dev/zero'), {
      skipped: { path: '/dev/zero', reason: 'not a regular file (a FIFO, socket or device is never read)' },
    });
  });

  it('CLI: eval refuses a FIFO given as gold or pred, or named x.txt in a brat folder, in one line', () => {
    const dir = tempDir();
    const brat = path.join(dir, 'brat');
    mkdirSync(brat);
    writeFileSync(path.join(brat, 'a.txt'), '病');
    writeFileSync(path.join(brat, 'a.ann'), '');
    const gold = path.join(dir, 'gold.jsonl');
    writeFileSync(gold, JSON.stringify({ originalText: '病', entities: [] }) + '\n');
    fifo(path.join(brat, 'x.txt'));
    const pipe = fifo(path.join(dir, 'pred.jsonl'));
    for (const [args, message] of [
      [['--gold', brat, '--pred', gold], `${path.join(brat, 'x.txt')}: not a regular file (a FIFO, socket or device is never read)`],
      [['--gold', gold, '--pred', pipe], `${pipe}: not a regular file or folder (a FIFO, socket or device is never read)`],
      [
        ['--gold', pipe, '--pred', gold, '--gold-format', 'yidu'],
        `${pipe}: not a regular file or folder (a FIFO, socket or device is never read)`,
      ],
    ] as const) {
      const r = spawnSync(process.execPath, [CLI, 'eval', ...args], { encoding: 'utf8', timeout: 30_000 });
      assert.equal(r.signal, null, `${args.join(' ')}: did not block`);
      assert.equal(r.status, 2);
      assert.equal(r.stderr, `medner: ${message}\n`);
    }
  });

  it('CLI: merge refuses a FIFO as a part', () => {
    const dir = tempDir();
    const pipe = fifo(path.join(dir, 'part.jsonl'));
    const r = spawnSync(process.execPath, [CLI, 'merge', '--out', path.join(dir, 'out.jsonl'), pipe], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(r.signal, null, 'did not block');
    assert.equal(r.status, 2);
    assert.equal(r.stderr, `medner: ${pipe}: not a regular file (a FIFO, socket or device is never read)\n`);
  });
});

describe('paths the user running medner cannot read', () => {
  // chmod 000 does not stop root, so as root the CLI runs as nobody: the case is then tested for real.
  const asRoot = process.getuid?.() === 0;

  it(`CLI: skipped as "permission denied", the rest labelled${asRoot ? ' (run as nobody)' : ''}`, function () {
    const nobody = asRoot ? { uid: 65534, gid: 65534 } : {};
    const canRun = spawnSync(
      process.execPath,
      ['-e', `require('fs').accessSync(${JSON.stringify(CLI)}, require('fs').constants.R_OK)`],
      nobody,
    );
    if (canRun.status !== 0) {
      console.log(`      skipped: nobody cannot read ${CLI} (a checkout in a private folder), so root cannot test unreadable paths`);
      this.skip();
    }
    const dir = tempDir();
    chmodSync(dir, 0o755);
    const model = path.join(dir, 'model');
    mkdirSync(model);
    writeTinyModel({}, model);
    const src = path.join(dir, 'in');
    mkdirSync(path.join(src, 'locked-folder'), { recursive: true });
    writeFileSync(path.join(src, 'a.txt'), '病病');
    writeFileSync(path.join(src, 'locked.txt'), '病');
    writeFileSync(path.join(src, 'locked-folder', 'b.txt'), '病');
    chmodSync(path.join(src, 'locked.txt'), 0o000);
    chmodSync(path.join(src, 'locked-folder'), 0o000);
    const before = snapshot(src);
    const r = spawnSync(process.execPath, [CLI, 'label', src, '--model', model], { encoding: 'utf8', ...nobody });
    assert.equal(r.status, 1, r.stderr);
    // Exactly these lines: nobody's home folder is not writable, which once added an onnxruntime warning.
    assert.equal(
      r.stderr,
      [
        `medner: skipped ${path.join(src, 'locked-folder')}: permission denied`,
        `medner: skipped ${path.join(src, 'locked.txt')}: permission denied`,
        '',
      ].join('\n'),
    );
    assert.deepEqual(
      parseDocuments(r.stdout).map((d) => [path.basename(d.path), d.entities.length]),
      [['a.txt', 1]],
    );
    assert.deepEqual(snapshot(src), before);
    chmodSync(path.join(src, 'locked-folder'), 0o755); // so that it can be removed
  });
});

describe('faults in the environment', function () {
  this.timeout(120_000);
  let tiny: string;

  before(() => {
    tiny = tinyModel();
  });

  /** `n` records of `chars` characters each (runs of 病 among other text). */
  function records(dir: string, n: number, chars: number): string {
    mkdirSync(dir, { recursive: true });
    for (let i = 0; i < n; i++) {
      const unit = `记录${i}：病病a。病a，`;
      writeFileSync(path.join(dir, `r${String(i).padStart(3, '0')}.txt`), unit.repeat(Math.ceil(chars / unit.length)).slice(0, chars));
    }
    return dir;
  }

  describe('a full disk', () => {
    let mnt: string;

    before(function () {
      mnt = tempDir('medner-full-disk-');
      const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=200k', 'tmpfs', mnt], { encoding: 'utf8' });
      if (r.status !== 0) {
        console.log(`      skipped: cannot mount a 200 KB tmpfs to fill (${(r.stderr || r.error?.message || '').trim()}); needs root`);
        this.skip();
      }
    });

    after(() => {
      spawnSync('umount', ['-l', mnt]); // lazy: a failed test may still hold a file open there
      rmSync(mnt, { recursive: true, force: true });
    });

    it('openAtomic: a chunk the disk takes only part of fails the write, and nothing is committed (core)', async () => {
      const target = path.join(mnt, 'big.jsonl');
      const out = await openAtomic(target);
      await assert.rejects(out.write('病'.repeat(100_000)), {
        message: `cannot write ${target}: no space left on the device`,
        code: 'ENOSPC',
      });
      await out.abort();
      assert.deepEqual(readdirSync(mnt), []);
    });

    it('--out: says the disk is full, exits 2, and leaves the previous output and no partial file', () => {
      const src = records(path.join(tempDir(), 'in'), 10, 20_000);
      const before = snapshot(src);
      const out = path.join(mnt, 'out.jsonl');
      writeFileSync(out, 'previous result\n');
      const r = medner(['label', src, '--model', tiny, '--out', out]);
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stderr, `medner: cannot write ${out}: no space left on the device\n`);
      assert.equal(readFileSync(out, 'utf8'), 'previous result\n');
      assert.deepEqual(readdirSync(mnt), ['out.jsonl']);
      assert.deepEqual(snapshot(src), before);
      rmSync(out);
    });

    it('--out-dir: keeps every finished result consistent with the manifest, and resumes once there is room', () => {
      const src = records(path.join(tempDir(), 'in'), 12, 6_000);
      const before = snapshot(src);
      const out = path.join(mnt, 'labelled');
      const r = medner(['label', src, '--model', tiny, '--out-dir', out]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /^medner: cannot write .*: no space left on the device\n$/);
      assert.deepEqual(leftovers(mnt), [], 'no temporary files');
      assert.ok(!existsSync(path.join(out, 'annotations.jsonl')));
      // Whatever the state lists is complete and is the result of the content it hashes.
      const finished = existsSync(path.join(out, '.medner')) ? Object.entries(storedInputs(out)) : [];
      for (const [file, entry] of finished) {
        const [doc] = parseDocuments(readFileSync(path.join(out, '.medner', entry.result), 'utf8'));
        assert.equal(doc.text, readFileSync(file, 'utf8'));
        assert.equal(entry.sha256, sha256(readFileSync(file)));
      }
      assert.ok(finished.length < 12, `${finished.length} finished`);
      spawnSync('mount', ['-o', 'remount,size=8m', mnt]);
      const again = medner(['label', src, '--model', tiny, '--out-dir', out]);
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stderr, new RegExp(`12 documents from 12 files \\(${finished.length} unchanged, reused\\)`));
      assert.equal(parseDocuments(readFileSync(path.join(out, 'annotations.jsonl'), 'utf8')).length, 12);
      assert.deepEqual(snapshot(src), before);
    });
  });

  describe('an interrupt (SIGINT) in the middle of writing', () => {
    /**
     * Starts the CLI, sends SIGINT once `ready()` holds (and again `againAfterMs` later, as an
     * impatient user would), and resolves with its exit code and stderr.
     */
    function interrupted(
      args: string[],
      ready: () => boolean,
      againAfterMs?: number,
    ): Promise<{ code: number | null; stderr: string; signalled: boolean }> {
      return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        let signalled = false;
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        const poll = setInterval(() => {
          if (!signalled && ready()) {
            signalled = child.kill('SIGINT');
            clearInterval(poll);
            if (againAfterMs !== undefined) setTimeout(() => child.kill('SIGINT'), againAfterMs);
          }
        }, 5);
        child.on('error', reject);
        child.on('close', (code) => {
          clearInterval(poll);
          resolve({ code, stderr, signalled });
        });
      });
    }

    it('--out: no output file and no partial one; the interrupt is reported', async () => {
      const dir = tempDir();
      const src = records(path.join(dir, 'in'), 60, 20_000);
      const outDir = path.join(dir, 'out');
      mkdirSync(outDir);
      const out = path.join(outDir, 'out.jsonl');
      const writing = () => readdirSync(outDir).some((f) => f.endsWith('.tmp') && readFileSync(path.join(outDir, f)).length > 0);
      const before = snapshot(src);
      const r = await interrupted(['label', src, '--model', tiny, '--out', out], writing);
      assert.ok(r.signalled, 'the run was still going when interrupted');
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stderr, 'medner: interrupted\n');
      assert.deepEqual(readdirSync(outDir), [], 'neither out.jsonl nor its temporary file');
      assert.deepEqual(snapshot(src), before);
    });

    it('--out: a second SIGINT stops at once, and still leaves no partial file', async () => {
      const dir = tempDir();
      const src = records(path.join(dir, 'in'), 60, 20_000);
      const outDir = path.join(dir, 'out');
      mkdirSync(outDir);
      const writing = () => readdirSync(outDir).some((f) => f.endsWith('.tmp') && readFileSync(path.join(outDir, f)).length > 0);
      // 10 ms: while the first interrupt is still winding the run down (without the second
      // handler, the default action of SIGINT killed the process there and left its temp file).
      const r = await interrupted(['label', src, '--model', tiny, '--out', path.join(outDir, 'out.jsonl')], writing, 10);
      assert.ok(r.signalled);
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stderr, 'medner: interrupted\n');
      assert.deepEqual(readdirSync(outDir), []);
    });

    it('--out-dir: finished results are kept, nothing partial, and a rerun resumes from them', async () => {
      const dir = tempDir();
      const src = records(path.join(dir, 'in'), 40, 12_000);
      const out = path.join(dir, 'out');
      const before = snapshot(src);
      const r = await interrupted(['label', src, '--model', tiny, '--out-dir', out], () => journalEntries(out) > 0);
      assert.ok(r.signalled, 'the run was still going when interrupted');
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stderr, 'medner: interrupted: finished results are kept; rerun to resume\n');
      assert.deepEqual(leftovers(out), []);
      assert.ok(!existsSync(path.join(out, 'annotations.jsonl')), 'no export from an interrupted run');
      const finished = Object.values(storedInputs(out));
      assert.ok(finished.length > 0 && finished.length < 40, `${finished.length} of 40 finished`);
      for (const entry of finished) parseDocuments(readFileSync(path.join(out, '.medner', entry.result), 'utf8'));
      const again = medner(['label', src, '--model', tiny, '--out-dir', out]);
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stderr, new RegExp(`40 documents from 40 files \\(${finished.length} unchanged, reused\\)`));
      const docs = parseDocuments(readFileSync(path.join(out, 'annotations.jsonl'), 'utf8'));
      assert.equal(docs.length, 40);
      for (const d of docs)
        assert.deepEqual(
          d.entities.map((e) => ({ start: e.start, end: e.end })),
          sickRuns(d.text),
        );
      assert.deepEqual(snapshot(src), before);
    });
  });

  describe('inputs that change during a batch', () => {
    const options = (outDir: string, extra: Partial<BatchOptions> = {}): BatchOptions => ({
      outDir,
      chunkChars: 1,
      exportFiles: (docs) => [{ relativePath: 'annotations.jsonl', content: serializeDocuments(docs) }],
      ...extra,
    });

    /** A runner that calls `during` once, inside its first inference: while the batch is under way. */
    function runnerWith(during: () => void): RuleRunner {
      const runner = new RuleRunner();
      const run = runner.run.bind(runner);
      let done = false;
      runner.run = async (batch) => {
        if (!done) {
          done = true;
          during();
        }
        return run(batch);
      };
      return runner;
    }

    type Manifest = { inputs: Record<string, { sha256: string; result: string }> };
    const readManifest = (out: string) => JSON.parse(readFileSync(path.join(out, '.medner', 'manifest.json'), 'utf8')) as Manifest;

    it('records the hash of what was labelled, forgets a deleted input, and relabels a changed one on the next run', async () => {
      const dir = tempDir();
      const src = path.join(dir, 'in');
      mkdirSync(src);
      const file = (n: string) => path.join(src, n);
      for (const n of ['a.txt', 'b.txt', 'c.txt']) writeFileSync(file(n), `${n}：病病`);
      const out = path.join(dir, 'out');
      await labelBatch(new NerEngine(meta(64), new RuleRunner()), [src], options(out));
      const cResult = readManifest(out).inputs[file('c.txt')].result;
      writeFileSync(file('a.txt'), 'a.txt 改：病'); // changed since the first run
      // While a.txt is being labelled: it changes again, and c.txt (not read yet) is deleted.
      const runner = runnerWith(() => {
        writeFileSync(file('a.txt'), 'a.txt 又改：病病病');
        rmSync(file('c.txt'));
      });
      const summary = await labelBatch(new NerEngine(meta(64), runner), [src], options(out));
      assert.deepEqual(
        summary.skipped.map((s) => [path.basename(s.path), s.reason]),
        [['c.txt', 'no such file']],
      );
      const manifest = readManifest(out);
      assert.deepEqual(Object.keys(manifest.inputs).sort(), [file('a.txt'), file('b.txt')]);
      assert.equal(manifest.inputs[file('a.txt')].sha256, sha256('a.txt 改：病'), 'the hash of the bytes that were labelled');
      const [stored] = parseDocuments(readFileSync(path.join(out, '.medner', manifest.inputs[file('a.txt')].result), 'utf8'));
      assert.equal(stored.text, 'a.txt 改：病');
      assert.ok(!existsSync(path.join(out, '.medner', cResult)), "the deleted input's result is gone");
      const next = await labelBatch(new NerEngine(meta(64), new RuleRunner()), [src], options(out));
      assert.equal(next.reused, 1, 'b.txt only');
      const docs = parseDocuments(readFileSync(path.join(out, 'annotations.jsonl'), 'utf8'));
      assert.deepEqual(
        docs.map((d) => d.text),
        ['a.txt 又改：病病病', 'b.txt：病病'],
      );
      assert.deepEqual(readdirSync(path.join(out, '.medner', 'results')).length, 2, 'no stale result files');
    });

    it("never pairs a recorded hash with another content's result, even when the record could not be saved", async () => {
      const dir = tempDir();
      const src = path.join(dir, 'in');
      mkdirSync(src);
      const a = path.join(src, 'a.txt');
      writeFileSync(a, '第一版：病');
      writeFileSync(path.join(src, 'b.txt'), '病病');
      const out = path.join(dir, 'out');
      const journalFile = path.join(out, '.medner', 'journal.jsonl');
      await labelBatch(new NerEngine(meta(64), new RuleRunner()), [src], options(out));
      writeFileSync(a, '第二版：病病病');
      // The second run labels a.txt and writes its result, but cannot append to the journal (a
      // folder stands in its way): the first run's state stays, as after a crash at that point.
      const saved = storedInputs(out);
      const runner = runnerWith(() => {
        renameSync(journalFile, `${journalFile}.bak`);
        mkdirSync(journalFile);
      });
      await assert.rejects(labelBatch(new NerEngine(meta(64), runner), [src], options(out)), /cannot write .*journal\.jsonl/);
      rmSync(journalFile, { recursive: true });
      renameSync(`${journalFile}.bak`, journalFile);
      assert.deepEqual(storedInputs(out), saved);
      writeFileSync(a, '第一版：病'); // back to the content the manifest hashes
      const third = await labelBatch(new NerEngine(meta(64), new RuleRunner()), [src], options(out));
      assert.equal(third.reused, 2);
      const docs = parseDocuments(readFileSync(path.join(out, 'annotations.jsonl'), 'utf8'));
      assert.equal(docs.find((d) => d.path.endsWith('a.txt'))!.text, '第一版：病', "the first version's result, not the second's");
    });
  });

  describe('a missing, damaged or mismatched model', () => {
    // Each case edits a copy of the tiny model; the message must say what is wrong with which file.
    // `session`: found by ONNX Runtime's session (so in the extension's worker thread too).
    const MODEL_FAULTS: { name: string; make(dir: string): void; message: RegExp; session?: true }[] = [
      {
        name: 'no model.json',
        make: (d) => rmSync(path.join(d, 'model.json')),
        message: /^cannot read model metadata .*model\.json: ENOENT/,
      },
      {
        name: 'model.json cut short',
        make: (d) => truncateSync(path.join(d, 'model.json'), 100),
        message: /^cannot read model metadata .*model\.json: .*JSON/,
      },
      { name: 'no model.onnx', make: (d) => rmSync(path.join(d, 'model.onnx')), message: /^cannot read model file .*model\.onnx: ENOENT/ },
      {
        name: 'model.onnx truncated',
        make: (d) => truncateSync(path.join(d, 'model.onnx'), 40),
        message: /^model file .*model\.onnx does not match its metadata \(sha256 .*\): it is corrupt, truncated or from another export$/,
      },
      {
        name: 'model.onnx of another export (sha256 mismatch)',
        make: (d) => copyFileSync(path.join(tinyModel({ maxLength: 32, emittedTags: 4 }), 'model.onnx'), path.join(d, 'model.onnx')),
        message: /does not match its metadata .*from another export$/,
      },
      {
        name: 'model.onnx corrupt, metadata updated to match',
        make: (d) => {
          const garbage = Buffer.from('this is not an ONNX protobuf at all');
          writeFileSync(path.join(d, 'model.onnx'), garbage);
          const m = JSON.parse(readFileSync(path.join(d, 'model.json'), 'utf8')) as { onnx: { sha256: string } };
          m.onnx.sha256 = sha256(garbage);
          writeFileSync(path.join(d, 'model.json'), JSON.stringify(m));
        },
        message: /^cannot load model .*model\.onnx: /,
        session: true,
      },
      {
        name: 'metadata listing 3 tags for a graph that emits 5',
        make: (d) => writeTinyModel({ emittedTags: 5 }, d),
        message: /^model emits batchxlengthx5 scores but its metadata lists 3 tags: model\.json is not this ONNX file's$/,
        session: true,
      },
      {
        name: 'a graph without the emissions output',
        make: (d) => writeTinyModel({ outputName: 'logits' }, d),
        message: /does not have the inputs input_ids\/attention_mask and output emissions$/,
        session: true,
      },
      {
        // Read as float32, its bytes once gave thousands of nonsense entities, and exit 0.
        name: 'float16 emissions',
        make: (d) => writeTinyModel({ emissionsType: 'float16' }, d),
        message: /^model .*model\.onnx: output emissions is a float16 tensor, not a float32 tensor$/,
        session: true,
      },
      {
        name: 'emissions of rank 2',
        make: (d) => writeTinyModel({ flatten: true }, d),
        message: /^model .*model\.onnx: output emissions has shape batchxflat, not batch x length x tags$/,
        session: true,
      },
      {
        name: 'int32 inputs',
        make: (d) => writeTinyModel({ inputType: 'int32' }, d),
        message: /^model .*model\.onnx: input input_ids is an int32 tensor, not an int64 tensor$/,
        session: true,
      },
      {
        // Ids 6 and 7 have no row in the graph's table: found at load, not by the first text that has 人.
        name: "a vocabulary longer than the graph's embedding",
        make: (d) => writeTinyModel({ extraVocab: ['人', '诊'] }, d),
        message:
          /^model .*model\.onnx fails on token id 7, the last of the 8 in model\.json's "vocab": .*indices element out of data bounds/,
        session: true,
      },
      {
        name: 'a vocabulary without [PAD]',
        make: (d) => editMeta(d, (m) => ((m.vocab as string[])[0] = '[NOPAD]')),
        message: /^invalid model metadata .*model\.json: "vocab" lacks the padToken "\[PAD\]" that "normalization" names$/,
      },
      {
        name: 'a vocabulary without [UNK]',
        make: (d) => editMeta(d, (m) => ((m.vocab as string[])[1] = '[NOUNK]')),
        message: /^invalid model metadata .*model\.json: "vocab" lacks the unknownToken "\[UNK\]" that "normalization" names$/,
      },
      {
        // 1e9 made a whole text one window: a 20 MB line would be one sequence through the network.
        name: 'an absurd maxLength',
        make: (d) => editMeta(d, (m) => (m.maxLength = 1e9)),
        message: /^invalid model metadata .*model\.json: "maxLength" must be an integer from 2 to 4096, got 1000000000$/,
      },
      {
        // Today's reading of it blocked forever.
        name: 'model.onnx a FIFO',
        make: (d) => {
          rmSync(path.join(d, 'model.onnx'));
          assert.equal(spawnSync('mkfifo', [path.join(d, 'model.onnx')]).status, 0);
        },
        message: /^.*model\.onnx is a FIFO, not a regular file$/,
      },
      {
        name: 'model.json a FIFO',
        make: (d) => {
          rmSync(path.join(d, 'model.json'));
          assert.equal(spawnSync('mkfifo', [path.join(d, 'model.json')]).status, 0);
        },
        message: /^.*model\.json is a FIFO, not a regular file$/,
      },
      {
        name: 'model.onnx a socket',
        make: (d) => {
          rmSync(path.join(d, 'model.onnx'));
          const bind = spawnSync('python3', [
            '-c',
            'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])',
            path.join(d, 'model.onnx'),
          ]);
          assert.equal(bind.status, 0, String(bind.stderr));
        },
        message: /^.*model\.onnx is a socket, not a regular file$/,
      },
      {
        // Endless: read whole, it would fill the memory.
        name: 'model.onnx a link to a device',
        make: (d) => {
          rmSync(path.join(d, 'model.onnx'));
          symlinkSync('/dev/zero', path.join(d, 'model.onnx'));
        },
        message: /^.*model\.onnx is a device, not a regular file$/,
      },
      {
        name: 'model.json a folder',
        make: (d) => {
          rmSync(path.join(d, 'model.json'));
          mkdirSync(path.join(d, 'model.json'));
        },
        message: /^.*model\.json is a folder, not a regular file$/,
      },
    ];

    const editMeta = (dir: string, edit: (m: Record<string, unknown>) => void) => {
      const file = path.join(dir, 'model.json');
      const m = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      edit(m);
      writeFileSync(file, JSON.stringify(m));
    };

    const broken = (make: (d: string) => void) => {
      const dir = tinyModel();
      make(dir);
      return dir;
    };

    for (const fault of MODEL_FAULTS) {
      it(`${fault.name}: a ModelError at load (core)`, async () => {
        await assert.rejects(NerEngine.load(broken(fault.make), { threads: 1 }), (e: Error) => {
          assert.ok(e instanceof ModelError, e.stack);
          assert.match(e.message, fault.message);
          return true;
        });
      });
    }

    it("the same errors from the extension's worker thread", async () => {
      const { loadModelMeta } = await import('../../src/core/model');
      const script = path.join(ROOT, 'dist', 'inferenceWorker.js');
      for (const fault of MODEL_FAULTS.filter((f) => f.session)) {
        const dir = broken(fault.make);
        await assert.rejects(
          WorkerRunner.create(loadModelMeta(dir), { threads: 1 }, script),
          (e: Error) => e instanceof ModelError && fault.message.test(e.message),
        );
      }
    });

    it('CLI: "model error" and exit 2 before any output is started, for each', () => {
      const dir = tempDir();
      const src = path.join(dir, 'in.txt');
      writeFileSync(src, '诊断：病病。');
      const outDir = path.join(dir, 'out');
      mkdirSync(outDir);
      const out = path.join(outDir, 'out.jsonl');
      writeFileSync(out, 'previous result\n');
      for (const fault of MODEL_FAULTS) {
        const model = broken(fault.make);
        const r = medner(['label', src, '--model', model, '--out', out]);
        assert.equal(r.code, 2, `${fault.name}: ${r.stderr}`);
        // Not ONNX Runtime's own coloured log lines: one line of ours.
        assert.ok(!r.stderr.includes('\x1b['), `${fault.name}: ${r.stderr}`);
        const [line, ...rest] = r.stderr.trim().split('\n');
        assert.deepEqual(rest, [], fault.name);
        assert.match(line.replace(/^medner: model error: /, ''), fault.message, fault.name);
        assert.ok(line.startsWith('medner: model error: '), line);
        assert.equal(readFileSync(out, 'utf8'), 'previous result\n', fault.name);
        assert.deepEqual(readdirSync(outDir), ['out.jsonl'], fault.name);
        const folder = medner(['label', src, '--model', model, '--out-dir', path.join(dir, 'never')]);
        assert.equal(folder.code, 2, fault.name);
        assert.ok(!existsSync(path.join(dir, 'never')), `${fault.name}: no output folder`);
      }
      assert.equal(readFileSync(src, 'utf8'), '诊断：病病。');
    });
  });
});

describe('bounded memory', function () {
  this.timeout(120_000);

  it('CLI: a 20 MB file of one line labels under 400 MB peak RSS, entities and all (tiny model)', () => {
    // ~530,000 entities, as many as the shipped model finds in 20 MB of clinical text. It peaked
    // at 730 MB when the text was split into an array of characters and written as one JSON string.
    const dir = tempDir();
    const big = path.join(dir, 'one-line.txt');
    writeLarge(big, 20 * 1024 * 1024);
    const out = path.join(dir, 'out.jsonl');
    // The kernel's figure for the child, as /usr/bin/time -v reports it.
    const script =
      'import resource, subprocess, sys\nr = subprocess.run(sys.argv[1:])\nprint(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)';
    const r = spawnSync(
      'python3',
      ['-c', script, process.execPath, CLI, 'label', big, '--model', tinyModel({ maxLength: 256 }), '--quiet', '--out', out],
      { encoding: 'utf8' },
    );
    const [code, kb] = r.stdout.trim().split(' ').map(Number);
    assert.equal(code, 0, r.stderr);
    assert.ok(kb / 1024 < 400, `peak RSS ${Math.round(kb / 1024)} MB`);
    const [doc] = parseDocuments(readFileSync(out, 'utf8'));
    assert.equal(doc.text.length, readFileSync(big, 'utf8').length);
    assert.deepEqual(
      doc.entities.map((e) => ({ start: e.start, end: e.end })),
      sickRuns(doc.text),
    );
  });

  it('a JSONL line written in pieces is, byte for byte, the line of JSON.stringify', () => {
    const piece = 1 << 20;
    // A surrogate pair across the first piece boundary, lone surrogates, quotes and control characters.
    const text = 'a'.repeat(piece - 1) + '😀"\\\n\u0001\ud800x\udc00' + '病'.repeat(piece + 3);
    const entities = [{ start: 1, end: 3, label: '疾病和诊断' as const, text: 'aa', score: 0.123456789 }];
    const doc = { path: 'p"q.txt', encoding: 'utf-8' as const, text, entities };
    const pieces = Array.from(serializeDocumentPieces(doc, '\n'));
    assert.ok(pieces.length > 1);
    assert.equal(pieces.join(''), JSON.stringify({ path: doc.path, encoding: doc.encoding, text, entities }) + '\n');
  });
});
