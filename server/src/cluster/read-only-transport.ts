/**
 * THE one HTTP layer that talks to Kubernetes API servers. Every request the
 * product makes to a cluster goes through {@link ReadOnlyTransport.request} or
 * {@link ReadOnlyTransport.stream}, and both call {@link assertReadOnly} before
 * a socket is opened, so GitOps Lens cannot change a cluster even by mistake:
 * only GET (get, list, watch) and PATCH with `dryRun=All` leave this module.
 */
import * as https from 'node:https';
import * as http from 'node:http';
import * as http2 from 'node:http2';
import * as net from 'node:net';
import * as tls from 'node:tls';
import type {
  ClusterError,
  GroupVersionKind,
  KubeList,
  KubeObject,
  ResourceInfo,
  WatchEvent,
} from './cluster-types.js';
import { apiVersionOf, parseApiVersion } from './cluster-types.js';
import { redact } from '../secrets/mask-secrets.js';
import { retryDelayMs } from './retry-backoff.js';
import { Limiter } from '../util/concurrency.js';
import { sleep } from '../util/sleep.js';

/** Thrown (synchronously inside the returned promise chain, before any I/O) for any request that could change a cluster. */
export class ReadOnlyViolationError extends Error {
  readonly status = 0;
  readonly reason = 'ReadOnlyViolation';
  constructor(method: string, path: string) {
    super(
      `GitOps Lens never changes a cluster: refused to send ${method} ${path.split('?')[0]}. ` +
        'Only GET/LIST/WATCH and PATCH with dryRun=All are allowed.',
    );
    this.name = 'ReadOnlyViolationError';
  }
}

/** An API or transport error, safe to show: it carries no token and no Secret value. */
export class ClusterRequestError extends Error implements ClusterError {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(redact(message));
    this.name = 'ClusterRequestError';
  }
}

/** True when a value is a {@link ClusterError}-shaped error (transport or guard). */
export function isClusterError(e: unknown): e is ClusterError & Error {
  return !!e && typeof e === 'object' && typeof (e as ClusterError).status === 'number' && typeof (e as ClusterError).reason === 'string';
}

/** Subresources that open interactive or proxied channels; GET on them can still act on workloads, so they are refused too. */
const FORBIDDEN_SUBRESOURCES = new Set(['exec', 'attach', 'portforward', 'proxy']);

/**
 * The read-only guard. Allowed: GET on anything but exec/attach/portforward/proxy,
 * and PATCH whose query has `dryRun=All` (every dryRun parameter must be All).
 * Everything else throws {@link ReadOnlyViolationError}.
 */
export function assertReadOnly(method: string, path: string): void {
  const m = method.toUpperCase();
  const url = new URL(path, 'https://guard.invalid');
  const segments = url.pathname.split('/').filter(Boolean);
  if (segments.some((s) => FORBIDDEN_SUBRESOURCES.has(s))) throw new ReadOnlyViolationError(m, path);
  if (m === 'GET') return;
  if (m === 'PATCH') {
    const dryRun = url.searchParams.getAll('dryRun');
    if (dryRun.length > 0 && dryRun.every((v) => v === 'All')) return;
  }
  throw new ReadOnlyViolationError(m, path);
}

