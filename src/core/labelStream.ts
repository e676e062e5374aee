/** Labels a stream of input documents in order, batching small documents together for throughput. */
import type { AnalyzeOptions, NerEngine } from './engine';
import type { Entity } from './formats/jsonl';
import type { InputDoc, InputItem } from './inputs';

export type LabelItem = { doc: InputDoc; entities: Entity[] } | { skipped: { path: string; reason: string } };

export interface LabelOptions extends AnalyzeOptions {
  /** Characters gathered before one engine call; windows of all gathered documents share batches. */
  chunkChars?: number;
}

export async function* labelStream(
  engine: NerEngine,
  items: AsyncIterable<InputItem>,
  options: LabelOptions = {},
): AsyncGenerator<LabelItem> {
  const chunkChars = options.chunkChars ?? 32_768;
  let pending: InputItem[] = [];
  let chars = 0;
  const flush = async function* (): AsyncGenerator<LabelItem> {
    const docs = pending.flatMap((item) => ('doc' in item ? [item.doc] : []));
    const results = await engine.analyzeMany(
      docs.map((d) => d.text),
      options,
    );
    let next = 0;
    for (const item of pending) yield 'doc' in item ? { doc: item.doc, entities: results[next++] } : item;
    pending = [];
    chars = 0;
  };
  for await (const item of items) {
    pending.push(item);
    if ('doc' in item) chars += item.doc.text.length;
    if (chars >= chunkChars) yield* flush();
  }
  if (pending.length) yield* flush();
}
