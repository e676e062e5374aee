// Answering the workbench's own prompts from a test, as a user pressing a key would.
import * as vscode from 'vscode';

/** Presses Enter on each quick input (picker, simple file dialog) the command shows until it finishes. */
export async function acceptPromptsUntil<T>(command: Thenable<T>): Promise<T> {
  let finished = false;
  const result = Promise.resolve(command).finally(() => (finished = true));
  while (!finished) {
    await new Promise((r) => setTimeout(r, 300));
    if (!finished) await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
  }
  return result;
}

/** Clicks the first button of the newest notification. */
export async function clickNotificationButton(): Promise<void> {
  await vscode.commands.executeCommand('notification.acceptPrimaryAction');
}
