// The `medner` CLI end to end: the built dist/cli.js with the shipped model, on fixtures.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseDocuments } from '../../src/core/formats/jsonl';
import { parseYidu } from '../../src/core/formats/yidu';
import { compareDocPaths, inShard } from '../../src/core/shard';
import { bratReadCollection } from './bratServer';
import { ROOT } from './support';
import { writeTinyModel } from './tinyModel';

const CLI = path.join(ROOT, 'dist', 'cli.js');

function medner(args: string[], input?: string | Buffer) {
  const r = spawnSync(process.execPath, [CLI, ...args], { input, encoding: 'utf8', cwd: ROOT, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'medner-cli-'));
}

describe('medner CLI', function () {
  this.timeout(60_000);

  before(() => assert.ok(existsSync(CLI), 'run `npm run build` first'));

  it('labels the bundled samples by default, as jsonl with code-point offsets', () => {
    const r = medner(['label']);
    assert.equal(r.code, 0, r.stderr);
    const docs = parseDocuments(r.stdout); // validates offsets, labels, scores and entity texts
    assert.equal(docs.length, readdirSync(path.join(ROOT, 'samples')).filter((f) => f.endsWith('.txt')).length);
    assert.ok(docs.reduce((n, d) => n + d.entities.length, 0) > 0);
    const crlf = docs.find((d) => d.path.endsWith('03-coronary-crlf.txt'))!;
    assert.ok(crlf.text.includes('\r\n'), 'decoded text is kept exactly, CRLF included');
  });

  it('skips binary and missing inputs with one line each, labels the rest and exits 1', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'a.txt'), '患者因胸痛入院。');
    writeFileSync(path.join(dir, 'b.txt'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0x0d, 0x49, 0x48]));
    const r = medner(['label', dir, path.join(dir, 'missing.txt')]);
    assert.equal(r.code, 1);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 2, r.stderr);
    assert.match(r.stderr, /^medner: skipped .*b\.txt: .*binary/m);
    assert.match(r.stderr, /^medner: skipped .*missing\.txt: /m);
    assert.equal(parseDocuments(r.stdout).length, 1);
  });

  it('decodes GB18030 and UTF-16 inputs and reports their encodings', () => {
    const dir = tempDir();
    const text = '患者行胆囊切除术。';
    writeFileSync(path.join(dir, 'gb.txt'), Buffer.from([0xbb, 0xbc, 0xd5, 0xdf])); // 患者 in GB18030
    writeFileSync(path.join(dir, 'u16.txt'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
    const r = medner(['label', dir]);
    assert.equal(r.code, 0, r.stderr);
    const docs = parseDocuments(r.stdout);
    assert.deepEqual(
      docs.map((d) => [path.basename(d.path), d.encoding, d.text]),
      [
        ['gb.txt', 'gb18030', '患者'],
        ['u16.txt', 'utf-16le', text],
      ],
    );
  });

  it('reads Yidu JSON lines (BOM, blank lines) and writes one Yidu line per record, in order', () => {
    const dir = tempDir();
    const records = ['患者因“胃癌”行胃癌根治术。', '', '查血常规未见异常，予奥美拉唑治疗。'];
    const input = '\uFEFF' + records.map((t) => (t ? JSON.stringify({ originalText: t, entities: [] }) : '')).join('\n') + '\n';
    writeFileSync(path.join(dir, 'in.jsonl'), input);
    const out = path.join(dir, 'out.jsonl');
    const r = medner(['label', '--input-format', 'yidu', '--format', 'yidu', '--out', out, path.join(dir, 'in.jsonl')]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    const labelled = parseYidu(readFileSync(out, 'utf8'));
    assert.deepEqual(
      labelled.map((x) => x.text),
      records.filter(Boolean),
    );
    assert.deepEqual(readdirSync(dir).sort(), ['in.jsonl', 'out.jsonl'], 'no temporary file is left behind');
  });

  it("reads stdin for '-' and writes stdout", () => {
    const r = medner(['label', '-'], '术后予头孢曲松抗感染治疗。');
    assert.equal(r.code, 0, r.stderr);
    const [doc] = parseDocuments(r.stdout);
    assert.equal(doc.path, '-');
    assert.equal(doc.text, '术后予头孢曲松抗感染治疗。');
  });

  it('keeps the previous output when a run fails', () => {
    const dir = tempDir();
    const out = path.join(dir, 'out.jsonl');
    writeFileSync(out, 'previous result\n');
    const r = medner(['label', '--model', path.join(dir, 'no-model'), '--out', out, path.join(ROOT, 'samples')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^medner: model error: cannot read model metadata/);
    assert.equal(readFileSync(out, 'utf8'), 'previous result\n');
  });

  it('exits 2 with a one-line usage error on bad arguments', () => {
    for (const args of [['label', '--format', 'xml'], ['label', '--nope'], ['frobnicate'], ['eval', '--gold', 'x']]) {
      const r = medner(args);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stderr, /^medner: .*\(medner --help shows the usage\)\n$/);
    }
  });

  it('bounds --threads and --shard, with one line each', () => {
    for (const [args, message] of [
      [['--threads', '257'], '--threads must be an integer from 0 to 256 (got "257")'],
      [['--threads', '-1'], '--threads must be an integer from 0 to 256 (got "-1")'],
      [['--threads', '1e9'], '--threads must be an integer from 0 to 256 (got "1e9")'],
      [['--shard', '1/1000001'], '--shard must be I/N with 1 <= I <= N <= 1000000 (got "1/1000001")'],
      [
        ['--shard', '99999999999999999999/99999999999999999999'],
        '--shard must be I/N with 1 <= I <= N <= 1000000 (got "99999999999999999999/99999999999999999999")',
      ],
      [['--shard', '4/3'], '--shard must be I/N with 1 <= I <= N <= 1000000 (got "4/3")'],
      [['--shard', '0/3'], '--shard must be I/N with 1 <= I <= N <= 1000000 (got "0/3")'],
    ] as const) {
      const r = medner(['label', ...args]);
      assert.equal(r.code, 2, args.join(' '));
      assert.equal(r.stderr, `medner: ${message} (medner --help shows the usage)\n`);
      assert.equal(r.stdout, '');
    }
  });

  it('labels a folder of text recursively, following a symlink loop only once', () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, 'sub'));
    writeFileSync(path.join(dir, 'sub', 'x.txt'), '诊断：高血压病。');
    writeFileSync(path.join(dir, 'skip.md'), '# not matched by the glob');
    spawnSync('ln', ['-s', dir, path.join(dir, 'sub', 'loop')]);
    const r = medner(['label', dir]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      parseDocuments(r.stdout).map((d) => path.relative(dir, d.path)),
      [path.join('sub', 'x.txt')],
    );
  });

  it('labels a folder of 1,000 records into --out-dir, and a rerun reuses every result', () => {
    const dir = tempDir();
    const inDir = path.join(dir, 'records');
    mkdirSync(inDir);
    const drugs = ['阿司匹林', '头孢曲松', '奥美拉唑', '二甲双胍'];
    for (let i = 0; i < 1000; i++) {
      writeFileSync(
        path.join(inDir, `${String(i).padStart(4, '0')}.txt`),
        `患者${(i % 90) + 10}岁，因胸痛${(i % 7) + 1}天入院，予${drugs[i % 4]}治疗，查血常规未见异常。`,
      );
    }
    const out = path.join(dir, 'out');
    const r = medner(['label', inDir, '--out-dir', out]);
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8')) as {
      documents: number;
      characters: number;
      seconds: number;
      reused: number;
    };
    assert.equal(summary.documents, 1000);
    assert.equal(parseDocuments(readFileSync(path.join(out, 'annotations.jsonl'), 'utf8')).length, 1000);
    console.log(
      `      1,000 records: ${summary.characters} chars in ${summary.seconds.toFixed(1)} s = ${Math.round(summary.characters / summary.seconds)} chars/s`,
    );
    const again = medner(['label', inDir, '--out-dir', out, '--format', 'yidu']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /1000 unchanged, reused/);
    assert.equal(parseYidu(readFileSync(path.join(out, 'annotations.yidu.jsonl'), 'utf8')).length, 1000);
  });

  it('exports brat that brat opens (UTF-8 .txt, the source encodings in .medner.json), and evaluates a brat folder as gold', () => {
    const dir = tempDir();
    const inDir = path.join(dir, 'in');
    mkdirSync(inDir);
    writeFileSync(
      path.join(inDir, 'gb.txt'),
      Buffer.from([0xbb, 0xbc, 0xd5, 0xdf, 0xd0, 0xd0, 0xb8, 0xce, 0xc7, 0xd0, 0xb3, 0xfd, 0xca, 0xf5, 0xa1, 0xa3]),
    );
    writeFileSync(path.join(inDir, 'crlf.txt'), '\uFEFF诊断：高血压病。\r\n予阿司匹林口服。\r\n');
    writeFileSync(path.join(inDir, 'u16.txt'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('诊断：胆囊炎。\r\n', 'utf16le')]));
    const out = path.join(dir, 'brat');
    const r = medner(['label', inDir, '--out-dir', out, '--format', 'brat']);
    assert.equal(r.code, 0, r.stderr);
    const shown = bratReadCollection(out);
    assert.deepEqual([...shown.keys()].sort(), ['crlf', 'gb', 'u16']);
    assert.equal(shown.get('gb')!.text, '患者行肝切除术。');
    assert.equal(shown.get('crlf')!.text, '诊断：高血压病。\r\n予阿司匹林口服。\r\n');
    assert.ok(shown.get('crlf')!.spans.length > 0, 'the model finds entities, and brat shows each on its text');
    assert.deepEqual(
      ['gb', 'crlf', 'u16'].map((name) => JSON.parse(readFileSync(path.join(out, `${name}.medner.json`), 'utf8')).encoding),
      ['gb18030', 'utf-8-bom', 'utf-16le'],
    );
    const pred = path.join(dir, 'pred.jsonl');
    assert.equal(
      medner(['label', path.join(inDir, 'crlf.txt'), path.join(inDir, 'gb.txt'), path.join(inDir, 'u16.txt'), '--out', pred]).code,
      0,
    );
    const ev = medner(['eval', '--gold', out, '--pred', pred, '--json']);
    assert.equal(ev.code, 0, ev.stderr);
    assert.equal((JSON.parse(ev.stdout) as { micro: { f1: number } }).micro.f1, 1, 'the model agrees with its own brat export');
  });

  it('writes whole-file formats to --out: CoNLL, doccano, Label Studio (English names)', () => {
    const dir = tempDir();
    for (const [format, check] of [
      ['conll', (t: string) => t.startsWith('-DOCSTART-')],
      ['doccano', (t: string) => 'label' in (JSON.parse(t.split('\n')[0]) as object)],
      ['labelstudio', (t: string) => Array.isArray(JSON.parse(t))],
    ] as const) {
      const out = path.join(dir, `out.${format}`);
      const r = medner(['label', '--format', format, '--labels', 'english', '--out', out]);
      assert.equal(r.code, 0, r.stderr);
      const text = readFileSync(out, 'utf8');
      assert.ok(check(text), format);
      assert.doesNotMatch(text, /疾病和诊断|解剖部位/, `${format} uses English type names`);
    }
    assert.equal(medner(['label', '--format', 'brat']).code, 2, 'brat needs --out-dir');
  });

  it('scores predictions against gold with strict P/R/F1 per type', () => {
    const dir = tempDir();
    const gold = path.join(dir, 'gold.jsonl');
    const pred = path.join(dir, 'pred.jsonl');
    const text = '患者行胆囊切除术，予头孢曲松。';
    writeFileSync(
      gold,
      JSON.stringify({
        originalText: text,
        entities: [
          { label_type: '手术', start_pos: 3, end_pos: 8, overlap: 0 },
          { label_type: '药物', start_pos: 10, end_pos: 14, overlap: 0 },
        ],
      }) + '\n',
    );
    writeFileSync(
      pred,
      JSON.stringify({
        originalText: text,
        entities: [
          { label_type: '手术', start_pos: 3, end_pos: 8, overlap: 0 },
          { label_type: '药物', start_pos: 10, end_pos: 13, overlap: 0 },
        ],
      }) + '\n',
    );
    const r = medner(['eval', '--gold', gold, '--pred', pred, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout) as {
      micro: { precision: number; recall: number; f1: number };
      types: Record<string, { f1: number }>;
    };
    assert.deepEqual([result.micro.precision, result.micro.recall, result.micro.f1], [0.5, 0.5, 0.5]);
    assert.equal(result.types['手术'].f1, 1);
    assert.equal(result.types['药物'].f1, 0);
    const table = medner(['eval', '--gold', gold, '--pred', pred]);
    assert.match(table.stdout, /micro\s+50\.00\s+50\.00\s+50\.00/);
  });

  it('writes a Markdown error report with eval --report', () => {
    const dir = tempDir();
    const gold = path.join(dir, 'gold.jsonl');
    const pred = path.join(dir, 'pred.jsonl');
    const text = '患者行胆囊切除术，予头孢曲松，腹痛。';
    const yidu = (entities: [string, number, number][]) =>
      JSON.stringify({
        originalText: text,
        entities: entities.map(([l, s, e]) => ({ label_type: l, start_pos: s, end_pos: e, overlap: 0 })),
      }) + '\n';
    writeFileSync(
      gold,
      yidu([
        ['手术', 3, 8],
        ['药物', 10, 14],
        ['疾病和诊断', 15, 17],
      ]),
    );
    writeFileSync(
      pred,
      yidu([
        ['手术', 3, 8],
        ['药物', 10, 13],
        ['解剖部位', 15, 17],
      ]),
    );
    const report = path.join(dir, 'report.md');
    const r = medner(['eval', '--gold', gold, '--pred', pred, '--report', report]);
    assert.equal(r.code, 0, r.stderr);
    const md = readFileSync(report, 'utf8');
    assert.match(md, /1 of the same type \(0 too long, 1 too short, 0 shifted\)/);
    assert.match(md, /\| 疾病和诊断 \(disease\) \| 0 \| 1 \|/, 'disease confused with anatomy in the confusion matrix');
    assert.match(md, /\| type \| 腹痛 \(疾病和诊断, 15–17\) \| 腹痛 \(解剖部位, 15–17\) \|/);
    assert.match(md, /\| boundary \| 头孢曲松 \(药物, 10–14\) \| 头孢曲 \(药物, 10–13\) \|/);
    assert.equal(readdirSync(dir).filter((f) => f.includes('.tmp')).length, 0);
  });
});

