/**
 * Issue 18, finding 6, at the transport: an answer larger than the bound (a hostile server, or
 * a body over V8's string limit) is a clean, settled `ResponseTooLarge` error, never an
 * uncaught ERR_STRING_TOO_LONG; LISTs are paged with limit/continue as client-go does, with a
 * full relist when the continue token expired. Against the fake API server of
 * test/support/hostile-api-server.ts (the server is the attacker here).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClusterClient, ReadOnlyTransport } from '../../server/src/cluster/read-only-transport.js';
import { endlessList, startHostileApiServer } from '../support/hostile-api-server.js';

const CM = { group: '', version: 'v1', kind: 'ConfigMap' };

test('an endless answer is cut at the bound and rejected as ResponseTooLarge (HTTP/1.1 and a watch)', async () => {
  const api = await startHostileApiServer();
  let written = () => 0;
  api.route((req, res) => {
    if (!req.url?.startsWith('/api/v1/namespaces/default/configmaps')) return false;
    if (req.url.includes('watch=true')) {
      // One watch "line" that never ends.
      res.writeHead(200, { 'Content-Type': 'application/json' });
      const junk = Buffer.alloc(1024 * 1024, 0x61);
      const pump = () => {
        while (!res.destroyed) if (!res.write(junk)) return void res.once('drain', pump);
      };
      pump();
      return;
    }
    written = endlessList(res, 64 * 1024 * 1024).written;
  });
  const client = new ClusterClient(new ReadOnlyTransport({ server: api.url, maxResponseBytes: 4 * 1024 * 1024 }));
  try {
    await assert.rejects(client.list(CM, 'default'), (e: any) => e.reason === 'ResponseTooLarge' && /larger than 4 MiB/.test(e.message) && !/\bat\b.*\.ts/.test(e.message));
    assert.ok(written() < 32 * 1024 * 1024, `the client stopped reading early (server wrote ${written()} bytes)`);
    await assert.rejects(
      client.watch(CM, 'default', '1', () => undefined),
      (e: any) => e.reason === 'ResponseTooLarge',
    );
  } finally {
    client.dispose();
    await api.close();
  }
});

test('a declared Content-Length over the bound is refused without reading the body', async () => {
  const api = await startHostileApiServer();
  api.route((req, res) => {
    if (req.url !== '/version') return false;
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': String(900 * 1024 * 1024) });
    res.write('{');
  });
  const t = new ReadOnlyTransport({ server: api.url, maxResponseBytes: 1024 * 1024 });
  try {
    await assert.rejects(t.request('GET', '/version'), (e: any) => e.reason === 'ResponseTooLarge');
  } finally {
    t.dispose();
    await api.close();
  }
});

test('LIST is paged with limit and continue; an expired continue token falls back to one full list', async () => {
  const api = await startHostileApiServer();
  const names = Array.from({ length: 7 }, (_, i) => `cm-${i}`);
  let expireOnce = true;
  api.route((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== '/api/v1/namespaces/default/configmaps') return false;
    const limit = Number(url.searchParams.get('limit') ?? 0);
    const start = Number(url.searchParams.get('continue') || 0);
    if (start === 3 && expireOnce) {
      expireOnce = false;
      res.writeHead(410, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', status: 'Failure', reason: 'Expired', code: 410, message: 'The provided continue parameter is too old' }));
      return;
    }
    const slice = limit ? names.slice(start, start + limit) : names;
    const next = limit && start + limit < names.length ? String(start + limit) : undefined;
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ kind: 'ConfigMapList', metadata: { resourceVersion: '42', ...(next ? { continue: next } : {}) }, items: slice.map((name) => ({ metadata: { name, namespace: 'default' } })) }));
  });
  const client = new ClusterClient(new ReadOnlyTransport({ server: api.url }), { listPageSize: 3 });
  try {
    const first = await client.list(CM, 'default');
    assert.deepEqual(first.items.map((o) => o.metadata.name), names, 'the expired token led to one full list');
    assert.equal(first.resourceVersion, '42');
    const lists = api.requests.filter((r) => r.url.startsWith('/api/v1/namespaces/default/configmaps')).map((r) => r.url.split('?')[1] ?? '');
    assert.deepEqual(lists, ['limit=3', 'limit=3&continue=3', '']);
    const again = await client.list(CM, 'default');
    assert.deepEqual(again.items.map((o) => o.metadata.name), names);
    assert.deepEqual(
      api.requests.filter((r) => r.url.startsWith('/api/v1/namespaces/default/configmaps')).slice(3).map((r) => r.url.split('?')[1]),
      ['limit=3', 'limit=3&continue=3', 'limit=3&continue=6'],
    );
  } finally {
    client.dispose();
    await api.close();
  }
});

test('a server that pages forever is stopped by the total LIST bound', async () => {
  const api = await startHostileApiServer();
  let n = 0;
  api.route((req, res) => {
    if (!req.url?.startsWith('/api/v1/namespaces/default/configmaps')) return false;
    n++;
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ kind: 'ConfigMapList', metadata: { resourceVersion: '1', continue: `c${n}` }, items: [{ metadata: { name: `x${n}`, namespace: 'default' }, data: { pad: 'p'.repeat(10_000) } }] }));
  });
  const client = new ClusterClient(new ReadOnlyTransport({ server: api.url, maxResponseBytes: 64 * 1024, maxListBytes: 256 * 1024 }));
  try {
    await assert.rejects(client.list(CM, 'default'), (e: any) => e.reason === 'ResponseTooLarge' && /LIST/.test(e.message));
    assert.ok(n < 40, `stopped after ${n} pages`);
  } finally {
    client.dispose();
    await api.close();
  }
});
