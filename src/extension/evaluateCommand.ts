/**
 * MedNER: Evaluate — runs the model on gold documents (the store's curated ones, or annotations
 * imported from a file in any registry format), compares, writes a Markdown report and shows it
 * with charts in a webview.
 */
import { existsSync, statSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { writeFileAtomic } from '../core/atomic';
import { type ComparedDocument, type Comparison, compare } from '../core/curation/compare';
import { ownFolder } from '../core/curation/containment';
import { markdownReport } from '../core/curation/report';
import { STORE_DIR } from '../core/curation/store';
import { readAnnotations } from '../core/formats/detect';
import type { Controller } from './controller';
import { goldDocuments } from './goldDocuments';

export interface EvaluatePreset {
  /** 'done' / 'all': the store's curated documents; otherwise the path of a gold annotation file or brat folder. */
  source?: string;
  /** Where the Markdown report goes; default .medner/evaluation.md of the first workspace folder. */
  report?: string;
}

export interface EvaluationResult {
  comparison: Comparison;
  report: string;
  /** The file of a compared document, by its name, where there is one: what the page's examples open. */
  documentOf: (name: string) => vscode.Uri | undefined;
}

export async function evaluate(c: Controller, preset: EvaluatePreset = {}): Promise<EvaluationResult | undefined> {
  const source = preset.source ?? (await pickSource(c));
  if (!source) return undefined;
  let gold: {
    name: string;
    text: string;
    entities: { start: number; end: number; label: string }[];
    undecided?: { start: number; end: number }[];
    uri?: vscode.Uri;
  }[];
  let title: string;
  if (source === 'done' || source === 'all') {
    gold = (await goldDocuments(c, source)).map((g) => ({
      name: g.doc.path,
      text: g.doc.text,
      entities: g.doc.entities,
      undecided: g.undecided,
      uri: g.uri,
    }));
    title = `MedNER evaluation on ${gold.length} curated documents${source === 'done' ? ' (done)' : ' (done or in progress)'}`;
  } else {
    try {
      gold = (await readAnnotations(source)).map((d) => ({ name: d.path, text: d.text, entities: d.entities }));
    } catch (e) {
      void vscode.window.showErrorMessage(`MedNER: cannot read the gold annotations: ${(e as Error).message}`);
      return undefined;
    }
    title = `MedNER evaluation on ${path.basename(source)} (${gold.length} documents)`;
  }
  if (!gold.length) {
    void vscode.window.showInformationMessage(
      'MedNER: no gold documents to evaluate on — mark curated documents done (Ctrl+Alt+M D) or pick a gold file.',
    );
    return undefined;
  }
  let engine;
  try {
    engine = await c.model.get();
  } catch {
    return undefined;
  }
  const compared = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'MedNER: evaluating', cancellable: true },
    async (progress, token): Promise<ComparedDocument[] | undefined> => {
      const abort = new AbortController();
      token.onCancellationRequested(() => abort.abort());
      const out: ComparedDocument[] = [];
      for (const [i, g] of gold.entries()) {
        progress.report({ increment: 100 / gold.length, message: `${i + 1}/${gold.length}` });
        try {
          // Where a person has not decided yet, the model is neither right nor wrong: those predictions are not scored.
          const undecided = g.undecided ?? [];
          const predicted = (await engine.analyze(g.text, { signal: abort.signal })).filter(
            (p) => !undecided.some((u) => u.start < p.end && p.start < u.end),
          );
          out.push({ name: g.name, text: g.text, gold: g.entities, predicted });
        } catch (e) {
          if (abort.signal.aborted) return undefined;
          throw e;
        }
      }
      return out;
    },
  );
  if (!compared) return undefined;
  const comparison = compare(compared);
  const report = preset.report ?? defaultReportPath(source);
  try {
    // The default report goes into the workspace's .medner folder: never through a link out of it.
    const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(report));
    if (!preset.report && folder) await ownFolder(folder.uri.fsPath, path.dirname(report));
    await writeFileAtomic(report, markdownReport(comparison, title));
  } catch (e) {
    c.log.error(`cannot write the evaluation report: ${(e as Error).message}`);
    void vscode.window.showErrorMessage(`MedNER: cannot write the evaluation report: ${(e as Error).message}`);
    return undefined;
  }
  c.log.info(
    `evaluation: micro F1 ${(100 * comparison.strict.micro.f1).toFixed(2)} on ${comparison.documents} documents; report in ${report}`,
  );
  const files = new Map(gold.map((g) => [g.name, g.uri ?? fileNear(source, g.name)]));
  c.evaluation.show(
    comparison,
    title,
    report,
    () => void evaluate(c, { ...preset, source }),
    (name) => files.get(name),
  );
  return { comparison, report, documentOf: (name) => files.get(name) };
}

async function pickSource(c: Controller): Promise<string | undefined> {
  const docs = await c.curation.documents();
  const done = docs.filter((d) => d.status === 'done').length;
  const started = docs.filter((d) => d.status !== 'todo').length;
  const untouched = docs.length - started;
  const pick = await vscode.window.showQuickPick(
    [
      { label: `Curated documents marked done (${done})`, value: 'done' },
      {
        label: `Documents under review (${started})`,
        description: `marked done or in progress${untouched ? `; not the ${untouched} prepared but not yet curated` : ''}`,
        detail: 'Gold so far: accepted, edited and added entities; predictions not yet decided are not scored',
        value: 'all',
      },
      { label: 'Gold annotations from a file…', detail: 'jsonl, Yidu, brat folder, CoNLL, doccano or Label Studio', value: 'file' },
    ],
    { title: 'MedNER: evaluate the model against…' },
  );
  if (pick?.value !== 'file') return pick?.value;
  const [uri] =
    (await vscode.window.showOpenDialog({
      title: 'MedNER: gold annotations',
      canSelectFiles: true,
      canSelectFolders: true,
      openLabel: 'Evaluate',
    })) ?? [];
  return uri?.fsPath;
}

/** A gold file's document as a file beside it (its path is relative to the gold file's folder), if that exists. */
function fileNear(source: string, name: string): vscode.Uri | undefined {
  const file = path.resolve(path.dirname(source), name);
  return existsSync(file) && statSync(file).isFile() ? vscode.Uri.file(file) : undefined;
}

function defaultReportPath(source: string): string {
  const folder = vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === 'file');
  if (folder) return path.join(folder.uri.fsPath, STORE_DIR, 'evaluation.md');
  return `${source.replace(/[\\/]+$/, '')}.evaluation.md`;
}
