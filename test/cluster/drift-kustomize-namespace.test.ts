/**
 * `gitops-lens drift` against the real control plane, for files a
 * kustomization.yaml builds: an object without metadata.namespace is looked
 * up in the namespace kustomize gives it (the overlay's, over its base's),
 * not in the context's `default`, so a deployed object is not "missing" and
 * a live edit there is reported; a cluster-scoped Namespace gets no
 * namespace; a Flux Kustomization's targetNamespace wins over both.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { NO_TEST_CLUSTER_REASON, testCluster } from '../support/control-plane.js';
import { kubectlAsAdmin, runDriftCli } from '../support/drift-cli-helpers.js';
import { DriftService } from '../../server/src/drift/drift-service.js';
import type { Finding } from '../../server/src/findings.js';
import { until } from '../support/wait.ts';

const cp = testCluster();
const skip = cp ? false : NO_TEST_CLUSTER_REASON;
const suffix = randomBytes(3).toString('hex');
const NS = `drift-kns-${suffix}`;
const TARGET_NS = `drift-kns-target-${suffix}`;

const admin = (args: string[], input?: string): Promise<void> => kubectlAsAdmin(cp!, args, input);

const cli = (args: string[], cwd: string) => runDriftCli(cp!, args, cwd);

type Report = { drift: boolean; files: Array<{ path: string; findings: Array<{ code: string; message: string }> }> };

describe('gitops-lens drift: the kustomization namespace', { skip }, () => {
  const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-lens-drift-kns-'));
  const configMap = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: kns-cm\ndata:\n  color: blue\n';
  const namespace = `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${NS}\n`;
  const k = (body: string) => `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n${body}`;
  before(async () => {
    fs.mkdirSync(path.join(repo, 'apps', 'base'), { recursive: true });
    fs.mkdirSync(path.join(repo, 'apps', 'production'), { recursive: true });
    fs.writeFileSync(path.join(repo, 'apps', 'base', 'kustomization.yaml'), k('namespace: base-ns-not-used\nresources:\n  - configmap.yaml\n'));
    fs.writeFileSync(path.join(repo, 'apps', 'base', 'configmap.yaml'), configMap);
    fs.writeFileSync(path.join(repo, 'apps', 'production', 'kustomization.yaml'), k(`namespace: ${NS}\nresources:\n  - namespace.yaml\n  - ../base\n`));
    fs.writeFileSync(path.join(repo, 'apps', 'production', 'namespace.yaml'), namespace);
    await admin(['apply', '--server-side', '--field-manager=kustomize-controller', '-f', '-'], namespace);
    await admin(['create', 'namespace', TARGET_NS]);
    // Deployed the way the agent would: into the overlay's namespace (and, for the Flux case, the target namespace).
    await admin(['apply', '--server-side', '--field-manager=kustomize-controller', '-n', NS, '-f', '-'], configMap);
    await admin(['apply', '--server-side', '--field-manager=kustomize-controller', '-n', TARGET_NS, '-f', '-'], configMap);
  });
  after(async () => {
    await cp?.kubectl(['delete', 'namespace', NS, TARGET_NS, '--wait=false'], { context: 'admin' });
    fs.rmSync(repo, { recursive: true, force: true });
  });

  test('an object deployed into the overlay namespace is found, and a live edit there is drift', async () => {
    const clean = await cli(['apps', '--context', 'tool', '--root', repo, '--output', 'json'], repo);
    const cleanReport = JSON.parse(clean.stdout) as Report;
    assert.equal(clean.code, 0, `${clean.stdout}\n${clean.stderr}`);
    assert.deepEqual(cleanReport.files.flatMap((f) => f.findings), [], 'no drift-missing: the ConfigMap is looked up in the overlay namespace, the Namespace in none');
    assert.deepEqual(cleanReport.files.map((f) => f.path).sort(), ['apps/base/configmap.yaml', 'apps/production/namespace.yaml']);

    await admin(['patch', 'configmap', 'kns-cm', '-n', NS, '--type=merge', '--field-manager=kubectl-edit', '-p', '{"data":{"color":"red"}}']);
    const drifted = await cli(['apps', '--context', 'tool', '--root', repo], repo);
    assert.equal(drifted.code, 1, `${drifted.stdout}\n${drifted.stderr}`);
    assert.match(drifted.stdout, /^apps\/base\/configmap\.yaml:6:10: warning drift-value: live red, desired blue — changed by "kubectl-edit" at \d\d:\d\d/m);
    assert.doesNotMatch(drifted.stdout, /drift-missing/);
  });

  test('the language server engine: learning the kustomizations moves an open file to the overlay namespace', async () => {
    const service = new DriftService({
      workspaceRoot: repo,
      settings: () => ({ kubeconfig: cp!.kubeconfigPath, context: 'tool', bindings: [], ignoreDifferences: [], drift: { enable: true } }),
      trusted: true,
      approve: async () => false,
    });
    const findings = new Map<string, Finding[]>();
    service.onFindings((uri, f) => findings.set(uri, f));
    try {
      const file = path.join(repo, 'apps', 'base', 'configmap.yaml');
      const uri = pathToFileURL(file).href;
      // Opened before any kustomization is known: looked up in the context's namespace, where it is missing.
      // (The first test left the live edit in NS; tests in a describe run in order.)
      await service.setDocuments(uri, fs.readFileSync(file, 'utf8'));
      await until('missing in default', () => service.report(uri)?.objects.some((o) => o.namespace === 'default' && o.state === 'missing'));
      for (const dir of ['base', 'production']) {
        const k = path.join(repo, 'apps', dir, 'kustomization.yaml');
        service.updateWorkspaceFile(pathToFileURL(k).href, fs.readFileSync(k, 'utf8'));
      }
      await until('found in the overlay namespace', () => service.report(uri)?.objects.some((o) => o.namespace === NS && o.state === 'present'));
      const drift = await until('the live edit as drift', () => (findings.get(uri)?.some((f) => f.code === 'drift-value') ? findings.get(uri) : undefined));
      assert.deepEqual(drift.map((f) => [f.code, f.range.start.line]), [['drift-value', 5]]);
    } finally {
      service.dispose();
    }
  });

  test("a Flux Kustomization's targetNamespace wins over the kustomization namespace", async () => {
    fs.mkdirSync(path.join(repo, 'clusters'), { recursive: true });
    const flux = `apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./apps/base\n  prune: true\n  targetNamespace: ${TARGET_NS}\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n`;
    fs.writeFileSync(path.join(repo, 'clusters', 'apps.yaml'), flux);
    try {
      // The copy in TARGET_NS was not edited: no drift, though the one in the overlay namespace was.
      const r = await cli(['apps/base', '--context', 'tool', '--root', repo, '--output', 'json'], repo);
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
      const report = JSON.parse(r.stdout) as Report;
      assert.deepEqual(report.files.flatMap((f) => f.findings), []);
      await admin(['delete', 'configmap', 'kns-cm', '-n', TARGET_NS]);
      const missing = await cli(['apps/base', '--context', 'tool', '--root', repo], repo);
      assert.equal(missing.code, 1, `${missing.stdout}\n${missing.stderr}`);
      assert.match(missing.stdout, new RegExp(`drift-missing: ConfigMap ${TARGET_NS}/kns-cm is declared here but missing from the cluster`));
    } finally {
      fs.rmSync(path.join(repo, 'clusters'), { recursive: true, force: true });
    }
  });
});
