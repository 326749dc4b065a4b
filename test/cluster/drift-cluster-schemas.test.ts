/**
 * Schemas from the bound cluster: when the drift service connects, it hands
 * the cluster's OpenAPI v3 documents to the schema registry, so a CRD that is
 * installed only in the cluster (not in the repo, not bundled) becomes known,
 * and list-map keys come from the cluster's own schema.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { NO_TEST_CLUSTER_REASON, testCluster } from '../support/control-plane.js';
import { DriftService } from '../../server/src/drift/drift-service.js';
import { SchemaRegistry } from '../../server/src/schemas/schema-registry.js';
import { integerSizeCrd } from '../support/crd-fixtures.js';

const cp = testCluster();

test('a cluster-only CRD is known to the schema registry once the binding connects', { skip: cp ? false : NO_TEST_CLUSTER_REASON }, async () => {
  const group = `g${randomBytes(3).toString('hex')}.drift.example`;
  const crd = integerSizeCrd(group, 'Widget', 'widgets');
  const r = await cp!.kubectl(['apply', '-f', '-'], { context: 'admin', input: crd });
  assert.equal(r.code, 0, r.stderr);
  await cp!.kubectl(['wait', '--for=condition=Established', `crd/widgets.${group}`, '--timeout=30s'], { context: 'admin' });
  const registry = new SchemaRegistry();
  const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-lens-cluster-schemas-'));
  let delivered = false;
  const service = new DriftService({
    workspaceRoot: repo,
    settings: () => ({ kubeconfig: cp!.kubeconfigPath, context: 'tool', bindings: [], ignoreDifferences: [], drift: { enable: true } }),
    trusted: true,
    approve: async () => false,
    listMapKeys: (a, k, p) => registry.listMapKeys(a, k, p),
    onClusterSchemas: (context, docs) => {
      registry.setClusterSchemas(context, docs);
      delivered = true;
    },
  });
  try {
    assert.equal(registry.lookupKind(`${group}/v1`, 'Widget'), undefined, 'not bundled');
    const text = `apiVersion: ${group}/v1\nkind: Widget\nmetadata:\n  name: w\n  namespace: default\nspec:\n  size: 3\n`;
    await service.setDocuments(pathToFileURL(path.join(repo, 'w.yaml')).href, text);
    const end = Date.now() + 30_000;
    while ((!delivered || !registry.lookupKind(`${group}/v1`, 'Widget')) && Date.now() < end) await new Promise((res) => setTimeout(res, 50));
    assert.ok(registry.lookupKind(`${group}/v1`, 'Widget'), 'the cluster-only CRD is known');
    assert.deepEqual(registry.listMapKeys('apps/v1', 'Deployment', ['spec', 'template', 'spec', 'containers']), ['name']);
  } finally {
    service.dispose();
    await cp!.kubectl(['delete', `crd/widgets.${group}`, '--wait=false'], { context: 'admin' });
  }
});
