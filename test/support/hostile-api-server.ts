/**
 * A small fake Kubernetes API server for the hostile-server tests, and only for those: the
 * cases where the server itself is the attacker (an answer larger than V8 can hold, an
 * OpenAPI index that points the client at another host). Everything a well-behaved API
 * server does is tested against the real kube-apiserver (test/support/control-plane.ts).
 *
 * It speaks plain HTTP on a loopback port, answers discovery for core/v1 ConfigMaps and
 * Secrets, empty LISTs, watches that stay open with a bookmark, `/version`, and an empty
 * OpenAPI v3 index. A test overrides any path with {@link HostileApiServer.route}, and
 * every request (method, URL, Authorization header) is recorded.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the fake server received. */
export interface RecordedRequest {
  method: string;
  url: string;
  authorization?: string;
  at: number;
}

/** Handles a request; return false to fall through to the default answers. */
export type RouteHandler = (req: http.IncomingMessage, res: http.ServerResponse) => boolean | void;

/** A running fake API server. */
export interface HostileApiServer {
  /** `http://127.0.0.1:PORT` */
  url: string;
  requests: RecordedRequest[];
  /** Adds a handler tried before the defaults (newest first). */
  route(handler: RouteHandler): void;
  /** Writes a kubeconfig (context `hostile`, bearer `token`) for this server; `server` overrides the URL (e.g. with a path prefix). */
  writeKubeconfig(file: string, token: string, server?: string): void;
  close(): Promise<void>;
}

const CORE_V1 = {
  kind: 'APIResourceList',
  groupVersion: 'v1',
  resources: [
    { name: 'configmaps', singularName: 'configmap', namespaced: true, kind: 'ConfigMap', verbs: ['get', 'list', 'watch', 'patch'] },
    { name: 'secrets', singularName: 'secret', namespaced: true, kind: 'Secret', verbs: ['get', 'list', 'watch', 'patch'] },
    { name: 'namespaces', singularName: 'namespace', namespaced: false, kind: 'Namespace', verbs: ['get', 'list', 'watch'] },
  ],
};

function json(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function defaults(req: http.IncomingMessage, res: http.ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://fake.invalid');
  const p = url.pathname;
  if (p === '/version') return json(res, 200, { major: '1', minor: '37', gitVersion: 'v1.37.2-fake' });
  if (p === '/api') return json(res, 200, { kind: 'APIVersions', versions: ['v1'] });
  if (p === '/apis') return json(res, 200, { kind: 'APIGroupList', groups: [] });
  if (p === '/api/v1') return json(res, 200, CORE_V1);
  if (p === '/openapi/v3') return json(res, 200, { paths: {} });
  if (url.searchParams.get('watch') === 'true') {
    // A watch that stays open; a bookmark now and then keeps the client's idle timer happy.
    res.writeHead(200, { 'Content-Type': 'application/json' });
    const tick = () => res.write(`${JSON.stringify({ type: 'BOOKMARK', object: { kind: 'ConfigMap', apiVersion: 'v1', metadata: { resourceVersion: '1' } } })}\n`);
    tick();
    const t = setInterval(tick, 1000);
    res.on('close', () => clearInterval(t));
    return;
  }
  if (/^\/api\/v1\/(namespaces\/[^/]+\/)?[a-z]+$/.test(p)) return json(res, 200, { kind: 'List', apiVersion: 'v1', metadata: { resourceVersion: '1' }, items: [] });
  json(res, 404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: `${p} not found` });
}

/** Starts a fake API server on a loopback port. */
export async function startHostileApiServer(): Promise<HostileApiServer> {
  const handlers: RouteHandler[] = [];
  const requests: RecordedRequest[] = [];
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization, at: Date.now() });
    // A client that hangs up mid-answer is what several tests provoke; it must not crash the server.
    res.on('error', () => undefined);
    for (const h of handlers) if (h(req, res) !== false) return;
    defaults(req, res);
  });
  server.on('clientError', (_e, socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    route: (h) => void handlers.unshift(h),
    writeKubeconfig(file, token, serverUrl = url) {
      fs.writeFileSync(
        file,
        [
          'apiVersion: v1',
          'kind: Config',
          'current-context: hostile',
          'clusters:',
          `- name: hostile`,
          `  cluster: { server: ${JSON.stringify(serverUrl)} }`,
          'users:',
          `- name: hostile-user`,
          `  user: { token: ${JSON.stringify(token)} }`,
          'contexts:',
          `- name: hostile`,
          '  context: { cluster: hostile, user: hostile-user, namespace: default }',
          '',
        ].join('\n'),
      );
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A plain loopback HTTP listener that records what reaches it (the "other host" / the in-cluster workload). */
export async function startRecordingListener(): Promise<{ url: string; port: number; requests: RecordedRequest[]; close(): Promise<void> }> {
  const requests: RecordedRequest[] = [];
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization, at: Date.now() });
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end('{"reached":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Answers with a JSON list that never ends (1 MiB chunks) until `maxBytes` were written or the
 * client hung up; resolves the returned counter's `done` when the answer is over. What a hostile
 * or broken API server does to make a client hold more than V8 can (a string over ~512 MiB).
 */
export function endlessList(res: import('node:http').ServerResponse, maxBytes: number): { written: () => number; done: Promise<void> } {
  const item = '{"metadata":{"name":"x","namespace":"default"},"data":{"k":"' + 'v'.repeat(200) + '"}},';
  const chunk = Buffer.from(item.repeat(Math.ceil((1024 * 1024) / item.length)));
  let written = 0;
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.write('{"kind":"ConfigMapList","apiVersion":"v1","metadata":{"resourceVersion":"1"},"items":[');
  const done = new Promise<void>((resolve) => {
    const pump = () => {
      while (written < maxBytes && !res.destroyed) {
        written += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      if (!res.destroyed) res.end('{}]}');
      resolve();
    };
    res.once('close', () => resolve());
    pump();
  });
  return { written: () => written, done };
}
