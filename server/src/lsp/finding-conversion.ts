/**
 * Converts engine findings into LSP diagnostics. Findings already use LSP's
 * coordinates (0-based, UTF-16), so this only maps severities and keeps the
 * finding's `code` and `data` for quick fixes.
 */
import { DiagnosticSeverity, type Diagnostic } from 'vscode-languageserver/node';
import type { Finding, Severity } from '../findings.js';
import type { FindingFix } from '../protocol/protocol.js';

const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  information: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

/** One finding as an LSP diagnostic, with `source`, `code` and `data` carried over. */
export function findingToDiagnostic(finding: Finding): Diagnostic {
  const diagnostic: Diagnostic = {
    range: finding.range,
    severity: SEVERITY[finding.severity] ?? DiagnosticSeverity.Error,
    message: finding.message,
    source: finding.source,
    code: finding.code,
  };
  if (finding.data !== undefined) diagnostic.data = finding.data;
  return diagnostic;
}

/** The `fixes` of a finding's or diagnostic's data, when it carries well-formed ones. */
export function fixesOf(data: unknown): FindingFix[] | undefined {
  if (data === null || typeof data !== 'object') return undefined;
  const fixes = (data as { fixes?: unknown }).fixes;
  if (!Array.isArray(fixes)) return undefined;
  const valid = fixes.filter(
    (f): f is FindingFix =>
      f !== null && typeof f === 'object' && typeof (f as FindingFix).title === 'string' && Array.isArray((f as FindingFix).edits),
  );
  return valid.length ? valid : undefined;
}
