/**
 * The live cache: list + watch of exactly the kinds (and namespaces) the
 * bound manifests contain, kept current by watch events (no polling loop).
 * Stored objects carry no managedFields and no last-applied annotation;
 * Secret values are masked on the way in. It reports per-kind sync state and
 * an overall connection state so drift can say "unknown" instead of showing
 * stale state as current.
 */
import type { ConnectionState, GroupVersionKind, KubeObject } from './cluster-types.js';
import { apiVersionOf } from './cluster-types.js';
import { ClusterRequestError, isClusterError, type ClusterClient } from './read-only-transport.js';
import { sanitizeLive } from './sanitize-live.js';
import { redact } from '../secrets/mask-secrets.js';
import { sleep } from '../util/sleep.js';

/** A watched scope: one kind in one namespace ('' = cluster-scoped or all namespaces). */
export interface WatchScope {
  gvk: GroupVersionKind;
  namespace: string;
}

/** Sync state of one scope. */
export type ScopeState =
  | { kind: 'syncing' }
  | { kind: 'synced' }
  | { kind: 'no-access'; reason: string }
  | { kind: 'not-served'; reason: string }
  | { kind: 'error'; reason: string; status: number };

/** Options of a {@link LiveCache}. */
export interface LiveCacheOptions {
  log?: (message: string) => void;
  /** First backoff after a failure; doubles up to maxBackoffMs. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Server-side watch timeout; the cache re-watches from the last resourceVersion when it ends. */
  watchTimeoutSeconds?: number;
  /**
   * A watch with no event for this long counts as disconnected (drift becomes
   * "unknown" and the scope relists). kube-apiserver sends a bookmark about
   * every minute on a healthy watch, so the default is 90 s; before, a silent
   * connection was trusted for the whole watch timeout plus a minute (6 min).
   */
  watchIdleTimeoutMs?: number;
}

/** The key of a scope. */
export function scopeKey(s: WatchScope): string {
  return `${apiVersionOf(s.gvk)}|${s.gvk.kind}|${s.namespace}`;
}

/** The key of an object in the store. */
export function objectKey(gvk: GroupVersionKind, namespace: string, name: string): string {
  return `${apiVersionOf(gvk)}|${gvk.kind}|${namespace}|${name}`;
}

interface ScopeRunner {
  scope: WatchScope;
  state: ScopeState;
  abort: AbortController;
  /** name+namespace → object of this scope. */
  objects: Map<string, KubeObject>;
  namespaced?: boolean;
}

type Listener = (e: { scope: WatchScope; object?: KubeObject; type: 'sync' | 'change' | 'state' }) => void;

/**
 * List+watch cache for one cluster connection. Call {@link setScopes} with
 * what the bound manifests need; it starts/stops watches to match.
 */
export class LiveCache {
  private readonly runners = new Map<string, ScopeRunner>();
  private readonly listeners = new Set<Listener>();
  private disposed = false;
  private lastError: ClusterRequestError | undefined;
  private readonly opts: Required<Omit<LiveCacheOptions, 'log'>> & Pick<LiveCacheOptions, 'log'>;

  constructor(
    private readonly client: ClusterClient,
    opts: LiveCacheOptions = {},
  ) {
    this.opts = { initialBackoffMs: 500, maxBackoffMs: 30_000, watchTimeoutSeconds: 300, watchIdleTimeoutMs: 90_000, ...opts };
  }

