/**
 * A fault-injecting HTTPS proxy for robustness tests. It listens on a
 * loopback port with its own self-signed certificate (made with the
 * `openssl` CLI, because node:crypto cannot issue X.509 certificates) and
 * forwards every request to the real kube-apiserver of the test control
 * plane, unchanged, unless a fault rule says otherwise. Faults: drop every
 * open connection (mid-watch), refuse new connections ("down"), add latency,
 * answer 429 with Retry-After, answer 500, end a watch with a 410 Gone
 * ERROR event, or go silent (accept and never answer). Every request is
 * recorded, so a test can count what the client sent under a fault.
 *
 * The proxy only relays bytes; it never writes to the cluster by itself, so
 * the audit log and the admission policy still see exactly what the product
 * sent.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

/** What the proxy does with one request. */
export type Fault =
  | { kind: 'pass' }
  | { kind: 'latency'; ms: number }
  | { kind: 'status'; status: number; retryAfterSeconds?: number; message?: string }
  | { kind: 'gone' }
  | { kind: 'silent' };

/** One request as the proxy saw it. */
export interface ProxiedRequest {
  method: string;
  path: string;
  watch: boolean;
  at: number;
  /** What the proxy answered: the upstream status, or the injected one; 0 for silent/dropped. */
  status: number;
  fault: Fault['kind'];
}

/** Decides the fault for a request; undefined = pass through. */
export type FaultRule = (req: { method: string; path: string; watch: boolean }) => Fault | undefined;

export interface FaultProxyOptions {
  /** Upstream API server, e.g. `https://127.0.0.1:6443`. */
  upstream: string;
  /** PEM of the upstream's CA (empty: don't verify the upstream). */
  upstreamCa: string;
}

let certCache: { dir: string; cert: string; key: string } | undefined;

