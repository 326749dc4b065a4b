/**
 * Drift looks up an object without metadata.namespace in the namespace
 * kustomize gives it: the `namespace:` of the kustomizations that build its
 * file (directly or through `resources: [../base]`), the outermost overlay
 * winning over its base; files no kustomization lists get none; a
 * cluster-scoped kind gets no namespace at all.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { KustomizeNamespaces } from '../../server/src/manifests/kustomize-namespaces.js';

const kustomization = (body: string) => `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n${body}`;

test('base + overlay: the outermost overlay that sets a namespace wins', () => {
  const k = new KustomizeNamespaces();
  k.updateFile('/repo/apps/base/kustomization.yaml', kustomization('namespace: base-ns\nresources:\n  - deployment.yaml\n  - service.yaml\n'));
  assert.equal(k.namespaceOf('/repo/apps/base/deployment.yaml'), 'base-ns', 'the base alone gives its own namespace');
  k.updateFile('/repo/apps/production/kustomization.yaml', kustomization('namespace: prod\nresources:\n  - ../base/\n  - extra.yaml\n'));
  assert.equal(k.namespaceOf('/repo/apps/base/deployment.yaml'), 'prod');
  assert.equal(k.namespaceOf('/repo/apps/base/service.yaml'), 'prod');
  assert.equal(k.namespaceOf('/repo/apps/production/extra.yaml'), 'prod');
  // A file in the folder that the kustomization does not list is not built by it.
  assert.equal(k.namespaceOf('/repo/apps/base/unlisted.yaml'), undefined);
  assert.equal(k.namespaceOf('/repo/elsewhere/cm.yaml'), undefined);

  // An overlay without namespace: the base's (the nearest that sets one) stays.
  k.updateFile('/repo/apps/production/kustomization.yaml', kustomization('resources:\n  - ../base\n'));
  assert.equal(k.namespaceOf('/repo/apps/base/deployment.yaml'), 'base-ns');
  // A chain of three: cluster overlay → app overlay (no namespace) → base.
  k.updateFile('/repo/clusters/prod/kustomization.yaml', kustomization('namespace: cluster-ns\nresources:\n  - ../../apps/production\n'));
  assert.equal(k.namespaceOf('/repo/apps/base/deployment.yaml'), 'cluster-ns');
  k.updateFile('/repo/clusters/prod/kustomization.yaml', undefined);
  assert.equal(k.namespaceOf('/repo/apps/base/deployment.yaml'), 'base-ns', 'a deleted kustomization is forgotten');
});

test('overlays that disagree on a shared base: the nearest kustomization decides, or none', () => {
  const k = new KustomizeNamespaces();
  k.updateFile('/repo/base/kustomization.yaml', kustomization('resources:\n  - cm.yaml\n'));
  k.updateFile('/repo/staging/kustomization.yaml', kustomization('namespace: staging\nresources:\n  - ../base\n'));
  assert.equal(k.namespaceOf('/repo/base/cm.yaml'), 'staging');
  k.updateFile('/repo/production/kustomization.yaml', kustomization('namespace: production\nresources:\n  - ../base\n'));
  assert.equal(k.namespaceOf('/repo/base/cm.yaml'), undefined, 'ambiguous and the base sets none');
  k.updateFile('/repo/base/kustomization.yaml', kustomization('namespace: base\nresources:\n  - cm.yaml\n'));
  assert.equal(k.namespaceOf('/repo/base/cm.yaml'), 'base');
});

test('cycles, remote bases and broken YAML neither hang nor throw', () => {
  const k = new KustomizeNamespaces();
  k.updateFile('/repo/a/kustomization.yaml', kustomization('namespace: a\nresources:\n  - ../b\n  - cm.yaml\n  - https://github.com/x/y//base?ref=v1\n'));
  k.updateFile('/repo/b/kustomization.yaml', kustomization('resources:\n  - ../a\n'));
  assert.equal(k.namespaceOf('/repo/a/cm.yaml'), 'a');
  k.updateFile('/repo/c/kustomization.yaml', 'namespace: [unclosed\n');
  assert.equal(k.namespaceOf('/repo/c/cm.yaml'), undefined);
  k.updateFile('/repo/c/not-a-kustomization.yaml', 'namespace: x\nresources: [cm.yaml]\n');
  assert.equal(k.namespaceOf('/repo/c/cm.yaml'), undefined, 'only kustomization files are read');
});

test('the podinfo example: its objects belong in namespace podinfo', () => {
  const podinfo = path.resolve(import.meta.dirname, '../../examples/apps/podinfo');
  const k = new KustomizeNamespaces();
  const file = path.join(podinfo, 'kustomization.yaml');
  k.updateFile(file, fs.readFileSync(file, 'utf8'));
  assert.equal(k.namespaceOf(path.join(podinfo, 'deployment.yaml')), 'podinfo');
  assert.equal(k.namespaceOf(path.join(podinfo, 'configmap.yaml')), 'podinfo');
});

test('a cluster-scoped kind gets no namespace, in the lookup and in the message', async () => {
  const { computeDrift } = await import('../../server/src/drift/compute-drift.js');
  const { desiredDocuments } = await import('../../server/src/drift/desired-documents.js');
  const text = 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: podinfo\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n';
  const asked: string[] = [];
  const report = computeDrift({
    text,
    documents: desiredDocuments(text),
    defaultNamespace: 'podinfo',
    clusterScoped: (apiVersion, kind) => apiVersion === 'v1' && kind === 'Namespace',
    lookup: (doc, namespace) => {
      asked.push(`${doc.kind}:${namespace}`);
      return { state: 'missing' };
    },
  });
  assert.deepEqual(asked, ['Namespace:', 'ConfigMap:podinfo']);
  assert.deepEqual(report.findings.map((f) => f.message.split(' is declared')[0]), ['Namespace podinfo', 'ConfigMap podinfo/cm']);
});
