// Peak memory of the real CLI on the two inputs that once grew it without bound: one huge line of
// text, and a folder of very many tiny files labelled with --out-dir. Each run is a child process;
// its peak RSS is the kernel's (getrusage RUSAGE_CHILDREN ru_maxrss, as /usr/bin/time -v reports
// it), read by a small Python parent so nothing else of ours shares the figure.
//   node bench/memory.mjs [--quick] [--json FILE] [--keep DIR] [-- extra label flags]
// The texts are sentences of samples/*.txt, shuffled by a fixed seed: varied clinical prose, the
// same bytes on every run.
import { Buffer } from 'node:buffer';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PY = process.env.MEDNER_PYTHON ?? '/usr/bin/python3';
export const TARGET_MB = 400;

/** Every sentence of the samples (line breaks removed), each ending with its 。/；/！/？. */
function sentences() {
  const dir = path.join(ROOT, 'samples');
  return readdirSync(dir)
    .sort()
    .filter((f) => f.endsWith('.txt'))
    .flatMap(
      (f) =>
        readFileSync(path.join(dir, f), 'utf8')
          .replace(/[\r\n]+/g, '')
          .match(/[^。；！？]+[。；！？]?/g) ?? [],
    );
}

/** A seeded shuffle (mulberry32), so the generated inputs are the same bytes everywhere. */
function shuffler(seed) {
  let a = seed >>> 0;
  const random = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return (items) => {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  };
}

/** `bytes` of UTF-8 text on one line (no line break at all), written in pieces. */
export function writeOneLine(file, bytes) {
  const shuffle = shuffler(20);
  const all = sentences();
  const fd = openSync(file, 'w');
  try {
    let left = bytes;
    while (left > 0) {
      for (const s of shuffle(all)) {
        let b = Buffer.from(s, 'utf8');
        if (b.length > left)
          b = Buffer.from(
            [...s].reduce((acc, ch) => (Buffer.byteLength(acc + ch) <= left ? acc + ch : acc), ''),
            'utf8',
          );
        writeSync(fd, b);
        left -= b.length;
        if (left <= 0 || b.length === 0) return;
      }
    }
  } finally {
    closeSync(fd);
  }
}

/** `count` files of one to three sentences each, 1,000 to a subfolder. */
export function writeTinyFiles(dir, count) {
  const shuffle = shuffler(100);
  let pool = [];
  rmSync(dir, { recursive: true, force: true });
  for (let i = 0; i < count; i++) {
    const sub = path.join(dir, String(Math.floor(i / 1000)).padStart(3, '0'));
    if (i % 1000 === 0) mkdirSync(sub, { recursive: true });
    if (pool.length < 3) pool = shuffle(sentences());
    writeFileSync(path.join(sub, `${String(i).padStart(6, '0')}.txt`), pool.splice(0, 1 + (i % 3)).join(''));
  }
}

/** Peak RSS (MB) of `node dist/cli.js ...args`, run to completion; throws if it fails. */
export function peakRssMb(args, cwd = ROOT) {
  const script =
    'import resource, subprocess, sys\n' +
    'r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)\n' +
    'print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)';
  const [code, kb] = execFileSync(PY, ['-c', script, process.execPath, 'dist/cli.js', ...args], {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  })
    .trim()
    .split(' ')
    .map(Number);
  if (code !== 0) throw new Error(`medner ${args.join(' ')} exited with ${code}`);
  return kb / 1024;
}

/**
 * Both measurements. Full: a 20 MB line and 100,000 files, as issue 20 measured them; quick (the
 * CI smoke run): 256 KB and 1,000 files, which prove the section runs, not the bound.
 */
export function measureMemory(workDir, { quick = false, extra = [] } = {}) {
  mkdirSync(workDir, { recursive: true });
  const lineBytes = quick ? 256 * 1024 : 20 * 1024 * 1024;
  const files = quick ? 1_000 : 100_000;
  const big = path.join(workDir, 'one-line.txt');
  writeOneLine(big, lineBytes);
  const oneLine = peakRssMb(['label', big, '--quiet', '--out', path.join(workDir, 'one-line.jsonl'), ...extra]);
  const folder = path.join(workDir, 'tiny');
  writeTinyFiles(folder, files);
  const outDir = path.join(workDir, 'tiny-out');
  rmSync(outDir, { recursive: true, force: true });
  const manyFiles = peakRssMb(['label', folder, '--quiet', '--out-dir', outDir, ...extra]);
  rmSync(folder, { recursive: true, force: true });
  rmSync(outDir, { recursive: true, force: true });
  return {
    targetMb: TARGET_MB,
    oneLine: { bytes: lineBytes, peakRssMb: Math.round(oneLine) },
    manyFiles: { files, peakRssMb: Math.round(manyFiles) },
  };
}

export function memoryMarkdown(m) {
  const mb = (n) => (n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(0)} MB` : `${(n / 1024).toFixed(0)} KB`);
  const row = (what, peak) => `| ${what} | ${peak} MB | ${m.targetMb} MB | ${peak < m.targetMb ? 'yes' : 'NO'} |`;
  return [
    `| peak RSS of \`medner label\` | measured | target | under it |`,
    `|---|---|---|---|`,
    row(`one line of ${mb(m.oneLine.bytes)}, --out`, m.oneLine.peakRssMb),
    row(`${m.manyFiles.files.toLocaleString('en')} tiny files, --out-dir`, m.manyFiles.peakRssMb),
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const argv = process.argv.slice(2);
  const dash = argv.indexOf('--');
  const extra = dash >= 0 ? argv.slice(dash + 1) : [];
  const opts = dash >= 0 ? argv.slice(0, dash) : argv;
  const flag = (name) => {
    const i = opts.indexOf(name);
    return i >= 0 ? opts[i + 1] : undefined;
  };
  const work = flag('--keep') ?? path.join(ROOT, 'out', 'bench', 'memory');
  const m = measureMemory(work, { quick: opts.includes('--quick'), extra });
  if (flag('--json')) writeFileSync(flag('--json'), JSON.stringify(m, null, 1) + '\n');
  console.log(memoryMarkdown(m));
}
