/**
 * Helm in the preview: reading an Argo CD Application's or a Flux HelmRelease's
 * chart, the `helm template` arguments, mapping output back to templates, and
 * rendering a real local chart (argocd-example-apps/helm-guestbook) with helm
 * built from the Go module proxy (scripts/build-helm.mjs).
 */
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import * as path from 'node:path';
import { test, type TestContext } from 'node:test';
import type { KubeObject } from '../../server/src/cluster/cluster-types.js';
import { renderDesired } from '../../server/src/preview/render-desired.js';
import { helmSourceOf, helmTemplateArgs, parseHelmOutput } from '../../server/src/preview/render-helm.js';
import { helmBinaryPath } from '../../scripts/build-helm.mjs';

function findUp(rel: string): string {
  for (let dir = process.cwd(); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, rel))) return path.join(dir, rel);
    if (path.dirname(dir) === dir) throw new Error(`${rel} not found above the working directory`);
  }
}
const corpora = path.resolve(path.dirname(findUp('package.json')), '../shared/corpora');
const guestbookChart = path.join(corpora, 'argocd-example-apps/helm-guestbook');

/** The built helm, or a skip outside CI / a failure in CI when it is missing. */
function requireHelm(t: TestContext): string | undefined {
  const helm = helmBinaryPath();
  if (existsSync(helm)) return helm;
  const reason = `helm not found at ${helm}: run \`node scripts/build-helm.mjs\` (or set GITOPS_LENS_HELM)`;
  if (process.env.CI === 'true') assert.fail(reason);
  t.skip(reason);
  return undefined;
}

const app = (source: Record<string, unknown>, destinationNamespace = 'guestbook'): KubeObject => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Application',
  metadata: { name: 'guestbook', namespace: 'argocd' },
  spec: { project: 'default', source, destination: { server: 'https://kubernetes.default.svc', namespace: destinationNamespace } },
});

test('an Argo CD Application with a local Helm source: chart folder, release, values and parameters become helm template arguments', () => {
  const root = '/repo';
  const s = helmSourceOf(
    app({
      repoURL: 'https://example.com/repo.git',
      path: 'charts/web',
      helm: { releaseName: 'web', valueFiles: ['values-prod.yaml'], values: 'replicaCount: 3\n', parameters: [{ name: 'image.tag', value: '1.2' }, { name: 'port', value: '80', forceString: true }] },
    }),
    root,
  );
  assert.equal(s?.kind, 'local');
  if (s?.kind !== 'local') return;
  assert.deepEqual(s.chart, {
    chartDir: '/repo/charts/web',
    releaseName: 'web',
    namespace: 'guestbook',
    valueFiles: ['/repo/charts/web/values-prod.yaml'],
    values: 'replicaCount: 3\n',
    parameters: [{ name: 'image.tag', value: '1.2' }, { name: 'port', value: '80', forceString: true }],
  });
  assert.deepEqual(helmTemplateArgs(s.chart, '/tmp/v.yaml'), [
    'template', 'web', '/repo/charts/web', '--namespace', 'guestbook',
    '--values', '/repo/charts/web/values-prod.yaml', '--values', '/tmp/v.yaml',
    '--set', 'image.tag=1.2', '--set-string', 'port=80',
  ]);
  // The release name defaults to the Application's name.
  const d = helmSourceOf(app({ repoURL: 'x', path: 'charts/web', helm: {} }), root);
  assert.equal(d?.kind === 'local' && d.chart.releaseName, 'guestbook');
  // A chart from a Helm repository is remote.
  assert.deepEqual(helmSourceOf(app({ repoURL: 'https://charts.example.com', chart: 'redis', targetRevision: '1.0.0' }), root), { kind: 'remote', chart: 'redis' });
  // Not a Helm source at all.
  assert.equal(helmSourceOf(app({ repoURL: 'x', path: 'apps' }), root), undefined);
});

