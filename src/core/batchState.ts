/**
 * What an output folder remembers between runs: for each input (by absolute path), the size and
 * hash of the content that was labelled and the file under results/ that holds its result.
 *
 * A compact manifest.json plus an append-only journal.jsonl of what changed since, one line per
 * finished input, so that a run writes each entry a bounded number of times (rewriting the whole
 * manifest after every batch wrote ~1 GB for 100,000 inputs). The journal is folded into the
 * manifest at the start of a run (so it never holds more than one run's lines) and at its end. Every
 * step survives a kill -9: a result is durable before its line, a line only counts with its newline
 * (a torn last line is skipped, and that input labelled again), and folding replays to the same state.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { appendDurable, mkdirNoFollow, openAtomic, readNoFollow, writeFileAtomic } from './atomic';

export interface StateEntry {
  size: number;
  sha256: string;
  /** `results/<32 hex digits>.jsonl`: nothing else is ever read, whatever a planted manifest says. */
  result: string;
}

const MANIFEST_FORMAT = 'medner-batch/1';
const JOURNAL_FORMAT = 'medner-journal/1';
const RESULTS = 'results';
const RESULT = /^results\/([0-9a-f]{32}\.jsonl)$/;
const SHA256 = /^[0-9a-f]{64}$/;

type Change = [file: string, entry: StateEntry | undefined];

export class BatchState {
  private appended = 0;

  private constructor(
    private readonly dir: string,
    private readonly model: string,
    private readonly entries: Map<string, StateEntry>,
  ) {}

  /** The state in `dir` (a .medner folder) for `model`: results of another model are forgotten. */
  static async open(dir: string, model: string): Promise<BatchState> {
    await mkdirNoFollow(path.join(dir, RESULTS));
    const manifest = await readManifest(path.join(dir, 'manifest.json'), model);
    const journal = await readJournal(path.join(dir, 'journal.jsonl'), model);
    for (const [file, entry] of journal.changes) {
      if (entry) manifest.entries.set(file, entry);
      else manifest.entries.delete(file);
    }
    const state = new BatchState(dir, model, manifest.entries);
    if (!manifest.clean || !journal.clean || journal.changes.length) await state.compact();
    else await state.removeUnusedResults();
    return state;
  }

  get(file: string): StateEntry | undefined {
    return this.entries.get(file);
  }

  /** Named by input and content: a result file only ever holds the result of the content an entry hashes. */
  static resultName(file: string, sha256: string): string {
    return `${RESULTS}/${createHash('sha256').update(`${file}\0${sha256}`).digest('hex').slice(0, 32)}.jsonl`;
  }

  resultPath(entry: StateEntry): string {
    return path.join(this.dir, ...entry.result.split('/'));
  }

  /** Whether the entry's result file is there, as a file of its own (not a link to one elsewhere). */
  async hasResult(entry: StateEntry): Promise<boolean> {
    return fs.lstat(this.resultPath(entry)).then(
      (s) => s.isFile(),
      () => false,
    );
  }

  /** Records results already written (an entry) and forgotten inputs (undefined), durably, in one append. */
  async record(changes: readonly Change[]): Promise<void> {
    if (!changes.length) return;
    const lines = changes.map(([file, entry]) => JSON.stringify(entry ? { path: file, ...entry } : { path: file, removed: true }) + '\n');
    await appendDurable(path.join(this.dir, 'journal.jsonl'), lines.join(''));
    for (const [file, entry] of changes) {
      if (entry) this.entries.set(file, entry);
      else this.entries.delete(file);
    }
    this.appended += changes.length;
  }

  /** Folds what this run recorded into the manifest. */
  async finish(): Promise<void> {
    if (this.appended) await this.compact();
  }

