/** The status bar item: model state (loading / ready / error / off), analysing progress, and the active document's entity count. */
import * as vscode from 'vscode';
import type { MedNerConfig } from './config';
import type { ModelHost } from './modelHost';

export class StatusItem implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('medner.status', vscode.StatusBarAlignment.Right, 100);

  constructor(
    private readonly model: ModelHost,
    private readonly config: () => MedNerConfig,
  ) {
    this.item.name = 'MedNER';
  }

  /** What the item says now (tests read it). */
  get text(): string {
    return this.item.text;
  }

  /** @param analysing the percent of the active document's first reading, while it runs: a count then would be partial. */
  update(count: number | undefined, relevant: boolean, analysing?: number): void {
    const { item } = this;
    if (!this.config().enabled) {
      item.text = '$(circle-slash) MedNER off';
      item.tooltip = 'Entity highlighting is off: click to turn it on';
      item.command = 'medner.toggle';
    } else if (this.model.state === 'error') {
      item.text = '$(error) MedNER';
      item.tooltip = `The model could not be loaded: ${this.model.lastError ?? ''}\nClick to show the log`;
      item.command = 'medner.showLog';
    } else if (this.model.state === 'loading') {
      item.text = '$(loading~spin) MedNER';
      item.tooltip = 'Loading the model…';
      item.command = 'medner.showLog';
    } else if (analysing !== undefined) {
      item.text = `$(loading~spin) MedNER analysing ${analysing}%`;
      item.tooltip = `Analysing this document: ${analysing}% of it so far. Its entities are counted when it is done.`;
      item.command = 'medner.showLog';
    } else {
      item.text = count === undefined ? '$(symbol-keyword) MedNER' : `$(symbol-keyword) MedNER ${count}`;
      item.tooltip =
        count === undefined ? 'MedNER is ready: run “Analyze Current Document”' : `${count} entities in this document: click to go to one`;
      item.command = count === undefined ? 'medner.analyzeDocument' : 'medner.listEntities';
    }
    if (relevant || this.model.state === 'error') item.show();
    else item.hide();
  }

  dispose(): void {
    this.item.dispose();
  }
}
