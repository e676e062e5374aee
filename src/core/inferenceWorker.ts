/**
 * Worker-thread side of WorkerRunner: onnxruntime-node's run() computes on the calling thread, so
 * the extension host hands inference to this worker and its event loop stays free.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { OnnxRunner, type RunnerMeta, type RunnerOptions } from './onnxRunner';
import type { WorkerReply, WorkerRequest } from './workerRunner';

const { meta, options } = workerData as { meta: RunnerMeta; options: RunnerOptions };
const port = parentPort!;

OnnxRunner.create(meta, options).then(
  (runner) => {
    port.postMessage({ type: 'ready' } satisfies WorkerReply);
    port.on('message', (msg: WorkerRequest) => {
      if (msg.type === 'dispose') {
        void runner.dispose().finally(() => port.close());
        return;
      }
      runner.run(msg.batch, msg.lexicon).then(
        (emissions) =>
          port.postMessage(
            { type: 'result', id: msg.id, emissions } satisfies WorkerReply,
            emissions.map((e) => e.buffer as ArrayBuffer),
          ),
        (e: Error) => port.postMessage({ type: 'error', id: msg.id, name: e.name, message: e.message } satisfies WorkerReply),
      );
    });
  },
  (e: Error) => port.postMessage({ type: 'error', name: e.name, message: e.message } satisfies WorkerReply),
);