  /** Subscribes to sync, object change and state events. Returns an unsubscribe function. */
  onChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(e: Parameters<Listener>[0]): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch (err) {
        this.opts.log?.(`live cache listener failed: ${redact(String(err))}`);
      }
    }
  }

  /** Replaces the set of watched scopes: new ones start (list then watch), dropped ones stop. */
  setScopes(scopes: readonly WatchScope[]): void {
    if (this.disposed) return;
    const wanted = new Map(scopes.map((s) => [scopeKey(s), s]));
    for (const [k, r] of this.runners) {
      if (!wanted.has(k)) {
        r.abort.abort();
        this.runners.delete(k);
      }
    }
    for (const [k, s] of wanted) {
      if (this.runners.has(k)) continue;
      const r: ScopeRunner = { scope: s, state: { kind: 'syncing' }, abort: new AbortController(), objects: new Map() };
      this.runners.set(k, r);
      void this.run(r);
    }
  }

  /** The scopes currently watched. */
  scopes(): WatchScope[] {
    return [...this.runners.values()].map((r) => r.scope);
  }

  /** Sync state of a scope, or undefined when it isn't watched. */
  scopeState(scope: WatchScope): ScopeState | undefined {
    return this.runners.get(scopeKey(scope))?.state;
  }

  /** A stored (sanitized) object. */
  get(gvk: GroupVersionKind, namespace: string, name: string): KubeObject | undefined {
    for (const ns of namespace ? [namespace, ''] : ['']) {
      const r = this.runners.get(scopeKey({ gvk, namespace: ns }));
      const o = r?.objects.get(`${namespace}/${name}`);
      if (o) return o;
    }
    return undefined;
  }

  /** Number of stored objects (benchmarks, memory checks). */
  size(): number {
    let n = 0;
    for (const r of this.runners.values()) n += r.objects.size;
    return n;
  }

  /**
   * Overall connection state: connected when every scope is synced, no
   * access or not served; unreachable/unauthorized after the latest failure.
   */
  get connectionState(): ConnectionState {
    const states = [...this.runners.values()].map((r) => r.state);
    const err = states.find((s): s is Extract<ScopeState, { kind: 'error' }> => s.kind === 'error');
    if (err) return err.status === 401 ? { kind: 'unauthorized', reason: err.reason } : { kind: 'unreachable', reason: err.reason };
    if (states.some((s) => s.kind === 'syncing')) return { kind: 'connecting' };
    return { kind: 'connected' };
  }

  /** The last error seen, already redacted. */
  get lastFailure(): ClusterRequestError | undefined {
    return this.lastError;
  }

  private setState(r: ScopeRunner, s: ScopeState): void {
    r.state = s;
    this.emit({ scope: r.scope, type: 'state' });
  }

  private store(r: ScopeRunner, o: KubeObject): KubeObject {
    const clean = sanitizeLive(o);
    r.objects.set(`${clean.metadata.namespace ?? ''}/${clean.metadata.name}`, clean);
    return clean;
  }

  private async run(r: ScopeRunner): Promise<void> {
    const { gvk, namespace } = r.scope;
    const signal = r.abort.signal;
    const what = `${gvk.kind} (${apiVersionOf(gvk)})${namespace ? ` in ${namespace}` : ''}`;
    let backoff = this.opts.initialBackoffMs;
    /** Waits out the current backoff and doubles it; false when the scope was stopped meanwhile. */
    const backOff = async (): Promise<boolean> => {
      try {
        await sleep(backoff, signal);
      } catch {
        return false;
      }
      backoff = Math.min(backoff * 2, this.opts.maxBackoffMs);
      return true;
    };
    let rv = '';
    while (!signal.aborted && !this.disposed) {
      try {
        if (!rv) {
          const list = await this.client.list(gvk, namespace || undefined, { signal });
          if (signal.aborted) return;
          // A relist replaces the scope's contents, so deletes missed while disconnected disappear here.
          const before = r.objects;
          r.objects = new Map();
          for (const o of list.items) this.store(r, o);
          for (const [k, o] of before) if (!r.objects.has(k)) this.emit({ scope: r.scope, object: o, type: 'change' });
          rv = list.resourceVersion;
          this.setState(r, { kind: 'synced' });
          this.emit({ scope: r.scope, type: 'sync' });
          backoff = this.opts.initialBackoffMs;
        }
        const watchStarted = Date.now();
        let watchEvents = 0;
        await this.client.watch(
          gvk,
          namespace || undefined,
          rv,
          (ev) => {
            watchEvents++;
            if (ev.object?.metadata?.resourceVersion) rv = ev.object.metadata.resourceVersion;
            if (ev.type === 'BOOKMARK') return;
            if (ev.type === 'DELETED') {
              r.objects.delete(`${ev.object.metadata.namespace ?? ''}/${ev.object.metadata.name}`);
              this.emit({ scope: r.scope, object: sanitizeLive(ev.object), type: 'change' });
            } else {
              const clean = this.store(r, ev.object);
              this.emit({ scope: r.scope, object: clean, type: 'change' });
            }
            if (r.state.kind !== 'synced') this.setState(r, { kind: 'synced' });
          },
          signal,
          this.opts.watchTimeoutSeconds,
          this.opts.watchIdleTimeoutMs,
        );
        // The server ended the watch (timeoutSeconds, or a dropped connection): watch again from rv.
        // A watch that ends at once without events (a proxy dropping us) backs off, so it can't spin.
        if (Date.now() - watchStarted < 1000 && watchEvents === 0) {
          if (!(await backOff())) return;
        } else backoff = this.opts.initialBackoffMs;
      } catch (e) {
        if (signal.aborted || this.disposed) return;
        const err = isClusterError(e) ? (e as ClusterRequestError) : new ClusterRequestError(0, 'Error', redact(String((e as Error)?.message ?? e)));
        if (err.status === 410) {
          this.opts.log?.(`Watch of ${what} expired (410 Gone); relisting.`);
          rv = '';
          continue;
        }
        if (err.status === 403) {
          // Only the first 403 is news: a retry that is refused again changes nothing (no log, no state event).
          if (r.state.kind !== 'no-access') {
            this.opts.log?.(`No access to ${what}: ${err.message}`);
            this.setState(r, { kind: 'no-access', reason: `cannot list ${gvk.kind}${namespace ? ` in namespace ${namespace}` : ''} (403 Forbidden)` });
            r.objects.clear();
          }
          // Keep trying, slowly: a 403 is not always final (an API server that just
          // restarted answers 403 until its RBAC caches are loaded; a role may be granted later).
          if (!(await backOff())) return;
          rv = '';
          continue;
        }
        if (err.status === 404 && (err.reason === 'NotServed' || err.reason === 'NotFound') && !rv) {
          this.setState(r, { kind: 'not-served', reason: `the cluster does not serve ${apiVersionOf(gvk)} ${gvk.kind}` });
          r.objects.clear();
          return;
        }
        this.lastError = err;
        this.opts.log?.(`Live cache: ${what}: ${err.message} (retrying in ${Math.round(backoff / 100) / 10} s)`);
        this.setState(r, { kind: 'error', reason: err.message, status: err.status });
        if (!(await backOff())) return;
        // After an outage, relist: it is the only way to learn about deletes
        // that happened meanwhile, and the scope stays "error" (drift unknown)
        // until the relist succeeds.
        rv = '';
      }
    }
  }

  /** Stops every watch. */
  dispose(): void {
    this.disposed = true;
    for (const r of this.runners.values()) r.abort.abort();
    this.runners.clear();
    this.listeners.clear();
  }
}
