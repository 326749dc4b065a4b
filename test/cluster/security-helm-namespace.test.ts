/**
 * Issue 18, finding 11 against the real control plane: objects a Flux HelmRelease's chart
 * renders without a namespace were planned in the kubeconfig's default namespace; helm-controller
 * installs them in the release namespace (`spec.targetNamespace`, else the HelmRelease's own
 * namespace). Cluster-scoped objects stay without one.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { PreviewService, kubeconfigConnector } from '../../server/src/preview/preview-service.js';
import { helmBinaryPath } from '../../scripts/build-helm.mjs';
import { NO_TEST_CLUSTER_REASON, testCluster } from '../support/control-plane.js';

const cp = testCluster();
const helm = helmBinaryPath();
if (!existsSync(helm) && process.env.CI === 'true') throw new Error(`helm not found at ${helm}`);
const skip = !cp ? NO_TEST_CLUSTER_REASON : !existsSync(helm) ? `helm not found at ${helm}` : false;

test('Helm-rendered objects without a namespace go to the release namespace', { skip, timeout: 120_000 }, async (t) => {
  const id = randomBytes(3).toString('hex');
  const releaseNs = `hr-release-${id}`;
  const targetNs = `hr-target-${id}`;
  for (const ns of [releaseNs, targetNs]) assert.equal((await cp!.kubectl(['create', 'namespace', ns])).code, 0);
  t.after(async () => {
    for (const ns of [releaseNs, targetNs]) await cp!.kubectl(['delete', 'namespace', ns, '--wait=false']);
  });
  const root = mkdtempSync(path.join(os.tmpdir(), 'gitops-lens-helm-ns-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const files: Record<string, string> = {
    'charts/ns/Chart.yaml': 'apiVersion: v2\nname: ns\nversion: 0.1.0\n',
    'charts/ns/templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-cm\ndata: {k: v}\n',
    'charts/ns/templates/role.yaml': `apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: {{ .Release.Name }}-${id}\nrules: []\n`,
    'apps/releases.yaml': ['plain', 'targeted']
      .map(
        (name) => `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: ${name}, namespace: ${releaseNs}}
spec:
  interval: 10m
${name === 'targeted' ? `  targetNamespace: ${targetNs}\n` : ''}  chart:
    spec:
      chart: ./charts/ns
      sourceRef: {kind: GitRepository, name: flux-system, namespace: flux-system}
`,
      )
      .join('---\n'),
  };
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), text);
  }
  const service = new PreviewService({ connect: (k, c) => kubeconfigConnector(true, async () => false)(k ?? cp!.kubeconfigPath, c ?? 'tool'), tools: { helm } });
  t.after(() => service.dispose());
  const plan = await service.preview({ paths: [path.join(root, 'apps')], root });
  const entries = plan.entries.filter((e) => e.kind === 'ConfigMap' || e.kind === 'ClusterRole').map((e) => `${e.action} ${e.kind} ${e.namespace ?? '-'}/${e.name}`).sort();
  // With a targetNamespace, helm-controller names the release `<targetNamespace>-<name>`.
  assert.deepEqual(entries, [
    `create ClusterRole -/${targetNs}-targeted-${id}`,
    `create ClusterRole -/plain-${id}`,
    `create ConfigMap ${releaseNs}/plain-cm`,
    `create ConfigMap ${targetNs}/${targetNs}-targeted-cm`,
  ]);
});