/** Every file under `dir` with its bytes: what a refused command must leave exactly as it was. */
function contents(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rel of readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort()) {
    const full = path.join(dir, rel);
    out[rel] = lstatSync(full).isFile()
      ? readFileSync(full, 'base64')
      : lstatSync(full).isSymbolicLink()
        ? `-> ${readlinkSync(full)}`
        : 'folder';
  }
  return out;
}

describe('medner CLI: an output is never one of its inputs', function () {
  this.timeout(60_000);

  it('refuses --out, --report and merge --out that name an input, through symlinks and hard links, and writes nothing', () => {
    const dir = tempDir();
    const notes = path.join(dir, 'notes.txt');
    writeFileSync(notes, '患者行胆囊切除术。');
    mkdirSync(path.join(dir, 'corpus'));
    writeFileSync(path.join(dir, 'corpus', 'a.txt'), '予阿司匹林口服。');
    symlinkSync(notes, path.join(dir, 'link.jsonl'));
    linkSync(path.join(dir, 'corpus', 'a.txt'), path.join(dir, 'hard.jsonl'));
    const yidu = path.join(dir, 'records.jsonl');
    writeFileSync(yidu, JSON.stringify({ originalText: '诊断：高血压病。', entities: [] }) + '\n');
    const gold = path.join(dir, 'gold.jsonl');
    assert.equal(medner(['label', notes, '--out', gold]).code, 0);
    const brat = path.join(dir, 'brat');
    assert.equal(medner(['label', path.join(dir, 'corpus'), '--out-dir', brat, '--format', 'brat']).code, 0);
    const part = path.join(dir, 'part1.jsonl');
    assert.equal(medner(['label', notes, '--shard', '1/1', '--out', part]).code, 0);
    const before = contents(dir);
    for (const [args, out, input] of [
      [['label', notes, '--out', notes], notes, notes],
      [['label', notes, '--out', path.join(dir, 'link.jsonl')], path.join(dir, 'link.jsonl'), notes],
      [
        ['label', path.join(dir, 'corpus'), '--out', path.join(dir, 'hard.jsonl')],
        path.join(dir, 'hard.jsonl'),
        path.join(dir, 'corpus', 'a.txt'),
      ],
      [['label', '--input-format', 'yidu', '--format', 'yidu', yidu, '--out', yidu], yidu, yidu],
      [['eval', '--gold', gold, '--pred', gold, '--report', gold], gold, gold],
      [['eval', '--gold', brat, '--pred', gold, '--report', path.join(brat, 'a.ann')], path.join(brat, 'a.ann'), path.join(brat, 'a.ann')],
      [['merge', '--out', part, part], part, part],
    ] as const) {
      const r = medner([...args]);
      assert.equal(r.code, 2, args.join(' '));
      assert.equal(
        r.stderr,
        `medner: ${args.includes('--report') ? '--report' : '--out'} ${out} is the input ${input}: refusing to overwrite it; write elsewhere\n`,
      );
      assert.deepEqual(contents(dir), before, `${args.join(' ')} wrote nothing`);
    }
  });

  it('says in one line when --out or --report is a folder or its folder is missing or not a folder', () => {
    const dir = tempDir();
    const notes = path.join(dir, 'notes.txt');
    writeFileSync(notes, '患者行胆囊切除术。');
    for (const [args, message] of [
      [['label', notes, '--out', dir], `--out ${dir} is a folder, not a file`],
      [['eval', '--gold', notes, '--pred', notes, '--report', dir], `--report ${dir} is a folder, not a file`],
      [
        ['label', notes, '--out', path.join(dir, 'no', 'out.jsonl')],
        `cannot write ${path.join(dir, 'no', 'out.jsonl')}: the folder ${path.join(dir, 'no')} does not exist`,
      ],
      [['merge', '--out', path.join(notes, 'out.jsonl'), notes], `cannot write ${path.join(notes, 'out.jsonl')}: ${notes} is not a folder`],
      [['label', notes, '--out', '/dev/null'], '--out /dev/null is not a regular file (a FIFO, socket or device): name a file'],
    ] as const) {
      const r = medner([...args]);
      assert.equal(r.code, 2, args.join(' '));
      assert.equal(r.stderr, `medner: ${message}\n`);
    }
    assert.deepEqual(readdirSync(dir), ['notes.txt']);
  });

  it('says so when the folder of --out is read-only', function () {
    // Root writes anywhere: as root the CLI runs as nobody, as in faults.test.ts.
    const asRoot = process.getuid?.() === 0;
    const user = asRoot ? { uid: 65534, gid: 65534 } : {};
    const dir = tempDir();
    chmodSync(dir, 0o755);
    const ro = path.join(dir, 'ro');
    mkdirSync(ro);
    writeFileSync(path.join(dir, 'notes.txt'), '患者');
    chmodSync(ro, 0o555);
    const canRun = spawnSync(
      process.execPath,
      ['-e', `require('fs').accessSync(${JSON.stringify(CLI)}, require('fs').constants.R_OK)`],
      user,
    );
    if (canRun.status !== 0) {
      console.log(`      skipped: nobody cannot read ${CLI} (a checkout in a private folder), so root cannot test a read-only folder`);
      this.skip();
    }
    const r = spawnSync(process.execPath, [CLI, 'label', path.join(dir, 'notes.txt'), '--out', path.join(ro, 'out.jsonl')], {
      encoding: 'utf8',
      ...user,
    });
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stderr, `medner: cannot write ${path.join(ro, 'out.jsonl')}: the folder ${ro} is read-only for this user\n`);
    assert.deepEqual(readdirSync(ro), []);
  });
});

