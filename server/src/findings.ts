/**
 * The plain result types that every engine folder produces. They mirror LSP's
 * shapes (0-based lines, UTF-16 columns) so the wiring can pass them through
 * without conversion, but they carry no dependency on any editor or protocol
 * library, which keeps the engine usable from the CLI and from plain tests.
 */

/** A zero-based position; `character` counts UTF-16 code units, as LSP does. */
export interface Position {
  line: number;
  character: number;
}

/** A half-open range in a text document. */
export interface Range {
  start: Position;
  end: Position;
}

/** How serious a finding is; maps one-to-one onto LSP's DiagnosticSeverity. */
export type Severity = 'error' | 'warning' | 'information' | 'hint';

/** Which diagnostic collection a finding belongs to. Drift has its own so it can be cleared independently. */
export type FindingSource = 'gitops-lens' | 'gitops-lens-drift';

/**
 * One problem found in one file. `code` is a stable, kebab-case identifier
 * (for example `unknown-field`, `type-mismatch`, `drift-value`), which tests,
 * quick fixes and SARIF output key on.
 */
export interface Finding {
  range: Range;
  severity: Severity;
  message: string;
  code: string;
  source: FindingSource;
  /** Extra structured data for quick fixes and hovers; never holds secret values. */
  data?: unknown;
}
