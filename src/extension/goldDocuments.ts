/** The store's curated documents read back as gold, for export and for evaluation. */
import { promises as fs } from 'node:fs';
import * as vscode from 'vscode';
import { isGold } from '../core/curation/record';
import { placeRecord } from '../core/curation/store';
import { decodeBuffer } from '../core/decode';
import type { DocumentResult } from '../core/formats/jsonl';
import type { Controller } from './controller';

export interface GoldDocument {
  uri: vscode.Uri;
  doc: DocumentResult;
  /** Spans of predictions nobody has decided on yet (documents not done): neither right nor wrong. */
  undecided: { start: number; end: number }[];
}

/**
 * The store's documents as gold: the text as it is on disk (or in an open editor), the entities a
 * person confirmed. 'all' is every document whose review has started, 'done' those marked done.
 */
export async function goldDocuments(c: Controller, scope: 'done' | 'all'): Promise<GoldDocument[]> {
  await c.curation.flushAll();
  const out: GoldDocument[] = [];
  for (const indexed of await c.curation.documents()) {
    if (scope === 'done' ? indexed.status !== 'done' : indexed.status === 'todo') continue;
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === indexed.uri.toString());
    let text: string;
    let encoding: DocumentResult['encoding'] = 'utf-8';
    if (open) text = open.getText();
    else {
      // Only a plain file is read: a FIFO would block the export forever.
      const unreadable = await fs.stat(indexed.uri.fsPath).then(
        (s) => (s.isFile() ? undefined : 'not a regular file'),
        (e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? 'it no longer exists' : e.message),
      );
      if (unreadable) {
        c.log.warn(`${indexed.key}: cannot read the document (${unreadable}); left out`);
        continue;
      }
      const decoded = decodeBuffer(await fs.readFile(indexed.uri.fsPath).catch(() => new Uint8Array([0])));
      if ('error' in decoded) {
        c.log.warn(`${indexed.key}: cannot read the document (${decoded.error}); left out`);
        continue;
      }
      text = decoded.text;
      encoding = decoded.encoding;
    }
    const session = c.curation.get(indexed.uri);
    let entities;
    try {
      const refused = c.curation.refused(indexed.uri);
      if (refused) throw new Error(refused);
      const store = c.curation.storeFor(indexed.uri)?.store;
      const record = session ? undefined : await store?.read(indexed.key);
      entities = session?.entities ?? (record ? placeRecord(record, text, store!.fileOf(indexed.key)).entities : []);
    } catch (e) {
      // A refused record is no gold: it is left out, and said so.
      c.log.warn(`${indexed.key}: left out: ${(e as Error).message}`);
      void vscode.window.showWarningMessage(`MedNER: ${indexed.key} left out: ${(e as Error).message}`);
      continue;
    }
    const gold = entities.filter(isGold).map((e) => ({ start: e.start, end: e.end, label: e.label, text: e.text, score: 1 }));
    const undecided = entities.filter((e) => e.status === 'predicted' && !e.unanchored).map(({ start, end }) => ({ start, end }));
    out.push({ uri: indexed.uri, doc: { path: indexed.key, encoding, text, entities: gold }, undecided });
  }
  return out;
}