/** How to reach and authenticate to one API server; produced by kubeconfig.ts. */
export interface TransportOptions {
  /** e.g. `https://127.0.0.1:6443` (a path prefix is kept). */
  server: string;
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  /** A static bearer token, or a provider (exec plugins, token files) asked before each request; `refresh` is true after a 401. */
  token?: string | ((refresh: boolean) => Promise<string | undefined>);
  insecureSkipTlsVerify?: boolean;
  tlsServerName?: string;
  /** Per-request timeout for non-watch requests. Default 15 s. */
  timeoutMs?: number;
  /** Requests in flight at once (watches excluded). Default 8. */
  maxConcurrency?: number;
  /** Retries after 429. Default 3. */
  maxRetries?: number;
  /** Upper bound on one Retry-After wait. Default 10 s. */
  maxRetryAfterMs?: number;
  /**
   * First bound of the random wait added to Retry-After after a 429 (it
   * doubles per attempt; see retry-backoff.ts). Default 250 ms.
   */
  retryJitterMs?: number;
  userAgent?: string;
  /**
   * Send requests other than watches and LISTs over one multiplexed HTTP/2 connection when
   * the server offers HTTP/2 (ALPN), as kubectl does; HTTP/1.1 keep-alive sockets otherwise.
   * Default true.
   */
  http2?: boolean;
  /** Test hook: counts requests actually sent (after the guard). */
  onRequestSent?: (method: string, path: string) => void;
}

interface RequestInit {
  body?: string;
  contentType?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
  /**
   * A potentially large answer (a LIST): sent over HTTP/1.1, which Node reads faster than
   * HTTP/2 for megabytes of JSON; HTTP/2 pays off for many small requests, not for a big body.
   */
  bulk?: boolean;
}

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function abortError(): ClusterRequestError {
  return new ClusterRequestError(0, 'Cancelled', 'The request was cancelled.');
}

/** `promise`, or a cancellation error as soon as `signal` aborts (the promise itself keeps running). */
function withAbort<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(abortError());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/** Maps a transport-level failure (no HTTP response) to a clear, safe error. */
function transportError(err: NodeJS.ErrnoException, server: string): ClusterRequestError {
  const code = err.code ?? '';
  if (code === 'ECONNREFUSED') return new ClusterRequestError(0, 'Unreachable', `Cannot connect to ${server}: connection refused. Is the cluster running and the kubeconfig server address right?`);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new ClusterRequestError(0, 'Unreachable', `Cannot resolve the host of ${server}. Check the network or VPN.`);
  if (code === 'ETIMEDOUT' || code === 'ECONNRESET' || code === 'EPIPE') return new ClusterRequestError(0, 'Unreachable', `The connection to ${server} failed (${code}).`);
  if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/i.test(code) || /certificate/i.test(err.message))
    return new ClusterRequestError(0, 'TLSError', `TLS verification of ${server} failed (${code || err.message}). Check certificate-authority in the kubeconfig.`);
  return new ClusterRequestError(0, 'Unreachable', `Request to ${server} failed: ${err.message}`);
}

/** Turns an error response into a ClusterRequestError using the API's Status object when there is one. */
function statusError(res: RawResponse): ClusterRequestError {
  let reason = http.STATUS_CODES[res.status]?.replace(/\s+/g, '') ?? 'Error';
  let message = `The API server answered ${res.status}.`;
  try {
    const st = JSON.parse(res.body) as { reason?: string; message?: string };
    if (st.reason) reason = st.reason;
    if (st.message) message = st.message;
  } catch {
    if (res.body) message = `${message} ${res.body.slice(0, 300)}`;
  }
  if (res.status === 401) message = `Unauthorized: the credentials of this kubeconfig user were rejected (expired or invalid token?). ${message}`;
  if (res.status === 429) message = `The API server is throttling requests (429). ${message}`;
  return new ClusterRequestError(res.status, reason, message);
}

/**
 * One TLS context (CA store, client certificate) for all sockets of a transport. Without it
 * Node builds a new context, parsing the CA and key again, for every socket it opens, which
 * costs milliseconds each when many requests start at once. When the material is unusable
 * the agent gets none, so the error surfaces on the first request as before.
 */
function secureContextFor(opts: TransportOptions): { secureContext?: tls.SecureContext } {
  if (!opts.ca && !opts.cert && !opts.key) return {};
  try {
    return { secureContext: tls.createSecureContext({ ca: opts.ca, cert: opts.cert, key: opts.key }) };
  } catch {
    return {};
  }
}

