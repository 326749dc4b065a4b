/** The proof that a server-side apply would change nothing, which lets the preview skip a dry-run. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../../server/src/cluster/cluster-types.js';
import { containedIn, provesNoOpApply } from '../../server/src/preview/no-op-apply.js';

const live: KubeObject = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: {
    name: 'web',
    namespace: 'n',
    resourceVersion: '7',
    labels: { app: 'web', team: 'x' },
    managedFields: [
      {
        manager: 'kustomize-controller',
        operation: 'Apply',
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:metadata': { 'f:labels': { 'f:app': {} } }, 'f:spec': { 'f:ports': { 'k:{"port":80,"protocol":"TCP"}': { '.': {}, 'f:port': {}, 'f:targetPort': {} } }, 'f:selector': {} } },
      },
      { manager: 'kubectl-label', operation: 'Update', fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:labels': { 'f:team': {} } } } },
    ],
  },
  spec: { clusterIP: '10.0.0.5', ports: [{ port: 80, protocol: 'TCP', targetPort: 8080 }], selector: { app: 'web' }, type: 'ClusterIP' },
};
const desired = (): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web', namespace: 'n', labels: { app: 'web' } },
  spec: { ports: [{ port: 80, targetPort: 8080 }], selector: { app: 'web' } },
});

test('containedIn: maps are subsets, lists have equal length and match by index, scalars are equal', () => {
  assert.equal(containedIn({ a: { b: 1 } }, { a: { b: 1, c: 2 }, d: 3 }), true);
  assert.equal(containedIn({ a: [{ x: 1 }] }, { a: [{ x: 1, y: 2 }] }), true);
  assert.equal(containedIn({ a: [{ x: 1 }] }, { a: [{ x: 1 }, { x: 2 }] }), false);
  assert.equal(containedIn({ a: '1' }, { a: 1 }), false);
  assert.equal(containedIn({ a: 1 }, {}), false);
});

test('an apply that sets only values the object already has, and drops nothing it owns, is a no-op', () => {
  assert.equal(provesNoOpApply(desired(), live, 'kustomize-controller'), true);
  // Another manager's field (team) and server defaults (clusterIP, protocol, type) do not matter.
  assert.equal(provesNoOpApply(desired(), live, 'someone-who-never-applied'), true);
});

test('a changed value, or a field the manager owns but no longer declares, needs the server', () => {
  const changed = desired();
  (changed.spec as { ports: Array<{ targetPort: number }> }).ports[0]!.targetPort = 9090;
  assert.equal(provesNoOpApply(changed, live, 'kustomize-controller'), false);
  const dropped = desired();
  delete dropped.metadata.labels;
  assert.equal(provesNoOpApply(dropped, live, 'kustomize-controller'), false, 'the apply would remove the app label');
  const extra = desired();
  (extra.spec as Record<string, unknown>).sessionAffinity = 'ClientIP';
  assert.equal(provesNoOpApply(extra, live, 'kustomize-controller'), false);
});

test('Secrets: stringData is compared in its stored, base64 form', () => {
  const secretLive: KubeObject = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 's', managedFields: [{ manager: 'm', operation: 'Apply', fieldsV1: { 'f:stringData': { 'f:k': {} } } }] },
    data: { k: Buffer.from('value').toString('base64') },
    type: 'Opaque',
  };
  assert.equal(provesNoOpApply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, stringData: { k: 'value' } }, secretLive, 'm'), true);
  assert.equal(provesNoOpApply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, stringData: { k: 'other' } }, secretLive, 'm'), false);
});