describe('medner CLI: --shard and merge', function () {
  this.timeout(120_000);
  const N = 3;
  let dir: string;
  /** Relative paths of the corpus, each shard's by construction (inShard on the path below the folder). */
  const expected: string[][] = Array.from({ length: N }, () => []);

  before(() => {
    dir = tempDir();
    // Two copies of one corpus, mounted at paths of different depth: both must give the same shards.
    const names: string[] = [];
    for (let i = 0; expected.some((s) => s.length < 2); i++) {
      const rel = `${i % 2 ? 'sub/' : ''}r${String(i).padStart(2, '0')}.txt`;
      const owner = expected.findIndex((_, s) => inShard(rel, { index: s, count: N }));
      if (expected[owner].length >= 2) continue;
      expected[owner].push(rel);
      names.push(rel);
    }
    for (const root of [path.join(dir, 'a', 'corpus'), path.join(dir, 'b', 'deeper', 'mount', 'corpus')]) {
      for (const rel of names) {
        mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
        writeFileSync(path.join(root, rel), `患者因胸痛入院，予阿司匹林治疗。${rel}`);
      }
    }
  });

  const corpus = (mount: 'a' | 'b') => (mount === 'a' ? path.join(dir, 'a', 'corpus') : path.join(dir, 'b', 'deeper', 'mount', 'corpus'));

  function label(mount: 'a' | 'b', shard: string, out: string, extra: string[] = []): string {
    const r = medner(['label', corpus(mount), '--shard', shard, '--out', out, '--quiet', ...extra]);
    assert.equal(r.code, 0, r.stderr);
    return out;
  }

  function lines(file: string): string[] {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean);
  }

  it('puts each document in the shard of its path below the input folder, wherever the corpus is mounted', () => {
    for (const mount of ['a', 'b'] as const) {
      for (let i = 1; i <= N; i++) {
        const part = label(mount, `${i}/${N}`, path.join(dir, `${mount}${i}.jsonl`));
        const docs = parseDocuments(lines(part).slice(0, -1).join('\n'));
        assert.deepEqual(
          docs.map((d) => path.relative(corpus(mount), d.path).split(path.sep).join('/')).sort(),
          [...expected[i - 1]].sort(),
          `${mount}: shard ${i}`,
        );
        const trailer = JSON.parse(lines(part).at(-1)!) as { medner_part: Record<string, unknown> };
        assert.deepEqual(Object.keys(trailer.medner_part), ['shard', 'inputs', 'model', 'documents']);
        assert.equal(trailer.medner_part.shard, `${i}/${N}`);
        assert.equal(trailer.medner_part.documents, docs.length);
      }
    }
    const inputs = (f: string) => (JSON.parse(lines(f).at(-1)!) as { medner_part: { inputs: string } }).medner_part.inputs;
    assert.equal(inputs(path.join(dir, 'a1.jsonl')), inputs(path.join(dir, 'b3.jsonl')), 'one input set on both mounts');
  });

  it('merges the parts, in any order, byte-identical to an unsharded run', () => {
    const whole = medner(['label', corpus('a'), '--quiet']);
    assert.equal(whole.code, 0, whole.stderr);
    const parts = [3, 1, 2].map((i) => label('a', `${i}/${N}`, path.join(dir, `m${i}.jsonl`)));
    const merged = path.join(dir, 'merged.jsonl');
    const m = medner(['merge', '--out', merged, ...parts]);
    assert.equal(m.code, 0, m.stderr);
    assert.equal(readFileSync(merged, 'utf8'), whole.stdout);
  });

  it('merges --out-dir parts, checked the same way', () => {
    const outs = [1, 2, 3].map((i) => {
      const out = path.join(dir, `dir${i}`);
      const r = medner(['label', corpus('a'), '--shard', `${i}/${N}`, '--out-dir', out]);
      assert.equal(r.code, 0, r.stderr);
      return out;
    });
    const merged = path.join(dir, 'dirs.jsonl');
    const m = medner(['merge', '--out', merged, ...outs]);
    assert.equal(m.code, 0, m.stderr);
    assert.deepEqual(
      parseDocuments(readFileSync(merged, 'utf8')).map((d) => d.path),
      expected.flat().sort(compareDocPaths),
    );
    const missing = medner(['merge', '--out', merged, outs[0], outs[2]]);
    assert.equal(missing.code, 2);
    assert.equal(missing.stderr, 'medner: shard 2/3 is missing: 2 of 3 parts given\n');
    const plain = path.join(dir, 'plain');
    assert.equal(medner(['label', corpus('a'), '--out-dir', plain]).code, 0);
    const notPart = medner(['merge', '--out', merged, plain]);
    assert.equal(notPart.stderr, `medner: ${plain}: no .medner/part.json: not an --out-dir labelled with --shard\n`);
  });

  it('refuses a missing, repeated, cut, foreign or mismatched part with one line naming it, and writes nothing', () => {
    const part = (i: number) => path.join(dir, `a${i}.jsonl`);
    const work = path.join(dir, 'bad');
    mkdirSync(work);
    const cut = (name: string, text: string) => {
      writeFileSync(path.join(work, name), text);
      return path.join(work, name);
    };
    const all = readFileSync(part(2), 'utf8');
    const noTrailer = cut(
      'no-trailer.jsonl',
      lines(part(2))
        .slice(0, -1)
        .map((l) => l + '\n')
        .join(''),
    );
    const midLine = cut('mid-line.jsonl', all.slice(0, all.indexOf('\n') + 10));
    const lostLine = cut(
      'lost-line.jsonl',
      lines(part(2))
        .slice(1)
        .map((l) => l + '\n')
        .join(''),
    );
    const badLine = cut('bad-line.jsonl', all.replace('"encoding":"utf-8"', '"encoding":"latin9"'));
    const tiny = writeTinyModel();
    const otherModel = label('a', `2/${N}`, path.join(work, 'other-model.jsonl'), ['--model', tiny]);
    writeFileSync(path.join(corpus('b'), 'extra.txt'), '新增记录。');
    const otherInputs = label('b', `2/${N}`, path.join(work, 'other-inputs.jsonl'));
    const otherCount = label('a', '2/4', path.join(work, 'other-count.jsonl'));
    const out = path.join(work, 'merged.jsonl');
    for (const [parts, message] of [
      [[part(1), part(3)], 'shard 2/3 is missing: 2 of 3 parts given'],
      [[part(1), part(2), part(2), part(3)], `${part(2)}: shard 2/3 again (also ${part(2)})`],
      [
        [part(1), noTrailer, part(3)],
        `${noTrailer}: no part trailer ({"medner_part": ...} last line): cut short, or not the output of medner label --shard`,
      ],
      [[part(1), midLine, part(3)], `${midLine}:2: the last line stops mid-record: the part is cut short`],
      [
        [part(1), lostLine, part(3)],
        `${lostLine}: holds ${lines(part(2)).length - 2} documents but was written with ${lines(part(2)).length - 1}: the part is cut or damaged`,
      ],
      [[part(1), badLine, part(3)], `${badLine}:1: document: unknown encoding "latin9"`],
      [[part(1), otherModel, part(3)], `${otherModel}: labelled with another model than ${part(1)}`],
      [[part(1), otherInputs, part(3)], `${otherInputs}: labelled from another input set than ${part(1)}`],
      [[part(1), otherCount, part(3)], `${otherCount}: shard 2/4, but ${part(1)} is shard 1/3: different shard counts`],
    ] as const) {
      const r = medner(['merge', '--out', out, ...parts]);
      assert.equal(r.code, 2, parts.join(' '));
      assert.equal(r.stderr, `medner: ${message}\n`);
      assert.ok(!existsSync(out));
    }
  });

  it('needs jsonl for a part written to a file', () => {
    const r = medner(['label', corpus('a'), '--shard', '1/3', '--format', 'conll']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^medner: --shard parts end in a trailer that merge checks, which only jsonl carries/);
  });
});