test('a Flux HelmRelease: a GitRepository chart path is local, a HelmRepository or chartRef chart is remote', () => {
  const hr = (spec: Record<string, unknown>): KubeObject => ({ apiVersion: 'helm.toolkit.fluxcd.io/v2', kind: 'HelmRelease', metadata: { name: 'web', namespace: 'apps' }, spec });
  const local = helmSourceOf(hr({ chart: { spec: { chart: './charts/web', sourceRef: { kind: 'GitRepository', name: 'flux-system' }, valuesFiles: ['./charts/web/values-prod.yaml'] } }, values: { replicaCount: 2 }, targetNamespace: 'prod' }), '/repo');
  assert.deepEqual(local, {
    kind: 'local',
    chart: { chartDir: '/repo/charts/web', releaseName: 'prod-web', namespace: 'prod', valueFiles: ['/repo/charts/web/values-prod.yaml'], values: { replicaCount: 2 }, parameters: [] },
  });
  assert.deepEqual(helmSourceOf(hr({ chart: { spec: { chart: 'podinfo', sourceRef: { kind: 'HelmRepository', name: 'podinfo' } } } }), '/repo'), { kind: 'remote', chart: 'podinfo' });
  assert.deepEqual(helmSourceOf(hr({ chartRef: { kind: 'OCIRepository', name: 'podinfo' } }), '/repo'), { kind: 'remote', chart: 'OCIRepository podinfo' });
});

test('helm template output maps back to the chart template named by its # Source comment', () => {
  const out = [
    '---',
    '# Source: web/templates/service.yaml',
    'apiVersion: v1',
    'kind: Service',
    'metadata:',
    '  name: web',
    '---',
    '# Source: web/charts/redis/templates/cm.yaml',
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata:',
    '  name: redis',
    '---',
    '# Source: web/templates/empty.yaml',
    '# nothing rendered',
    '',
  ].join('\n');
  const r = parseHelmOutput(out, '/repo/charts/web');
  assert.deepEqual(
    r.map((o) => [o.object.kind, o.object.metadata.name, o.templateFile]),
    [
      ['Service', 'web', '/repo/charts/web/templates/service.yaml'],
      ['ConfigMap', 'redis', '/repo/charts/web/charts/redis/templates/cm.yaml'],
    ],
  );
});

/** A temporary repository with the guestbook chart copied in (the corpus stays untouched) and the given YAML files. */
function tempRepo(t: TestContext, files: Record<string, string>): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'gitops-lens-helm-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  cpSync(guestbookChart, path.join(root, 'charts/guestbook'), { recursive: true });
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), text);
  }
  return root;
}

const APP_YAML = `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: guestbook
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://github.com/argoproj/argocd-example-apps.git
    path: charts/guestbook
    helm:
      valueFiles: [values-production.yaml]
      parameters:
        - name: replicaCount
          value: "2"
  destination:
    server: https://kubernetes.default.svc
    namespace: guestbook
`;

test('helm-guestbook behind an Argo CD Application renders with helm: Deployment and Service, mapped to their templates', async (t) => {
  const helm = requireHelm(t);
  if (!helm) return;
  const root = tempRepo(t, { 'apps/guestbook.yaml': APP_YAML });
  const r = await renderDesired({ paths: [], root, tools: { helm } });
  assert.deepEqual(r.problems, []);
  const fromChart = r.objects.filter((o) => o.unit === path.join(root, 'charts/guestbook'));
  assert.deepEqual(fromChart.map((o) => `${o.object.kind}/${o.object.metadata.name}`).sort(), ['Deployment/guestbook-helm-guestbook', 'Service/guestbook-helm-guestbook']);
  for (const o of fromChart) assert.equal(o.binding?.name, 'guestbook');
  const dep = fromChart.find((o) => o.object.kind === 'Deployment')!;
  assert.equal(path.relative(root, dep.source!.file), 'charts/guestbook/templates/deployment.yaml');
  assert.equal((dep.object.spec as { replicas: number }).replicas, 2, 'the parameter overrides the values file');
  assert.equal(path.relative(root, fromChart.find((o) => o.object.kind === 'Service')!.source!.file), 'charts/guestbook/templates/service.yaml');
  // values-production.yaml sets the service type.
  assert.equal((fromChart.find((o) => o.object.kind === 'Service')!.object.spec as { type: string }).type, 'LoadBalancer');
  // The Application object itself is still previewed, without a "needs helm" note.
  const appEntry = r.objects.find((o) => o.object.kind === 'Application');
  assert.ok(appEntry);
  assert.equal(appEntry.note, undefined);
  assert.ok(!r.notes.some((n) => /needs helm/.test(n)), r.notes.join('\n'));
});

