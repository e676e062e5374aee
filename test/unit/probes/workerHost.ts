/**
 * The extension's inference path outside VS Code, for the system-call test in privacy.test.ts: the
 * engine in a worker thread (as modelHost.ts loads it) with the model folder given as the argument,
 * idle for MEDNER_PROBE_IDLE_S seconds, then stdin labelled. Prints the number of entities found.
 */
import { NerEngine } from '../../../src/core/engine';

async function main(): Promise<void> {
  // Starts the inferenceWorker.js bundled beside this probe, as the extension starts the one beside it.
  const engine = await NerEngine.load(process.argv[2], { inWorker: true, threads: 1 });
  await new Promise((resolve) => setTimeout(resolve, Number(process.env.MEDNER_PROBE_IDLE_S ?? 0) * 1000));
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const entities = await engine.analyze(Buffer.concat(chunks).toString('utf8'));
  await engine.dispose();
  process.stdout.write(`${entities.length}\n`);
}

void main();
