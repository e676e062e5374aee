// MedNER: Label Folder… in the extension host: a cancel half way keeps finished results, a rerun resumes.
import * as assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { BatchSummary } from '../../src/core/batch';
import { journalEntries, storedInputs } from '../unit/outDirState';
import { acceptPromptsUntil } from './prompts';

describe('MedNER: Label Folder', function () {
  this.timeout(240_000);

  it('labels a folder with progress, cancels half way keeping results, and resumes', async () => {
    await vscode.extensions.getExtension('medner.medner')!.activate();
    const folder = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const sample = readFileSync(path.join(folder, '01-cholecystitis.txt'), 'utf8');
    const inDir = path.join(folder, 'batch-input');
    mkdirSync(inDir, { recursive: true });
    // ~3,000 characters each, so the run flushes results several times before it ends.
    for (let i = 0; i < 24; i++) writeFileSync(path.join(inDir, `record-${i}.txt`), `第${i}份。${sample.repeat(12)}`);
    const outDir = mkdtempSync(path.join(tmpdir(), 'medner-label-folder-'));

    const abort = new AbortController();
    // Cancelled once the first finished input is recorded (the state's journal gains a line per input).
    const poll = setInterval(() => {
      if (journalEntries(outDir) > 0) abort.abort();
    }, 20);
    const cancelled = await vscode.commands.executeCommand<BatchSummary | undefined>(
      'medner.labelFolder',
      vscode.Uri.file(inDir),
      undefined,
      {
        glob: '**/*.txt',
        format: 'jsonl',
        outDir,
        signal: abort.signal,
      },
    );
    clearInterval(poll);
    assert.equal(cancelled, undefined, 'a cancelled run returns no summary');
    assert.ok(!existsSync(path.join(outDir, 'annotations.jsonl')));
    const finished = Object.keys(storedInputs(outDir)).length;
    assert.ok(finished > 0 && finished < 24, `${finished} of 24 finished before the cancel`);

    const summary = await vscode.commands.executeCommand<BatchSummary>('medner.labelFolder', vscode.Uri.file(inDir), undefined, {
      glob: '**/*.txt',
      format: 'jsonl',
      outDir,
    });
    assert.equal(summary.reused, finished);
    assert.equal(summary.documents, 24);
    const lines = readFileSync(path.join(outDir, 'annotations.jsonl'), 'utf8').trim().split('\n');
    assert.equal(lines.length, 24);
    assert.ok(readFileSync(path.join(outDir, 'summary.md'), 'utf8').includes('24 input files'));
  });

  it('proposes a new <folder>-medner beside the input (accepted as offered); an output folder holding the input writes nothing', async () => {
    await vscode.extensions.getExtension('medner.medner')!.activate();
    const folder = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const inDir = path.join(folder, 'proposal-input');
    mkdirSync(inDir, { recursive: true });
    writeFileSync(path.join(inDir, 'a.txt'), readFileSync(path.join(folder, '01-cholecystitis.txt'), 'utf8'));
    const run = vscode.commands.executeCommand<BatchSummary | undefined>('medner.labelFolder', vscode.Uri.file(inDir), undefined, {
      glob: '**/*.txt',
      format: 'jsonl',
    });
    // The output prompt, answered with Enter: what a user in a hurry gets.
    const summary = await acceptPromptsUntil(run);
    assert.equal(summary?.outDir, `${inDir}-medner`);
    assert.equal(summary.documents, 1);
    assert.ok(existsSync(path.join(`${inDir}-medner`, 'annotations.jsonl')));

    const before = readdirSync(folder).sort();
    const refused = await vscode.commands.executeCommand<BatchSummary | undefined>(
      'medner.labelFolder',
      vscode.Uri.file(inDir),
      undefined,
      {
        glob: '**/*.txt',
        format: 'jsonl',
        outDir: folder,
      },
    );
    assert.equal(refused, undefined);
    assert.deepEqual(readdirSync(folder).sort(), before, 'nothing written beside the sources');
  });

  it('a folder with no matching file is a warning, not a summary of 0 documents', async () => {
    await vscode.extensions.getExtension('medner.medner')!.activate();
    const inDir = mkdtempSync(path.join(tmpdir(), 'medner-no-match-'));
    writeFileSync(path.join(inDir, 'notes.md'), '胆囊炎');
    const summary = await vscode.commands.executeCommand<BatchSummary | undefined>(
      'medner.labelFolder',
      vscode.Uri.file(inDir),
      undefined,
      {
        glob: '**/*.txt',
        format: 'jsonl',
        outDir: `${inDir}-out`,
      },
    );
    assert.equal(summary, undefined);
  });
});
