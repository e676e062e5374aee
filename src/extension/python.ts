/** Finding a Python that can fine-tune: one that imports torch, onnx and numpy. */
import { execFile } from 'node:child_process';

export const INSTALL_HINT =
  'python3 -m pip install torch onnx numpy, or on Debian/Ubuntu: sudo apt install python3-torch python3-onnx python3-numpy';

/** Tried in this order when medner.pythonPath is empty: Debian's own Python first, where python3-torch installs. */
const CANDIDATES = ['/usr/bin/python3', 'python3', 'python'];

export type PythonSearch = { found: true; command: string } | { found: false; tried: string[] };

/** The configured interpreter alone when there is one (no silent fallback), otherwise the first candidate that works. */
export async function findPython(configured: string): Promise<PythonSearch> {
  const tried: string[] = [];
  for (const command of configured ? [configured] : CANDIDATES) {
    const problem = await check(command);
    if (!problem) return { found: true, command };
    tried.push(`${command}: ${problem}`);
  }
  return { found: false, tried };
}

function check(command: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(command, ['-c', 'import torch, onnx, numpy'], { timeout: 60_000 }, (err, _stdout, stderr) => {
      if (!err) return resolve(undefined);
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return resolve('not found');
      const last = stderr.trim().split('\n').pop() ?? '';
      resolve(last.slice(0, 200) || err.message.slice(0, 200));
    });
  });
}
