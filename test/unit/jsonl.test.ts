import * as assert from 'node:assert/strict';
import { type DocumentResult, parseDocuments, serializeDocument, serializeDocuments } from '../../src/core/formats/jsonl';

const DOC: DocumentResult = {
  path: 'notes/01.txt',
  encoding: 'gb18030',
  text: '𠀀患者急性胆囊炎\r\n予头孢曲松',
  entities: [
    { start: 3, end: 8, label: '疾病和诊断', text: '急性胆囊炎', score: 0.97 },
    { start: 11, end: 15, label: '药物', text: '头孢曲松', score: 0.5 },
  ],
};

function withEntity(overrides: Record<string, unknown>): string {
  return JSON.stringify({ ...DOC, entities: [{ ...DOC.entities[0], ...overrides }] });
}

describe('MedNER jsonl format', () => {
  it('writes one line per document with fields in a fixed order', () => {
    const line = serializeDocument(DOC);
    assert.ok(!line.includes('\n'));
    assert.ok(line.startsWith('{"path":"notes/01.txt","encoding":"gb18030","text":'));
    assert.ok(line.includes('{"start":3,"end":8,"label":"疾病和诊断","text":"急性胆囊炎","score":0.97}'));
  });

  it('round-trips documents', () => {
    const docs = [DOC, { ...DOC, path: 'empty.txt', encoding: 'utf-8' as const, text: '', entities: [] }];
    const content = serializeDocuments(docs);
    assert.equal(content.split('\n').length, 3);
    assert.deepEqual(parseDocuments(content), docs);
  });

  it('ignores blank lines and CRLF line ends', () => {
    assert.deepEqual(parseDocuments(`\r\n${serializeDocument(DOC)}\r\n\r\n`), [DOC]);
  });

  it('checks that entity text matches the code-point slice of the document', () => {
    assert.throws(
      () => parseDocuments(withEntity({ start: 2, end: 7 })),
      /line 1: entity 0: text "急性胆囊炎" differs from the document's "者急性胆囊" at 2\.\.7/,
    );
  });

  it('gives line numbers for structural errors', () => {
    const good = serializeDocument(DOC);
    assert.throws(() => parseDocuments(`${good}\n${withEntity({ end: 99 })}`), /line 2: entity 0: span 3\.\.99 is empty or outside/);
    assert.throws(
      () => parseDocuments(`${good}\n${good}\n${withEntity({ label: 'disease' })}`),
      /line 3: entity 0: unknown label "disease"/,
    );
    assert.throws(() => parseDocuments(withEntity({ score: 1.5 })), /"score" must be a number in \[0, 1\]/);
    assert.throws(() => parseDocuments(JSON.stringify({ ...DOC, encoding: 'latin1' })), /unknown encoding "latin1"/);
    assert.throws(() => parseDocuments(JSON.stringify({ ...DOC, entities: {} })), /"entities" must be an array/);
    assert.throws(() => parseDocuments('{"path": "a"'), /line 1: invalid JSON/);
  });
});
