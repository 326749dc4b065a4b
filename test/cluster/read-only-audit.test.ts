/**
 * Read-only by construction, proven from the API server's audit log: the
 * ClusterClient (as gitops-lens-tool) reads, watches and dry-runs, and a
 * mutating request is refused before it is sent, so the server never sees it.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { NO_TEST_CLUSTER_REASON, testCluster } from '../support/control-plane.js';
import { ClusterClient, ReadOnlyViolationError } from '../../server/src/cluster/read-only-transport.js';
import { kubeconfigPaths, loadKubeconfig, transportOptionsFor } from '../../server/src/cluster/kubeconfig.js';

const cp = testCluster();

test('the cluster client only reads and dry-runs; the audit log proves it', { skip: cp ? false : NO_TEST_CLUSTER_REASON }, async () => {
  const since = Date.now();
  const ua = `gitops-lens-audit-test/${randomBytes(4).toString('hex')}`;
  const rc = loadKubeconfig(kubeconfigPaths(cp!.kubeconfigPath)).resolve('tool');
  const client = ClusterClient.create({ ...(await transportOptionsFor(rc, { trusted: true, approve: async () => false })), userAgent: ua });
  const name = `audit-${randomBytes(3).toString('hex')}`;
  try {
    assert.match(await client.serverVersion(), /^v1\./);
    const cms = { group: '', version: 'v1', kind: 'ConfigMap' };
    const list = await client.list(cms, 'default');
    const ac = new AbortController();
    const watching = client.watch(cms, 'default', list.resourceVersion, () => {}, ac.signal, 5);
    const dry = await client.dryRunApply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data: { a: 'b' } }, 'kustomize-controller');
    assert.equal(dry.metadata.name, name);
    assert.equal(await client.get(cms, 'default', name), undefined, 'the dry run created nothing');
    await assert.rejects(client.transport.request('DELETE', `/api/v1/namespaces/default/configmaps/${name}`), ReadOnlyViolationError);
    await assert.rejects(client.transport.request('POST', '/api/v1/namespaces/default/configmaps', { body: '{}' }), ReadOnlyViolationError);
    await assert.rejects(client.transport.request('PATCH', `/api/v1/namespaces/default/configmaps/${name}`, { body: '{}' }), ReadOnlyViolationError);
    const openapi = await client.openapiV3({ filter: (p) => p === 'api/v1' });
    assert.ok(openapi['api/v1']);
    const resources = await client.discover();
    assert.ok(resources.some((r) => r.kind === 'Kustomization' && r.group === 'kustomize.toolkit.fluxcd.io'));
    ac.abort();
    await watching;
    const events = await cp!.waitForAuditEvents({ user: cp!.users.tool, sinceMs: since, stage: 'any', predicate: (e) => e.raw?.userAgent === ua && e.verb === 'patch' });
    const mine = (await cp!.auditEvents({ user: cp!.users.tool, sinceMs: since, stage: 'any' })).filter((e) => e.raw?.userAgent === ua);
    assert.ok(events.length > 0 && mine.length > 5);
    const verbs = new Set(mine.map((e) => e.verb));
    for (const v of ['get', 'list', 'watch', 'patch']) assert.ok(verbs.has(v), `saw ${v}`);
    for (const e of mine) {
      const ok = ['get', 'list', 'watch'].includes(e.verb) || (e.verb === 'patch' && /[?&]dryRun=All(&|$)/.test(e.requestURI));
      assert.ok(ok, `unexpected request: ${e.verb} ${e.requestURI}`);
    }
  } finally {
    client.dispose();
  }
});
