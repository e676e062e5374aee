/** The entity-type quick pick of Change Type and Add Entity. */
import * as vscode from 'vscode';
import { YIDU_LABELS, type YiduLabel } from '../core/labels';
import { typeItems } from './typeItems';

/**
 * @param current the entity's type now (Change Type): marked in the list
 * @param shortcuts the chord keys that do the same without the list, where they apply (Change Type's, not Add's)
 */
export async function pickType(title: string, options: { current?: YiduLabel; shortcuts: boolean }): Promise<YiduLabel | undefined> {
  return (
    await vscode.window.showQuickPick(typeItems(YIDU_LABELS, options), {
      title: `MedNER: ${title}`,
      placeHolder: 'Type the number or the name; Enter chooses',
      matchOnDescription: true,
    })
  )?.value;
}
