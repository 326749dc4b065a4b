/**
 * Polling with a deadline: the only way the end-to-end tier waits. A fixed sleep either wastes
 * time on a fast machine or flakes on a slow one; a poll returns as soon as the condition holds
 * and, when it never does, fails with the last thing it saw.
 */

export interface WaitOptions {
  /** How long to keep trying, in milliseconds. */
  timeout?: number;
  /** Pause between attempts, in milliseconds. */
  interval?: number;
}

/** Thrown when a condition did not hold before its deadline; carries the last observed value. */
export class WaitTimeoutError extends Error {
  constructor(
    what: string,
    readonly lastValue: unknown,
    readonly lastError: unknown,
  ) {
    super(
      `Timed out waiting for ${what}.` +
        (lastError ? ` Last error: ${(lastError as Error).message ?? String(lastError)}.` : '') +
        (lastValue !== undefined ? ` Last value: ${describe(lastValue)}` : ''),
    );
  }
}

function describe(v: unknown): string {
  try {
    const s = typeof v === 'string' ? v : JSON.stringify(v, null, 1);
    return s.length > 2000 ? `${s.slice(0, 2000)}…` : s;
  } catch {
    return String(v);
  }
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Calls `probe` until `accept(value)` is true and returns that value. Errors thrown by `probe`
 * count as "not yet" (the workbench re-renders under us), and the last one is reported on timeout.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T> | T,
  accept: (value: T) => boolean = (v) => Boolean(v),
  { timeout = 30_000, interval = 250 }: WaitOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeout;
  let lastValue: T | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      lastValue = await probe();
      lastError = undefined;
      if (accept(lastValue)) return lastValue;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) throw new WaitTimeoutError(what, lastValue, lastError);
    await pause(interval);
  }
}

/**
 * Polls a synchronous condition (state the test can read directly, such as a
 * cache or a recorded list) until it returns a truthy value, and returns it.
 * `describeState` adds what the test knows to the timeout message.
 */
export async function until<T>(
  what: string,
  fn: () => T | undefined | null | false,
  timeout = 30_000,
  { interval = 25, describeState }: { interval?: number; describeState?: () => string } = {},
): Promise<T> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() >= deadline) throw new WaitTimeoutError(describeState ? `${what} (${describeState()})` : what, v, undefined);
    await pause(interval);
  }
}
