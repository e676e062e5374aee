import * as assert from 'node:assert/strict';
import { globToRegExp, matchesGlob } from '../../src/core/glob';

describe('glob', () => {
  it('lets ** match zero or more folders', () => {
    assert.ok(matchesGlob('a.txt', '**/*.txt'));
    assert.ok(matchesGlob('x/y/a.txt', '**/*.txt'));
    assert.ok(matchesGlob('x/a.txt', 'x/**/a.txt'));
    assert.ok(matchesGlob('x/y/z/a.txt', 'x/**/a.txt'));
    assert.ok(!matchesGlob('a.txt.bak', '**/*.txt'));
  });

  it('keeps * and ? within one path segment', () => {
    assert.ok(matchesGlob('a.txt', '*.txt'));
    assert.ok(!matchesGlob('x/a.txt', '*.txt'));
    assert.ok(matchesGlob('ab.txt', 'a?.txt'));
    assert.ok(!matchesGlob('a/.txt', 'a?.txt'));
  });

  it('expands {a,b} alternatives, nested ones included', () => {
    const re = globToRegExp('**/*.{txt,json{,l}}');
    assert.ok(re.test('a.txt'));
    assert.ok(re.test('d/a.json'));
    assert.ok(re.test('d/a.jsonl'));
    assert.ok(!re.test('a.js'));
  });

  it('treats regex metacharacters literally', () => {
    assert.ok(matchesGlob('a+(1).txt', 'a+(1).txt'));
    assert.ok(!matchesGlob('abtxt', 'ab.txt'));
    assert.ok(matchesGlob('病历$.txt', '病历$.txt'));
  });

  it('rejects unbalanced braces', () => {
    assert.throws(() => globToRegExp('*.{txt'), /unclosed/);
    assert.throws(() => globToRegExp('*.txt}'), /unbalanced/);
  });
});
