/**
 * Unit tests of the repository graph's foundations: what indexFile keeps of
 * a YAML file (reference sites and paths with exact ranges, generators,
 * ignore comments, List items, no Secret data) and the in-process kustomize
 * identities (namespace renames Namespace objects, prefixes skip them,
 * components transform what came before, Flux overrides, generator hashes),
 * including the selective cache after an edit.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { indexFile } from '../../server/src/graph/index-file.js';
import { KustomizeModel } from '../../server/src/graph/kustomize-identities.js';
import { RepoFiles, repoProbe, type PathProbe } from '../../server/src/graph/indexed-files.js';

const r = (sl: number, sc: number, el: number, ec: number) => ({ start: { line: sl, character: sc }, end: { line: el, character: ec } });
const ROOT = path.resolve('/repo');
const nothingElse: PathProbe = { kindOf: () => undefined };

function repo(files: Record<string, string>): { files: RepoFiles; model: KustomizeModel } {
  const f = new RepoFiles(ROOT);
  for (const [p, text] of Object.entries(files)) f.update(path.join(ROOT, p), text);
  return { files: f, model: new KustomizeModel(f, repoProbe(f, nothingElse)) };
}
const ids = (objects: Array<{ kind: string; namespace: string; name: string; hashed?: boolean }>) => objects.map((o) => `${o.kind} ${o.namespace}/${o.name}${o.hashed ? ' (hash)' : ''}`);

describe('indexFile', () => {
  it('keeps pod template references with the exact range of each value', () => {
    const f = indexFile('/r/d.yaml', [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata:',
      '  name: web',
      'spec:',
      '  template:',
      '    spec:',
      '      serviceAccountName: web-sa',
      '      imagePullSecrets:',
      '        - name: "regcred"',
      '      containers:',
      '        - name: web',
      '          envFrom:',
      '            - configMapRef: { name: settings }',
      '          env:',
      '            - name: X',
      '              valueFrom:',
      '                secretKeyRef:',
      '                  name: token',
      '                  key: t',
      '                  optional: true',
      '      volumes:',
      '        - name: data',
      '          persistentVolumeClaim:',
      '            claimName: data-pvc',
      '',
    ].join('\n'));
    const doc = f.docs[0];
    assert.deepEqual(doc.nameRange, r(3, 8, 3, 11));
    assert.deepEqual(doc.sites.map((s) => [s.targetKinds[0], s.name, s.field, s.range, s.optional ?? false]), [
      ['ServiceAccount', 'web-sa', 'serviceAccountName', r(7, 26, 7, 32), false],
      ['Secret', 'regcred', 'imagePullSecrets', r(9, 16, 9, 25), false],
      ['PersistentVolumeClaim', 'data-pvc', 'volumes.persistentVolumeClaim', r(24, 23, 24, 31), false],
      ['ConfigMap', 'settings', 'envFrom.configMapRef', r(13, 36, 13, 44), false],
      ['Secret', 'token', 'env.valueFrom.secretKeyRef', r(18, 24, 18, 29), true],
    ]);
    assert.deepEqual(doc.sections.map((s) => s.key), ['apiVersion', 'kind', 'metadata', 'spec']);
  });

  it('keeps Flux references and paths: sourceRef, dependsOn, chartRef, valuesFrom, spec.path, components', () => {
    const f = indexFile('/r/ks.yaml', [
      'apiVersion: kustomize.toolkit.fluxcd.io/v1',
      'kind: Kustomization',
      'metadata:',
      '  name: apps',
      'spec:',
      '  path: ./apps/production',
      '  components: [../../components/alerts]',
      '  dependsOn:',
      '    - name: infra',
      '      namespace: flux-system',
      '  sourceRef:',
      '    kind: GitRepository',
      '    name: flux-system',
      '---',
      'apiVersion: helm.toolkit.fluxcd.io/v2',
      'kind: HelmRelease',
      'metadata:',
      '  name: podinfo',
      'spec:',
      '  chartRef:',
      '    kind: OCIRepository',
      '    name: podinfo',
      '  valuesFrom:',
      '    - kind: Secret',
      '      name: podinfo-values',
      '',
    ].join('\n'));
    const [ks, hr] = f.docs;
    assert.deepEqual(ks.sites.map((s) => [s.kind, s.targetKinds[0], s.name, s.namespace, s.range]), [
      ['source', 'GitRepository', 'flux-system', undefined, r(12, 10, 12, 21)],
      ['depends-on', 'Kustomization', 'infra', 'flux-system', r(8, 12, 8, 17)],
    ]);
    assert.deepEqual(ks.paths.map((p) => [p.field, p.value, p.base, p.range]), [
      ['spec.path', './apps/production', 'root', r(5, 8, 5, 25)],
      ['spec.components', '../../components/alerts', 'flux-path', r(6, 15, 6, 38)],
    ]);
    assert.deepEqual(hr.sites.map((s) => [s.kind, s.targetKinds[0], s.name, s.range]), [
      ['source', 'OCIRepository', 'podinfo', r(21, 10, 21, 17)],
      ['values-from', 'Secret', 'podinfo-values', r(24, 12, 24, 26)],
    ]);
  });

  it('indexes kustomization entries (a generator key= prefix and quotes excluded from the range), generators and Helm charts (linked to charts/<name>)', () => {
    const f = indexFile('/r/kustomization.yaml', [
      'resources:',
      '  - ../base',
      '  - https://github.com/example/app//deploy?ref=v1',
      'patches:',
      '  - path: patch.yaml',
      '  - patch: |-',
      '      - op: remove',
      '        path: /spec/replicas',
      'configMapGenerator:',
      '  - name: settings',
      '    files:',
      '      - "app.conf=conf/app.conf"',
      '    options:',
      '      disableNameSuffixHash: true',
      'secretGenerator:',
      '  - name: creds',
      '    envs: [creds.env]',
      'helmCharts:',
      '  - name: redis',
      '    releaseName: cache',
      '    valuesFile: redis-values.yaml',
      '',
    ].join('\n'));
    const k = f.docs[0];
    assert.deepEqual(k.paths.map((p) => [p.field, p.value, p.remote ?? false, p.range]), [
      ['resources', '../base', false, r(1, 4, 1, 11)],
      ['resources', 'https://github.com/example/app//deploy?ref=v1', true, r(2, 4, 2, 49)],
      ['patches', 'patch.yaml', false, r(4, 10, 4, 20)],
      ['configMapGenerator.files', 'conf/app.conf', false, r(11, 18, 11, 31)],
      ['secretGenerator.envs', 'creds.env', false, r(16, 11, 16, 20)],
      ['helmCharts.valuesFile', 'redis-values.yaml', false, r(20, 16, 20, 33)],
      ['helmCharts', 'charts/redis', false, r(18, 10, 18, 15)],
    ]);
    assert.deepEqual(k.kustomization?.generators.map((g) => [g.kind, g.name, g.hashed, g.range]), [
      ['ConfigMap', 'settings', false, r(9, 10, 9, 18)],
      ['Secret', 'creds', true, r(15, 10, 15, 15)],
    ]);
    assert.deepEqual(k.kustomization?.helmCharts.map((h) => [h.name, h.releaseName]), [['redis', 'cache']]);
  });

  it('reads ignore comments, expands List items, and keeps no Secret data', () => {
    const f = indexFile('/r/x.yaml', [
      'apiVersion: v1',
      'kind: Secret',
      'metadata:',
      '  name: s # gitops-lens-ignore workload-ref-not-found, backend-not-found',
      'data:',
      '  password: c2VjcmV0',
      '---',
      '# gitops-lens-ignore',
      'apiVersion: v1',
      'kind: ConfigMapList',
      'items:',
      '  - apiVersion: v1',
      '    kind: ConfigMap',
      '    metadata:',
      '      name: dashboards',
      '',
    ].join('\n'));
    assert.deepEqual([...f.ignores].map(([line, codes]) => [line, [...codes]]), [
      [3, ['workload-ref-not-found', 'backend-not-found']],
      [7, ['*']],
    ]);
    assert.equal(JSON.stringify(f.docs[0].value).includes('c2VjcmV0'), false, 'Secret data is never kept');
    assert.deepEqual(f.docs[1].items, [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'dashboards', nameRange: r(14, 12, 14, 22) }]);
  });
});

describe('kustomize identities (in process)', () => {
  const namespaceFile = 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: _\n';
  const cm = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n`;
  const deploy = (name: string) => `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name}\n`;

  it('applies namespace (renaming Namespace objects) and prefixes (never on Namespaces), inner kustomizations first', () => {
    const { model } = repo({
      'base/kustomization.yaml': 'namePrefix: base-\nresources: [deploy.yaml, ns.yaml]\n',
      'base/deploy.yaml': deploy('web'),
      'base/ns.yaml': namespaceFile,
      'prod/kustomization.yaml': 'namespace: shop\nnamePrefix: prod-\nnameSuffix: -v1\nresources: [../base]\nconfigMapGenerator:\n  - name: settings\n    literals: [A=1]\n',
    });
    assert.deepEqual(ids(model.build(path.join(ROOT, 'prod')).objects), [
      'Deployment shop/prod-base-web-v1',
      'Namespace /shop',
      'ConfigMap shop/prod-settings-v1 (hash)',
    ]);
  });

  it('lets a component transform what was accumulated before it, and applies Flux overrides', () => {
    const { model } = repo({
      'app/kustomization.yaml': 'resources: [deploy.yaml]\ncomponents: [../components/ns]\n',
      'app/deploy.yaml': deploy('web'),
      'components/ns/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nnamespace: tools\nresources: [ns.yaml]\n',
      'components/ns/ns.yaml': namespaceFile,
      'components/extra/kustomization.yaml': 'kind: Component\nresources: [cm.yaml]\n',
      'components/extra/cm.yaml': cm('extra'),
    });
    assert.deepEqual(ids(model.build(path.join(ROOT, 'app')).objects), ['Deployment tools/web', 'Namespace /tools']);
    const flux = model.build(path.join(ROOT, 'app'), { namespace: 'apps', namePrefix: 'x-', components: [path.join(ROOT, 'components/extra')] });
    assert.deepEqual(ids(flux.objects), ['Deployment apps/x-web', 'Namespace /apps', 'ConfigMap apps/x-extra']);
  });

  it('builds a plain folder the way Flux generates its kustomization, and redoes only what an edit touches', () => {
    const { files, model } = repo({
      'apps/a.yaml': cm('a'),
      'apps/sub/b.yaml': cm('b'),
      'apps/built/kustomization.yaml': 'namespace: built\nresources: [c.yaml]\n',
      'apps/built/c.yaml': cm('c'),
      'apps/built/ignored.yaml': cm('not-listed'),
      'other/kustomization.yaml': 'resources: [d.yaml]\n',
      'other/d.yaml': cm('d'),
    });
    const apps = path.join(ROOT, 'apps');
    assert.deepEqual(ids(model.buildGenerated(apps, { namespace: 'team' }).objects), ['ConfigMap team/c', 'ConfigMap team/a', 'ConfigMap team/b']);
    const other = model.build(path.join(ROOT, 'other'));
    files.update(path.join(ROOT, 'apps/a.yaml'), cm('renamed'));
    assert.equal(model.build(path.join(ROOT, 'other')), other, 'a build that does not read the edited file is reused');
    assert.deepEqual(ids(model.buildGenerated(apps, { namespace: 'team' }).objects), ['ConfigMap team/c', 'ConfigMap team/renamed', 'ConfigMap team/b']);
  });
});
