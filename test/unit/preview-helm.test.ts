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
import { renderDesired } from '../../server/src/render/render-desired.js';
import { helmSourceOf, helmTemplateArgs, parseHelmOutput } from '../../server/src/render/render-helm.js';
import { replacePathValue, resolveValuesFrom } from '../../server/src/render/helm-values-from.js';
import { maskDerivedValues } from '../../server/src/secrets/mask-derived.js';
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

/** A temporary repository with the tiny chart at charts/tiny, removed after the test; undefined when helm is missing (skipped outside CI). */
function helmRepo(t: TestContext): { helm: string; root: string } | undefined {
  const helm = requireHelm(t);
  if (!helm) return undefined;
  const root = mkdtempSync(path.join(os.tmpdir(), 'gitops-lens-helm-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  writeChart(path.join(root, 'charts/tiny'));
  return { helm, root };
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
    // Argo CD renders the chart's crds/ unless helm.skipCrds.
    includeCrds: true,
  });
  assert.deepEqual(helmTemplateArgs(s.chart, '/tmp/v.yaml'), [
    'template', 'web', '/repo/charts/web', '--namespace', 'guestbook',
    '--values', '/repo/charts/web/values-prod.yaml', '--values', '/tmp/v.yaml',
    '--set', 'image.tag=1.2', '--set-string', 'port=80', '--include-crds',
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

test('Argo CD helm options: fileParameters, skipCrds, helm.namespace, value file paths, parameters as Argo CD passes them', () => {
  const root = '/repo';
  const s = helmSourceOf(
    app({
      repoURL: 'x',
      path: 'charts/web',
      targetRevision: 'main',
      helm: {
        namespace: 'web-ns',
        skipCrds: true,
        skipTests: true,
        ignoreMissingValueFiles: true,
        kubeVersion: '1.30.0',
        apiVersions: ['monitoring.coreos.com/v1'],
        valueFiles: ['values-$ARGOCD_APP_NAME.yaml', '/env/prod.yaml'],
        fileParameters: [{ name: 'config', path: 'files/config.txt' }],
        parameters: [
          { name: 'hosts', value: 'a.example,b.example' },
          { name: 'list', value: '{a,b}' },
          { name: 'app', value: '$ARGOCD_APP_NAME' },
          { name: 'app', value: 'last-wins' },
        ],
      },
    }),
    root,
  );
  assert.equal(s?.kind, 'local');
  if (s?.kind !== 'local') return;
  assert.equal(s.chart.namespace, 'web-ns', 'helm.namespace overrides the destination namespace');
  // Relative value files from the source path, absolute ones from the repository root; the build environment substituted.
  assert.deepEqual(s.chart.valueFiles, ['/repo/charts/web/values-guestbook.yaml', '/repo/env/prod.yaml']);
  assert.deepEqual(helmTemplateArgs(s.chart), [
    'template', 'guestbook', '/repo/charts/web', '--namespace', 'web-ns',
    '--values', '/repo/charts/web/values-guestbook.yaml', '--values', '/repo/env/prod.yaml',
    '--set', 'hosts=a.example\\,b.example', '--set', 'list={a,b}', '--set', 'app=last-wins',
    '--set-file', 'config=/repo/charts/web/files/config.txt',
    '--skip-tests', '--kube-version', '1.30.0', '--api-versions', 'monitoring.coreos.com/v1',
  ]);
  assert.equal(s.chart.ignoreMissingValueFiles, true);
  // Paths the preview cannot or must not read make the chart "not previewed" with the reason.
  const invalid = (valueFiles: string[]) => helmSourceOf(app({ repoURL: 'x', path: 'charts/web', helm: { valueFiles } }), root);
  assert.match(String((invalid(['../../../etc/passwd']) as { message?: string }).message), /outside the repository root/);
  assert.match(String((invalid(['https://example.com/values.yaml']) as { message?: string }).message), /is a URL/);
  assert.match(String((invalid(['$values/charts/web/values.yaml']) as { message?: string }).message), /not a ref source of this Application/);
});

/** A small chart with a CRD, a ConfigMap fed by --set-file and values, and a values-driven replica count. */
function writeChart(dir: string): void {
  mkdirSync(path.join(dir, 'crds'), { recursive: true });
  mkdirSync(path.join(dir, 'templates'), { recursive: true });
  mkdirSync(path.join(dir, 'files'), { recursive: true });
  writeFileSync(path.join(dir, 'Chart.yaml'), 'apiVersion: v2\nname: tiny\nversion: 0.1.0\n');
  writeFileSync(path.join(dir, 'values.yaml'), 'config: ""\nhosts: ""\nreplicas: 1\ntoken: none\n');
  writeFileSync(path.join(dir, 'files/config.txt'), 'from-a-file');
  writeFileSync(
    path.join(dir, 'crds/widget.yaml'),
    'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: widgets.example.com}\nspec:\n  group: example.com\n  names: {kind: Widget, plural: widgets}\n  scope: Namespaced\n  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}]\n',
  );
  writeFileSync(
    path.join(dir, 'templates/cm.yaml'),
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-settings\n  namespace: {{ .Release.Namespace }}\ndata:\n  config: {{ .Values.config | quote }}\n  hosts: {{ .Values.hosts | quote }}\n  replicas: {{ .Values.replicas | quote }}\n  token: {{ .Values.token | quote }}\n',
  );
}

test('helm renders fileParameters, CRDs unless skipCrds, and comma values as one value', async (t) => {
  const repo = helmRepo(t);
  if (!repo) return;
  const { helm, root } = repo;
  const tinyApp = (name: string, extra: string) => `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: ${name}, namespace: argocd}
spec:
  project: default
  destination: {server: https://kubernetes.default.svc, namespace: tiny}
  source:
    repoURL: https://example.com/repo.git
    path: charts/tiny
    helm:
      fileParameters: [{name: config, path: files/config.txt}]
      parameters: [{name: hosts, value: "a.example,b.example"}]
${extra}`;
  mkdirSync(path.join(root, 'apps'));
  writeFileSync(path.join(root, 'apps/with-crds.yaml'), tinyApp('with-crds', ''));
  const r = await renderDesired({ paths: [], root, tools: { helm } });
  assert.deepEqual(r.problems, []);
  const fromChart = r.objects.filter((o) => o.unit === path.join(root, 'charts/tiny'));
  assert.deepEqual(fromChart.map((o) => `${o.object.kind}/${o.object.metadata.name}`).sort(), ['ConfigMap/with-crds-settings', 'CustomResourceDefinition/widgets.example.com']);
  const cm = fromChart.find((o) => o.object.kind === 'ConfigMap')!;
  assert.deepEqual(cm.object.data, { config: 'from-a-file', hosts: 'a.example,b.example', replicas: '1', token: 'none' });
  assert.equal(path.relative(root, fromChart.find((o) => o.object.kind === 'CustomResourceDefinition')!.source!.file), 'charts/tiny/crds/widget.yaml');

  writeFileSync(path.join(root, 'apps/with-crds.yaml'), tinyApp('with-crds', '      skipCrds: true\n'));
  const skipped = await renderDesired({ paths: [], root, tools: { helm } });
  assert.deepEqual(skipped.objects.filter((o) => o.unit === path.join(root, 'charts/tiny')).map((o) => o.object.kind), ['ConfigMap']);
});

test('HelmRelease valuesFrom: helm-controller\'s merge order, targetPath typing, optional references, errors', async () => {
  const data: Record<string, Record<string, string> | undefined> = {
    'ConfigMap/base': { 'values.yaml': 'replicas: 2\nnested: {a: 1, b: 1}\n', other: 'hosts: from-other\n' },
    'Secret/creds': { token: 's3cr3t-t0ken', 'values.yaml': 'nested: {b: 2}\npassword: hunter22\n' },
  };
  const read = async (kind: string, namespace: string, name: string) => {
    assert.equal(namespace, 'web');
    return data[`${kind}/${name}`];
  };
  const r = await resolveValuesFrom(
    [
      { kind: 'ConfigMap', name: 'base' },
      { kind: 'ConfigMap', name: 'base', valuesKey: 'other' },
      { kind: 'Secret', name: 'creds' },
      { kind: 'Secret', name: 'creds', valuesKey: 'token', targetPath: 'auth.token' },
      { kind: 'ConfigMap', name: 'absent', optional: true },
    ],
    'web',
    read,
    { replicas: 3 },
  );
  assert.deepEqual(r.values, { replicas: 3, nested: { a: 1, b: 2 }, hosts: 'from-other', password: 'hunter22', auth: { token: 's3cr3t-t0ken' } });
  assert.deepEqual(r.secretValues.sort(), ['2', 'hunter22', 's3cr3t-t0ken', 'nested: {b: 2}\npassword: hunter22'].sort());
  await assert.rejects(resolveValuesFrom([{ kind: 'ConfigMap', name: 'absent' }], 'web', read, undefined), /^Error: valuesFrom ConfigMap web\/absent not found$/);
  await assert.rejects(resolveValuesFrom([{ kind: 'Secret', name: 'creds', valuesKey: 'nope', optional: true }], 'web', read, undefined), /missing key 'nope'/);
  // A reference that cannot be read is left out with a note (the controller might read it; the preview cannot tell).
  const forbidden = await resolveValuesFrom([{ kind: 'Secret', name: 'x' }], 'web', async () => { throw new Error('403 Forbidden'); }, { a: 1 });
  assert.deepEqual(forbidden, { values: { a: 1 }, secretValues: [], notes: ['valuesFrom Secret web/x not applied: 403 Forbidden'] });

  const v: Record<string, unknown> = {};
  replacePathValue(v, 'a.b', '42');
  replacePathValue(v, 'a.c', '"42"');
  replacePathValue(v, 'flag', 'true');
  replacePathValue(v, 'zip', '0123');
  replacePathValue(v, 'list[1].name', 'x');
  replacePathValue(v, 'dotted\\.key', 'y');
  replacePathValue(v, 'hosts', '{a,b}');
  assert.deepEqual(v, { a: { b: 42, c: '42' }, flag: true, zip: '0123', list: [null, { name: 'x' }], 'dotted.key': 'y', hosts: ['a', 'b'] });
});

test('values that came from Secrets are masked in shown text; short ones only as whole YAML scalars', () => {
  const text = 'data:\n  token: s3cr3t-t0ken\n  url: https://u:s3cr3t-t0ken@host\n  replicas: "2"\n  port: 8080\n-  count: 2\n+  count: 3\n';
  assert.equal(
    maskDerivedValues(text, ['s3cr3t-t0ken', '2']),
    'data:\n  token: ***\n  url: https://u:***@host\n  replicas: ***\n  port: 8080\n-  count: ***\n+  count: 3\n',
  );
  assert.equal(maskDerivedValues(text, []), text);
});

test('a HelmRelease with valuesFrom renders with the values read from the cluster; without cluster access it says so', async (t) => {
  const repo = helmRepo(t);
  if (!repo) return;
  const { helm, root } = repo;
  mkdirSync(path.join(root, 'apps'));
  writeFileSync(
    path.join(root, 'apps/release.yaml'),
    `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: tiny, namespace: web}
spec:
  chart:
    spec:
      chart: ./charts/tiny
      sourceRef: {kind: GitRepository, name: flux-system, namespace: flux-system}
  valuesFrom:
    - {kind: ConfigMap, name: tiny-values}
    - {kind: Secret, name: tiny-secret, valuesKey: token, targetPath: token}
  values:
    hosts: inline
`,
  );
  const reads: string[] = [];
  const read = async (kind: 'ConfigMap' | 'Secret', namespace: string, name: string): Promise<Record<string, string>> => {
    reads.push(`${kind} ${namespace}/${name}`);
    return kind === 'ConfigMap' ? { 'values.yaml': 'replicas: 5\nhosts: from-configmap\n' } : { token: 'very-s3cret-value' };
  };
  const r = await renderDesired({ paths: [], root, tools: { helm }, readValuesSource: read });
  assert.deepEqual(r.problems, []);
  assert.deepEqual(reads, ['ConfigMap web/tiny-values', 'Secret web/tiny-secret']);
  const cm = r.objects.find((o) => o.object.kind === 'ConfigMap' && o.object.metadata.name === 'tiny-settings')!;
  assert.deepEqual(cm.object.data, { config: '', hosts: 'inline', replicas: '5', token: 'very-s3cret-value' }, 'the Secret value reaches helm; spec.values wins');
  assert.deepEqual(cm.maskValues, ['very-s3cret-value']);
  assert.deepEqual(r.maskValues, ['very-s3cret-value']);

  const offline = await renderDesired({ paths: [], root, tools: { helm } });
  assert.deepEqual(offline.problems, []);
  assert.ok(offline.notes.includes('HelmRelease web/tiny: valuesFrom not applied (no cluster access): rendered with spec.values only'), offline.notes.join('\n'));
  assert.deepEqual(offline.objects.find((o) => o.object.metadata.name === 'tiny-settings')!.object.data, { config: '', hosts: 'inline', replicas: '1', token: 'none' });
});

test('a multi-source Application: every local source is rendered under the one Application, $ref value files resolved', async (t) => {
  const repo = helmRepo(t);
  if (!repo) return;
  const { helm, root } = repo;
  const files: Record<string, string> = {
    'argo/multi.yaml': `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: multi, namespace: argocd}
spec:
  project: default
  destination: {server: https://kubernetes.default.svc, namespace: multi}
  sources:
    - {repoURL: https://example.com/repo.git, path: apps/plain}
    - {repoURL: https://example.com/repo.git, ref: values}
    - repoURL: https://example.com/repo.git
      path: charts/tiny
      helm:
        skipCrds: true
        valueFiles: [$values/env/prod.yaml]
    - {repoURL: https://charts.example.com, chart: redis, targetRevision: 1.0.0}
`,
    'apps/plain/a.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: plain-a}\n',
    'env/prod.yaml': 'replicas: 7\n',
  };
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), text);
  }
  // Selecting one source renders all of them: the Application syncs and prunes them together.
  const r = await renderDesired({ paths: [path.join(root, 'apps/plain')], root, tools: { helm } });
  assert.deepEqual(r.problems, []);
  assert.deepEqual(r.units.map((u) => `${u.kind} ${path.relative(root, u.root)} ${u.binding?.name}#${u.binding?.sourceIndex}`), ['folder apps/plain multi#0', 'helm charts/tiny multi#2']);
  assert.deepEqual(
    r.objects.map((o) => `${o.object.kind}/${o.object.metadata.name} ${o.binding?.name}`),
    ['ConfigMap/plain-a multi', 'ConfigMap/multi-settings multi'],
  );
  assert.equal((r.objects[1]!.object.data as Record<string, string>).replicas, '7', 'the $values value file was used');
  assert.ok(r.notes.includes('not previewed: chart redis comes from a remote repository (Argo CD Application argocd/multi)'), r.notes.join('\n'));
});

