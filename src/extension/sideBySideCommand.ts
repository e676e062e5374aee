/** Base and fine-tuned model evaluated on the records the fine-tuning held out, shown as one table. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { writeFileAtomic } from '../core/atomic';
import { type ComparedDocument, compare } from '../core/curation/compare';
import type { NerEngine } from '../core/engine';
import { sideBySideReport } from '../core/finetune/sideBySide';
import { readAnnotations } from '../core/formats/detect';
import type { Controller } from './controller';

/** Writes evaluation.md into the new model's folder and opens its preview; returns its path. */
export async function sideBySide(c: Controller, baseDir: string, tunedDir: string, heldOut: string): Promise<string | undefined> {
  const gold = await readAnnotations(heldOut);
  const { NerEngine } = await import('../core/engine');
  const run = async (dir: string): Promise<ComparedDocument[]> => {
    const engine: NerEngine = await NerEngine.load(dir, { threads: c.config.threads, precision: c.config.precision });
    try {
      const out: ComparedDocument[] = [];
      for (const g of gold) out.push({ name: g.path, text: g.text, gold: g.entities, predicted: await engine.analyze(g.text) });
      return out;
    } finally {
      await engine.dispose();
    }
  };
  try {
    const report = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `MedNER: evaluating base and new on ${gold.length} held-out records` },
      async () => {
        const [base, tuned] = [compare(await run(baseDir)), compare(await run(tunedDir))];
        const file = path.join(tunedDir, 'evaluation.md');
        const title = `Fine-tuned vs base on ${gold.length} held-out curated records`;
        await writeFileAtomic(file, sideBySideReport(base, tuned, title, { base: baseDir, tuned: tunedDir }));
        c.log.info(
          `held-out evaluation: micro F1 ${(100 * base.strict.micro.f1).toFixed(2)} (base) → ${(100 * tuned.strict.micro.f1).toFixed(2)} (new); ${file}`,
        );
        return file;
      },
    );
    await vscode.commands.executeCommand('markdown.showPreview', vscode.Uri.file(report));
    return report;
  } catch (e) {
    c.log.error(`held-out evaluation failed: ${(e as Error).message}`);
    void vscode.window.showErrorMessage(`MedNER: held-out evaluation failed: ${(e as Error).message}`);
    return undefined;
  }
}
