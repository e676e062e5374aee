// `label --out-dir`: one writer per folder, nothing read or written outside it, a journal instead of
// a manifest rewritten per batch, no temp file or stale export left behind, and an interrupt
// honoured up to the last file. Core (labelBatch with the rule model) and the built CLI (tiny model).
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  appendFileSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import * as path from 'node:path';
import { labelBatch, type BatchOptions } from '../../src/core/batch';
import { NerEngine } from '../../src/core/engine';
import { writeExportFiles } from '../../src/core/exportWriter';
import { FORMATS } from '../../src/core/formats/registry';
import { parseDocuments, serializeDocuments } from '../../src/core/formats/jsonl';
import { meta, RuleRunner } from './fakeModel';
import { journalEntries, storedInputs } from './outDirState';
import { ROOT } from './support';
import { writeTinyModel } from './tinyModel';

const CLI = path.join(ROOT, 'dist', 'cli.js');
const made: string[] = [];

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'medner-outdir-'));
  made.push(dir);
  return dir;
}

after(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

function medner(args: string[], cwd = ROOT) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `n` records in `dir` (half of them in a subfolder), each with runs of 病 to find. */
function records(dir: string, n: number, unitRepeat = 1): string {
  mkdirSync(path.join(dir, 'sub'), { recursive: true });
  for (let i = 0; i < n; i++) {
    writeFileSync(path.join(dir, i % 2 ? 'sub' : '', `r${String(i).padStart(3, '0')}.txt`), `记录${i}：病病a。病a，`.repeat(unitRepeat));
  }
  return dir;
}

const jsonlExport = (docs: Parameters<BatchOptions['exportFiles']>[0]) => [
  { relativePath: 'annotations.jsonl', content: serializeDocuments(docs) },
];
const bratExport = (docs: Parameters<BatchOptions['exportFiles']>[0]) => FORMATS.brat.export(docs);

const options = (outDir: string, extra: Partial<BatchOptions> = {}): BatchOptions => ({
  outDir,
  chunkChars: 1,
  exportFiles: jsonlExport,
  ...extra,
});

const engine = (runner = new RuleRunner(), key = 'fake') => new NerEngine({ ...meta(64), key }, runner);

/** A runner that calls `during` inside every inference: while the batch is under way. */
function runnerWith(during: (call: number) => void | Promise<void>): RuleRunner {
  const runner = new RuleRunner();
  const run = runner.run.bind(runner);
  let calls = 0;
  runner.run = async (batch) => {
    await during(++calls);
    return run(batch);
  };
  return runner;
}

/** Labels `src` into `out` and cancels the run as the engine's call number `call` starts. */
async function cancelledAt(out: string, src: string, call: number): Promise<void> {
  const abort = new AbortController();
  const runner = runnerWith((n) => {
    if (n === call) abort.abort(new Error('cancelled'));
  });
  await assert.rejects(labelBatch(engine(runner), [src], options(out, { signal: abort.signal })), /cancelled/);
}

/** The pid of a process that has run and exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

const walk = (dir: string) => readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
const temps = (dir: string) => walk(dir).filter((f) => f.endsWith('.tmp'));

describe('--out-dir: one run at a time', function () {
  this.timeout(60_000);

  it('a second run into the same folder (another model, shard) fails at once naming the first; the first finishes', async () => {
    const dir = tempDir();
    const src = records(path.join(dir, 'in'), 6);
    const out = path.join(dir, 'out');
    let second: unknown;
    const runner = runnerWith(async (call) => {
      if (call !== 1) return;
      second = await labelBatch(engine(new RuleRunner(), 'int8'), [src], options(out, { shard: { index: 1, count: 2 } })).then(
        () => 'finished',
        (e: Error) => e.message,
      );
    });
    const first = await labelBatch(engine(runner), [src], options(out));
    assert.equal(
      second,
      `${out} is being written by another medner run (pid ${process.pid}); wait for it to finish, or choose another output folder`,
    );
    assert.equal(first.documents, 6);
    assert.equal(Object.keys(storedInputs(out)).length, 6);
    assert.ok(!existsSync(path.join(out, '.medner', 'lock')), 'released');
    assert.equal((await labelBatch(engine(), [src], options(out))).reused, 6, 'the next run gets the folder');
  });

  it('CLI: exit 2 with one line naming the folder and the live owner; a lock whose owner was killed (-9) is taken over', async () => {
    const dir = tempDir();
    const src = records(path.join(dir, 'in'), 4);
    const out = path.join(dir, 'out');
    const tiny = writeTinyModel();
    made.push(tiny);
    const owner = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    try {
      mkdirSync(path.join(out, '.medner'), { recursive: true });
      writeFileSync(path.join(out, '.medner', 'lock'), JSON.stringify({ pid: owner.pid, host: hostname() }) + '\n');
      const busy = medner(['label', src, '--model', tiny, '--out-dir', out]);
      assert.equal(busy.code, 2);
      assert.equal(
        busy.stderr,
        `medner: ${out} is being written by another medner run (pid ${owner.pid}); wait for it to finish, or choose another output folder\n`,
      );
      assert.deepEqual(walk(out), ['.medner', '.medner/lock'], 'nothing written');
      const elsewhere = JSON.stringify({ pid: owner.pid, host: 'another-host' }) + '\n';
      writeFileSync(path.join(out, '.medner', 'lock'), elsewhere);
      assert.match(medner(['label', src, '--model', tiny, '--out-dir', out]).stderr, new RegExp(`\\(pid ${owner.pid} on another-host\\)`));
      writeFileSync(path.join(out, '.medner', 'lock'), JSON.stringify({ pid: owner.pid, host: hostname() }) + '\n');
    } finally {
      const exited = new Promise((resolve) => owner.on('exit', resolve));
      owner.kill('SIGKILL');
      await exited;
    }
    const r = medner(['label', src, '--model', tiny, '--out-dir', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(parseDocuments(readFileSync(path.join(out, 'annotations.jsonl'), 'utf8')).length, 4);
    assert.ok(!existsSync(path.join(out, '.medner', 'lock')));
  });

  it('a lock left by a dead process is taken over even when another dead taker left its claim', async () => {
    const dir = tempDir();
    const src = records(path.join(dir, 'in'), 2);
    const out = path.join(dir, 'out');
    mkdirSync(path.join(out, '.medner'), { recursive: true });
    const [dead, deadTaker] = [deadPid(), deadPid()];
    writeFileSync(path.join(out, '.medner', 'lock'), JSON.stringify({ pid: dead, host: hostname() }));
    writeFileSync(path.join(out, '.medner', `lock-${dead}`), JSON.stringify({ pid: deadTaker, host: hostname() }));
    const summary = await labelBatch(engine(), [src], options(out));
    assert.equal(summary.documents, 2);
    assert.deepEqual(
      readdirSync(path.join(out, '.medner')).filter((f) => f.startsWith('lock')),
      [],
      'lock and claims gone',
    );
  });
});

describe('--out-dir: nothing read or written outside the folder', function () {
  this.timeout(60_000);

  it("reads a result only from results/<hex>.jsonl: another manifest 'result' or a linked result file is relabelled, never read", async () => {
    const dir = tempDir();
    const src = path.join(dir, 'in');
    mkdirSync(src);
    const out = path.join(dir, 'out');
    const secret = path.join(dir, 'secret.jsonl');
    const planted = [
      '../../secret.jsonl',
      secret,
      'results/../../secret.jsonl',
      'results/sub/../../../secret.jsonl',
      `results/${'A'.repeat(32)}.jsonl`,
      `results/${'a'.repeat(32)}.jsonl`,
    ];
    const inputs: Record<string, object> = {};
    planted.forEach((result, i) => {
      const file = path.join(src, `r${i}.txt`);
      writeFileSync(file, `第${i}份：病`);
      inputs[file] = { size: statSync(file).size, sha256: createHash('sha256').update(readFileSync(file)).digest('hex'), result };
      appendFileSync(secret, serializeDocuments([{ path: file, encoding: 'utf-8', text: `SECRET ${i}`, entities: [] }]));
    });
    mkdirSync(path.join(out, '.medner', 'results'), { recursive: true });
    writeFileSync(path.join(out, '.medner', 'manifest.json'), JSON.stringify({ format: 'medner-batch/1', model: 'fake', inputs }));
    // The last one names a well-formed result file, but it is a link to a file elsewhere.
    symlinkSync(secret, path.join(out, '.medner', 'results', `${'a'.repeat(32)}.jsonl`));
    const secretBefore = readFileSync(secret, 'utf8');
    const summary = await labelBatch(engine(), [src], options(out));
    assert.equal(summary.reused, 0);
    const docs = parseDocuments(readFileSync(path.join(out, 'annotations.jsonl'), 'utf8'));
    assert.deepEqual(
      docs.map((d) => d.text),
      planted.map((_, i) => `第${i}份：病`),
    );
    assert.equal(readFileSync(secret, 'utf8'), secretBefore);
    assert.ok(Object.values(storedInputs(out)).every((e) => /^results\/[0-9a-f]{32}\.jsonl$/.test(e.result)));
  });

  it('an --out-dir inside an input folder, one of them reached through a symbolic link, is never read as input', async () => {
    const dir = tempDir();
    const src = records(path.join(dir, 'in'), 2);
    // The input folder reaches the output folder through a link...
    const out = path.join(dir, 'out');
    mkdirSync(out);
    symlinkSync(out, path.join(src, 'labelled'));
    await labelBatch(engine(), [src], options(out, { exportFiles: bratExport }));
    writeFileSync(path.join(out, 'stray.txt'), '病');
    const again = await labelBatch(engine(), [src], options(out, { exportFiles: bratExport }));
    assert.equal(again.files, 2);
    assert.equal(again.reused, 2);
    // ... and the output folder is named through a link to a folder inside the input.
    rmSync(path.join(src, 'labelled'));
    const inner = path.join(src, 'inner');
    mkdirSync(inner);
    symlinkSync(inner, path.join(dir, 'inner-link'));
    await labelBatch(engine(), [src], options(path.join(dir, 'inner-link'), { exportFiles: bratExport }));
    writeFileSync(path.join(inner, 'stray.txt'), '病');
    const third = await labelBatch(engine(), [src], options(path.join(dir, 'inner-link'), { exportFiles: bratExport }));
    assert.equal(third.files, 2);
  });

  it('an --out-dir that holds an input is refused before anything is written (core)', async () => {
    const dir = tempDir();
    const src = records(path.join(dir, 'in'), 2);
    const before = walk(dir);
    await assert.rejects(labelBatch(engine(), [src], options(dir)), {
      message: `the output folder ${dir} holds the input ${src}: choose an output folder outside the inputs`,
    });
    await assert.rejects(labelBatch(engine(), [src], options(src)), {
      message: `the output folder ${src} holds the input ${src}: choose an output folder outside the inputs`,
    });
    const file = path.join(src, 'r000.txt');
    await assert.rejects(labelBatch(engine(), [file], options(src)), /holds the input/);
    assert.deepEqual(walk(dir), before);
  });

  it('CLI: `label in --out-dir .` exits 2 with one line', () => {
    const dir = tempDir();
    records(path.join(dir, 'in'), 2);
    const before = walk(dir);
    const r = medner(['label', 'in', '--model', writeTinyModel(), '--out-dir', '.'], dir);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, 'medner: the output folder . holds the input in: choose an output folder outside the inputs\n');
    assert.deepEqual(walk(dir), before);
  });

  it('CLI: inputs that match no file are a one-line warning and exit 1, into --out-dir and to stdout', () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, 'in'));
    writeFileSync(path.join(dir, 'in', 'notes.md'), '病');
    const model = writeTinyModel();
    const intoFolder = medner(['label', 'in', '--model', model, '--out-dir', 'out'], dir);
    assert.equal(intoFolder.code, 1);
    assert.equal(intoFolder.stderr, 'medner: no file in in matches **/*.txt: nothing was labelled\n');
    assert.match(readFileSync(path.join(dir, 'out', 'summary.md'), 'utf8'), /no input file matched the pattern: nothing was labelled/);
    const toStdout = medner(['label', 'in', '--model', model, '--glob', '*.csv'], dir);
    assert.equal(toStdout.code, 1);
    assert.equal(toStdout.stdout, '');
    assert.equal(toStdout.stderr, 'medner: no file in in matches *.csv: nothing was labelled\n');
  });

  it('a shard without files of its own is no warning: its inputs matched files, other shards have them', async () => {
    const dir = tempDir();
    const src = path.join(dir, 'in');
    mkdirSync(src);
    writeFileSync(path.join(src, 'only.txt'), '病');
    const parts = await Promise.all(
      [0, 1].map((index) => labelBatch(engine(), [src], options(path.join(dir, `part${index}`), { shard: { index, count: 2 } }))),
    );
    assert.deepEqual(parts.map((p) => [p.matched, p.files]).sort(), [
      [1, 0],
      [1, 1],
    ]);
  });

  it('never writes through a linked folder inside the output folder, nor through a linked output file', async () => {
    const dir = tempDir();
    const src = records(path.join(dir, 'in'), 4);
    const out = path.join(dir, 'out');
    await labelBatch(engine(), [src], options(out, { exportFiles: bratExport }));
    // The brat folder `sub/` becomes a link to a folder outside.
    const elsewhere = path.join(dir, 'elsewhere');
    mkdirSync(elsewhere);
    rmSync(path.join(out, 'sub'), { recursive: true });
    symlinkSync(elsewhere, path.join(out, 'sub'));
    await assert.rejects(labelBatch(engine(), [src], options(out, { exportFiles: bratExport })), {
      message: `cannot write into ${path.join(out, 'sub')}: it is a symbolic link, and MedNER never writes through a link`,
    });
    assert.deepEqual(readdirSync(elsewhere), []);
    rmSync(path.join(out, 'sub'));
    // A linked export file is replaced by the export, its target left alone.
    const victim = path.join(dir, 'victim.txt');
    writeFileSync(victim, 'not yours');
    symlinkSync(victim, path.join(out, 'annotations.jsonl'));
    await labelBatch(engine(), [src], options(out));
    assert.equal(readFileSync(victim, 'utf8'), 'not yours');
    assert.ok(lstatSync(path.join(out, 'annotations.jsonl')).isFile());
    assert.equal(parseDocuments(readFileSync(path.join(out, 'annotations.jsonl'), 'utf8')).length, 4);
    // The state folder itself as a link: refused.
    const state = path.join(dir, 'state');
    cpSync(path.join(out, '.medner'), state, { recursive: true });
    rmSync(path.join(out, '.medner'), { recursive: true });
    symlinkSync(state, path.join(out, '.medner'));
    await assert.rejects(labelBatch(engine(), [src], options(out)), {
      message: `cannot write into ${path.join(out, '.medner')}: it is a symbolic link, and MedNER never writes through a link`,
    });
  });
});

