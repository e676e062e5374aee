// Bundles the extension and CLI into dist/, or (with --tests) each unit test into out/test/unit/,
// or (with --integration) the extension-host suite and its run() entry into out/test/integration/,
// or (with --bench) the benchmarks into out/bench/.
// onnxruntime-node ships a native addon and must stay a runtime require; vscode is provided by the host.
import * as esbuild from 'esbuild';
import { chmod, rm } from 'node:fs/promises';

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: true,
  external: ['vscode', 'onnxruntime-node'],
  logLevel: 'warning',
};

async function buildDist() {
  // A bundle left from an entry point since renamed or removed would otherwise ship in the VSIX (dist/**).
  await rm('dist', { recursive: true, force: true });
  await esbuild.build({ ...common, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js' });
  // The extension's inference thread (src/core/workerRunner.ts loads it from beside the bundle).
  await esbuild.build({ ...common, entryPoints: ['src/core/inferenceWorker.ts'], outfile: 'dist/inferenceWorker.js' });
  await esbuild.build({
    ...common,
    entryPoints: ['src/cli.ts'],
    outfile: 'dist/cli.js',
    banner: { js: '#!/usr/bin/env node' },
  });
  await chmod('dist/cli.js', 0o755);
}

async function buildTests() {
  // Stale bundles of deleted tests would otherwise keep running under mocha.
  await rm('out/test/unit', { recursive: true, force: true });
  await esbuild.build({
    ...common,
    entryPoints: ['test/unit/**/*.test.ts'],
    outbase: 'test/unit',
    outdir: 'out/test/unit',
    // Test-only dependencies (mocha, fast-check) resolve from node_modules at run time.
    packages: 'external',
  });
  // Programs the tests run in a child process (under strace, say), each beside its inference worker.
  await esbuild.build({ ...common, entryPoints: ['test/unit/probes/*.ts'], outdir: 'out/test/unit/probes' });
  await esbuild.build({ ...common, entryPoints: ['src/core/inferenceWorker.ts'], outfile: 'out/test/unit/probes/inferenceWorker.js' });
}

async function buildIntegration() {
  await rm('out/test/integration', { recursive: true, force: true });
  await esbuild.build({
    ...common,
    entryPoints: ['test/integration/index.ts', 'test/integration/**/*.test.ts'],
    outbase: 'test/integration',
    outdir: 'out/test/integration',
    // mocha must resolve from node_modules at run time; `vscode` only exists inside the extension host.
    packages: 'external',
  });
}

async function buildBench() {
  await esbuild.build({ ...common, entryPoints: ['bench/*.ts'], outdir: 'out/bench' });
  await esbuild.build({ ...common, entryPoints: ['src/core/inferenceWorker.ts'], outfile: 'out/bench/inferenceWorker.js' });
}

if (process.argv.includes('--tests')) await buildTests();
else if (process.argv.includes('--bench')) await buildBench();
else if (process.argv.includes('--integration')) await buildIntegration();
else await buildDist();
