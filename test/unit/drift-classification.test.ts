/**
 * Drift compares only what validation classifies as Kubernetes objects
 * (kustomize patches, kustomization files and Helm chart files are not), an
 * object whose kind the cluster does not serve is "not checked" rather than
 * "missing", and a drifted Secret keeps its manager and time in the message
 * while its values stay masked.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { KubeObject } from '../../server/src/cluster/cluster-types.js';
import { computeDrift } from '../../server/src/drift/compute-drift.js';
import { desiredDocuments } from '../../server/src/drift/desired-documents.js';
import { driftHover } from '../../server/src/drift/drift-hover.js';
import { WorkspaceIndex } from '../../server/src/manifests/classify-document.js';

const podinfo = path.resolve(import.meta.dirname, '../../examples/apps/podinfo');

test('desiredDocuments with a path: a kustomize patch, the kustomization and Helm files are not objects', () => {
  const index = new WorkspaceIndex();
  const kustomization = path.join(podinfo, 'kustomization.yaml');
  index.updateFile(kustomization, fs.readFileSync(kustomization, 'utf8'));
  const patch = path.join(podinfo, 'resources-patch.yaml');
  const patchText = fs.readFileSync(patch, 'utf8');
  assert.equal(desiredDocuments(patchText).length, 1, 'without classification the patch looks like a Deployment');
  assert.deepEqual(desiredDocuments(patchText, { filePath: patch, index }), []);
  assert.deepEqual(desiredDocuments(fs.readFileSync(kustomization, 'utf8'), { filePath: kustomization, index }), []);
  const deployment = path.join(podinfo, 'deployment.yaml');
  assert.deepEqual(desiredDocuments(fs.readFileSync(deployment, 'utf8'), { filePath: deployment, index }).map((d) => `${d.kind}/${d.name}`), ['Deployment/podinfo']);

  const values = 'replicaCount: 2\nimage:\n  repository: nginx\n';
  assert.deepEqual(desiredDocuments(values, { filePath: '/repo/charts/web/values.yaml', index }), []);
  index.updateFile('/repo/charts/web/Chart.yaml', 'apiVersion: v2\nname: web\nversion: 1.0.0\n');
  const plainLookingTemplate = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n';
  assert.deepEqual(desiredDocuments(plainLookingTemplate, { filePath: '/repo/charts/web/templates/cm.yaml', index }), []);
  assert.equal(desiredDocuments(plainLookingTemplate, { filePath: '/repo/apps/cm.yaml', index }).length, 1);
});

test('a kind the cluster does not serve is "drift not checked" (information), not missing', () => {
  const text = 'apiVersion: policy/v1\nkind: PodDisruptionBudjet\nmetadata:\n  name: podinfo\nspec:\n  minAvailable: 1\n';
  const r = computeDrift({ text, documents: desiredDocuments(text), defaultNamespace: 'podinfo', lookup: () => ({ state: 'not-served' }) });
  assert.equal(r.findings.length, 1);
  const [f] = r.findings;
  assert.equal(f.code, 'drift-not-served');
  assert.equal(f.severity, 'information');
  assert.equal(f.message, 'Drift not checked: the cluster does not serve policy/v1/PodDisruptionBudjet. Check the kind and apiVersion, or install its CRD.');
  assert.deepEqual(f.range, { start: { line: 1, character: 6 }, end: { line: 1, character: 25 } }, 'on the kind');
  assert.equal(r.objects[0].state, 'not-served');
  assert.match(driftHover(r, { line: 3, character: 8 })?.markdown ?? '', /not checked \(the cluster does not serve policy\/v1\/PodDisruptionBudjet\)/);
});

test('a drifted Secret keeps the manager and time (f:stringData or f:data) but no value', () => {
  const text = 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: token\n  namespace: podinfo\ntype: Opaque\nstringData:\n  token: desired-SECRET-VALUE\n';
  const live = (fieldsV1: Record<string, unknown>, manager: string, time: string): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: { name: 'token', namespace: 'podinfo', managedFields: [{ manager, operation: 'Apply', apiVersion: 'v1', time, fieldsType: 'FieldsV1', fieldsV1 }] },
    data: { token: Buffer.from('live-SECRET-VALUE').toString('base64') },
  });
  // Applied with stringData, the server records the key under f:stringData.
  const applied = computeDrift({ text, documents: desiredDocuments(text), defaultNamespace: 'podinfo', lookup: () => ({ state: 'present', object: live({ 'f:stringData': { 'f:token': {} } }, 'kustomize-controller', '2026-11-27T05:09:00Z') }) });
  assert.equal(applied.findings.length, 1);
  assert.equal(applied.findings[0].message, 'live *** (differs), desired *** — changed by "kustomize-controller" at 05:09. Adopt the live value in the repo, or let the agent revert it.');
  // A later live edit of the same key under f:data names that manager.
  const edited = live({ 'f:data': { 'f:token': {} } }, 'kubectl-edit', '2026-11-27T05:10:00Z');
  edited.metadata.managedFields!.unshift({ manager: 'kustomize-controller', operation: 'Apply', apiVersion: 'v1', time: '2026-11-27T05:09:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:stringData': { 'f:token': {} } } });
  const r = computeDrift({ text, documents: desiredDocuments(text), defaultNamespace: 'podinfo', lookup: () => ({ state: 'present', object: edited }) });
  assert.equal(r.findings[0].message, 'live *** (differs), desired *** — changed by "kubectl-edit" at 05:10. Adopt the live value in the repo, or let the agent revert it.');
  // Same second (managedFields times have second precision): f:data holds the live value itself.
  edited.metadata.managedFields![1].time = '2026-11-27T05:09:00Z';
  const tie = computeDrift({ text, documents: desiredDocuments(text), defaultNamespace: 'podinfo', lookup: () => ({ state: 'present', object: edited }) });
  assert.match(tie.findings[0].message, /— changed by "kubectl-edit" at 05:09\. /);
  const everything = JSON.stringify(r) + JSON.stringify(applied);
  for (const secret of ['SECRET-VALUE', Buffer.from('live-SECRET-VALUE').toString('base64')]) assert.ok(!everything.includes(secret));
});
