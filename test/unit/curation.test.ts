import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { applyEdits, reanchor, TextChange } from '../../src/core/curation/anchor';
import { accept, acceptAll, add, entityAt, mergePredictions, reject, resize, setLabel } from '../../src/core/curation/edit';
import {
  type CuratedEntity,
  type CurationRecord,
  hashText,
  parseRecord,
  serializeRecord,
  type StoredEntity,
  toStored,
} from '../../src/core/curation/record';
import { CurationSession } from '../../src/core/curation/session';
import { CurationStore } from '../../src/core/curation/store';

const TEXT = '患者因胆囊炎入院，予头孢曲松抗感染，查血常规。';
const chars = Array.from(TEXT);
const at = (
  text: string,
  label: CuratedEntity['label'],
  status: CuratedEntity['status'] = 'predicted',
  score = 0.9,
  from = 0,
): CuratedEntity => {
  const start = Array.from(TEXT).join('').indexOf(text, from);
  return { start, end: start + text.length, label, text, status, score };
};
const predicted = () => [
  at('胆囊炎', '疾病和诊断', 'predicted', 0.95),
  at('头孢曲松', '药物', 'predicted', 0.6),
  at('血常规', '实验室检验', 'predicted', 0.8),
];

describe('curation steps', () => {
  it('accepts, rejects and retypes, keeping entities sorted', () => {
    let e = predicted();
    e = accept(e, 0)!;
    assert.equal(e[0].status, 'accepted');
    assert.equal(accept(e, 0), undefined, 'accepting twice changes nothing');
    e = reject(e, 1)!;
    assert.equal(e[1].status, 'rejected');
    assert.equal(entityAt(e, e[1].start), undefined, 'a rejected entity is not under the cursor');
    e = setLabel(e, 2, '影像检查')!;
    assert.deepEqual([e[2].label, e[2].status], ['影像检查', 'edited']);
  });

  it('grows and shrinks a boundary by one character, never onto another curated entity', () => {
    let e = predicted();
    e = resize(e, 1, 'end', 1, chars)!;
    assert.equal(e[1].text, '头孢曲松抗');
    assert.equal(e[1].status, 'edited');
    e = resize(e, 1, 'end', -1, chars)!;
    e = resize(e, 1, 'start', -1, chars)!;
    assert.equal(e[1].text, '孢曲松');
    assert.equal(resize([at('血', '实验室检验', 'manual')], 0, 'end', -1, chars), undefined, 'never empty');
    const two = [at('胆囊炎', '疾病和诊断', 'accepted'), at('入院', '手术', 'predicted')];
    assert.equal(resize(two, 1, 'start', 1, chars), undefined, 'does not run into an accepted entity');
  });

  it('adds an entity from a selection: overlapped predictions give way; an exact prediction is accepted', () => {
    const e = predicted();
    const start = TEXT.indexOf('胆囊');
    const added = add(e, start, start + 2, '解剖部位', chars)!;
    assert.equal(added.length, 3);
    assert.deepEqual(
      added.find((x) => x.start === start),
      { start, end: start + 2, label: '解剖部位', text: '胆囊', status: 'manual' },
    );
    const same = add(e, e[1].start, e[1].end, '药物', chars)!;
    assert.equal(same[1].status, 'accepted');
    assert.equal(same[1].score, 0.6);
  });

  it('accepts all open predictions at once', () => {
    const e = acceptAll(reject(predicted(), 0)!)!;
    assert.deepEqual(
      e.map((x) => x.status),
      ['rejected', 'accepted', 'accepted'],
    );
    assert.equal(acceptAll(e), undefined);
  });

  it("merges the model's next reading without undoing a person's decisions", () => {
    let e = reject(predicted(), 1)!;
    e = accept(e, 0)!;
    const next = [
      { start: e[0].start, end: e[0].end + 1, label: '疾病和诊断' as const, text: '胆囊炎入', score: 0.5 },
      { start: e[1].start, end: e[1].end, label: '药物' as const, text: '头孢曲松', score: 0.7 },
      { start: e[2].start, end: e[2].end, label: '实验室检验' as const, text: '血常规', score: 0.99 },
    ];
    const merged = mergePredictions(e, next);
    assert.deepEqual(
      merged.map((x) => [x.text, x.status, x.score]),
      [
        ['胆囊炎', 'accepted', 0.95],
        ['头孢曲松', 'rejected', 0.6],
        ['血常规', 'predicted', 0.99],
      ],
    );
  });
});

