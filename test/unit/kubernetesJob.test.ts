// docs/kubernetes/medner-label-job.yaml, the manifest users copy: valid against Kubernetes' own
// schemas (kubernetes-models: the OpenAPI schemas of the batch/v1 and core/v1 APIs, compiled for
// ajv), wired so each pod labels its own shard, and its pods' commands, run here as the pods would
// run them, give what one unsharded run gives. test/scale/run.sh does the same for Slurm.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ROOT } from './support';

const MANIFEST = path.join(ROOT, 'docs', 'kubernetes', 'medner-label-job.yaml');
const CLI = path.join(ROOT, 'dist', 'cli.js');

interface Container {
  name: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string }[];
  volumeMounts?: { name: string; mountPath: string }[];
}
interface Resource {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec: {
    completionMode?: string;
    completions?: number;
    parallelism?: number;
    template: {
      spec: {
        restartPolicy: string;
        containers: Container[];
        volumes?: { name: string; persistentVolumeClaim?: { claimName: string } }[];
      };
    };
  };
}

function loadManifest(): Resource[] {
  const docs = parseAllDocuments(readFileSync(MANIFEST, 'utf8'));
  assert.ok(Array.isArray(docs), 'the manifest is a YAML stream');
  for (const doc of docs) assert.deepEqual([...doc.errors, ...doc.warnings], [], MANIFEST);
  return docs.map((doc) => doc.toJS() as Resource);
}

function byStep(resources: Resource[], step: string): Resource {
  const found = resources.filter((r) => r.metadata.labels?.step === step);
  assert.equal(found.length, 1, `one resource labelled step=${step} (the docs apply them with -l step=${step})`);
  return found[0];
}

/** The shell command a pod runs, with its environment. */
function podCommand(job: Resource): { script: string; env: Record<string, string> } {
  const [container] = job.spec.template.spec.containers;
  assert.deepEqual(container.command, ['sh', '-c']);
  assert.equal(container.args?.length, 1);
  const env: Record<string, string> = {};
  for (const e of container.env ?? []) env[e.name] = e.value ?? '';
  return { script: container.args[0], env };
}

describe('Kubernetes Indexed Job manifest', function () {
  this.timeout(120_000);

  it('is valid against the Kubernetes API schemas', async () => {
    // validate() comes from @kubernetes-models/base, whose types this tsconfig's node10 resolution
    // cannot reach: the models are typed here by what the test uses.
    type Model = new (data: unknown) => { validate(): void };
    const Job = (await import('kubernetes-models/batch/v1/Job')).Job as unknown as Model;
    const PersistentVolumeClaim = (await import('kubernetes-models/v1/PersistentVolumeClaim')).PersistentVolumeClaim as unknown as Model;
    const models: Record<string, Model> = { 'batch/v1 Job': Job, 'v1 PersistentVolumeClaim': PersistentVolumeClaim };
    const resources = loadManifest();
    assert.deepEqual(
      resources.map((r) => r.kind),
      ['PersistentVolumeClaim', 'Job', 'Job'],
    );
    for (const r of resources) {
      const Model = models[`${r.apiVersion} ${r.kind}`];
      assert.ok(Model, `${r.apiVersion} ${r.kind}`);
      new Model(r).validate(); // throws with the schema path of the first violation
    }
    // The validator itself: a manifest with a wrong type or value must not pass.
    const label = byStep(resources, 'label');
    assert.throws(() => new Job({ ...label, spec: { ...label.spec, completionMode: 'indexed' } }).validate(), /completionMode/);
    assert.throws(() => new Job({ ...label, spec: { ...label.spec, completions: '16' } }).validate(), /completions/);
  });

  it('gives pod JOB_COMPLETION_INDEX shard JOB_COMPLETION_INDEX+1 of SHARDS = completions, on the shared claim', () => {
    const resources = loadManifest();
    const storage = byStep(resources, 'storage');
    const label = byStep(resources, 'label');
    const merge = byStep(resources, 'merge');
    assert.equal(label.spec.completionMode, 'Indexed');
    assert.ok(Number.isInteger(label.spec.completions) && label.spec.completions! > 1);
    assert.equal(podCommand(label).env.SHARDS, String(label.spec.completions), 'SHARDS must equal completions');
    assert.match(podCommand(label).script, /--shard "\$\(\(JOB_COMPLETION_INDEX \+ 1\)\)\/\$SHARDS"/);
    assert.match(podCommand(merge).script, /medner merge /);
    for (const job of [label, merge]) {
      const pod = job.spec.template.spec;
      assert.equal(pod.restartPolicy, 'Never', `${job.metadata.name}: a failed pod is retried by the Job, not restarted in place`);
      const volumes = new Map((pod.volumes ?? []).map((v) => [v.name, v]));
      for (const m of pod.containers[0].volumeMounts ?? []) {
        assert.equal(volumes.get(m.name)?.persistentVolumeClaim?.claimName, storage.metadata.name, `${job.metadata.name}: ${m.name}`);
      }
      assert.ok(
        pod.containers[0].volumeMounts?.some((m) => m.mountPath === '/data'),
        `${job.metadata.name} mounts /data`,
      );
    }
  });

  it("runs: every index's pod command, then the merge Job's, give what one unsharded run gives", () => {
    assert.ok(existsSync(CLI), 'run `npm run build` first');
    const resources = loadManifest();
    const label = byStep(resources, 'label');
    const merge = byStep(resources, 'merge');
    const tmp = mkdtempSync(path.join(tmpdir(), 'medner-k8s-'));
    try {
      // The volume is a folder here; `medner` on PATH as in the image.
      const data = path.join(tmp, 'data');
      cpSync(path.join(ROOT, 'samples'), path.join(data, 'corpus'), { recursive: true });
      mkdirSync(path.join(tmp, 'bin'));
      writeFileSync(path.join(tmp, 'bin', 'medner'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`);
      chmodSync(path.join(tmp, 'bin', 'medner'), 0o755);
      const PATH = `${path.join(tmp, 'bin')}:${process.env.PATH}`;
      const run = (job: Resource, extra: Record<string, string>) => {
        const { script, env } = podCommand(job);
        const r = spawnSync('sh', ['-c', script.replaceAll('/data', data)], {
          env: { ...process.env, ...env, ...extra, PATH },
          encoding: 'utf8',
        });
        assert.equal(r.status, 0, `${job.metadata.name} ${JSON.stringify(extra)}: ${r.stderr}`);
      };
      for (let i = 0; i < label.spec.completions!; i++) run(label, { JOB_COMPLETION_INDEX: String(i) });
      run(merge, {});
      const whole = spawnSync('sh', ['-c', `medner label ${data}/corpus --threads 1 --quiet --out ${tmp}/unsharded.jsonl`], {
        env: { ...process.env, PATH },
        encoding: 'utf8',
      });
      assert.equal(whole.status, 0, whole.stderr);
      assert.equal(readFileSync(path.join(data, 'corpus.jsonl'), 'utf8'), readFileSync(path.join(tmp, 'unsharded.jsonl'), 'utf8'));
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
