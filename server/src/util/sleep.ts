/**
 * Waiting that stops on cancellation: retries and watch back-offs sleep with
 * it, so closing a folder or a request never leaves a timer behind.
 */

/** Resolves after `ms`, or rejects with `abortError()` as soon as `signal` aborts (the timer is cleared). */
export function sleep(ms: number, signal?: AbortSignal, abortError: () => unknown = () => new Error('aborted')): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError());
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(abortError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