/**
 * The read-only HTTP client. It owns one keep-alive agent per server and
 * applies the guard, timeouts, cancellation, concurrency bound and 429
 * handling to every request.
 */
export class ReadOnlyTransport {
  private readonly agent: https.Agent | http.Agent;
  /** TLS options shared by the HTTP/1.1 agent and the HTTP/2 connection. */
  private readonly tlsOptions: tls.ConnectionOptions;
  /** The HTTP/2 connection being used or set up; undefined when there is none yet or it closed. */
  private h2?: Promise<http2.ClientHttp2Session | undefined>;
  /** Set once the server answered the ALPN offer without HTTP/2: HTTP/1.1 from then on. */
  private h2Unavailable: boolean;
  private readonly base: URL;
  private readonly semaphore: Limiter;
  private readonly opts: Required<Pick<TransportOptions, 'timeoutMs' | 'maxRetries' | 'maxRetryAfterMs'>> & TransportOptions;

  constructor(opts: TransportOptions) {
    this.opts = { timeoutMs: 15_000, maxRetries: 3, maxRetryAfterMs: 10_000, ...opts };
    this.base = new URL(opts.server);
    this.semaphore = new Limiter(opts.maxConcurrency ?? 8);
    const agentOpts = {
      keepAlive: true,
      maxSockets: (opts.maxConcurrency ?? 8) + 16,
    };
    this.tlsOptions = {
      ca: opts.ca,
      cert: opts.cert,
      key: opts.key,
      ...secureContextFor(opts),
      rejectUnauthorized: !opts.insecureSkipTlsVerify,
      servername: opts.tlsServerName,
    };
    this.agent = this.base.protocol === 'http:' ? new http.Agent(agentOpts) : new https.Agent({ ...agentOpts, ...this.tlsOptions });
    this.h2Unavailable = this.base.protocol !== 'https:' || opts.http2 === false;
  }

  /** The server URL, for messages. */
  get server(): string {
    return this.base.origin + this.base.pathname.replace(/\/$/, '');
  }

  /** Closes pooled sockets and the HTTP/2 connection. */
  dispose(): void {
    this.agent.destroy();
    const h2 = this.h2;
    this.h2 = undefined;
    h2?.then((session) => session?.destroy(), () => undefined);
  }

  /** Sends one request (guarded) and returns the parsed JSON body; errors become {@link ClusterRequestError}. */
  async requestJson<T>(method: 'GET' | 'PATCH', path: string, init: RequestInit = {}): Promise<T> {
    const res = await this.request(method, path, init);
    try {
      return JSON.parse(res.body) as T;
    } catch {
      throw new ClusterRequestError(res.status, 'InvalidResponse', `The API server sent a response that is not JSON for ${path.split('?')[0]}.`);
    }
  }

  /** Sends one guarded request with retries on 429 and one credential refresh on 401. */
  async request(method: string, path: string, init: RequestInit = {}): Promise<RawResponse> {
    assertReadOnly(method, path);
    let refreshed = false;
    for (let attempt = 0; ; attempt++) {
      const release = await this.semaphore.acquire(init.signal, abortError);
      let res: RawResponse;
      try {
        res = await this.once(method, path, init, refreshed);
      } finally {
        release();
      }
      if (res.status >= 200 && res.status < 300) return res;
      if (res.status === 401 && !refreshed && typeof this.opts.token === 'function') {
        refreshed = true;
        continue;
      }
      if (res.status === 429 && attempt < this.opts.maxRetries) {
        // Retry-After is the server's floor; the random part keeps throttled clients from coming back together.
        await sleep(retryDelayMs(attempt, res.headers['retry-after'], { baseMs: this.opts.retryJitterMs ?? 250, maxMs: this.opts.maxRetryAfterMs }), init.signal, abortError);
        continue;
      }
      throw statusError(res);
    }
  }

