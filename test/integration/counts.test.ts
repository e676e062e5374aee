// One count of "the entities in this document": the status bar, the legend and the Entities view agree.
import * as assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { YIDU_LABELS, type YiduLabel } from '../../src/core/labels';
import type { EntitiesNode } from '../../src/extension/entitiesView';
import { controller, waitFor } from './helpers';

describe('MedNER counts', function () {
  this.timeout(60_000);

  afterEach(async () => {
    await vscode.workspace.getConfiguration('medner').update('shownTypes', undefined, vscode.ConfigurationTarget.Global);
  });

  it('the status bar, the legend and the Entities view count the same entities, and the view says what it leaves out', async () => {
    const c = await controller();
    const folder = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const file = path.join(folder, 'counts-record.txt');
    copyFileSync(path.join(folder, '03-coronary-crlf.txt'), file);
    const doc = await vscode.workspace.openTextDocument(file);
    const editor = await vscode.window.showTextDocument(doc);
    await vscode.commands.executeCommand('medner.analyzeDocument');
    const placed = c.placed(doc)!;
    const cursor = (at: number) => (editor.selection = new vscode.Selection(doc.positionAt(at), doc.positionAt(at)));
    cursor(placed[0].start);
    assert.equal(await vscode.commands.executeCommand('medner.accept'), true);
    cursor(placed[1].start);
    assert.equal(await vscode.commands.executeCommand('medner.reject'), true);
    // A type hidden by the settings, other than the accepted entity's.
    const hiddenType = placed.slice(2).find((p) => p.entity.label !== placed[0].entity.label)!.entity.label;
    const shownTypes = YIDU_LABELS.filter((l) => l !== hiddenType).map(
      (l) => ({ 疾病和诊断: 'disease', 解剖部位: 'anatomy', 药物: 'drug', 实验室检验: 'lab', 手术: 'operation', 影像检查: 'imaging' })[l],
    );
    await vscode.workspace.getConfiguration('medner').update('shownTypes', shownTypes, vscode.ConfigurationTarget.Global);
    await waitFor('the setting applied', () => !c.config.shownTypes.has(hiddenType));
    await c.curation.flushAll();

    // Neither rejected nor of the hidden type.
    const hidden = placed.filter((p, i) => i !== 1 && p.entity.label === hiddenType).length;
    const n = c.placed(doc)!.length;
    assert.equal(n, placed.length - 1 - hidden);
    await waitFor(`the status bar says ${n}`, () => c.status.text === `$(symbol-keyword) MedNER ${n}`);
    const legend = c.legend.counts()!;
    assert.equal(
      [...legend.values()].reduce((a, b) => a + b, 0),
      n,
    );

    const view = c.entitiesView;
    const node = (await view.getChildren()).find(
      (d): d is Extract<EntitiesNode, { kind: 'document' }> => d.kind === 'document' && d.doc.key === 'counts-record.txt',
    )!;
    assert.equal(String(view.getTreeItem(node).description), `in progress · ${n} shown · 1 rejected · ${hidden} hidden by settings`);
    const children = await view.getChildren(node);
    const byType = new Map<YiduLabel, number>();
    for (const child of children) {
      if (child.kind !== 'type') continue;
      const listed = await view.getChildren(child);
      assert.equal(String(view.getTreeItem(child).description).split(' · ')[1], String(listed.length));
      byType.set(child.label, listed.length);
    }
    for (const label of YIDU_LABELS) assert.equal(byType.get(label) ?? 0, legend.get(label), label);
    assert.ok(!byType.has(hiddenType), 'a hidden type is not listed');
    const rejected = children.find((ch) => ch.kind === 'set aside' && ch.which === 'rejected')!;
    assert.deepEqual(
      (await view.getChildren(rejected)).map((e) => (e as Extract<EntitiesNode, { kind: 'entity' }>).entity.text),
      [placed[1].entity.text],
    );
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });
});
