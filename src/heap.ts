/**
 * V8 lets its heap grow to about twice what is live before a full collection. A folder run's state
 * grows with every file, so over 100,000 files the peak RSS reached 487 MB though under 120 MB of the
 * heap was live: the same run under `--max-old-space-size=120` peaked at 282 MB. A full collection
 * every few seconds keeps the peak near what is live (293 MB) for one pause of tens of milliseconds
 * per interval. Measured by bench/memory.mjs (docs/performance.md).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

const EVERY_MS = 3000;

/** Starts the periodic collection; the returned function stops it. Does nothing where V8 will not expose gc. */
export function collectGarbagePeriodically(): () => void {
  setFlagsFromString('--expose-gc');
  // A new context picks the flag up; the main one was made before it was set.
  const gc: unknown = runInNewContext('typeof gc === "function" ? gc : undefined');
  if (typeof gc !== 'function') return () => undefined;
  const timer = setInterval(() => (gc as () => void)(), EVERY_MS);
  timer.unref();
  return () => clearInterval(timer);
}