  private async headers(init: RequestInit, refresh: boolean): Promise<Record<string, string>> {
    const h: Record<string, string> = {
      Accept: 'application/json',
      'User-Agent': this.opts.userAgent ?? 'gitops-lens',
    };
    const tok = typeof this.opts.token === 'function' ? await this.opts.token(refresh) : this.opts.token;
    if (tok) h.Authorization = `Bearer ${tok.trim()}`;
    if (init.body !== undefined) {
      h['Content-Type'] = init.contentType ?? 'application/json';
      h['Content-Length'] = String(Buffer.byteLength(init.body));
    }
    return h;
  }

  private url(path: string): URL {
    const prefix = this.base.pathname.replace(/\/$/, '');
    return new URL(prefix + path, this.base.origin);
  }

  /**
   * The HTTP/2 connection, set up on first use and shared by all requests. Resolves undefined
   * when the server does not offer HTTP/2 (HTTP/1.1 is used from then on); rejects with the
   * connection's own error, which callers map like an HTTP/1.1 socket error. A connection that
   * closes (server restart, GOAWAY, network) is forgotten, and the next request connects anew.
   */
  private http2Session(timeoutMs: number): Promise<http2.ClientHttp2Session | undefined> {
    if (this.h2) return this.h2;
    const p = new Promise<http2.ClientHttp2Session | undefined>((resolve, reject) => {
      const host = this.base.hostname.replace(/^\[|\]$/g, '');
      const socket = tls.connect({
        ...this.tlsOptions,
        host,
        port: Number(this.base.port || 443),
        // SNI as the HTTP/1.1 agent sends it: the configured name, else the host unless it is an IP address.
        servername: this.opts.tlsServerName ?? (net.isIP(host) ? undefined : host),
        ALPNProtocols: ['h2', 'http/1.1'],
      });
      // A server that accepts the connection but never completes the handshake must not stall every later request.
      const timer = setTimeout(() => socket.destroy(Object.assign(new Error('TLS handshake timed out'), { code: 'ETIMEDOUT' })), timeoutMs);
      const failed = (e: Error) => {
        clearTimeout(timer);
        reject(e);
      };
      socket.once('error', failed);
      socket.once('secureConnect', () => {
        clearTimeout(timer);
        socket.off('error', failed);
        if (socket.alpnProtocol !== 'h2') {
          this.h2Unavailable = true;
          socket.destroy();
          resolve(undefined);
          return;
        }
        const session = http2.connect(this.base.origin, {
          createConnection: () => socket,
          // Large LIST answers must not wait for window updates every 64 KiB.
          settings: { initialWindowSize: 8 * 1024 * 1024, maxFrameSize: 1024 * 1024 },
        });
        const forget = () => {
          if (this.h2 === p) this.h2 = undefined;
        };
        session.on('error', forget);
        session.on('goaway', forget);
        session.on('close', forget);
        session.once('connect', () => session.setLocalWindowSize(32 * 1024 * 1024));
        // Idle, the connection must not keep a CLI process alive; each request's timer does while it runs.
        session.unref();
        resolve(session);
      });
    });
    this.h2 = p;
    p.catch(() => {
      if (this.h2 === p) this.h2 = undefined;
    });
    return p;
  }

  /**
   * Arms a request's timer (`delayMs`; the message names `timeoutMs`) and its abort signal, for
   * HTTP/2 and HTTP/1.1 alike: either one cancels the request and rejects. Returns the cleanup
   * to call once the request settled.
   */
  private cancelOnTimeoutOrAbort(delayMs: number, timeoutMs: number, signal: AbortSignal | undefined, cancel: () => void, reject: (e: Error) => void): () => void {
    const timer = setTimeout(() => {
      cancel();
      cleanup();
      reject(new ClusterRequestError(0, 'Timeout', `The API server at ${this.server} did not answer within ${Math.round(timeoutMs / 1000)} s.`));
    }, delayMs);
    const onAbort = () => {
      cancel();
      cleanup();
      reject(abortError());
    };
    const cleanup = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    return cleanup;
  }

