/**
 * `gitops-lens drift` on the example repo against the real control plane:
 * only what validation classifies as Kubernetes objects is compared as whole
 * objects (the kustomization is not one; the kustomize patch
 * `resources-patch.yaml` is compared only field by field, through the object
 * it patches, so its missing Deployment is reported once, on deployment.yaml), and a kind the cluster does not serve (`PodDisruptionBudjet`) is
 * reported as "Drift not checked" (information) without counting as drift
 * or as an error in the exit code.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { NO_TEST_CLUSTER_REASON, testCluster } from '../support/control-plane.js';
import { runDriftCli } from '../support/drift-cli-helpers.js';

const cp = testCluster();
const repoRoot = path.resolve(import.meta.dirname, '../..');

const cli = (args: string[], cwd: string) => runDriftCli(cp!, args, cwd);

describe('gitops-lens drift: document classification and kinds not served', { skip: cp ? false : NO_TEST_CLUSTER_REASON }, () => {
  test('examples/apps/podinfo: the patch file is not a whole object; the misspelled kind is not checked', async () => {
    const r = await cli(['examples/apps/podinfo', '--context', 'tool', '--output', 'json'], repoRoot);
    assert.notEqual(r.code, 2, `${r.stdout}\n${r.stderr}`);
    const report = JSON.parse(r.stdout) as { files: Array<{ path: string; findings: Array<{ code: string; severity: string; message: string }> }> };
    const files = report.files.map((f) => path.basename(f.path));
    const patch = report.files.find((f) => path.basename(f.path) === 'resources-patch.yaml');
    // Object-level findings (missing, not served, unknown) belong to the file that declares the object, never to its patch.
    assert.deepEqual((patch?.findings ?? []).filter((x) => x.code !== 'drift-value'), [], 'the kustomize patch is not reported as a whole object');
    assert.ok(!files.includes('kustomization.yaml'), 'the kustomization is not compared');
    assert.ok(files.includes('deployment.yaml'), 'the real Deployment is compared');
    const pdb = report.files.find((f) => path.basename(f.path) === 'pdb.yaml');
    assert.deepEqual(pdb?.findings.map((f) => [f.code, f.severity, f.message]), [
      ['drift-not-served', 'information', 'Drift not checked: the cluster does not serve policy/v1/PodDisruptionBudjet. Check the kind and apiVersion, or install its CRD.'],
    ]);
    assert.ok(!report.files.some((f) => f.findings.some((x) => x.code === 'drift-missing' && /PodDisruptionBudjet/.test(x.message))));
  });

  test('a kind the cluster does not serve alone: exit 0, with the information finding', async () => {
    const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-lens-drift-not-served-'));
    try {
      fs.writeFileSync(path.join(repo, 'typo.yaml'), 'apiVersion: apps/v1\nkind: Deploymnet\nmetadata:\n  name: web\n  namespace: default\nspec:\n  replicas: 1\n');
      const r = await cli(['.', '--context', 'tool'], repo);
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
      assert.match(r.stdout, /^typo\.yaml:2:7: information drift-not-served: Drift not checked: the cluster does not serve apps\/v1\/Deploymnet\. Check the kind and apiVersion, or install its CRD\.$/m);
    } finally {
      fs.rmSync(repo, { recursive: true, force: true });
    }
  });
});
