/** An EmissionRunner whose ONNX session lives in a worker thread (see inferenceWorker.ts). */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { ModelError, type ModelMeta } from './model';
import { disableOrtTelemetry } from './ort';
import { type EmissionRunner, type RunnerOptions, runnerMeta } from './onnxRunner';

export type WorkerRequest = { type: 'run'; id: number; batch: Int32Array[]; lexicon?: Int32Array[] } | { type: 'dispose' };
export type WorkerReply =
  | { type: 'ready' }
  | { type: 'result'; id: number; emissions: Float32Array[] }
  | { type: 'error'; id?: number; name: string; message: string };

interface Pending {
  resolve(emissions: Float32Array[]): void;
  reject(e: Error): void;
}

export class WorkerRunner implements EmissionRunner {
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();
  private failure?: Error;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (msg: WorkerReply) => {
      if (msg.type !== 'result' && msg.type !== 'error') return;
      const p = msg.id === undefined ? undefined : this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id!);
      if (msg.type === 'result') p.resolve(msg.emissions);
      else p.reject(toError(msg));
    });
    worker.on('error', (e) => this.fail(e));
    worker.on('exit', (code) => this.fail(new Error(`the inference worker exited (code ${code})`)));
  }

  /** @param script the bundled inferenceWorker.js (beside the bundle that uses this class by default) */
  static create(meta: ModelMeta, options: RunnerOptions = {}, script = path.join(__dirname, 'inferenceWorker.js')): Promise<WorkerRunner> {
    // Here, not in the worker: only the main thread's assignment reaches the process environment.
    disableOrtTelemetry();
    const worker = new Worker(script, {
      workerData: {
        meta: runnerMeta(meta),
        options,
      },
    });
    return new Promise((resolve, reject) => {
      const onMessage = (msg: WorkerReply) => {
        worker.off('error', onError);
        worker.off('message', onMessage);
        if (msg.type === 'ready') resolve(new WorkerRunner(worker));
        else {
          reject(toError(msg as Extract<WorkerReply, { type: 'error' }>));
          void worker.terminate();
        }
      };
      const onError = (e: Error) => {
        worker.off('message', onMessage);
        reject(new ModelError(`the inference worker failed to start: ${e.message}`));
      };
      worker.on('message', onMessage);
      worker.once('error', onError);
    });
  }

  run(batch: readonly Int32Array[], lexicon?: readonly Int32Array[]): Promise<Float32Array[]> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    // Copies: a transferred buffer is detached, and the caller still reads the ids (decoding trims by them).
    const copies = batch.map((ids) => ids.slice());
    // The features are the engine's to drop after the run: moved, not copied.
    const features = lexicon?.map((bits) => (bits.byteOffset || bits.byteLength !== bits.buffer.byteLength ? bits.slice() : bits));
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ type: 'run', id, batch: copies, ...(features && { lexicon: features }) } satisfies WorkerRequest, [
        ...copies.map((c) => c.buffer as ArrayBuffer),
        ...(features ?? []).map((f) => f.buffer as ArrayBuffer),
      ]);
    });
  }

  async dispose(): Promise<void> {
    if (this.failure) return;
    const exited = new Promise((resolve) => this.worker.once('exit', resolve));
    this.worker.postMessage({ type: 'dispose' } satisfies WorkerRequest);
    await exited;
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }
}

function toError(msg: { name: string; message: string }): Error {
  return msg.name === 'ModelError' ? new ModelError(msg.message) : new Error(msg.message);
}