  /** One request over HTTP/2; undefined when the server does not speak it (the caller uses HTTP/1.1). */
  private async onceHttp2(method: string, path: string, url: URL, headers: Record<string, string>, init: RequestInit, timeoutMs: number): Promise<RawResponse | undefined> {
    const started = Date.now();
    let session: http2.ClientHttp2Session | undefined;
    // The connection this request uses; only it may be forgotten on failure, not a newer one
    // another request opened meanwhile.
    let pending = this.http2Session(timeoutMs);
    const forget = () => {
      if (this.h2 === pending) this.h2 = undefined;
    };
    try {
      session = await withAbort(pending, init.signal);
      // A connection that closed since it was handed out is replaced once.
      if (session && (session.closed || session.destroyed)) {
        forget();
        pending = this.http2Session(timeoutMs);
        session = await withAbort(pending, init.signal);
      }
    } catch (e) {
      if (e instanceof ClusterRequestError) throw e;
      throw transportError(e as NodeJS.ErrnoException, this.server);
    }
    if (!session) return undefined;
    const live = session;
    const remaining = Math.max(1, timeoutMs - (Date.now() - started));
    return new Promise<RawResponse>((resolve, reject) => {
      const h2headers: http2.OutgoingHttpHeaders = { ':method': method, ':path': url.pathname + url.search };
      for (const [k, v] of Object.entries(headers)) h2headers[k.toLowerCase()] = v;
      let req: http2.ClientHttp2Stream;
      try {
        this.opts.onRequestSent?.(method, path);
        req = live.request(h2headers, { endStream: init.body === undefined });
      } catch (e) {
        forget();
        reject(transportError(e as NodeJS.ErrnoException, this.server));
        return;
      }
      let status = 0;
      let responseHeaders: http.IncomingHttpHeaders = {};
      const chunks: Buffer[] = [];
      req.on('response', (h) => {
        status = Number(h[':status'] ?? 0);
        responseHeaders = h as http.IncomingHttpHeaders;
      });
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        cleanup();
        resolve({ status, headers: responseHeaders, body: Buffer.concat(chunks).toString('utf8') });
      });
      req.on('error', (e) => {
        cleanup();
        reject(transportError(e as NodeJS.ErrnoException, this.server));
      });
      // A stream reset without an error (the connection went away) must not leave the request hanging.
      req.on('close', () => {
        cleanup();
        reject(transportError(Object.assign(new Error('the stream was closed before the answer ended'), { code: 'ECONNRESET' }), this.server));
      });
      const cleanup = this.cancelOnTimeoutOrAbort(remaining, timeoutMs, init.signal, () => req.close(http2.constants.NGHTTP2_CANCEL), reject);
      if (init.body !== undefined) req.end(init.body);
    });
  }

  private async once(rawMethod: string, path: string, init: RequestInit, refresh: boolean): Promise<RawResponse> {
    // The guard runs again here, at the last point before a socket, so no future caller can bypass it;
    // the method sent is exactly the one checked.
    const method = rawMethod.toUpperCase();
    assertReadOnly(method, path);
    if (init.signal?.aborted) throw abortError();
    const headers = await this.headers(init, refresh);
    const url = this.url(path);
    const lib = url.protocol === 'http:' ? http : https;
    const timeoutMs = init.timeoutMs ?? this.opts.timeoutMs;
    if (!this.h2Unavailable && !init.bulk) {
      const res = await this.onceHttp2(method, path, url, headers, init, timeoutMs);
      if (res) return res;
    }
    return new Promise<RawResponse>((resolve, reject) => {
      this.opts.onRequestSent?.(method, path);
      const req = lib.request(url, { method, headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          cleanup();
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', (e) => {
          cleanup();
          reject(transportError(e as NodeJS.ErrnoException, this.server));
        });
      });
      const cleanup = this.cancelOnTimeoutOrAbort(timeoutMs, timeoutMs, init.signal, () => req.destroy(), reject);
      req.on('error', (e) => {
        cleanup();
        reject(transportError(e as NodeJS.ErrnoException, this.server));
      });
      if (init.body !== undefined) req.write(init.body);
      req.end();
    });
  }

  /**
   * Opens a streaming GET (a watch) and calls `onLine` for each line of the
   * body. Resolves when the server ends the stream, rejects on an HTTP error
   * or transport failure; aborting the signal resolves quietly. A watch gets
   * no request timeout (it is long-lived by design) but a connect timeout and
   * an idle timeout: a silent server is treated as a disconnect.
   */
  async stream(path: string, onLine: (line: string) => void, signal?: AbortSignal, idleTimeoutMs = 90_000): Promise<void> {
    assertReadOnly('GET', path);
    if (signal?.aborted) return;
    const headers = await this.headers({}, false);
    // A watch cancelled while its credentials were fetched (a live cache disposed at that
    // moment) must not be opened: nobody would ever close it.
    if (signal?.aborted) return;
    const url = this.url(path);
    const lib = url.protocol === 'http:' ? http : https;
    return new Promise<void>((resolve, reject) => {
      assertReadOnly('GET', path);
      this.opts.onRequestSent?.('GET', path);
      let idle: NodeJS.Timeout | undefined;
      let settled = false;
      const finish = (err?: Error) => {
        if (settled) return;
        settled = true;
        if (idle) clearTimeout(idle);
        signal?.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve();
      };
      const bump = () => {
        if (idle) clearTimeout(idle);
        idle = setTimeout(() => {
          req.destroy();
          finish(new ClusterRequestError(0, 'Timeout', `The watch on ${this.server} went silent for ${Math.round(idleTimeoutMs / 1000)} s.`));
        }, idleTimeoutMs);
      };
      const req = lib.request(url, { method: 'GET', headers, agent: this.agent }, (res) => {
        const status = res.statusCode ?? 0;
        if (status < 200 || status >= 300) {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => finish(statusError({ status, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') })));
          return;
        }
        bump();
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          bump();
          buf += chunk;
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl).trim();
            buf = buf.slice(nl + 1);
            if (line) {
              try {
                onLine(line);
              } catch (e) {
                req.destroy();
                finish(e as Error);
                return;
              }
            }
          }
        });
        res.on('end', () => {
          if (buf.trim()) {
            try {
              onLine(buf.trim());
            } catch (e) {
              return finish(e as Error);
            }
          }
          finish();
        });
        res.on('error', (e) => finish(signal?.aborted ? undefined : transportError(e as NodeJS.ErrnoException, this.server)));
        res.on('close', () => finish());
      });
      const onAbort = () => {
        req.destroy();
        finish();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      bump();
      req.on('error', (e) => finish(signal?.aborted ? undefined : transportError(e as NodeJS.ErrnoException, this.server)));
      req.end();
    });
  }
}

