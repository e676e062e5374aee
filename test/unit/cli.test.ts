// The `medner` CLI end to end: the built dist/cli.js with the shipped model, on fixtures.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseDocuments } from '../../src/core/formats/jsonl';
import { parseYidu } from '../../src/core/formats/yidu';
import { ROOT } from './support';

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
    assert.deepEqual(docs.map((d) => [path.basename(d.path), d.encoding, d.text]), [
      ['gb.txt', 'gb18030', '患者'],
      ['u16.txt', 'utf-16le', text],
    ]);
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
    assert.deepEqual(labelled.map((x) => x.text), records.filter(Boolean));
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

  it('exits 2 with usage on bad arguments', () => {
    for (const args of [['label', '--format', 'xml'], ['label', '--nope'], ['frobnicate'], ['eval', '--gold', 'x']]) {
      const r = medner(args);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stderr, /^medner: /);
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
    assert.deepEqual(parseDocuments(r.stdout).map((d) => path.relative(dir, d.path)), [path.join('sub', 'x.txt')]);
  });

  it('labels a folder of 1,000 records into --out-dir, and a rerun reuses every result', () => {
    const dir = tempDir();
    const inDir = path.join(dir, 'records');
    mkdirSync(inDir);
    const drugs = ['阿司匹林', '头孢曲松', '奥美拉唑', '二甲双胍'];
    for (let i = 0; i < 1000; i++) {
      writeFileSync(path.join(inDir, `${String(i).padStart(4, '0')}.txt`), `患者${i % 90 + 10}岁，因胸痛${i % 7 + 1}天入院，予${drugs[i % 4]}治疗，查血常规未见异常。`);
    }
    const out = path.join(dir, 'out');
    const r = medner(['label', inDir, '--out-dir', out]);
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8')) as { documents: number; characters: number; seconds: number; reused: number };
    assert.equal(summary.documents, 1000);
    assert.equal(parseDocuments(readFileSync(path.join(out, 'annotations.jsonl'), 'utf8')).length, 1000);
    console.log(`      1,000 records: ${summary.characters} chars in ${summary.seconds.toFixed(1)} s = ${Math.round(summary.characters / summary.seconds)} chars/s`);
    const again = medner(['label', inDir, '--out-dir', out, '--format', 'yidu']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /1000 unchanged, reused/);
    assert.equal(parseYidu(readFileSync(path.join(out, 'annotations.yidu.jsonl'), 'utf8')).length, 1000);
  });

  it('exports brat with .txt files byte-identical to the sources, and evaluates a brat folder as gold', () => {
    const dir = tempDir();
    const inDir = path.join(dir, 'in');
    mkdirSync(inDir);
    writeFileSync(path.join(inDir, 'gb.txt'), Buffer.from([0xbb, 0xbc, 0xd5, 0xdf, 0xd0, 0xd0, 0xb8, 0xce, 0xc7, 0xd0, 0xb3, 0xfd, 0xca, 0xf5, 0xa1, 0xa3]));
    writeFileSync(path.join(inDir, 'crlf.txt'), '\uFEFF诊断：高血压病。\r\n予阿司匹林口服。\r\n');
    const out = path.join(dir, 'brat');
    const r = medner(['label', inDir, '--out-dir', out, '--format', 'brat']);
    assert.equal(r.code, 0, r.stderr);
    for (const name of ['gb', 'crlf']) {
      assert.deepEqual(readFileSync(path.join(out, `${name}.txt`)), readFileSync(path.join(inDir, `${name}.txt`)));
      assert.ok(existsSync(path.join(out, `${name}.ann`)));
    }
    const pred = path.join(dir, 'pred.jsonl');
    assert.equal(medner(['label', path.join(out, 'crlf.txt'), path.join(out, 'gb.txt'), '--out', pred]).code, 0);
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

  it('labels in --shard parts whose merge equals the unsharded output, byte for byte', () => {
    const dir = tempDir();
    const whole = medner(['label', '--quiet']);
    assert.equal(whole.code, 0, whole.stderr);
    const parts = [1, 2, 3].map((i) => {
      const out = path.join(dir, `part${i}.jsonl`);
      const r = medner(['label', '--shard', `${i}/3`, '--out', out]);
      assert.equal(r.code, 0, r.stderr);
      return out;
    });
    const sizes = parts.map((p) => readFileSync(p, 'utf8').split('\n').filter(Boolean).length);
    assert.equal(sizes.reduce((a, b) => a + b, 0), whole.stdout.trim().split('\n').length, `parts hold ${sizes.join('+')} documents`);
    const merged = path.join(dir, 'all.jsonl');
    const m = medner(['merge', '--out', merged, ...parts.reverse()]);
    assert.equal(m.code, 0, m.stderr);
    assert.equal(readFileSync(merged, 'utf8'), whole.stdout);
    assert.equal(medner(['label', '--shard', '4/3']).code, 2);
    const twice = medner(['merge', '--out', path.join(dir, 'x.jsonl'), parts[0], parts[0]]);
    assert.equal(twice.code, 2);
    assert.match(twice.stderr, /more than one part/);
  });

  it('scores predictions against gold with strict P/R/F1 per type', () => {
    const dir = tempDir();
    const gold = path.join(dir, 'gold.jsonl');
    const pred = path.join(dir, 'pred.jsonl');
    const text = '患者行胆囊切除术，予头孢曲松。';
    writeFileSync(gold, JSON.stringify({ originalText: text, entities: [
      { label_type: '手术', start_pos: 3, end_pos: 8, overlap: 0 },
      { label_type: '药物', start_pos: 10, end_pos: 14, overlap: 0 },
    ] }) + '\n');
    writeFileSync(pred, JSON.stringify({ originalText: text, entities: [
      { label_type: '手术', start_pos: 3, end_pos: 8, overlap: 0 },
      { label_type: '药物', start_pos: 10, end_pos: 13, overlap: 0 },
    ] }) + '\n');
    const r = medner(['eval', '--gold', gold, '--pred', pred, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout) as { micro: { precision: number; recall: number; f1: number }; types: Record<string, { f1: number }> };
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
      JSON.stringify({ originalText: text, entities: entities.map(([l, s, e]) => ({ label_type: l, start_pos: s, end_pos: e, overlap: 0 })) }) + '\n';
    writeFileSync(gold, yidu([['手术', 3, 8], ['药物', 10, 14], ['疾病和诊断', 15, 17]]));
    writeFileSync(pred, yidu([['手术', 3, 8], ['药物', 10, 13], ['解剖部位', 15, 17]]));
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
