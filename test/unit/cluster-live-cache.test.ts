/**
 * The live cache's state machine (list → watch, 410 → relist, failure →
 * error state + backoff + relist, 403 → no access) against a small scripted
 * HTTP server. This is a unit test of the cache's logic; the behaviour
 * against the real API server is covered by test/cluster/drift-live.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ClusterClient } from '../../server/src/cluster/read-only-transport.js';
import { LiveCache } from '../../server/src/cluster/live-cache.js';
import { until } from '../support/wait.ts';

const CM = { group: '', version: 'v1', kind: 'ConfigMap' };

function scriptedApi() {
  let rv = 10;
  const objects = new Map<string, any>();
  const watchers = new Set<http.ServerResponse>();
  const counts = { list: 0, watch: 0 };
  let mode: 'ok' | 'down' | 'forbidden' = 'ok';
  const put = (name: string, data: Record<string, string>) => {
    rv++;
    const o = { metadata: { name, namespace: 'ns', resourceVersion: String(rv), managedFields: [{ manager: 'm' }], annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' } }, data };
    objects.set(name, o);
    return o;
  };
  put('a', { k: '1' });
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    res.setHeader('Content-Type', 'application/json');
    if (url.pathname === '/version') return res.end(JSON.stringify({ gitVersion: 'v1.37.2' }));
    if (url.pathname === '/api/v1') return res.end(JSON.stringify({ resources: [{ name: 'configmaps', kind: 'ConfigMap', namespaced: true, verbs: ['list', 'watch'] }] }));
    if (mode === 'forbidden') {
      res.statusCode = 403;
      return res.end(JSON.stringify({ kind: 'Status', reason: 'Forbidden', message: 'configmaps is forbidden', code: 403 }));
    }
    if (mode === 'down') {
      res.statusCode = 503;
      return res.end(JSON.stringify({ kind: 'Status', reason: 'ServiceUnavailable', message: 'down', code: 503 }));
    }
    if (url.searchParams.get('watch') === 'true') {
      counts.watch++;
      res.writeHead(200);
      res.flushHeaders();
      watchers.add(res);
      res.on('close', () => watchers.delete(res));
      return;
    }
    counts.list++;
    res.end(JSON.stringify({ metadata: { resourceVersion: String(rv) }, items: [...objects.values()] }));
  });
  return {
    counts,
    objects,
    server,
    setMode: (m: typeof mode) => (mode = m),
    modify(name: string, data: Record<string, string>) {
      const o = put(name, data);
      for (const w of watchers) w.write(`${JSON.stringify({ type: 'MODIFIED', object: o })}\n`);
    },
    gone() {
      for (const w of watchers) w.end(`${JSON.stringify({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version' } })}\n`);
    },
    dropWatches() {
      for (const w of watchers) w.destroy();
    },
    async listen(): Promise<string> {
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    },
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

test('list then watch; stored objects carry no managedFields or last-applied; 410 relists; outage → error, then relist drops missed deletes', async () => {
  const api = scriptedApi();
  const client = ClusterClient.create({ server: await api.listen() });
  const cache = new LiveCache(client, { initialBackoffMs: 20, maxBackoffMs: 50 });
  const changes: string[] = [];
  cache.onChange((e) => e.type === 'change' && changes.push(`${e.object?.metadata.name}:${(e.object as any)?.data?.k ?? ''}`));
  try {
    const scope = { gvk: CM, namespace: 'ns' };
    cache.setScopes([scope]);
    await until('synced', () => cache.scopeState(scope)?.kind === 'synced' && api.counts.watch === 1);
    const a = cache.get(CM, 'ns', 'a')!;
    assert.equal((a as any).data.k, '1');
    assert.equal(a.metadata.managedFields, undefined);
    assert.equal(a.metadata.annotations, undefined);
    assert.deepEqual(cache.connectionState, { kind: 'connected' });

    api.modify('a', { k: '2' });
    await until('watch event applied', () => (cache.get(CM, 'ns', 'a') as any)?.data.k === '2');
    assert.deepEqual(changes, ['a:2']);

    api.gone();
    await until('relist after 410', () => api.counts.list === 2 && api.counts.watch === 2);
    assert.equal(cache.scopeState(scope)?.kind, 'synced');

    api.setMode('down');
    api.dropWatches();
    await until('error state while down', () => cache.scopeState(scope)?.kind === 'error');
    assert.equal(cache.connectionState.kind, 'unreachable');
    api.objects.delete('a');
    api.setMode('ok');
    await until('recovered', () => cache.scopeState(scope)?.kind === 'synced');
    assert.equal(cache.get(CM, 'ns', 'a'), undefined, 'a delete missed while disconnected is seen after the relist');
    assert.ok(changes.includes('a:2') && changes.length >= 2, 'the delete was emitted as a change');
    const lists = api.counts.list;
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(api.counts.list, lists, 'no polling: no list without a reason');
  } finally {
    cache.dispose();
    client.dispose();
    await api.close();
  }
});

test('403 marks the scope "no access" and stops retrying it', async () => {
  const api = scriptedApi();
  api.setMode('forbidden');
  const client = ClusterClient.create({ server: await api.listen() });
  const cache = new LiveCache(client, { initialBackoffMs: 10 });
  try {
    const scope = { gvk: CM, namespace: 'other' };
    cache.setScopes([scope]);
    await until('no access', () => cache.scopeState(scope)?.kind === 'no-access');
    assert.match((cache.scopeState(scope) as any).reason, /cannot list ConfigMap in namespace other \(403 Forbidden\)/);
    assert.deepEqual(cache.connectionState, { kind: 'connected' }, 'no access to one kind is not a connection failure');
  } finally {
    cache.dispose();
    client.dispose();
    await api.close();
  }
});

test('DriftService marks drift unknown while disconnected, never stale-as-current', async () => {
  const { DriftService } = await import('../../server/src/drift/drift-service.js');
  const fs = await import('node:fs');
  const os = await import('node:os');
  const path = await import('node:path');
  const api = scriptedApi();
  const server = await api.listen();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-lens-unknown-'));
  const kubeconfig = path.join(dir, 'config');
  fs.writeFileSync(kubeconfig, JSON.stringify({ apiVersion: 'v1', kind: 'Config', 'current-context': 'fake', clusters: [{ name: 'fake', cluster: { server } }], users: [{ name: 'u', user: { token: 't' } }], contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'u', namespace: 'ns' } }] }));
  const findings: any[][] = [];
  const service = new DriftService({
    workspaceRoot: dir,
    settings: () => ({ kubeconfig, context: '', bindings: [], ignoreDifferences: [], drift: { enable: true } }),
    trusted: true,
    approve: async () => false,
  });
  service.onFindings((_u, f) => findings.push(f));
  const text = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: "1"\n';
  try {
    await service.setDocuments('file:///x/a.yaml', text);
    await until('in sync', () => service.report('file:///x/a.yaml')?.objects[0]?.state === 'present');
    assert.deepEqual(findings.at(-1), []);
    api.setMode('down');
    api.dropWatches();
    await until('unknown while down', () => findings.at(-1)?.[0]?.code === 'drift-unknown');
    assert.match(findings.at(-1)![0].message, /^Drift unknown for ConfigMap ns\/a: disconnected from the cluster/);
    assert.equal(service.connectionState('file:///x/a.yaml').state.kind, 'unreachable');
    api.modify('a', { k: '9' });
    api.setMode('ok');
    await until('drift after reconnect', () => findings.at(-1)?.[0]?.code === 'drift-value');
    assert.match(findings.at(-1)![0].message, /^live 9, desired 1/);
  } finally {
    service.dispose();
    await api.close();
  }
});