/** Options for {@link ClusterClient.list} and friends. */
export interface CallOptions {
  signal?: AbortSignal;
}

/**
 * The typed Kubernetes client every feature uses (drift, preview, bindings,
 * schemas). It only knows read operations and server-side-apply dry-run; the
 * transport underneath refuses anything else.
 */
export class ClusterClient {
  private readonly groupVersions = new Map<string, Promise<ResourceInfo[]>>();

  constructor(readonly transport: ReadOnlyTransport) {}

  /** Convenience constructor from transport options. */
  static create(opts: TransportOptions): ClusterClient {
    return new ClusterClient(new ReadOnlyTransport(opts));
  }

  dispose(): void {
    this.transport.dispose();
  }

  /** `GET /version` → gitVersion, e.g. `v1.37.2`. */
  async serverVersion(opts: CallOptions = {}): Promise<string> {
    const v = await this.transport.requestJson<{ gitVersion?: string }>('GET', '/version', opts);
    return v.gitVersion ?? 'unknown';
  }

  /** The resources of one group-version, from discovery (cached; failures are not cached). */
  resourcesOf(group: string, version: string, opts: CallOptions = {}): Promise<ResourceInfo[]> {
    const gv = apiVersionOf({ group, version });
    let p = this.groupVersions.get(gv);
    if (!p) {
      const path = group ? `/apis/${group}/${version}` : `/api/${version}`;
      p = this.transport
        .requestJson<{ resources?: Array<{ name: string; kind: string; namespaced: boolean; verbs?: string[] }> }>('GET', path, opts)
        .then((list) =>
          (list.resources ?? [])
            .filter((r) => !r.name.includes('/'))
            .map((r) => ({ group, version, kind: r.kind, resource: r.name, namespaced: r.namespaced, verbs: r.verbs ?? [] })),
        );
      this.groupVersions.set(gv, p);
      p.catch(() => this.groupVersions.delete(gv));
    }
    return p;
  }

