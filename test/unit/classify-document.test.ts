import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyDocument, isHelmTemplate, WorkspaceIndex } from '../../server/src/manifests/classify-document.js';

const obj = { value: { apiVersion: 'apps/v1', kind: 'Deployment' }, apiVersion: 'apps/v1', kind: 'Deployment' };

test('objects with apiVersion and kind are Kubernetes objects; anything else is ignored', () => {
  assert.equal(classifyDocument('/r/app/deploy.yaml', obj), 'kubernetes-object');
  assert.equal(classifyDocument('/r/app/config.yaml', { value: { foo: 1 } }), 'ignored');
  assert.equal(classifyDocument('/r/app/list.yaml', { value: [1, 2] }), 'ignored');
});

test('kustomization files are kustomizations, with or without apiVersion/kind', () => {
  assert.equal(classifyDocument('/r/app/kustomization.yaml', { value: { resources: [] } }), 'kustomization');
  assert.equal(classifyDocument('/r/app/kustomization.yml', { value: { resources: [] } }), 'kustomization');
  assert.equal(classifyDocument('/r/app/Kustomization', { value: { resources: [] } }), 'kustomization');
  assert.equal(classifyDocument('/r/app/kustomization.yaml', { value: {}, apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization' }), 'kubernetes-object');
  assert.equal(classifyDocument('/r/app/other.yaml', { value: {}, apiVersion: 'kustomize.config.k8s.io/v1alpha1', kind: 'Component' }), 'kustomization');
});

test('Helm chart files are never objects', () => {
  const index = new WorkspaceIndex();
  index.updateFile('/r/chart/Chart.yaml', 'apiVersion: v2\nname: c\nversion: 1.0.0\n');
  assert.equal(classifyDocument('/r/chart/Chart.yaml', { value: { apiVersion: 'v2' }, apiVersion: 'v2' }, index), 'helm');
  assert.equal(classifyDocument('/r/chart/values.yaml', { value: {} }, index), 'helm');
  assert.equal(classifyDocument('/r/other/values-production.yaml', { value: {} }), 'helm');
  assert.equal(classifyDocument('/r/chart/templates/deploy.yaml', obj, index), 'helm');
  assert.equal(classifyDocument('/r/chart/crds/crd.yaml', obj, index), 'helm');
  // Without the index, a templates/ file with Go template syntax is still recognized.
  assert.equal(classifyDocument('/x/templates/svc.yaml', obj, undefined, 'name: {{ .Release.Name }}'), 'helm');
  assert.equal(isHelmTemplate('/x/templates/svc.yaml', 'name: {{ .Release.Name }}'), true);
  assert.equal(isHelmTemplate('/x/templates/svc.yaml', 'name: plain'), false);
  assert.equal(isHelmTemplate('/r/chart/templates/svc.yaml', 'name: plain', index), true);
});

test('the index learns patches from kustomizations and forgets them on delete', () => {
  const index = new WorkspaceIndex();
  index.updateFile('/r/overlay/kustomization.yaml', [
    'resources: [../base]',
    'patches:',
    '  - path: replicas.yaml',
    '    target: {kind: Deployment}',
    '  - legacy-string-patch.yaml',
    'patchesStrategicMerge: [smp.yaml]',
    'patchesJson6902:',
    '  - path: ops.yaml',
    '    target: {kind: Deployment, name: web}',
    'configMapGenerator:',
    '  - name: cfg',
    '    files: [settings=config/app.yaml]',
    'transformers: [prefix.yaml]',
    'replacements: [{path: repl.yaml}]',
  ].join('\n'));
  assert.equal(classifyDocument('/r/overlay/prefix.yaml', obj, index), 'ignored');
  assert.equal(classifyDocument('/r/overlay/repl.yaml', obj, index), 'ignored');
  assert.equal(classifyDocument('/r/overlay/replicas.yaml', obj, index), 'kustomize-patch');
  assert.equal(classifyDocument('/r/overlay/legacy-string-patch.yaml', obj, index), 'kustomize-patch');
  assert.equal(classifyDocument('/r/overlay/smp.yaml', obj, index), 'kustomize-patch');
  assert.equal(index.patchKind('/r/overlay/smp.yaml'), 'strategic-merge');
  assert.equal(index.patchKind('/r/overlay/ops.yaml'), 'json6902');
  assert.equal(classifyDocument('/r/overlay/config/app.yaml', obj, index), 'ignored');
  assert.equal(classifyDocument('/r/base/deploy.yaml', obj, index), 'kubernetes-object');
  index.updateFile('/r/overlay/kustomization.yaml', undefined);
  assert.equal(classifyDocument('/r/overlay/replicas.yaml', obj, index), 'kubernetes-object');
});

test('broken kustomizations do not throw', () => {
  const index = new WorkspaceIndex();
  assert.doesNotThrow(() => index.updateFile('/r/kustomization.yaml', 'patches: [\n'));
  assert.doesNotThrow(() => index.updateFile('/r/kustomization.yaml', '\u0000'));
});
