/**
 * Issue 18, finding 4: the read-only guard decodes and checks every path segment, checks the
 * full URL (a kubeconfig server path prefix included) and refuses any URL whose origin is not
 * the kubeconfig server's. Loopback listeners count connections, so "refused before any socket"
 * is observed. The real-cluster proof (a Service proxy to a real listener) is in
 * test/cluster/security-guard-proxy.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClusterClient, ReadOnlyTransport, ReadOnlyViolationError, assertReadOnly } from '../../server/src/cluster/read-only-transport.js';
import { startHostileApiServer, startRecordingListener } from '../support/hostile-api-server.js';

test('the guard decodes every path segment: encoded slashes, encoded subresource names and dot segments are refused', () => {
  for (const p of [
    '/api/v1/namespaces/a/services/echo%2Fproxy%2Fadmin%2Fdelete-all-data',
    '/api/v1/namespaces/a/services/echo%2fproxy%2fadmin',
    '/api/v1/namespaces/a/pods/x%2Fexec?command=sh',
    '/api/v1/namespaces/a/services/x/%70roxy/',
    '/api/v1/namespaces/a/pods/x/%65xec',
    '/api/v1/namespaces/a/pods/x/%2e%2e/y',
    '/api/v1/namespaces/a/pods/x/../y',
    '/api/v1/namespaces/a/pods/x%5cexec',
    '/api/v1/namespaces/a/pods/%E0%A4%A',
  ]) {
    assert.throws(() => assertReadOnly('GET', p), ReadOnlyViolationError, p);
  }
  // Ordinary percent-encoding of other characters stays allowed (a label selector, a field selector).
  assertReadOnly('GET', '/api/v1/namespaces/a/configmaps?labelSelector=app%3Dweb');
});

test('a path that is not server-relative (//other-host, an absolute URL) is refused before any socket', async () => {
  const api = await startHostileApiServer();
  const other = await startRecordingListener();
  const t = new ReadOnlyTransport({ server: api.url, token: 'tok-guard-origin' });
  try {
    for (const p of [`//127.0.0.1:${other.port}/openapi/v3/apis/apps/v1`, `${other.url}/openapi/v3`, `http:${other.url.slice(5)}/x`, '\\\\127.0.0.1/x']) {
      await assert.rejects(t.request('GET', p), (e: Error) => e instanceof ReadOnlyViolationError && /not the kubeconfig server|server-relative/.test(e.message), p);
    }
    assert.equal(other.requests.length, 0, 'nothing reached the other host');
    assert.equal(api.requests.length, 0, 'nothing was sent at all');
  } finally {
    t.dispose();
    await api.close();
    await other.close();
  }
});

test('an OpenAPI index whose serverRelativeURL names another host never sends the token there', async () => {
  const api = await startHostileApiServer();
  const other = await startRecordingListener();
  api.route((req, res) => {
    if (req.url !== '/openapi/v3') return false;
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ paths: { 'apis/apps/v1': { serverRelativeURL: `//127.0.0.1:${other.port}/openapi/v3/apis/apps/v1?hash=1` }, 'api/v1': { serverRelativeURL: `${other.url}/openapi/v3/api/v1` } } }));
  });
  const client = ClusterClient.create({ server: api.url, token: 'tok-openapi-foreign-origin' });
  try {
    await assert.rejects(client.openapiV3(), (e: Error) => /not the kubeconfig server|server-relative/.test(e.message));
    assert.equal(other.requests.length, 0, `the other host got ${JSON.stringify(other.requests)}`);
  } finally {
    client.dispose();
    await api.close();
    await other.close();
  }
});

test('the server path prefix is part of the checked URL: a prefix through a Service proxy is refused', async () => {
  const listener = await startRecordingListener();
  const t = new ReadOnlyTransport({ server: `${listener.url}/api/v1/namespaces/default/services/echo:80/proxy`, token: 'tok-prefix' });
  try {
    await assert.rejects(t.request('GET', '/api/v1/namespaces/default/configmaps'), ReadOnlyViolationError);
    await assert.rejects(t.stream('/api/v1/namespaces/default/configmaps?watch=true', () => undefined), ReadOnlyViolationError);
    assert.equal(listener.requests.length, 0);
  } finally {
    t.dispose();
    await listener.close();
  }
  // An ordinary prefix (Rancher-style) is kept and used.
  const api = await startHostileApiServer();
  const plain = new ReadOnlyTransport({ server: `${api.url}/k8s/clusters/c-1` });
  try {
    await plain.request('GET', '/version').catch(() => undefined);
    assert.deepEqual(api.requests.map((r) => r.url), ['/k8s/clusters/c-1/version']);
  } finally {
    plain.dispose();
    await api.close();
  }
});

test('names and namespaces that are not path segments are a validation error before any request', async () => {
  const api = await startHostileApiServer();
  const client = ClusterClient.create({ server: api.url });
  const cm = { group: '', version: 'v1', kind: 'ConfigMap' };
  try {
    await client.resourcesOf('', 'v1');
    const before = api.requests.length;
    for (const [ns, name] of [
      ['default', 'echo/proxy/admin/delete-all-data'],
      ['default', '..'],
      ['default', 'a%2Fb'],
      ['a/b', 'x'],
    ]) {
      await assert.rejects(client.get(cm, ns, name), (e: any) => e.reason === 'Invalid' && /may not contain|may not be/.test(e.message), `${ns}/${name}`);
      await assert.rejects(
        client.dryRunApply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns } }, 'kustomize-controller'),
        (e: any) => e.reason === 'Invalid',
      );
    }
    assert.equal(api.requests.length, before, 'no request was sent for an invalid name');
  } finally {
    client.dispose();
    await api.close();
  }
});