describe('curation session', () => {
  it('undoes and redoes curation steps, including the document status', () => {
    const s = new CurationSession(predicted());
    assert.ok(s.apply((e) => accept(e, 0)));
    assert.equal(s.status, 'in-progress');
    assert.ok(s.apply((e) => acceptAll(e), 'done'));
    assert.equal(s.status, 'done');
    assert.ok(s.undo());
    assert.deepEqual(
      s.entities.map((x) => x.status),
      ['accepted', 'predicted', 'predicted'],
    );
    assert.ok(s.undo());
    assert.equal(s.status, 'todo');
    assert.ok(!s.undo());
    assert.ok(s.redo());
    assert.ok(s.redo());
    assert.equal(s.status, 'done');
    assert.ok(!s.redo());
  });

  it('leaves a todo document todo when a step does not apply', () => {
    const s = new CurationSession(predicted());
    assert.ok(!s.apply(() => undefined));
    assert.equal(s.status, 'todo');
    assert.ok(!s.canUndo);
  });

  it('restores a snapshot through edits that touched its entities: moved with them, or flagged', () => {
    const s = new CurationSession(predicted());
    s.apply((e) => accept(e, 0));
    s.apply((e) => accept(e, 1));
    // Paste 胆囊炎 over itself (touched, same text), then break 头孢曲松.
    const [a, b] = [TEXT.indexOf('胆囊炎'), TEXT.indexOf('曲松')];
    s.applyTextEdits(TEXT, TEXT, [{ start: a, end: a + 3, text: '胆囊炎' }]);
    const broken = TEXT.slice(0, b) + '他啶' + TEXT.slice(b + 2);
    s.applyTextEdits(TEXT, broken, [{ start: b, end: b + 2, text: '他啶' }]);
    assert.ok(s.undo());
    const [gall, drug] = s.entities;
    assert.deepEqual([gall.status, gall.start, gall.unanchored], ['accepted', a, undefined]);
    assert.deepEqual([drug.status, drug.unanchored], ['predicted', true], "the snapshot's entity is flagged like the current one");
  });

  it('moves the undo history along with text edits', () => {
    const s = new CurationSession(predicted());
    s.apply((e) => accept(e, 2));
    const newText = '入院记录：' + TEXT;
    s.applyTextEdits(TEXT, newText, [{ start: 0, end: 0, text: '入院记录：' }]);
    s.undo();
    for (const e of s.entities) assert.equal(Array.from(newText).slice(e.start, e.end).join(''), e.text);
  });
});

