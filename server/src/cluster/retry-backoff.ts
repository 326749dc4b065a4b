/**
 * How long to wait before retrying a request the API server throttled
 * (429). Many clients throttled at the same moment (every editor of a team
 * reconnecting after an API server restart) must not come back at the same
 * moment, so the exponential part is spread with "full jitter" (a random
 * wait between zero and the exponential bound). A `Retry-After` header is
 * the server's own lower bound and is honoured: the jitter is added on top
 * of it, never taken away from it.
 */

/** Options of {@link retryDelayMs}. */
export interface RetryDelayOptions {
  /** First exponential bound; doubles with each attempt. Default 1 s. */
  baseMs?: number;
  /** Upper bound of one wait, Retry-After included. Default 10 s. */
  maxMs?: number;
  /** Random source in [0, 1) (tests pass a fixed one). Default Math.random. */
  random?: () => number;
}

/**
 * The wait before retry number `attempt + 1` (attempt 0 is the first
 * retry): `min(retryAfter, max) + random × min(base × 2^attempt, max)`,
 * capped at `max`. `retryAfter` is the raw header value in seconds; a
 * missing, negative or unparsable header counts as no lower bound (an
 * HTTP-date is treated as missing, as the API server only sends seconds).
 */
export function retryDelayMs(attempt: number, retryAfter: string | string[] | undefined, opts: RetryDelayOptions = {}): number {
  const base = opts.baseMs ?? 1000;
  const max = opts.maxMs ?? 10_000;
  const random = opts.random ?? Math.random;
  const header = Number(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter);
  const floor = retryAfter !== undefined && retryAfter !== '' && Number.isFinite(header) && header >= 0 ? Math.min(header * 1000, max) : 0;
  const spread = Math.min(base * 2 ** Math.max(0, attempt), max);
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.min(floor + r * spread, Math.max(max, floor));
}
