/**
 * The read-only transport's two wire paths: single requests over one HTTP/2
 * connection when the server offers it (as kubectl does), LISTs over
 * HTTP/1.1, and a plain HTTP/1.1 fallback for servers without HTTP/2. The
 * read-only guard must hold on both paths, before any byte is sent. Local TLS
 * servers with a self-signed certificate (openssl) stand in for an API server;
 * the cluster tier runs the same paths against the real kube-apiserver.
 */
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { ReadOnlyTransport, ReadOnlyViolationError } from '../../server/src/cluster/read-only-transport.ts';
import { selfSignedCertificate } from '../support/fault-proxy.ts';

interface Seen {
  method: string;
  url: string;
  httpVersion: string;
}

type Handler = (req: http2.Http2ServerRequest | import('node:http').IncomingMessage, res: { writeHead(s: number, h: Record<string, string>): void; end(b: string): void }) => void;

/** Answers every request with a small JSON body and records the method, URL and HTTP version. */
function respond(seen: Seen[]): Handler {
  return (req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', httpVersion: req.httpVersion });
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ kind: 'ConfigMapList', items: [], metadata: { resourceVersion: '1' } }));
  };
}

async function listen(server: http2.Http2SecureServer | https.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

test('HTTP/2 when offered: GETs and dry-run PATCHes share one HTTP/2 connection, LISTs use HTTP/1.1, writes never leave', async () => {
  const { cert, key } = selfSignedCertificate();
  const seen: Seen[] = [];
  const server = http2.createSecureServer({ cert, key, allowHTTP1: true }, respond(seen) as never);
  const sessions: unknown[] = [];
  server.on('session', (s) => sessions.push(s));
  const url = await listen(server);
  const sent: string[] = [];
  const t = new ReadOnlyTransport({ server: url, ca: cert, onRequestSent: (m, p) => sent.push(`${m} ${p}`) });
  try {
    await Promise.all([
      t.request('GET', '/api/v1/namespaces/a/configmaps/x'),
      t.request('GET', '/api/v1/namespaces/a/configmaps/y'),
      t.request('PATCH', '/api/v1/namespaces/a/configmaps/x?dryRun=All&fieldManager=kustomize-controller', { body: '{}' }),
    ]);
    await t.requestJson('GET', '/api/v1/namespaces/a/configmaps', { bulk: true });
    await assert.rejects(t.request('DELETE', '/api/v1/namespaces/a/configmaps/x'), ReadOnlyViolationError);
    await assert.rejects(t.request('PATCH', '/api/v1/namespaces/a/configmaps/x', { body: '{}' }), ReadOnlyViolationError);

    assert.deepEqual(seen.filter((s) => !s.url.includes('/configmaps?') && s.url.endsWith('/configmaps')).map((s) => s.httpVersion), ['1.1'], 'the LIST went over HTTP/1.1');
    const single = seen.filter((s) => !s.url.endsWith('/configmaps'));
    assert.deepEqual(single.map((s) => s.httpVersion), ['2.0', '2.0', '2.0'], 'GETs and the dry-run PATCH went over HTTP/2');
    assert.equal(sessions.length, 1, 'one HTTP/2 connection for all of them');
    assert.ok(!seen.some((s) => s.method === 'DELETE' || (s.method === 'PATCH' && !s.url.includes('dryRun=All'))), 'no write reached the server');
    assert.equal(sent.length, seen.length, 'every request the transport sent is one the server saw');
  } finally {
    t.dispose();
    server.close();
  }
});

test('a server without HTTP/2 is spoken to over HTTP/1.1', async () => {
  const { cert, key } = selfSignedCertificate();
  const seen: Seen[] = [];
  const server = https.createServer({ cert, key }, respond(seen) as never);
  const url = await listen(server);
  const t = new ReadOnlyTransport({ server: url, ca: cert });
  try {
    await t.request('GET', '/api/v1/namespaces/a/configmaps/x');
    await t.request('PATCH', '/api/v1/namespaces/a/configmaps/x?dryRun=All', { body: '{}' });
    assert.deepEqual(seen.map((s) => `${s.method} ${s.httpVersion}`), ['GET 1.1', 'PATCH 1.1']);
  } finally {
    t.dispose();
    server.close();
    server.closeAllConnections();
  }
});