describe('re-anchoring', () => {
  it('shifts untouched entities with an edit and finds touched ones again by their text', () => {
    const newText = TEXT.replace('患者因', '男性患者，因').replace('抗感染', '静滴抗感染');
    const edits = [
      { start: 0, end: 3, text: '男性患者，因' },
      { start: TEXT.indexOf('抗感染'), end: TEXT.indexOf('抗感染'), text: '静滴' },
    ];
    const moved = applyEdits(predicted(), new TextChange(TEXT, newText, edits));
    for (const e of moved) {
      assert.ok(!e.unanchored, e.text);
      assert.equal(newText.slice(e.start, e.end), e.text);
    }
  });

  it('flags an entity whose own text was edited, without dropping it', () => {
    const i = TEXT.indexOf('曲松');
    const newText = TEXT.slice(0, i) + '他啶' + TEXT.slice(i + 2);
    const moved = applyEdits(predicted(), new TextChange(TEXT, newText, [{ start: i, end: i + 2, text: '他啶' }]));
    assert.equal(moved.length, 3);
    assert.equal(moved[1].unanchored, true);
    assert.equal(moved[2].unanchored, undefined);
  });

  it('re-anchors a stored record on a changed file by text and neighbourhood, telling repeated terms apart', () => {
    const text = '彩超示左肾结石约5mm。CT示右肾结石，予手术。';
    const c = Array.from(text);
    const entities: CuratedEntity[] = [
      { start: 4, end: 7, label: '疾病和诊断', text: '肾结石', status: 'accepted' },
      { start: 16, end: 19, label: '疾病和诊断', text: '肾结石', status: 'rejected' },
    ];
    const stored = toStored(entities, c);
    const changed = '既往史：CT示右肾结石，予手术。彩超示左肾结石约5mm。';
    const placed = reanchor(stored, changed).entities;
    const left = placed.find((e) => e.status === 'accepted')!;
    const right = placed.find((e) => e.status === 'rejected')!;
    assert.equal(changed.slice(left.start - 1, left.end), '左肾结石');
    assert.equal(changed.slice(right.start - 1, right.end), '右肾结石');
    const gone = reanchor(stored, '无特殊。').entities;
    for (const g of gone) assert.ok(g.end <= 4, 'an unanchored entity stays inside the text');
    assert.deepEqual(
      gone.map((e) => e.unanchored),
      [true, true],
    );
  });

  it('handles astral characters with code-point offsets', () => {
    const text = '𠀀患者胆囊炎';
    const e: CuratedEntity[] = [{ start: 3, end: 6, label: '疾病和诊断', text: '胆囊炎', status: 'accepted' }];
    const placed = reanchor(toStored(e, Array.from(text)), '𠀀𠀀患者胆囊炎').entities;
    assert.deepEqual([placed[0].start, placed[0].end], [4, 7]);
  });

  it('re-anchors a 100k-character document quickly', function () {
    this.timeout(20_000);
    const unit = '患者因胆囊炎入院，予头孢曲松抗感染，查血常规。第';
    let text = '';
    const entities: CuratedEntity[] = [];
    for (let i = 0; text.length < 100_000; i++) {
      const base = text.length;
      entities.push({ start: base + 3, end: base + 6, label: '疾病和诊断', text: '胆囊炎', status: 'accepted' });
      entities.push({ start: base + 10, end: base + 14, label: '药物', text: '头孢曲松', status: 'predicted', score: 0.5 });
      text += unit + i + '次。';
    }
    const stored = toStored(entities, Array.from(text));
    const changed = '补充：' + text;
    const started = performance.now();
    const placed = reanchor(stored, changed).entities;
    const ms = performance.now() - started;
    assert.equal(placed.filter((e) => e.unanchored).length, 0);
    for (const e of placed) assert.equal(changed.slice(e.start, e.end), e.text);
    console.log(`      re-anchored ${entities.length} entities on ${changed.length} characters in ${ms.toFixed(0)} ms`);
  });
});

