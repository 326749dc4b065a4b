/**
 * Preview of an Argo CD Application with a local Helm source against the real
 * control plane: the chart (argocd-example-apps/helm-guestbook, copied to a
 * temporary repository) is rendered by helm built from the Go module proxy,
 * and its objects are planned as the Application's, mapped to their templates.
 */
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { PreviewService, kubeconfigConnector } from '../../server/src/preview/preview-service.js';
import { helmBinaryPath } from '../../scripts/build-helm.mjs';
import { NO_TEST_CLUSTER_REASON, testCluster } from '../support/control-plane.js';

const cp = testCluster();
const NS = 'preview-helm';
const helm = helmBinaryPath();
const noHelm = `helm not found at ${helm}: run \`node scripts/build-helm.mjs\` (or set GITOPS_LENS_HELM)`;
if (!existsSync(helm) && process.env.CI === 'true') throw new Error(noHelm);
const skip = !cp ? NO_TEST_CLUSTER_REASON : !existsSync(helm) ? noHelm : false;

function findUp(rel: string): string {
  for (let dir = process.cwd(); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, rel))) return path.join(dir, rel);
    if (path.dirname(dir) === dir) throw new Error(`${rel} not found above the working directory`);
  }
}
const corpora = path.resolve(path.dirname(findUp('package.json')), '../shared/corpora');

test('an Argo CD Application with a local Helm chart is previewed object by object', { skip, timeout: 120_000 }, async (t) => {
  if ((await cp!.kubectl(['get', 'namespace', NS])).code !== 0) await cp!.kubectl(['create', 'namespace', NS]);
  await cp!.kubectl(['-n', NS, 'delete', 'deployment,service', '--all', '--ignore-not-found', '--wait=false']);
  const root = mkdtempSync(path.join(os.tmpdir(), 'gitops-lens-helm-cluster-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  cpSync(path.join(corpora, 'argocd-example-apps/helm-guestbook'), path.join(root, 'charts/guestbook'), { recursive: true });
  mkdirSync(path.join(root, 'apps'));
  writeFileSync(
    path.join(root, 'apps/guestbook.yaml'),
    `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: helm-guestbook, namespace: argocd}
spec:
  project: default
  source: {repoURL: https://github.com/argoproj/argocd-example-apps.git, path: charts/guestbook, helm: {releaseName: guestbook}}
  destination: {server: https://kubernetes.default.svc, namespace: ${NS}}
`,
  );
  const service = new PreviewService({
    connect: (k, c) => kubeconfigConnector(true, async () => false)(k ?? cp!.kubeconfigPath, c ?? 'tool'),
    tools: { helm },
  });
  t.after(() => service.dispose());
  const plan = await service.preview({ paths: [], root });
  const chartEntries = plan.entries.filter((e) => e.namespace === NS);
  assert.deepEqual(
    chartEntries.map((e) => `${e.action} ${e.kind} ${e.name} [${e.binding}] ${e.sourceUri ? path.relative(root, fileURLToPath(e.sourceUri)) : '-'}`).sort(),
    [
      'create Deployment guestbook-helm-guestbook [Application argocd/helm-guestbook] charts/guestbook/templates/deployment.yaml',
      'create Service guestbook-helm-guestbook [Application argocd/helm-guestbook] charts/guestbook/templates/service.yaml',
    ],
  );
  assert.ok(!(plan.notes ?? []).some((n) => /needs helm/.test(n)), (plan.notes ?? []).join('\n'));
});

test('a Flux HelmRelease\'s valuesFrom ConfigMap and Secret are read from the cluster; the Secret value never reaches helm, its field is not compared', { skip, timeout: 120_000 }, async (t) => {
  const ns = 'preview-helm-values';
  const secret = 'cluster-s3cret-t0ken';
  if ((await cp!.kubectl(['get', 'namespace', ns])).code !== 0) await cp!.kubectl(['create', 'namespace', ns]);
  await cp!.kubectl(['-n', ns, 'delete', 'configmap,secret,helmrelease', '--all', '--ignore-not-found', '--wait=false']);
  const applied = await cp!.kubectl(['apply', '--server-side', '--field-manager=helm-controller', '--force-conflicts', '-f', '-'], {
    input: `apiVersion: v1
kind: ConfigMap
metadata: {name: tiny-values, namespace: ${ns}}
data:
  values.yaml: |
    replicas: 5
---
apiVersion: v1
kind: Secret
metadata: {name: tiny-secret, namespace: ${ns}}
stringData: {token: ${secret}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: tiny-settings, namespace: ${ns}}
data: {replicas: "1", token: old-token}
`,
  });
  assert.equal(applied.code, 0, applied.stderr);
  const root = mkdtempSync(path.join(os.tmpdir(), 'gitops-lens-helm-values-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const files: Record<string, string> = {
    'charts/tiny/Chart.yaml': 'apiVersion: v2\nname: tiny\nversion: 0.1.0\n',
    'charts/tiny/values.yaml': 'replicas: 1\ntoken: none\n',
    'charts/tiny/templates/cm.yaml':
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-settings\n  namespace: {{ .Release.Namespace }}\ndata:\n  replicas: {{ .Values.replicas | quote }}\n  token: {{ .Values.token | quote }}\n',
    'apps/release.yaml': `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: tiny, namespace: ${ns}}
spec:
  interval: 10m
  chart:
    spec:
      chart: ./charts/tiny
      sourceRef: {kind: GitRepository, name: flux-system, namespace: flux-system}
  valuesFrom:
    - {kind: ConfigMap, name: tiny-values}
    - {kind: Secret, name: tiny-secret, valuesKey: token, targetPath: token}
    - {kind: Secret, name: not-there, optional: true}
`,
  };
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), text);
  }
  const logs: string[] = [];
  const service = new PreviewService({
    connect: (k, c) => kubeconfigConnector(true, async () => false)(k ?? cp!.kubeconfigPath, c ?? 'tool'),
    tools: { helm },
    log: (m) => logs.push(m),
  });
  t.after(() => service.dispose());
  const plan = await service.preview({ paths: [path.join(root, 'apps')], root });
  const settings = plan.entries.find((e) => e.kind === 'ConfigMap' && e.name === 'tiny-settings');
  assert.ok(settings, JSON.stringify(plan.entries.map((e) => `${e.action} ${e.kind} ${e.name}: ${e.message ?? ''}`)));
  assert.equal(settings.action, 'update');
  // The ConfigMap's value came through; the Secret's was rendered as a placeholder (issue 18), so its
  // field is marked on both sides and not compared: only replicas changes.
  assert.deepEqual(settings.changedPaths, ['data.replicas']);
  assert.match(settings.afterText, /replicas: "5"/);
  assert.match(settings.afterText, new RegExp(`token: .*derived from Secret ${ns}/tiny-secret: not compared`));
  assert.match(settings.liveText, new RegExp(`token: .*derived from Secret ${ns}/tiny-secret: not compared`));
  assert.doesNotMatch(settings.diff ?? "", /^[-+] +token/m);
  assert.ok(!JSON.stringify(plan).includes(secret), 'the Secret value appears nowhere in the plan');
  assert.ok(!logs.join('\n').includes(secret));
  assert.ok(plan.entries.some((e) => e.kind === 'HelmRelease' && e.name === 'tiny' && e.action === 'create'));
});