test('without helm the Application keeps the "not previewed: needs helm" note and nothing is rendered from the chart', async (t) => {
  const root = tempRepo(t, { 'apps/guestbook.yaml': APP_YAML });
  const r = await renderDesired({ paths: [], root, tools: { helm: undefined } });
  assert.deepEqual(r.problems, []);
  assert.ok(r.notes.some((n) => n === 'not previewed: needs helm (Argo CD Application argocd/guestbook has a Helm source)'), r.notes.join('\n'));
  assert.equal(r.objects.filter((o) => o.unit === path.join(root, 'charts/guestbook')).length, 0);
  assert.equal(r.objects.find((o) => o.object.kind === 'Application')?.note, 'chart contents not previewed: needs helm');
});

test('a Flux HelmRelease of a chart in this repository renders with helm; a remote chart gets a note', async (t) => {
  const helm = requireHelm(t);
  if (!helm) return;
  const root = tempRepo(t, {
    'clusters/dev/apps.yaml': `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: { name: apps, namespace: flux-system }
spec:
  path: ./apps
  prune: true
  sourceRef: { kind: GitRepository, name: flux-system }
`,
    'apps/release.yaml': `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: { name: guestbook, namespace: web }
spec:
  chart:
    spec:
      chart: ./charts/guestbook
      sourceRef: { kind: GitRepository, name: flux-system, namespace: flux-system }
  values:
    replicaCount: 3
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: { name: podinfo, namespace: web }
spec:
  chart:
    spec:
      chart: podinfo
      sourceRef: { kind: HelmRepository, name: podinfo }
`,
  });
  const r = await renderDesired({ paths: [], root, tools: { helm } });
  assert.deepEqual(r.problems, []);
  const dep = r.objects.find((o) => o.object.kind === 'Deployment');
  assert.equal(dep?.object.metadata.name, 'guestbook-helm-guestbook');
  assert.equal((dep!.object.spec as { replicas: number }).replicas, 3, 'spec.values reach helm');
  assert.equal(path.relative(root, dep!.source!.file), 'charts/guestbook/templates/deployment.yaml');
  assert.ok(r.objects.some((o) => o.object.kind === 'Service' && o.object.metadata.name === 'guestbook-helm-guestbook'));
  assert.ok(r.notes.includes('HelmRelease web/podinfo: chart contents not previewed: chart podinfo comes from a remote repository'), r.notes.join('\n'));
});

test('a chart whose dependencies are not vendored is an error entry with helm\'s own message', async (t) => {
  const helm = requireHelm(t);
  if (!helm) return;
  const root = tempRepo(t, { 'apps/guestbook.yaml': APP_YAML });
  writeFileSync(
    path.join(root, 'charts/guestbook/Chart.yaml'),
    'apiVersion: v2\nname: helm-guestbook\nversion: 0.1.0\ndependencies:\n  - name: redis\n    version: 1.0.0\n    repository: https://charts.example.com\n',
  );
  const r = await renderDesired({ paths: [], root, tools: { helm } });
  assert.equal(r.problems.length, 1, JSON.stringify(r.problems));
  assert.equal(path.relative(root, r.problems[0]!.file), 'apps/guestbook.yaml');
  assert.match(r.problems[0]!.message, /^helm template failed: .*(dependenc|redis)/s);
});