describe('re-anchoring at scale', () => {
  it('bounds the work on an adversarial record: 10,000 entities of one term found everywhere, none with its context', () => {
    const text = '发热'.repeat(50_000);
    const entities: StoredEntity[] = Array.from({ length: 10_000 }, (_, i) => ({
      start: 10 * i,
      end: 10 * i + 2,
      label: '疾病和诊断',
      text: '发热',
      status: 'accepted',
      before: 'x'.repeat(12),
      after: 'y'.repeat(12),
    }));
    const placed = reanchor(entities, text);
    assert.equal(placed.entities.length, 10_000, 'nothing is dropped');
    assert.ok(placed.entities.every((e) => e.unanchored && e.end <= text.length));
    // The limit is linear in the text (1,000,000 + 20 per character); without it the work is ~10^9.
    // Past it, each entity still gets its one look where it was expected.
    assert.ok(placed.work <= 1_000_000 + 20 * text.length + 10_000, `work ${placed.work}`);
    assert.ok(placed.unsearched > 0, 'the limit was reached, and it says how many entities it left');
  });

  it('bounds the work of an edit that touches 10,000 entities of one term found everywhere', () => {
    const text = '发热'.repeat(50_000);
    const entities: CuratedEntity[] = Array.from({ length: 10_000 }, (_, i) => ({
      start: 10 * i,
      end: 10 * i + 2,
      label: '疾病和诊断',
      text: '发热',
      status: 'accepted',
    }));
    // The whole text replaced by itself with one character changed in every other pair: every entity is touched, none keeps its context.
    const changed = text.replace(/发热发热/g, '发热发冷');
    const change = new TextChange(text, changed, [{ start: 0, end: text.length, text: changed }]);
    const moved = applyEdits(entities, change);
    assert.equal(moved.length, 10_000);
    for (const e of moved) assert.ok(e.unanchored || changed.slice(e.start, e.end) === '发热');
    assert.ok(change.work <= 1_000_000 + 20 * changed.length + 10_000, `work ${change.work}`);
  });

  it('re-anchors a reformatted 100k-character document of repeated terms exactly, well within the limit', () => {
    const unit = '患者因胆囊炎入院，予头孢曲松抗感染，查血常规。第';
    let text = '';
    const entities: CuratedEntity[] = [];
    for (let i = 0; text.length < 100_000; i++) {
      const base = text.length;
      entities.push({ start: base + 3, end: base + 6, label: '疾病和诊断', text: '胆囊炎', status: 'accepted' });
      entities.push({ start: base + 10, end: base + 14, label: '药物', text: '头孢曲松', status: 'predicted', score: 0.5 });
      text += unit + i + '次。';
    }
    // Every entity's neighbourhood changed: none is where it was with its context intact.
    const changed = text.replace(/，/g, ', ');
    const placed = reanchor(toStored(entities, Array.from(text)), changed);
    assert.equal(placed.unsearched, 0);
    assert.equal(placed.entities.filter((e) => e.unanchored).length, 0);
    for (const e of placed.entities) assert.equal(changed.slice(e.start, e.end), e.text);
    // Each entity in its own sentence: the n-th 胆囊炎 stays the n-th.
    const starts = (t: string, term: string) => [...t.matchAll(new RegExp(term, 'g'))].map((m) => m.index);
    assert.deepEqual(
      placed.entities.filter((e) => e.text === '胆囊炎').map((e) => e.start),
      starts(changed, '胆囊炎'),
    );
    // Scoring every occurrence of each term, as a plain scan does, is ~23 million.
    assert.ok(placed.work < 1_500_000, `work ${placed.work}`);
  });
});

describe('curation store', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'medner-store-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('writes one readable JSON record per document under .medner and reads it back', async () => {
    const store = new CurationStore(root);
    const key = store.keyOf(path.join(root, 'records', '01.txt'))!;
    assert.equal(key, 'records/01.txt');
    assert.equal(store.keyOf(path.join(root, '.medner', 'x.txt')), undefined);
    assert.equal(store.keyOf(path.join(path.dirname(root), 'elsewhere.txt')), undefined);
    const entities = accept(predicted(), 0)!;
    await store.save(key, TEXT, entities, 'in-progress');
    const file = path.join(root, '.medner', 'annotations', 'records', '01.txt.json');
    const content = readFileSync(file, 'utf8');
    assert.match(content, /"status": "in-progress"/);
    assert.match(content, /胆囊炎/, 'Chinese stays readable');
    const loaded = (await store.load(key, TEXT))!;
    assert.equal(loaded.reanchored, false);
    assert.deepEqual(loaded.entities, entities);
    assert.equal(loaded.record.sha256, hashText(TEXT));
    assert.deepEqual(
      (await store.list()).map((r) => r.path),
      ['records/01.txt'],
    );
  });

  it('re-anchors when the document changed since the record was written', async () => {
    const store = new CurationStore(root);
    await store.save('a.txt', TEXT, predicted(), 'todo');
    const changed = '主诉：' + TEXT;
    const loaded = (await store.load('a.txt', changed))!;
    assert.equal(loaded.reanchored, true);
    for (const e of loaded.entities) assert.equal(changed.slice(e.start, e.end), e.text);
  });

  it('round-trips records through serialize/parse and rejects malformed ones', () => {
    const record = {
      path: 'a.txt',
      sha256: hashText(TEXT),
      status: 'done' as const,
      entities: toStored([{ ...predicted()[0], unanchored: true }], chars),
    };
    assert.deepEqual(parseRecord(serializeRecord(record), 'x'), record);
    assert.throws(
      () =>
        parseRecord(
          '{"format":"medner-curation","version":1,"path":"a","sha256":"b","status":"todo","entities":[{"start":2,"end":1}]}',
          'f.json',
        ),
      /f\.json: entity 0: bad offsets/,
    );
    assert.throws(() => parseRecord('[]', 'f.json'), /not a MedNER curation record/);
  });
});

