/**
 * Renders validation results for people (`file:line:col: severity: message
 * [code]`), for machines (JSON) and for code scanning (SARIF 2.1.0).
 * Lines and columns are 1-based in every format; columns count UTF-16 code
 * units, as the editor does.
 */
import type { Finding, Severity } from '../findings.js';

/** The findings of one file; `path` is as printed (relative to the working folder, forward slashes). */
export interface FileReport {
  path: string;
  findings: Finding[];
}

/** Counts per severity, and the schema coverage of the Kubernetes objects checked. */
export interface ReportSummary {
  files: number;
  errors: number;
  warnings: number;
  information: number;
  hints: number;
  /** Kubernetes objects found (each item of a List counts; kustomizations, patches and Helm files do not). */
  objects: number;
  /** How many of `objects` had a schema to be validated against. */
  objectsWithSchema: number;
}

/** Counts findings by severity; `coverage` gives the object counts (zero when not given). */
export function summarize(files: FileReport[], coverage: { objects: number; withSchema: number } = { objects: 0, withSchema: 0 }): ReportSummary {
  const s: ReportSummary = { files: files.length, errors: 0, warnings: 0, information: 0, hints: 0, objects: coverage.objects, objectsWithSchema: coverage.withSchema };
  for (const f of files) {
    for (const x of f.findings) {
      if (x.severity === 'error') s.errors++;
      else if (x.severity === 'warning') s.warnings++;
      else if (x.severity === 'information') s.information++;
      else s.hints++;
    }
  }
  return s;
}

/** `file:line:col: severity: message [code]`, one line per finding, then a summary line. */
export function formatHuman(files: FileReport[], summary = summarize(files)): string {
  const lines: string[] = [];
  for (const f of files) {
    for (const x of f.findings) {
      lines.push(`${f.path}:${x.range.start.line + 1}:${x.range.start.character + 1}: ${x.severity}: ${x.message} [${x.code}]`);
    }
  }
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  lines.push(`${plural(summary.files, 'file')} checked: ${plural(summary.errors, 'error')}, ${plural(summary.warnings, 'warning')}, ${summary.information} information.`);
  if (summary.objects > 0) lines.push(`Schema coverage: ${summary.objectsWithSchema} of ${plural(summary.objects, 'object')} (${formatPercent(summary.objectsWithSchema, summary.objects)}) had a schema.`);
  return lines.join('\n') + '\n';
}

/** `97.3%`, rounded down so that 99.96% never reads as 100%. */
export function formatPercent(part: number, whole: number): string {
  return whole === 0 ? '100%' : `${(Math.floor((part / whole) * 1000) / 10).toString()}%`;
}

/** A stable JSON document: `{ version, summary, files: [{ path, findings: [...] }] }`. */
export function formatJson(files: FileReport[], summary = summarize(files)): string {
  return JSON.stringify({
    version: 1,
    summary,
    files: files.map((f) => ({
      path: f.path,
      findings: f.findings.map((x) => ({
        line: x.range.start.line + 1,
        column: x.range.start.character + 1,
        endLine: x.range.end.line + 1,
        endColumn: x.range.end.character + 1,
        severity: x.severity,
        code: x.code,
        message: x.message,
      })),
    })),
  }, null, 2) + '\n';
}

const SARIF_LEVEL: Record<Severity, string> = { error: 'error', warning: 'warning', information: 'note', hint: 'note' };

/** Short descriptions of the rule ids, for SARIF's rule table. */
const RULES: Record<string, string> = {
  'unknown-field': 'Field not defined by the schema',
  'type-mismatch': 'Value has the wrong type',
  'missing-required': 'Required field missing',
  'invalid-enum': 'Value not among the allowed values',
  'invalid-quantity': 'Invalid resource quantity',
  'invalid-format': 'Value does not match its format',
  'invalid-name': 'Invalid object name',
  'invalid-label': 'Invalid label key or value',
  'invalid-annotation': 'Invalid annotation key',
  'unknown-kind': 'Unknown kind',
  'unknown-api-version': 'Unknown apiVersion',
  'no-schema': 'Custom resource without a schema (not validated)',
  'duplicate-key': 'Duplicate mapping key',
  'yaml-syntax': 'YAML syntax error',
};

/** SARIF 2.1.0, as GitHub code scanning and other SARIF viewers read it. */
export function formatSarif(files: FileReport[], toolVersion: string): string {
  const ruleIds = [...new Set(files.flatMap((f) => f.findings.map((x) => x.code)))].sort();
  const log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [{
      tool: {
        driver: {
          name: 'gitops-lens',
          version: toolVersion,
          informationUri: 'https://example.invalid/gitops-lens',
          rules: ruleIds.map((id) => ({ id, shortDescription: { text: RULES[id] ?? id } })),
        },
      },
      columnKind: 'utf16CodeUnits',
      originalUriBaseIds: { '%SRCROOT%': { uri: 'file:///' } },
      results: files.flatMap((f) => f.findings.map((x) => ({
        ruleId: x.code,
        ruleIndex: ruleIds.indexOf(x.code),
        level: SARIF_LEVEL[x.severity],
        message: { text: x.message },
        locations: [{
          physicalLocation: {
            artifactLocation: { uri: f.path.split('/').map(encodeURIComponent).join('/'), uriBaseId: '%SRCROOT%' },
            region: {
              startLine: x.range.start.line + 1,
              startColumn: x.range.start.character + 1,
              endLine: x.range.end.line + 1,
              endColumn: Math.max(x.range.end.character + 1, x.range.start.line === x.range.end.line ? x.range.start.character + 2 : 1),
            },
          },
        }],
      }))),
    }],
  };
  return JSON.stringify(log, null, 2) + '\n';
}