describe('--out-dir: a journal, linear in the inputs, that survives a kill -9 anywhere', function () {
  this.timeout(120_000);

  it('appends one line per finished input instead of rewriting the manifest after every batch', async () => {
    const dir = tempDir();
    const src = records(path.join(dir, 'in'), 30);
    const out = path.join(dir, 'out');
    const manifest = path.join(out, '.medner', 'manifest.json');
    const seen: { inode: number; lines: number }[] = [];
    // chunkChars 1: a batch per input, each one a manifest rewrite before.
    await labelBatch(
      engine(
        runnerWith(() => {
          seen.push({ inode: statSync(manifest).ino, lines: journalEntries(out) });
        }),
      ),
      [src],
      options(out),
    );
    assert.equal(seen.length, 30);
    assert.equal(new Set(seen.map((s) => s.inode)).size, 1, 'the manifest is written once before labelling, not per batch');
    assert.deepEqual(
      seen.map((s) => s.lines),
      seen.map((_, i) => i),
      'the journal holds a line per input finished so far',
    );
    assert.equal(journalEntries(out), 0, 'folded into the manifest at the end');
    assert.equal(Object.keys(storedInputs(out)).length, 30);
  });

  it('resumes from a journal cut at any byte (a kill -9 while appending): complete lines are reused, the rest relabelled', async () => {
    const dir = tempDir();
    const src = records(path.join(dir, 'in'), 8);
    const out = path.join(dir, 'out');
    await cancelledAt(out, src, 6);
    const journal = path.join(out, '.medner', 'journal.jsonl');
    const text = readFileSync(journal, 'utf8');
    assert.equal(journalEntries(out), 5);
    const ends = [...text.matchAll(/\n/g)].map((m) => m.index! + 1);
    const cuts = new Set<number>();
    for (const end of ends.slice(1)) for (const d of [-40, -1, 0, 1]) cuts.add(end + d);
    for (const cut of cuts) {
      const copy = path.join(dir, `cut-${cut}`);
      cpSync(out, copy, { recursive: true });
      truncateSync(path.join(copy, '.medner', 'journal.jsonl'), cut);
      const complete = ends.filter((e) => e <= cut).length - 1;
      const resumed = await labelBatch(engine(), [src], options(copy));
      assert.equal(resumed.reused, complete, `cut at ${cut}`);
      assert.equal(resumed.documents, 8);
      assert.equal(readdirSync(path.join(copy, '.medner', 'results')).length, 8, 'no result left unnamed');
      rmSync(copy, { recursive: true });
    }
  });

  it("ignores another model's journal (a crash between manifest and journal when the model changed)", async () => {
    const dir = tempDir();
    const src = records(path.join(dir, 'in'), 4);
    const out = path.join(dir, 'out');
    await cancelledAt(out, src, 3);
    assert.equal(journalEntries(out), 2);
    writeFileSync(path.join(out, '.medner', 'manifest.json'), JSON.stringify({ format: 'medner-batch/1', model: 'int8', inputs: {} }));
    assert.equal((await labelBatch(engine(new RuleRunner(), 'int8'), [src], options(out))).reused, 0);
  });

  it('reads a manifest written before the journal existed', async () => {
    const dir = tempDir();
    const src = records(path.join(dir, 'in'), 3);
    const out = path.join(dir, 'out');
    await labelBatch(engine(), [src], options(out));
    rmSync(path.join(out, '.medner', 'journal.jsonl'));
    const again = await labelBatch(engine(), [src], options(out));
    assert.equal(again.reused, 3);
  });

  it('CLI: killed (-9) in the middle, a rerun takes over the lock, reuses every finished input and leaves no temp file', async () => {
    const dir = tempDir();
    const src = records(path.join(dir, 'in'), 40, 600);
    const out = path.join(dir, 'out');
    const tiny = writeTinyModel();
    made.push(tiny);
    const child = spawn(process.execPath, [CLI, 'label', src, '--model', tiny, '--out-dir', out], { stdio: 'ignore' });
    let killed = false;
    const poll = setInterval(() => {
      if (!killed && journalEntries(out) >= 2) killed = child.kill('SIGKILL');
    }, 2);
    await new Promise((resolve) => child.on('exit', resolve));
    clearInterval(poll);
    assert.ok(killed, 'the run was still going when killed');
    const finished = Object.keys(storedInputs(out)).length;
    assert.ok(finished >= 2 && finished < 40, `${finished} finished`);
    const r = medner(['label', src, '--model', tiny, '--out-dir', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`40 documents from 40 files \\(${finished} unchanged, reused\\)`));
    assert.deepEqual(temps(out), []);
    assert.ok(!existsSync(path.join(out, '.medner', 'lock')));
  });
});

