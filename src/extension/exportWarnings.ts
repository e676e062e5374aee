/** What an export could not write as it was (an entity brat or CoNLL cannot hold, an empty doccano document): logged, and told once. */
import * as vscode from 'vscode';

export function exportWarnings(log: vscode.LogOutputChannel): { onWarning: (message: string) => void; report: () => void } {
  let count = 0;
  return {
    onWarning: (message) => {
      count++;
      log.warn(message);
    },
    report: () => {
      if (count === 0) return;
      void vscode.window
        .showWarningMessage(
          `MedNER: ${count} ${count === 1 ? 'entity or document' : 'entities or documents'} the format cannot hold as ${count === 1 ? 'it is' : 'they are'} were written in the nearest form or left out.`,
          'Show Log',
        )
        .then((pick) => pick && log.show());
    },
  };
}
