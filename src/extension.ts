import * as vscode from 'vscode';

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('MedNER', { log: true });
  context.subscriptions.push(
    log,
    vscode.commands.registerCommand('medner.analyzeDocument', () => {
      log.info('analyzeDocument invoked; editor integration not wired up yet');
      void vscode.window.showInformationMessage('MedNER: the editor integration arrives with the editor issue.');
    }),
  );
}

export function deactivate(): void {}