  /** Full API discovery: every served resource of every group-version. */
  async discover(opts: CallOptions = {}): Promise<ResourceInfo[]> {
    const groups = await this.transport.requestJson<{ groups?: Array<{ name: string; versions: Array<{ version: string }> }> }>('GET', '/apis', opts);
    const gvs: Array<[string, string]> = [['', 'v1']];
    for (const g of groups.groups ?? []) for (const v of g.versions) gvs.push([g.name, v.version]);
    const all = await Promise.all(gvs.map(([g, v]) => this.resourcesOf(g, v, opts).catch(() => [] as ResourceInfo[])));
    return all.flat();
  }

  /**
   * The ResourceInfo for a kind, or undefined when the cluster doesn't serve
   * it (a CRD not installed). Discovery 404 also means "not served".
   */
  async resourceFor(gvk: GroupVersionKind, opts: CallOptions = {}): Promise<ResourceInfo | undefined> {
    try {
      const list = await this.resourcesOf(gvk.group, gvk.version, opts);
      return list.find((r) => r.kind === gvk.kind);
    } catch (e) {
      if (isClusterError(e) && e.status === 404) return undefined;
      throw e;
    }
  }

  private async pathFor(gvk: GroupVersionKind, namespace: string | undefined, name?: string, opts: CallOptions = {}): Promise<string> {
    const info = await this.resourceFor(gvk, opts);
    if (!info) throw new ClusterRequestError(404, 'NotServed', `The cluster does not serve ${apiVersionOf(gvk)} ${gvk.kind}. Is its CRD installed?`);
    const root = gvk.group ? `/apis/${gvk.group}/${gvk.version}` : `/api/${gvk.version}`;
    const ns = info.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
    return `${root}${ns}/${info.resource}${name ? `/${encodeURIComponent(name)}` : ''}`;
  }

  /** GET one object; resolves undefined on 404. managedFields are kept (callers strip them when storing). */
  async get(gvk: GroupVersionKind, namespace: string | undefined, name: string, opts: CallOptions = {}): Promise<KubeObject | undefined> {
    const path = await this.pathFor(gvk, namespace, name, opts);
    try {
      return await this.transport.requestJson<KubeObject>('GET', path, opts);
    } catch (e) {
      if (isClusterError(e) && e.status === 404) return undefined;
      throw e;
    }
  }

  /** GET one object including metadata.managedFields (what drift needs to name the manager). */
  getWithManagedFields(gvk: GroupVersionKind, namespace: string | undefined, name: string, opts: CallOptions = {}): Promise<KubeObject | undefined> {
    return this.get(gvk, namespace, name, opts);
  }

