/**
 * Fetches `metadata.managedFields` (who changed a drifted field) on demand, without letting a
 * busy object turn into a GET storm. The live cache stores objects without managedFields, so
 * drift asks for them per drifted object; before, it asked again for every new
 * resourceVersion, and a watch flood on 2 drifted objects made 13,447 GETs in 60 s.
 *
 * Now, per object: at most one GET in flight, at most one per `minIntervalMs` (a newer
 * resourceVersion seen meanwhile is fetched once when the interval is over, so the answer
 * converges). Across all objects a token bucket bounds the rate (`perSecond`, `burst`).
 * Pure scheduling over an injected fetch function.
 */
import type { ManagedFieldsEntry, KubeObject } from './cluster-types.js';

/** Options of a {@link ManagedFieldsFetcher}. */
export interface ManagedFieldsFetcherOptions {
  /** Least time between two GETs of the same object. Default 2 s. */
  minIntervalMs?: number;
  /** Steady GET rate across all objects. Default 5 per second. */
  perSecond?: number;
  /** GETs allowed at once after a quiet time. Default 10. */
  burst?: number;
  /** Clock, for tests. */
  now?: () => number;
}

/** What is known about one object's managers. */
export interface ManagedFieldsState {
  /** resourceVersion of the object the fields were read from ('' before the first answer). */
  rv: string;
  fields: ManagedFieldsEntry[] | undefined;
}

interface Entry extends ManagedFieldsState {
  /** The newest resourceVersion asked for. */
  wanted: string;
  fetch?: () => Promise<KubeObject | undefined>;
  /** Told when a GET answered (error: it failed); drift recomputes then. */
  onAnswered?: (error?: Error) => void;
  inFlight: boolean;
  lastStarted: number;
  timer?: NodeJS.Timeout;
  /** True once a GET answered (even with an error), so callers stop waiting. */
  answered: boolean;
}

/** Coalesced, rate-limited managedFields GETs; one instance per cluster connection. */
export class ManagedFieldsFetcher {
  private readonly entries = new Map<string, Entry>();
  private readonly minIntervalMs: number;
  private readonly perSecond: number;
  private readonly burst: number;
  private readonly now: () => number;
  private tokens: number;
  private refilledAt: number;
  private disposed = false;
  /** GETs started, for tests and logs. */
  started = 0;

  constructor(opts: ManagedFieldsFetcherOptions = {}) {
    this.minIntervalMs = opts.minIntervalMs ?? 2_000;
    this.perSecond = opts.perSecond ?? 5;
    this.burst = opts.burst ?? 10;
    this.now = opts.now ?? Date.now;
    this.tokens = this.burst;
    this.refilledAt = this.now();
  }

  /** The last fields read for `key` (maybe of an older resourceVersion), or undefined before any answer. */
  get(key: string): ManagedFieldsState | undefined {
    const e = this.entries.get(key);
    return e?.answered ? { rv: e.rv, fields: e.fields } : undefined;
  }

  /**
   * Asks for the managers of the object `key` at resourceVersion `rv`. Nothing is sent when
   * the fields of that version are known or a GET is in flight; otherwise the GET starts now,
   * or when the object's interval and the global rate allow. `onAnswered` is called when a
   * GET for it answered (with the error when it failed).
   */
  want(key: string, rv: string, fetch: () => Promise<KubeObject | undefined>, onAnswered?: (error?: Error) => void): void {
    if (this.disposed) return;
    let e = this.entries.get(key);
    if (!e) {
      e = { rv: '', fields: undefined, wanted: rv, inFlight: false, lastStarted: -Infinity, answered: false };
      this.entries.set(key, e);
    }
    e.fetch = fetch;
    e.onAnswered = onAnswered;
    e.wanted = rv;
    if (e.answered && e.rv === rv) return;
    this.schedule(key, e);
  }

  /** Forgets an object (it is no longer drifted or no longer shown). */
  forget(key: string): void {
    const e = this.entries.get(key);
    if (e?.timer) clearTimeout(e.timer);
    this.entries.delete(key);
  }

  /** Stops every pending GET timer. */
  dispose(): void {
    this.disposed = true;
    for (const e of this.entries.values()) if (e.timer) clearTimeout(e.timer);
    this.entries.clear();
  }

  private takeToken(): number {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.refilledAt) / 1000) * this.perSecond);
    this.refilledAt = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.tokens) / this.perSecond) * 1000);
  }

  private schedule(key: string, e: Entry): void {
    if (e.inFlight || e.timer || this.disposed) return;
    const sinceLast = this.now() - e.lastStarted;
    const intervalWait = Math.max(0, this.minIntervalMs - sinceLast);
    const wait = intervalWait > 0 ? intervalWait : this.takeToken();
    if (wait > 0) {
      e.timer = setTimeout(() => {
        e.timer = undefined;
        if (this.entries.get(key) === e) this.schedule(key, e);
      }, wait);
      // A pending refresh must not keep a CLI or test process alive.
      e.timer.unref?.();
      return;
    }
    this.start(key, e);
  }

  private start(key: string, e: Entry): void {
    const fetch = e.fetch;
    if (!fetch) return;
    e.inFlight = true;
    e.lastStarted = this.now();
    this.started++;
    const asked = e.wanted;
    fetch().then(
      (obj) => {
        e.inFlight = false;
        if (this.entries.get(key) !== e) return;
        e.rv = obj?.metadata?.resourceVersion ?? asked;
        e.fields = obj?.metadata?.managedFields;
        e.answered = true;
        e.onAnswered?.();
        // A newer version was seen while this GET ran: fetch once more, within the limits.
        if (e.wanted !== e.rv && e.wanted !== asked) this.schedule(key, e);
      },
      (err: unknown) => {
        e.inFlight = false;
        if (this.entries.get(key) !== e) return;
        e.rv = asked;
        e.fields = undefined;
        e.answered = true;
        e.onAnswered?.(err instanceof Error ? err : new Error(String(err)));
      },
    );
  }
}