describe('curation store containment', () => {
  let base: string;
  let root: string;
  let outside: string;
  beforeEach(() => {
    base = mkdtempSync(path.join(tmpdir(), 'medner-contain-'));
    root = path.join(base, 'ws');
    outside = path.join(base, 'outside');
    mkdirSync(root);
    mkdirSync(outside);
    writeFileSync(path.join(outside, 'secret.txt'), TEXT);
  });
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  const plant = (name: string, record: Partial<CurationRecord>) => {
    const file = path.join(root, '.medner', 'annotations', ...name.split('/'));
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(
      file,
      serializeRecord({
        path: name.replace(/\.json$/, ''),
        sha256: hashText(TEXT),
        status: 'done',
        entities: toStored(predicted(), chars),
        ...record,
      }),
    );
    return file;
  };

  it('refuses records whose path leads outside the folder: "..", absolute, or through a link', async () => {
    writeFileSync(path.join(root, 'ok.txt'), TEXT);
    symlinkSync(outside, path.join(root, 'linked'));
    symlinkSync(path.join(outside, 'secret.txt'), path.join(root, 'secret.txt'));
    plant('ok.txt.json', {});
    const dots = plant('dots.txt.json', { path: '../outside/secret.txt' });
    const absolute = plant('abs.txt.json', { path: path.join(outside, 'secret.txt') });
    const viaDir = plant('linked/secret.txt.json', {});
    const viaFile = plant('secret.txt.json', {});
    const store = new CurationStore(root);
    const errors: string[] = [];
    const listed = await store.list((file, e) => errors.push(`${file} | ${e.message}`));
    assert.deepEqual(
      listed.map((r) => r.path),
      ['ok.txt'],
    );
    assert.equal(errors.length, 4);
    for (const [file, why] of [
      [dots, /path "\.\.\/outside\/secret\.txt" has an empty, "\." or "\.\." step; record refused/],
      [absolute, /is not a relative, \/-separated path; record refused/],
      [viaDir, /path "linked\/secret\.txt" leads outside the workspace folder; record refused/],
      [viaFile, /path "secret\.txt" leads outside the workspace folder; record refused/],
    ] as const) {
      const line = errors.find((e) => e.startsWith(`${file} | ${file}: `));
      assert.ok(line, `${file} named in ${errors.join('\n')}`);
      assert.match(line, why);
    }
    // Every reader goes through the same check, the single record read for a document too.
    await assert.rejects(store.read('dots.txt'), /dots\.txt\.json: path "\.\.\/outside\/secret\.txt" has an empty/);
    await assert.rejects(store.load('secret.txt', TEXT), /leads outside the workspace folder/);
    await assert.rejects(
      store.save('secret.txt', TEXT, predicted(), 'todo'),
      /path "secret\.txt" leads outside the workspace folder; its curation is not stored/,
    );
  });

  it('never writes through a linked .medner, annotations or sub-folder, and never reads a store outside the folder', async () => {
    const store = new CurationStore(root);
    symlinkSync(outside, path.join(root, '.medner'));
    await assert.rejects(
      store.save('a.txt', TEXT, predicted(), 'todo'),
      new RegExp(`${path.join(root, '.medner')} is a symbolic link: MedNER does not write through links; nothing was written`),
    );
    const errors: string[] = [];
    mkdirSync(path.join(outside, 'annotations'));
    writeFileSync(
      path.join(outside, 'annotations', 'a.txt.json'),
      serializeRecord({ path: 'a.txt', sha256: hashText(TEXT), status: 'done', entities: [] }),
    );
    assert.deepEqual(await store.list((file, e) => errors.push(e.message)), []);
    assert.match(errors[0], /annotations leads outside the workspace folder; its records are not read/);
    await assert.rejects(store.read('a.txt'), /a\.txt\.json leads outside the workspace folder; record refused/);
    rmSync(path.join(root, '.medner'));
    mkdirSync(path.join(root, '.medner'));
    symlinkSync(outside, path.join(root, '.medner', 'annotations'));
    await assert.rejects(store.save('a.txt', TEXT, predicted(), 'todo'), /annotations is a symbolic link/);
    rmSync(path.join(root, '.medner', 'annotations'));
    mkdirSync(path.join(root, '.medner', 'annotations'));
    mkdirSync(path.join(root, 'notes'));
    symlinkSync(outside, path.join(root, '.medner', 'annotations', 'notes'));
    await assert.rejects(store.save('notes/b.txt', TEXT, predicted(), 'todo'), /notes is a symbolic link/);
    assert.deepEqual(readdirSync(outside).sort(), ['annotations', 'secret.txt']);
    assert.deepEqual(readdirSync(path.join(outside, 'annotations')), ['a.txt.json'], 'nothing written outside');
    await store.save('c.txt', TEXT, predicted(), 'todo');
    assert.deepEqual(
      (await store.list()).map((r) => r.path),
      ['c.txt'],
    );
  });

  it('never opens a record file that is not a plain file (a FIFO would block the read forever)', async () => {
    const store = new CurationStore(root);
    await store.save('ok.txt', TEXT, predicted(), 'todo');
    execFileSync('mkfifo', [path.join(root, '.medner', 'annotations', 'fifo.txt.json')]);
    const errors: string[] = [];
    assert.deepEqual(
      (await store.list((file, e) => errors.push(e.message))).map((r) => r.path),
      ['ok.txt'],
    );
    assert.deepEqual(errors, [`${path.join(root, '.medner', 'annotations', 'fifo.txt.json')} is not a regular file; record refused`]);
    await assert.rejects(store.read('fifo.txt'), /fifo\.txt\.json is not a regular file; record refused/);
  });

  it('refuses a record whose hash matches but whose entities do not lie on the text', async () => {
    const store = new CurationStore(root);
    const [first, ...rest] = toStored(predicted(), chars);
    const far = plant('far.txt.json', { entities: [...rest, { ...first, end: 100_000_000 }] });
    await assert.rejects(store.load('far.txt', TEXT), (e: Error) => {
      assert.equal(
        e.message,
        `${far}: entity 2 ("胆囊炎" at 3–100000000) ends past the document's ${chars.length} characters; record refused`,
      );
      return true;
    });
    const other = plant('other.txt.json', { entities: [{ ...first, text: '阑尾炎' }] });
    await assert.rejects(
      store.load('other.txt', TEXT),
      new RegExp(
        `${other.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: entity 0 \\("阑尾炎" at 3–6\\): the document has "胆囊炎" there; record refused$`,
      ),
    );
    // An unanchored entity keeps its own text on clamped offsets: only those are checked.
    plant('kept.txt.json', { entities: [{ ...first, text: '阑尾炎', unanchored: true }] });
    assert.equal((await store.load('kept.txt', TEXT))!.entities[0].unanchored, true);
    assert.throws(() => parseRecord(readFileSync(far, 'utf8').replace('100000000', '1e300'), 'f.json'), /f\.json: entity 2: bad offsets/);
  });
});
