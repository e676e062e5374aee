/**
 * Where MedNER writes in the editor: a proposed folder beside the input (Enter takes it) or one the
 * user browses to; a single-file export gets a save dialog; every export ends with its path and
 * Open / Reveal buttons.
 */
import { realpathSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';

/** Asks for an output folder, offering `proposed` (created when written) first. */
export async function pickOutputFolder(proposed: string, title: string): Promise<string | undefined> {
  const exists = await vscode.workspace.fs.stat(vscode.Uri.file(proposed)).then(
    () => true,
    () => false,
  );
  const pick = await vscode.window.showQuickPick(
    [
      {
        label: `$(${exists ? 'folder' : 'new-folder'}) ${path.basename(proposed)}`,
        description: exists ? 'beside the input' : 'a new folder beside the input',
        detail: proposed,
        dir: proposed as string | undefined,
      },
      { label: '$(folder-opened) Choose another folder…', description: 'outside the input folders', dir: undefined },
    ],
    { title: `MedNER: ${title}` },
  );
  if (!pick) return undefined;
  if (pick.dir) return pick.dir;
  const [chosen] =
    (await vscode.window.showOpenDialog({
      title: `MedNER: ${title}`,
      canSelectFolders: true,
      canSelectFiles: false,
      defaultUri: vscode.Uri.file(path.dirname(proposed)),
      openLabel: 'Write here',
    })) ?? [];
  return chosen?.fsPath;
}

/** The first file an export would write over one of its own sources (a brat .txt into the records' folder), if any. */
export function overwritesSource(
  dir: string,
  relativePaths: readonly string[],
  sources: readonly (string | undefined)[],
): string | undefined {
  const real = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return path.resolve(p);
    }
  };
  const inputs = new Set(sources.filter((s): s is string => s !== undefined).map(real));
  return relativePaths.map((r) => path.join(dir, ...r.split('/'))).find((target) => inputs.has(real(target)));
}

/** Says what was exported where, with Open (the file, or a brat folder's first .ann) and Reveal buttons. */
export function confirmExport(what: string, written: readonly string[], folder?: string): void {
  if (!written.length) return;
  const first = written.find((f) => f.endsWith('.ann')) ?? written[0];
  const where = folder && written.length > 1 ? `${folder} (${written.length} files)` : written[0];
  void vscode.window.showInformationMessage(`MedNER: exported ${what} to ${where}`, 'Open', 'Reveal').then(async (choice) => {
    const uri = vscode.Uri.file(first);
    if (choice === 'Open') await vscode.window.showTextDocument(uri);
    // The explorer shows files of the workspace; others only the system's file manager can.
    else if (choice === 'Reveal')
      await vscode.commands.executeCommand(vscode.workspace.getWorkspaceFolder(uri) ? 'revealInExplorer' : 'revealFileInOS', uri);
  });
}
