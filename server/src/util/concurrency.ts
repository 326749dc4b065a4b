/**
 * The one concurrency limiter of the engine. Rendering bounds file reads and
 * kustomize/helm processes with it, the plan bounds its cluster round trips,
 * and the read-only transport bounds requests in flight, so a big workspace
 * never floods the disk, the CPU or the API server.
 */

/** A counting limiter: at most `limit` holders of a slot at once, served in arrival order. */
export class Limiter {
  private waiters: Array<() => void> = [];
  private active = 0;
  constructor(private readonly limit: number) {}

  /**
   * Waits for a slot and returns its release function (calling it twice is
   * harmless). When `signal` aborts while waiting, rejects with `abortError()`
   * (default: the signal's reason) and gives up its place in the queue.
   */
  async acquire(signal?: AbortSignal, abortError: () => unknown = () => signal?.reason): Promise<() => void> {
    if (this.active >= this.limit) {
      await new Promise<void>((resolve, reject) => {
        const go = () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        const onAbort = () => {
          this.waiters = this.waiters.filter((w) => w !== go);
          reject(abortError());
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        this.waiters.push(go);
      });
    } else this.active++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      if (next) next();
      else this.active--;
    };
  }

  /** Runs `fn` when a slot is free and frees it when `fn` settles. */
  async run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const release = await this.acquire(signal);
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

/**
 * Maps `items` through `fn` with at most `limit` calls in flight and returns
 * the results in the order of `items` (rendering must be deterministic even
 * though reads and builds overlap). Stops starting new calls once `signal` aborts.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>, signal?: AbortSignal): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      signal?.throwIfAborted();
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}