  private async compact(): Promise<void> {
    // Streamed, a thousand entries at a time: for 100,000 inputs one string of the whole manifest
    // (and its encoded copy) would be the largest allocation of a run.
    const out = await openAtomic(path.join(this.dir, 'manifest.json'));
    try {
      await out.write(`{"format":${JSON.stringify(MANIFEST_FORMAT)},"model":${JSON.stringify(this.model)},"inputs":{`);
      let chunk: string[] = [];
      let separator = '';
      const flush = async () => {
        await out.write(separator + chunk.join(','));
        separator = ',';
        chunk = [];
      };
      for (const [file, entry] of this.entries) {
        chunk.push(`\n${JSON.stringify(file)}:${JSON.stringify(entry)}`);
        if (chunk.length === 1000) await flush();
      }
      if (chunk.length) await flush();
      await out.write('\n}}\n');
      await out.commit();
    } catch (err) {
      await out.abort();
      throw err;
    }
    // The header binds the journal to the model: after a crash between these two writes, an old
    // model's journal is ignored rather than replayed onto the new model's manifest.
    await writeFileAtomic(path.join(this.dir, 'journal.jsonl'), JSON.stringify({ format: JOURNAL_FORMAT, model: this.model }) + '\n');
    this.appended = 0;
    await this.removeUnusedResults();
  }

  /** Results no entry names: of inputs relabelled, forgotten or never recorded (a kill -9 between result and line). */
  private async removeUnusedResults(): Promise<void> {
    const used = new Set([...this.entries.values()].map((e) => RESULT.exec(e.result)![1]));
    const dir = path.join(this.dir, RESULTS);
    for (const name of await fs.readdir(dir)) {
      if (/^[0-9a-f]{32}\.jsonl$/.test(name) && !used.has(name)) await fs.rm(path.join(dir, name), { force: true });
    }
  }
}

async function readManifest(file: string, model: string): Promise<{ entries: Map<string, StateEntry>; clean: boolean }> {
  const entries = new Map<string, StateEntry>();
  let m: { format?: unknown; model?: unknown; inputs?: unknown };
  try {
    m = JSON.parse(await readNoFollow(file)) as typeof m;
  } catch {
    // none yet, or unreadable: label everything
    return { entries, clean: false };
  }
  if (m?.format !== MANIFEST_FORMAT || m.model !== model || typeof m.inputs !== 'object' || m.inputs === null)
    return { entries, clean: false };
  let clean = true;
  for (const [input, value] of Object.entries(m.inputs)) {
    const entry = validEntry(input, value);
    if (entry) entries.set(input, entry);
    else clean = false;
  }
  return { entries, clean };
}

async function readJournal(file: string, model: string): Promise<{ changes: Change[]; clean: boolean }> {
  const text = await readNoFollow(file).catch(() => '');
  const lines = text.split('\n');
  // Only newline-terminated lines count: the last element is '' unless the last line was cut short.
  const torn = lines.pop() !== '';
  const header = parseJson(lines.shift() ?? '') as { format?: unknown; model?: unknown } | undefined;
  if (header?.format !== JOURNAL_FORMAT || header.model !== model) return { changes: [], clean: false };
  const changes: Change[] = [];
  let clean = !torn;
  for (const line of lines) {
    const change = validChange(parseJson(line));
    if (change) changes.push(change);
    else clean = false;
  }
  return { changes, clean };
}

function validChange(value: unknown): Change | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { path: file, removed, ...rest } = value as { path?: unknown; removed?: unknown };
  if (typeof file !== 'string' || !path.isAbsolute(file)) return undefined;
  if (removed === true) return [file, undefined];
  const entry = validEntry(file, rest);
  return entry && [file, entry];
}

function validEntry(file: string, value: unknown): StateEntry | undefined {
  if (!path.isAbsolute(file) || typeof value !== 'object' || value === null) return undefined;
  const { size, sha256, result } = value as Partial<StateEntry>;
  if (
    !Number.isSafeInteger(size) ||
    size! < 0 ||
    typeof sha256 !== 'string' ||
    !SHA256.test(sha256) ||
    typeof result !== 'string' ||
    !RESULT.test(result)
  )
    return undefined;
  return { size: size!, sha256, result };
}

function parseJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}
