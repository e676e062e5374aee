/**
 * The one place onnxruntime-node is loaded. ONNX Runtime 1.30's Linux build ships telemetry that is
 * on by default: it writes a device id and an event store under ~/.cache/Microsoft/DeveloperTools and,
 * about 17 s into a run, starts sending model names, hardware and run statistics to
 * mobile.events.data.microsoft.com. The binding exposes no switch for it; the library reads the
 * environment variable ORT_DISABLE_TELEMETRY when it starts its telemetry. Assigning process.env on
 * the main thread changes the real process environment (setenv), which the native library and every
 * worker thread's copy of it see; assigning it inside a worker changes only that worker's JavaScript
 * copy. So disableOrtTelemetry() runs on the main thread before any worker is started
 * (workerRunner.ts), and loadOrt() calls it too, for the CLI's in-process runner.
 */
import type * as Ort from 'onnxruntime-node';
import { isMainThread } from 'node:worker_threads';

export function disableOrtTelemetry(): void {
  if (isMainThread) process.env.ORT_DISABLE_TELEMETRY = '1';
}

export async function loadOrt(): Promise<typeof Ort> {
  disableOrtTelemetry();
  if (process.env.ORT_DISABLE_TELEMETRY !== '1') {
    // A worker whose parent did not disable it before starting it: refuse rather than phone home.
    throw new Error('ONNX Runtime telemetry must be disabled on the main thread before an inference worker starts');
  }
  return import('onnxruntime-node');
}
