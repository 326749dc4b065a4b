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