/** A self-signed certificate for 127.0.0.1/localhost, made once per process (the fault proxy and TLS unit tests use it). */
export function selfSignedCertificate(): { cert: string; key: string } {
  if (certCache) return certCache;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-lens-fault-proxy-'));
  const keyFile = path.join(dir, 'key.pem');
  const certFile = path.join(dir, 'cert.pem');
  try {
    execFileSync(
      'openssl',
      [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=gitops-lens-fault-proxy',
        '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
        '-addext', 'basicConstraints=critical,CA:TRUE',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
  } catch (e) {
    throw new Error(`The fault proxy needs the openssl CLI to make its certificate: ${(e as Error).message}`);
  }
  certCache = { dir, cert: fs.readFileSync(certFile, 'utf8'), key: fs.readFileSync(keyFile, 'utf8') };
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return certCache;
}

/** The fault-injecting proxy; create with {@link startFaultProxy}. */
export class FaultProxy {
  /** Every request seen, oldest first. */
  readonly requests: ProxiedRequest[] = [];
  /** The proxy's CA (= its certificate) in PEM, for a kubeconfig. */
  readonly caPem: string;
  private rule: FaultRule | undefined;
  private down = false;
  private readonly sockets = new Set<Socket>();
  private readonly upstreamAgent: https.Agent;
  private readonly upstream: URL;
  /** Concurrency seen: requests in flight now, and the maximum (watches excluded). */
  inFlight = 0;
  maxInFlight = 0;

  private constructor(
    private readonly server: https.Server,
    opts: FaultProxyOptions,
    caPem: string,
  ) {
    this.caPem = caPem;
    this.upstream = new URL(opts.upstream);
    this.upstreamAgent = new https.Agent({ keepAlive: true, ca: opts.upstreamCa || undefined, rejectUnauthorized: !!opts.upstreamCa });
  }

  /** `https://127.0.0.1:PORT` */
  get url(): string {
    return `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Sets the fault rule (undefined = pass everything through). */
  setRule(rule: FaultRule | undefined): void {
    this.rule = rule;
  }

  /** Destroys every open connection, watches included; with `stayDown` new connections are reset too until {@link up}. */
  drop(stayDown = false): void {
    if (stayDown) this.down = true;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  /** Accepts connections again after {@link drop}(true). */
  up(): void {
    this.down = false;
  }

  /** Requests since a time, optionally only watches or non-watches. */
  since(at: number, filter?: (r: ProxiedRequest) => boolean): ProxiedRequest[] {
    return this.requests.filter((r) => r.at >= at && (!filter || filter(r)));
  }

  /** Writes a kubeconfig whose context `tool` points at the proxy with the given token. */
  writeKubeconfig(file: string, token: string): string {
    const ca = Buffer.from(this.caPem).toString('base64');
    fs.writeFileSync(
      file,
      [
        'apiVersion: v1',
        'kind: Config',
        'current-context: tool',
        'clusters:',
        '- name: proxied',
        '  cluster:',
        `    server: ${this.url}`,
        `    certificate-authority-data: ${ca}`,
        'users:',
        '- name: tool',
        '  user:',
        `    token: ${token}`,
        'contexts:',
        '- name: tool',
        '  context: {cluster: proxied, user: tool}',
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    return file;
  }

  async close(): Promise<void> {
    this.drop(true);
    this.upstreamAgent.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  /** @internal */
  track(socket: Socket): void {
    if (this.down) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  }

  /** @internal */
  async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const p = req.url ?? '/';
    const watch = /[?&]watch=(true|1)/.test(p);
    const method = req.method ?? 'GET';
    const fault = this.rule?.({ method, path: p, watch }) ?? { kind: 'pass' };
    const entry: ProxiedRequest = { method, path: p, watch, at: Date.now(), status: 0, fault: fault.kind };
    this.requests.push(entry);
    if (!watch) {
      this.inFlight++;
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
      res.once('close', () => this.inFlight--);
    }
    if (fault.kind === 'silent') {
      // Read the body and never answer: the socket stays open until the client gives up or drop() runs.
      req.resume();
      return;
    }
    if (fault.kind === 'status') {
      req.resume();
      entry.status = fault.status;
      const headers: Record<string, string> = { 'Content-Type': 'application/json' };
      if (fault.retryAfterSeconds !== undefined) headers['Retry-After'] = String(fault.retryAfterSeconds);
      res.writeHead(fault.status, headers);
      res.end(
        JSON.stringify({
          kind: 'Status',
          apiVersion: 'v1',
          status: 'Failure',
          code: fault.status,
          reason: fault.status === 429 ? 'TooManyRequests' : 'InternalError',
          message: fault.message ?? `injected ${fault.status} by the fault proxy`,
        }),
      );
      return;
    }
    if (fault.kind === 'gone') {
      // What kube-apiserver does for a watch from a compacted resourceVersion: 200, then one ERROR event with a 410 Status.
      req.resume();
      entry.status = 200;
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify({
          type: 'ERROR',
          object: { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 410, reason: 'Expired', message: 'too old resource version (injected)' },
        }) + '\n',
      );
      return;
    }
    if (fault.kind === 'latency') await new Promise((r) => setTimeout(r, fault.ms));
    const headers = { ...req.headers, host: this.upstream.host };
    const up = https.request(
      { protocol: 'https:', hostname: this.upstream.hostname, port: this.upstream.port, path: p, method, headers, agent: this.upstreamAgent },
      (upRes) => {
        entry.status = upRes.statusCode ?? 0;
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
        res.once('close', () => upRes.destroy());
      },
    );
    up.on('error', () => {
      if (!res.headersSent) {
        res.writeHead(502);
        res.end();
      } else res.destroy();
    });
    res.once('close', () => up.destroy());
    req.pipe(up);
  }
}

/** Starts a fault proxy on 127.0.0.1 (random port) in front of `upstream`. */
export async function startFaultProxy(opts: FaultProxyOptions): Promise<FaultProxy> {
  const { cert, key } = selfSignedCertificate();
  let proxy!: FaultProxy;
  const server = https.createServer({ cert, key }, (req, res) => void proxy.handle(req, res));
  // Long watches must not be cut by Node's own server timeouts.
  server.requestTimeout = 0;
  server.headersTimeout = 0;
  server.keepAliveTimeout = 5000;
  proxy = new (FaultProxy as unknown as new (s: https.Server, o: FaultProxyOptions, ca: string) => FaultProxy)(server, opts, cert);
  server.on('secureConnection', (socket) => proxy.track(socket));
  server.on('connection', (socket) => {
    if ((proxy as unknown as { down: boolean }).down) socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return proxy;
}
