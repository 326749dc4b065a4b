/**
 * A time budget for validating one YAML document. Validation is synchronous and runs on the
 * language server's only thread (and in the CLI's workers), so whatever a workspace schema
 * makes expensive must end in bounded time: the walker calls {@link ValidationDeadline.check}
 * as it goes, and when the budget is spent the document gets one `validation-timeout`
 * diagnostic instead of a hang. RE2 (re2-pattern.ts) already keeps each pattern linear;
 * this is the backstop for everything else.
 */

/** Default budget for one document, in milliseconds. Generous: a 5 MB document validates in about a second. */
export const DEFAULT_DOCUMENT_DEADLINE_MS = 5_000;

/** Thrown by {@link ValidationDeadline.check} once the budget is spent. */
export class ValidationDeadlineExceeded extends Error {
  constructor(readonly budgetMs: number) {
    super(`validation took longer than ${budgetMs} ms`);
    this.name = 'ValidationDeadlineExceeded';
  }
}

/** The budget of one document's validation. */
export class ValidationDeadline {
  private readonly end: number;
  private calls = 0;

  constructor(readonly budgetMs: number = DEFAULT_DOCUMENT_DEADLINE_MS) {
    this.end = Date.now() + budgetMs;
  }

  /**
   * Throws {@link ValidationDeadlineExceeded} when the budget is spent. Cheap enough to call
   * per node: the clock is read every 64 calls, and on every call with `force` (before work
   * that can be long on its own, such as a pattern on a long string).
   */
  check(force = false): void {
    if (!force && ++this.calls % 64 !== 0) return;
    if (Date.now() > this.end) throw new ValidationDeadlineExceeded(this.budgetMs);
  }
}

/** The one diagnostic a document gets when its validation ran out of time (offsets relative to the document). */
export function deadlineFinding(budgetMs: number): { start: number; end: number; severity: 'warning'; code: string; message: string } {
  return {
    start: 0,
    end: 1,
    severity: 'warning',
    code: 'validation-timeout',
    message: `Validation of this document stopped after ${Math.round(budgetMs / 100) / 10} s; findings further down are not shown. A schema in the workspace (a CRD) may be too expensive; split the document or simplify the schema.`,
  };
}
