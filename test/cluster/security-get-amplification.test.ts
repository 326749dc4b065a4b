/**
 * Issue 18, finding 9 against the real control plane: a watch flood (hundreds of new
 * resourceVersions per object) on two drifted ConfigMaps made the drift service send one
 * managedFields GET per new resourceVersion (13,447 GETs in 60 s). Now the GETs are coalesced
 * per object and rate-limited: the audit log counts them, and the drift finding still names
 * the manager at the end.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { NO_TEST_CLUSTER_REASON, testCluster } from '../support/control-plane.js';
import { kubectlAsAdmin } from '../support/drift-cli-helpers.js';
import { DriftService } from '../../server/src/drift/drift-service.js';
import type { Finding } from '../../server/src/findings.js';
import { until } from '../support/wait.ts';

const cp = testCluster();

test('a watch flood on two drifted objects causes a bounded number of managedFields GETs', { skip: cp ? false : NO_TEST_CLUSTER_REASON }, async () => {
  const NS = `get-flood-${randomBytes(3).toString('hex')}`;
  const UA = `gitops-lens-get-flood/${randomBytes(4).toString('hex')}`;
  const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-lens-get-flood-'));
  const file = path.join(repo, 'cms.yaml');
  const desired = ['a', 'b'].map((n) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: flood-${n}\n  namespace: ${NS}\ndata:\n  level: "1"\n`).join('---\n');
  fs.writeFileSync(file, desired);
  const uri = pathToFileURL(file).href;
  let findings: Finding[] = [];
  const service = new DriftService({
    workspaceRoot: repo,
    settings: () => ({ kubeconfig: cp!.kubeconfigPath, context: 'tool', bindings: [], ignoreDifferences: [], drift: { enable: true } }),
    trusted: true,
    approve: async () => false,
    userAgent: UA,
  });
  service.onFindings((u, f) => u === uri && (findings = f));
  try {
    await kubectlAsAdmin(cp!, ['create', 'namespace', NS]);
    await kubectlAsAdmin(cp!, ['apply', '--server-side', '--field-manager=kustomize-controller', '-f', '-'], desired);
    for (const n of ['a', 'b']) {
      await kubectlAsAdmin(cp!, ['patch', 'configmap', `flood-${n}`, '-n', NS, '--type=merge', '--field-manager=kubectl-edit', '-p', '{"data":{"level":"2"}}']);
    }
    await service.setDocuments(uri, desired);
    await until('both drifts with their manager', () => findings.filter((f) => f.code === 'drift-value' && /changed by "kubectl-edit"/.test(f.message)).length === 2, 30_000);

    // The flood: new resourceVersions on both objects as fast as the API server takes them, for 12 s.
    const floodStart = Date.now();
    let updates = 0;
    while (Date.now() - floodStart < 12_000 && updates < 4000) {
      await Promise.all(
        ['a', 'b'].map((n) =>
          cp!.api('PATCH', `/api/v1/namespaces/${NS}/configmaps/flood-${n}?fieldManager=flooder`, {
            body: { metadata: { annotations: { tick: String(updates) } } },
            contentType: 'application/merge-patch+json',
          }),
        ),
      );
      updates += 2;
    }
    const floodMs = Date.now() - floodStart;
    // After the flood, the last versions are fetched once and the manager is still named.
    await until('drifts still name their manager', () => findings.filter((f) => f.code === 'drift-value' && /changed by "kubectl-edit"/.test(f.message)).length === 2, 30_000);
    const events = await cp!.waitForAuditEvents({ user: cp!.users.tool, sinceMs: floodStart, predicate: (e) => e.raw?.userAgent === UA && e.verb === 'get' && e.objectRef?.resource === 'configmaps' });
    const gets = events.filter((e) => e.raw?.userAgent === UA && e.verb === 'get' && e.objectRef?.resource === 'configmaps' && e.objectRef?.namespace === NS).length;
    console.log(`[reliability] watch flood: ${updates} updates on 2 drifted objects in ${floodMs} ms → ${gets} managedFields GETs`);
    // 2 objects, at most one GET per object every 2 s, plus the trailing one each.
    assert.ok(gets <= 2 * (Math.ceil(floodMs / 2000) + 3), `${gets} GETs for ${updates} updates in ${floodMs} ms`);
    assert.ok(updates >= 100, `the flood made ${updates} updates`);
  } finally {
    service.dispose();
    await cp?.kubectl(['delete', 'namespace', NS, '--wait=false'], { context: 'admin' });
    fs.rmSync(repo, { recursive: true, force: true });
  }
});