describe('--out-dir: stale temp files, interrupts and exports that match the inputs', function () {
  this.timeout(120_000);

  it('removes temp files of dead processes from the folder, its state and the brat folders; a live process keeps its own', async () => {
    const dir = tempDir();
    const src = records(path.join(dir, 'in'), 4);
    const out = path.join(dir, 'out');
    await labelBatch(engine(), [src], options(out, { exportFiles: bratExport }));
    const dead = deadPid();
    const stale = [
      `.annotations.jsonl.${dead}.0123456789ab.tmp`,
      `.medner/.manifest.json.${dead}.0123456789ab.tmp`,
      `.medner/results/.${'0'.repeat(32)}.jsonl.${dead}.0123456789ab.tmp`,
      `sub/.r001.txt.${dead}.0123456789ab.tmp`,
    ];
    const live = `sub/.r003.ann.1.0123456789ab.tmp`; // pid 1 is always running
    for (const f of [...stale, live]) writeFileSync(path.join(out, f), 'partial');
    await labelBatch(engine(), [src], options(out, { exportFiles: bratExport }));
    assert.deepEqual(temps(out), [live]);
  });

  it('an interrupt during the export stops the run: no export, no summary, no partial file; results kept', async () => {
    const dir = tempDir();
    const src = records(path.join(dir, 'in'), 6);
    const out = path.join(dir, 'out');
    const abort = new AbortController();
    await assert.rejects(
      labelBatch(
        engine(),
        [src],
        options(out, {
          signal: abort.signal,
          exportFiles: (docs) => {
            abort.abort(new Error('interrupted'));
            return bratExport(docs);
          },
        }),
      ),
      /interrupted/,
    );
    assert.deepEqual(
      walk(out).filter((f) => !f.startsWith('.medner')),
      [],
    );
    assert.deepEqual(temps(out), []);
    assert.equal((await labelBatch(engine(), [src], options(out))).reused, 6);
  });

  it('CLI: SIGTERM while the brat export is written exits 2 and leaves no partial file', async () => {
    const dir = tempDir();
    const src = records(path.join(dir, 'in'), 400);
    const out = path.join(dir, 'out');
    const tiny = writeTinyModel();
    made.push(tiny);
    const child = spawn(process.execPath, [CLI, 'label', src, '--model', tiny, '--out-dir', out, '--format', 'brat'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    let signalled = false;
    const poll = setInterval(() => {
      // .ann files appear only once the export has begun.
      if (!signalled && existsSync(out) && readdirSync(out).some((f) => f.endsWith('.ann'))) signalled = child.kill('SIGTERM');
    }, 2);
    const code = await exited;
    clearInterval(poll);
    assert.ok(signalled, 'the export was still going when signalled');
    assert.equal(code, 2, stderr);
    assert.equal(stderr, 'medner: interrupted: finished results are kept; rerun to resume\n');
    assert.deepEqual(temps(out), []);
    assert.ok(!existsSync(path.join(out, 'summary.json')));
    const again = medner(['label', src, '--model', tiny, '--out-dir', out, '--format', 'brat']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /400 documents from 400 files \(400 unchanged, reused\)/);
  });

  it('switching --format removes the old annotations file; brat pairs of inputs gone are removed; other files stay', async () => {
    const dir = tempDir();
    const src = records(path.join(dir, 'in'), 4);
    const out = path.join(dir, 'out');
    await labelBatch(engine(), [src], options(out));
    writeFileSync(path.join(out, 'notes.md'), 'mine');
    await labelBatch(engine(), [src], options(out, { exportFiles: (docs) => FORMATS.conll.export(docs) }));
    assert.deepEqual(readdirSync(out).sort(), ['.medner', 'annotations.conll', 'notes.md', 'summary.json', 'summary.md']);
    await labelBatch(engine(), [src], options(out, { exportFiles: bratExport }));
    assert.deepEqual(
      walk(out).filter((f) => !f.startsWith('.medner')),
      [
        'notes.md',
        'r000.ann',
        'r000.txt',
        'r002.ann',
        'r002.txt',
        'sub',
        'sub/r001.ann',
        'sub/r001.txt',
        'sub/r003.ann',
        'sub/r003.txt',
        'summary.json',
        'summary.md',
      ],
    );
    writeFileSync(path.join(out, 'sub', 'mine.txt'), 'mine');
    rmSync(path.join(src, 'r000.txt'));
    rmSync(path.join(src, 'sub', 'r001.txt'));
    await labelBatch(engine(), [src], options(out, { exportFiles: bratExport }));
    assert.deepEqual(
      walk(out).filter((f) => !f.startsWith('.medner')),
      ['notes.md', 'r002.ann', 'r002.txt', 'sub', 'sub/mine.txt', 'sub/r003.ann', 'sub/r003.txt', 'summary.json', 'summary.md'],
    );
    rmSync(path.join(out, 'sub', 'mine.txt'));
    rmSync(path.join(src, 'sub', 'r003.txt'));
    await labelBatch(engine(), [src], options(out, { exportFiles: bratExport }));
    assert.ok(!existsSync(path.join(out, 'sub')), 'a brat folder left empty goes too');
  });

  it('CLI: an --out-dir on a read-only file system says so (not ENOENT), exit 2', function () {
    const mnt = tempDir();
    const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=100k,ro', 'tmpfs', mnt], { encoding: 'utf8' });
    if (r.status !== 0) {
      console.log(`      skipped: cannot mount a read-only tmpfs (${(r.stderr || r.error?.message || '').trim()}); needs root`);
      this.skip();
    }
    try {
      const src = records(path.join(tempDir(), 'in'), 1);
      const tiny = writeTinyModel();
      made.push(tiny);
      const nested = medner(['label', src, '--model', tiny, '--out-dir', path.join(mnt, 'a', 'out')]);
      assert.equal(nested.code, 2);
      assert.equal(nested.stderr, `medner: cannot write ${path.join(mnt, 'a')}: read-only file system\n`);
      const itself = medner(['label', src, '--model', tiny, '--out-dir', mnt]);
      assert.equal(itself.stderr, `medner: cannot write ${path.join(mnt, '.medner')}: read-only file system\n`);
    } finally {
      spawnSync('umount', ['-l', mnt]);
    }
  });

  describe('a disk that fills up mid-export', () => {
    let mnt: string;

    before(function () {
      mnt = tempDir();
      const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=200k', 'tmpfs', mnt], { encoding: 'utf8' });
      if (r.status !== 0) {
        console.log(`      skipped: cannot mount a 200 KB tmpfs to fill (${(r.stderr || r.error?.message || '').trim()}); needs root`);
        this.skip();
      }
    });

    after(() => {
      spawnSync('umount', ['-l', mnt]);
    });

    it('never leaves a brat .txt without its .ann (nor an .ann without its .txt)', async () => {
      const docs = Array.from({ length: 40 }, (_, i) => ({
        path: `d${String(i).padStart(2, '0')}.txt`,
        encoding: 'utf-8' as const,
        text: '病a'.repeat(1500),
        entities: [],
      }));
      // .ann files as large as their .txt, so the disk can fill at either.
      const files = FORMATS.brat.export(docs).map((f) => (f.relativePath.endsWith('.ann') ? { ...f, content: '#'.repeat(4000) } : f));
      await assert.rejects(writeExportFiles(mnt, files), { code: 'ENOSPC' });
      const names = readdirSync(mnt);
      assert.deepEqual(
        names.filter((f) => f.endsWith('.tmp')),
        [],
      );
      const stems = (ext: string) => names.filter((f) => f.endsWith(ext)).map((f) => f.slice(0, -ext.length));
      assert.ok(stems('.txt').length > 0, 'some pairs were written before the disk was full');
      assert.deepEqual(stems('.txt'), stems('.ann'));
    });
  });
});
