/**
 * The read-only guard and the transport's failure handling. A loopback
 * server counts TCP connections, so "rejected before any socket is opened"
 * is observed, not assumed. The audit-log proof against the real API server
 * is in test/cluster/read-only-audit.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ClusterClient, ReadOnlyTransport, ReadOnlyViolationError, assertReadOnly } from '../../server/src/cluster/read-only-transport.js';

async function countingServer(handler: (req: http.IncomingMessage, res: http.ServerResponse) => void) {
  let connections = 0;
  let requests = 0;
  const server = http.createServer((req, res) => {
    requests++;
    handler(req, res);
  });
  server.on('connection', () => connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    get connections() {
      return connections;
    },
    get requests() {
      return requests;
    },
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

test('the guard allows GET and PATCH with dryRun=All only', () => {
  assertReadOnly('GET', '/api/v1/namespaces/a/pods');
  assertReadOnly('GET', '/apis/apps/v1/deployments?watch=true&resourceVersion=1');
  assertReadOnly('PATCH', '/apis/apps/v1/namespaces/a/deployments/x?dryRun=All&fieldManager=f&force=true');
  for (const [m, p] of [
    ['POST', '/api/v1/namespaces/a/configmaps'],
    ['PUT', '/api/v1/namespaces/a/configmaps/x'],
    ['DELETE', '/api/v1/namespaces/a/configmaps/x'],
    ['PATCH', '/api/v1/namespaces/a/configmaps/x'],
    ['PATCH', '/api/v1/namespaces/a/configmaps/x?dryRun=All&dryRun=None'],
    ['PATCH', '/api/v1/namespaces/a/configmaps/x?dryrun=All'],
    ['GET', '/api/v1/namespaces/a/pods/x/exec?command=sh'],
    ['GET', '/api/v1/namespaces/a/services/x/proxy/'],
  ]) {
    assert.throws(() => assertReadOnly(m, p), ReadOnlyViolationError, `${m} ${p}`);
  }
});

test('a non-GET/non-dry-run request throws before any socket is opened', async () => {
  const srv = await countingServer((_req, res) => res.end('{}'));
  const t = new ReadOnlyTransport({ server: srv.url, token: 'tok-abcdef' });
  try {
    for (const m of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      await assert.rejects(t.request(m, '/api/v1/namespaces/a/configmaps/x', { body: '{}' }), (e: Error) => {
        assert.ok(e instanceof ReadOnlyViolationError);
        assert.match(e.message, /never changes a cluster: refused to send/);
        return true;
      });
    }
    assert.equal(srv.connections, 0, 'no connection was opened for a refused request');
    await t.request('GET', '/version');
    await t.request('PATCH', '/apis/apps/v1/namespaces/a/deployments/x?dryRun=All', { body: '{}' });
    assert.equal(srv.requests, 2);
  } finally {
    t.dispose();
    await srv.close();
  }
});

test('429 is honoured with Retry-After and a capped number of retries', async () => {
  const srv = await countingServer((_req, res) => {
    res.writeHead(429, { 'Retry-After': '0', 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ kind: 'Status', reason: 'TooManyRequests', message: 'slow down', code: 429 }));
  });
  const t = new ReadOnlyTransport({ server: srv.url, maxRetries: 3, retryJitterMs: 5 });
  try {
    await assert.rejects(t.request('GET', '/api/v1/pods'), (e: any) => e.status === 429 && e.reason === 'TooManyRequests');
    assert.equal(srv.requests, 4, 'one request plus three retries, no storm');
  } finally {
    t.dispose();
    await srv.close();
  }
});

test('429: the retry never comes sooner than Retry-After asks', async () => {
  const arrivals: number[] = [];
  const srv = await countingServer((_req, res) => {
    arrivals.push(Date.now());
    res.writeHead(429, { 'Retry-After': '1', 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ kind: 'Status', reason: 'TooManyRequests', message: 'slow down', code: 429 }));
  });
  const t = new ReadOnlyTransport({ server: srv.url, maxRetries: 1, retryJitterMs: 5 });
  try {
    await assert.rejects(t.request('GET', '/api/v1/pods'), (e: any) => e.status === 429);
    assert.equal(arrivals.length, 2);
    assert.ok(arrivals[1] - arrivals[0] >= 1000, `retried after ${arrivals[1] - arrivals[0]} ms, before the 1 s Retry-After`);
  } finally {
    t.dispose();
    await srv.close();
  }
});

test('timeouts, cancellation and concurrency bound', async () => {
  let inFlight = 0;
  let maxInFlight = 0;
  const srv = await countingServer((req, res) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    const delay = req.url?.includes('slow') ? 5000 : 50;
    const t = setTimeout(() => {
      inFlight--;
      res.end('{}');
    }, delay);
    res.on('close', () => {
      clearTimeout(t);
      if (!res.writableEnded) inFlight--;
    });
  });
  const t = new ReadOnlyTransport({ server: srv.url, maxConcurrency: 2, timeoutMs: 300 });
  try {
    await assert.rejects(t.request('GET', '/slow'), (e: any) => e.reason === 'Timeout' && /did not answer within/.test(e.message));
    const ac = new AbortController();
    const p = t.request('GET', '/slow', { signal: ac.signal, timeoutMs: 10_000 });
    setTimeout(() => ac.abort(), 50);
    await assert.rejects(p, (e: any) => e.reason === 'Cancelled');
    maxInFlight = 0;
    await Promise.all(Array.from({ length: 6 }, () => t.request('GET', '/fast')));
    assert.ok(maxInFlight <= 2, `at most 2 in flight, saw ${maxInFlight}`);
  } finally {
    t.dispose();
    await srv.close();
  }
});

test('errors map to ClusterError and never include the token', async () => {
  const srv = await countingServer((req, res) => {
    res.writeHead(401, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ kind: 'Status', reason: 'Unauthorized', message: `bad token ${req.headers.authorization}`, code: 401 }));
  });
  const t = new ReadOnlyTransport({ server: srv.url, token: 'super-secret-token-value-123' });
  try {
    await assert.rejects(t.request('GET', '/api'), (e: any) => {
      assert.equal(e.status, 401);
      assert.equal(e.reason, 'Unauthorized');
      assert.ok(!e.message.includes('super-secret-token-value-123'), e.message);
      return true;
    });
  } finally {
    t.dispose();
    await srv.close();
  }
  const dead = new ReadOnlyTransport({ server: 'http://127.0.0.1:1', timeoutMs: 2000 });
  await assert.rejects(dead.request('GET', '/version'), (e: any) => e.status === 0 && e.reason === 'Unreachable');
  dead.dispose();
});

test('ClusterClient.dryRunApply sends PATCH with dryRun=All, fieldManager and force', async () => {
  const seen: string[] = [];
  const srv = await countingServer((req, res) => {
    seen.push(`${req.method} ${req.url} ${req.headers['content-type'] ?? ''}`);
    res.setHeader('Content-Type', 'application/json');
    if (req.url === '/api/v1') return res.end(JSON.stringify({ resources: [{ name: 'configmaps', kind: 'ConfigMap', namespaced: true, verbs: ['get'] }] }));
    res.end(JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }));
  });
  const c = ClusterClient.create({ server: srv.url });
  try {
    await c.dryRunApply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'a' } }, 'kustomize-controller');
    assert.equal(seen[1], 'PATCH /api/v1/namespaces/a/configmaps/x?dryRun=All&fieldManager=kustomize-controller&force=true application/apply-patch+yaml');
  } finally {
    c.dispose();
    await srv.close();
  }
});

test('a watch cancelled while its credentials are fetched is never opened', async () => {
  const srv = await countingServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
  });
  let release!: (token: string) => void;
  let asked!: () => void;
  const tokenAsked = new Promise<void>((r) => (asked = r));
  const t = new ReadOnlyTransport({
    server: srv.url,
    token: () => {
      asked();
      return new Promise<string>((r) => (release = r));
    },
  });
  try {
    const abort = new AbortController();
    const watching = t.stream('/api/v1/configmaps?watch=true', () => undefined, abort.signal);
    await tokenAsked;
    abort.abort();
    release('token');
    await watching;
    assert.equal(srv.requests, 0, 'the cancelled watch did not reach the server');
  } finally {
    t.dispose();
    await srv.close();
  }
});