test('a HelmRelease whose valuesFrom ConfigMap does not exist is an error entry on the HelmRelease document', async (t) => {
  const repo = helmRepo(t);
  if (!repo) return;
  const { helm, root } = repo;
  mkdirSync(path.join(root, 'apps'));
  writeFileSync(
    path.join(root, 'apps/release.yaml'),
    `apiVersion: v1
kind: Namespace
metadata: {name: web}
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: tiny, namespace: web}
spec:
  chart: {spec: {chart: ./charts/tiny, sourceRef: {kind: GitRepository, name: flux-system}}}
  valuesFrom: [{kind: ConfigMap, name: gone}]
`,
  );
  const r = await renderDesired({ paths: [], root, tools: { helm }, readValuesSource: async () => undefined });
  assert.equal(r.problems.length, 1, JSON.stringify(r.problems));
  assert.equal(path.relative(root, r.problems[0]!.file), 'apps/release.yaml');
  assert.equal(r.problems[0]!.range?.start.line, 4);
  assert.equal(r.problems[0]!.message, 'HelmRelease web/tiny cannot be rendered: valuesFrom ConfigMap web/gone not found');
  assert.ok(!r.objects.some((o) => o.object.metadata.name === 'tiny-settings'));
});

test('an Application whose path is a chart folder is rendered with helm even without a helm field, as Argo CD detects it', async (t) => {
  const helm = requireHelm(t);
  if (!helm) return;
  const root = tempRepo(t, {
    'apps/guestbook.yaml': `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: detected, namespace: argocd}
spec:
  project: default
  source: {repoURL: https://example.com/repo.git, path: charts/guestbook}
  destination: {server: https://kubernetes.default.svc, namespace: guestbook}
`,
  });
  const r = await renderDesired({ paths: [], root, tools: { helm } });
  assert.deepEqual(r.problems, []);
  assert.deepEqual(
    r.objects.filter((o) => o.binding?.name === 'detected').map((o) => `${o.object.kind}/${o.object.metadata.name}`).sort(),
    ['Deployment/detected-helm-guestbook', 'Service/detected-helm-guestbook'],
  );
  const without = await renderDesired({ paths: [], root, tools: { helm: undefined } });
  assert.ok(without.notes.includes('not previewed: needs helm (Argo CD Application argocd/detected has a Helm source)'), without.notes.join('\n'));
});