describe('medner CLI: errors say where, in one line', function () {
  this.timeout(60_000);

  function evalError(gold: string, pred: string): string {
    const r = medner(['eval', '--gold', gold, '--pred', pred]);
    assert.equal(r.code, 2, r.stdout);
    assert.equal(r.stderr.split('\n').length, 2, `one line: ${r.stderr.slice(0, 300)}`);
    return r.stderr;
  }

  const yidu = (text: string) => JSON.stringify({ originalText: text, entities: [] });

  it('names FILE:LINE of a bad line in an auto-detected jsonl or Yidu file', () => {
    const dir = tempDir();
    const good = path.join(dir, 'good.jsonl');
    writeFileSync(good, [yidu('患者'), yidu('胸痛'), yidu('入院')].join('\n') + '\n');
    const badJson = path.join(dir, 'bad-json.jsonl');
    writeFileSync(badJson, [yidu('患者'), yidu('胸痛'), '{"originalText": "入院", '].join('\n') + '\n');
    assert.match(evalError(badJson, good), new RegExp(`^medner: ${badJson}:3: invalid JSON \\(`));
    const badRecord = path.join(dir, 'bad-record.jsonl');
    writeFileSync(badRecord, [yidu('患者'), '{"originalText": 1, "entities": []}', yidu('入院')].join('\n') + '\n');
    assert.equal(evalError(badRecord, good), `medner: ${badRecord}:2: record: "originalText" must be a string\n`);
    const firstLine = path.join(dir, 'first.jsonl');
    writeFileSync(firstLine, '\n{"originalText": \n');
    assert.match(evalError(firstLine, good), new RegExp(`^medner: ${firstLine}:2: invalid JSON \\(`));
  });

  it('echoes at most ~200 characters of what it read, and reads deeply nested JSON without overflowing', () => {
    const dir = tempDir();
    const good = path.join(dir, 'good.jsonl');
    writeFileSync(good, yidu('ab') + '\n');
    const huge = path.join(dir, 'huge.doccano.jsonl');
    writeFileSync(huge, JSON.stringify({ text: 'ab', label: [[0, 1, '病'.repeat(20_000_000)]] }) + '\n');
    const message = evalError(huge, good);
    assert.ok(message.length < 600, `${message.length} characters`);
    assert.match(message, new RegExp(`^medner: ${huge}:1: span 0: unknown entity type "病{100,}… \\(20,000,002 characters\\)`));
    const deep = path.join(dir, 'deep.doccano.jsonl');
    writeFileSync(deep, `{"text": "ab", "label": [${'['.repeat(100_000)}${']'.repeat(100_000)}]}\n`);
    assert.equal(
      evalError(deep, good),
      `medner: ${deep}:1: span 0: want [start, end, "TYPE"] or {"start_offset", "end_offset", "label"}, got […]\n`,
    );
  });

  it('label skips a Yidu file with a damaged first line, naming the line, instead of labelling it as text', () => {
    const dir = tempDir();
    const file = path.join(dir, 'records.jsonl');
    writeFileSync(file, ['{"originalText": "患者因胸痛', yidu('诊断：高血压病。')].join('\n') + '\n');
    const r = medner(['label', file]);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, new RegExp(`^medner: skipped ${file}: line 1: invalid JSON \\(.*\\)\n$`));
    assert.equal(r.stdout, '');
  });

  it('names both files and the document when gold and predictions do not match', () => {
    const dir = tempDir();
    const gold = path.join(dir, 'gold.jsonl');
    const pred = path.join(dir, 'pred.jsonl');
    writeFileSync(gold, [yidu('患者'), yidu('胸痛')].join('\n') + '\n');
    writeFileSync(pred, [yidu('患者'), yidu('腹痛')].join('\n') + '\n');
    assert.equal(
      evalError(gold, pred),
      `medner: ${gold} document 2 (gold.jsonl:2) and ${pred} document 2 (pred.jsonl:2) have different texts: gold and predictions must list the same documents in the same order\n`,
    );
    writeFileSync(pred, yidu('患者') + '\n');
    assert.equal(evalError(gold, pred), `medner: ${gold} has 2 documents but ${pred} has 1\n`);
  });

  it('labels Label Studio tasks into the same tasks with predictions, ids and data kept', () => {
    const dir = tempDir();
    const tasks = path.join(dir, 'tasks.json');
    const input = [
      { id: 31, data: { text: '诊断：急性胆囊炎。予头孢曲松静滴。', ward: '3B' } },
      { id: 32, data: { text: '', ward: '5A' } },
    ];
    writeFileSync(tasks, JSON.stringify(input));
    const r = medner(['label', tasks, '--format', 'labelstudio']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { id: number; data: unknown; predictions: { model_version: string; result: unknown[] }[] }[];
    assert.deepEqual(
      out.map((t) => [t.id, t.data]),
      input.map((t) => [t.id, t.data]),
    );
    assert.ok(out[0]!.predictions[0]!.result.length > 0);
    assert.equal(out[0]!.predictions[0]!.model_version, 'medner');
  });

  it('labels CSV and JSON lines by --text-field and --id-field, the id in every output; text-only Yidu records too', () => {
    const dir = tempDir();
    const csv = path.join(dir, 'export.csv');
    writeFileSync(csv, 'MRN,note\r\nA1,"诊断：急性胆囊炎。\r\n予头孢曲松。"\r\nA2,肝大。\r\n');
    const r = medner(['label', csv, '--text-field', 'note', '--id-field', 'MRN']);
    assert.equal(r.code, 0, r.stderr);
    const docs = parseDocuments(r.stdout);
    assert.deepEqual(
      docs.map((d) => [d.path, d.id, d.text]),
      [
        [`${csv}:2`, 'A1', '诊断：急性胆囊炎。\r\n予头孢曲松。'],
        [`${csv}:3`, 'A2', '肝大。'],
      ],
    );
    const conll = medner(['label', csv, '--text-field', 'note', '--id-field', 'MRN', '--format', 'conll']);
    assert.match(conll.stdout, /^-DOCSTART- \{"path":".*export\.csv:2","id":"A1"\}\tO\n/);
    const jsonl = path.join(dir, 'records.jsonl');
    writeFileSync(jsonl, '{"rid": 9, "body": "患者胸痛。"}\n');
    assert.deepEqual(
      parseDocuments(medner(['label', jsonl, '--text-field', 'body', '--id-field', 'rid']).stdout).map((d) => d.id),
      [9],
    );
    const yiduTest = path.join(dir, 'test.json');
    writeFileSync(yiduTest, '{"originalText": "诊断：高血压病。"}\n');
    const y = medner(['label', yiduTest, '--format', 'yidu']);
    assert.equal(y.code, 0, y.stderr);
    assert.equal(parseYidu(y.stdout)[0]!.text, '诊断：高血压病。');
  });

  it('leaves empty documents out of doccano with a warning, and eval passes over empty documents', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'a.txt'), '诊断：高血压病。');
    writeFileSync(path.join(dir, 'empty.txt'), '');
    const doccano = path.join(dir, 'out.doccano.jsonl');
    const r = medner(['label', dir, '--format', 'doccano', '--out', doccano]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^medner: warning: doccano: .*empty\.txt: an empty document, which doccano refuses: left out\n$/);
    assert.equal(readFileSync(doccano, 'utf8').trim().split('\n').length, 1);
    const jsonl = path.join(dir, 'out.jsonl');
    assert.equal(medner(['label', dir, '--out', jsonl]).code, 0);
    const ev = medner(['eval', '--gold', doccano, '--pred', jsonl, '--json']);
    assert.equal(ev.code, 0, ev.stderr);
    assert.equal((JSON.parse(ev.stdout) as { micro: { f1: number } }).micro.f1, 1);
  });

  it("evaluates Label Studio's JSON and JSON-MIN exports: annotations against predictions", () => {
    const fixture = (name: string) => path.join(ROOT, 'test', 'fixtures', 'labelstudio', name);
    const score = (args: string[]) => {
      const r = medner(['eval', ...args, '--json']);
      assert.equal(r.code, 0, r.stderr);
      return (JSON.parse(r.stdout) as { micro: { tp: number; fp: number; fn: number } }).micro;
    };
    // Gold: 胆囊炎 and 头孢曲松 (the latest annotation of task 101); predictions: 头孢曲松, and 肝 in task 102.
    const want = { tp: 1, fp: 1, fn: 1 };
    const pick = ({ tp, fp, fn }: { tp: number; fp: number; fn: number }) => ({ tp, fp, fn });
    const json = fixture('export.json');
    assert.deepEqual(pick(score(['--gold', json, '--gold-source', 'annotations', '--pred', json, '--pred-source', 'predictions'])), want);
    assert.deepEqual(pick(score(['--gold', fixture('export-min.json'), '--pred', json, '--pred-source', 'predictions'])), want);
    assert.equal(medner(['eval', '--gold', json, '--pred', json, '--pred-source', 'latest']).code, 2);
  });

  it("writes CoNLL that doccano's CoNLL importer takes: two TAB-separated columns a line", () => {
    const r = medner(['label', '--format', 'conll']);
    assert.equal(r.code, 0, r.stderr);
    // backend/data_import/pipeline/parsers.py, CoNLLParser: line.rstrip(), then exactly two columns split at TAB.
    for (const line of r.stdout.split('\n')) {
      const kept = line.replace(/\s+$/u, '');
      if (kept === '') continue;
      const columns = kept.split('\t');
      assert.equal(columns.length, 2, JSON.stringify(line));
      assert.match(columns[1]!, /^(O|[BI]-.+)$/, JSON.stringify(line));
    }
  });
});