  /** LIST a kind in a namespace (or cluster-wide when namespace is undefined). Items get apiVersion and kind filled in. */
  async list(gvk: GroupVersionKind, namespace?: string, opts: CallOptions = {}): Promise<KubeList> {
    const path = await this.pathFor(gvk, namespace, undefined, opts);
    const res = await this.transport.requestJson<{ items?: KubeObject[]; metadata?: { resourceVersion?: string } }>('GET', path, { ...opts, bulk: true });
    const apiVersion = apiVersionOf(gvk);
    const items = (res.items ?? []).map((o) => ({ ...o, apiVersion, kind: gvk.kind }));
    return { items, resourceVersion: res.metadata?.resourceVersion ?? '' };
  }

  /**
   * WATCH a kind from a resourceVersion. Calls `onEvent` per event, resolves
   * when the server closes the stream (the caller re-watches from the last
   * resourceVersion it saw), and rejects with status 410 when the
   * resourceVersion is too old (the caller relists).
   */
  async watch(
    gvk: GroupVersionKind,
    namespace: string | undefined,
    resourceVersion: string,
    onEvent: (event: WatchEvent) => void,
    signal?: AbortSignal,
    timeoutSeconds = 300,
    /** A watch that sends nothing for this long is treated as a disconnect. Default: timeoutSeconds + 60 s. */
    idleTimeoutMs?: number,
  ): Promise<void> {
    const base = await this.pathFor(gvk, namespace, undefined, { signal });
    const q = new URLSearchParams({ watch: 'true', allowWatchBookmarks: 'true', timeoutSeconds: String(timeoutSeconds) });
    if (resourceVersion) q.set('resourceVersion', resourceVersion);
    const apiVersion = apiVersionOf(gvk);
    await this.transport.stream(
      `${base}?${q}`,
      (line) => {
        const ev = JSON.parse(line) as WatchEvent;
        if (ev.type === 'ERROR') {
          const st = ev.object as unknown as { code?: number; reason?: string; message?: string };
          throw new ClusterRequestError(st.code ?? 500, st.reason ?? 'WatchError', st.message ?? 'The watch failed.');
        }
        if (ev.object && ev.type !== 'BOOKMARK') ev.object = { ...ev.object, apiVersion, kind: gvk.kind };
        onEvent(ev);
      },
      signal,
      idleTimeoutMs ?? (timeoutSeconds + 60) * 1000,
    );
  }

  /**
   * Server-side apply in dry-run mode: what the object would become. Used by
   * preview; `dryRun=All` is in the URL, which is what the transport checks.
   */
  async dryRunApply(obj: KubeObject, fieldManager: string, opts: CallOptions = {}): Promise<KubeObject> {
    const gvk = { ...parseApiVersion(obj.apiVersion), kind: obj.kind };
    const name = obj.metadata?.name;
    if (!name) throw new ClusterRequestError(0, 'Invalid', `${obj.kind} has no metadata.name.`);
    const path = await this.pathFor(gvk, obj.metadata.namespace, name, opts);
    const q = new URLSearchParams({ dryRun: 'All', fieldManager, force: 'true' });
    return this.transport.requestJson<KubeObject>('PATCH', `${path}?${q}`, {
      ...opts,
      body: JSON.stringify(obj),
      contentType: 'application/apply-patch+yaml',
    });
  }

  /** `/openapi/v3`: the index of group-version documents, then each document. Returns a map of path (e.g. `apis/apps/v1`) to document. */
  async openapiV3(opts: CallOptions & { filter?: (path: string) => boolean } = {}): Promise<Record<string, unknown>> {
    const index = await this.transport.requestJson<{ paths?: Record<string, { serverRelativeURL: string }> }>('GET', '/openapi/v3', opts);
    const out: Record<string, unknown> = {};
    const entries = Object.entries(index.paths ?? {}).filter(([p]) => !opts.filter || opts.filter(p));
    await Promise.all(
      entries.map(async ([p, ref]) => {
        out[p] = await this.transport.requestJson<unknown>('GET', ref.serverRelativeURL, opts);
      }),
    );
    return out;
  }
}
