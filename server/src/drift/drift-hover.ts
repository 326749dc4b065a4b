/**
 * Hover content and quick-fix data for drift, computed from a
 * {@link DriftReport}. Pure: the LSP wiring turns the results into Hover and
 * CodeAction objects.
 */
import { stringify as yamlStringify } from 'yaml';
import type { Position, Range } from '../findings.js';
import type { KubeObject } from '../cluster/cluster-types.js';
import { parseApiVersion } from '../cluster/cluster-types.js';
import { MASK } from '../secrets/mask-secrets.js';
import { formatManagerTime } from './managed-fields.js';
import { showValue, type DriftReport, type FieldEntry, type ObjectEntry } from './compute-drift.js';

function contains(r: Range, p: Position): boolean {
  const afterStart = p.line > r.start.line || (p.line === r.start.line && p.character >= r.start.character);
  const beforeEnd = p.line < r.end.line || (p.line === r.end.line && p.character <= r.end.character);
  return afterStart && beforeEnd;
}

function size(r: Range): number {
  return (r.end.line - r.start.line) * 100000 + (r.end.character - r.start.character);
}

/** The innermost compared field whose value or key range contains the position. */
export function fieldAt(report: DriftReport, pos: Position): FieldEntry | undefined {
  let best: FieldEntry | undefined;
  for (const f of report.fields) {
    const hit = contains(f.range, pos) || (f.keyRange && contains(f.keyRange, pos));
    if (hit && (!best || size(f.range) < size(best.range))) best = f;
  }
  return best;
}

/** The object whose document contains the position. */
export function objectAt(report: DriftReport, pos: Position): ObjectEntry | undefined {
  return report.objects.find((o) => contains(o.range, pos));
}

/** A short live status summary: ready replicas, conditions, phase. Never includes Secret values (Secrets have no status). */
export function statusSummary(live: KubeObject): string[] {
  const st = (live.status ?? {}) as Record<string, unknown>;
  const lines: string[] = [];
  const spec = (live.spec ?? {}) as Record<string, unknown>;
  if (typeof st.readyReplicas === 'number' || typeof spec.replicas === 'number' || typeof st.replicas === 'number')
    lines.push(`Ready replicas: ${st.readyReplicas ?? 0}/${spec.replicas ?? st.replicas ?? 0}`);
  if (typeof st.phase === 'string') lines.push(`Phase: ${st.phase}`);
  if (typeof st.lastAppliedRevision === 'string') lines.push(`Last applied revision: ${st.lastAppliedRevision}`);
  const sync = st.sync as Record<string, unknown> | undefined;
  if (sync?.status) lines.push(`Sync: ${sync.status}${sync.revision ? ` at ${sync.revision}` : ''}`);
  const conditions = Array.isArray(st.conditions) ? (st.conditions as Array<Record<string, unknown>>) : [];
  for (const c of conditions.slice(0, 8)) lines.push(`Condition ${c.type}: ${c.status}${c.reason ? ` (${c.reason})` : ''}${c.message ? ` — ${String(c.message).slice(0, 160)}` : ''}`);
  return lines;
}

/** Hover markdown for a position, or undefined when drift has nothing to say there. */
export function driftHover(report: DriftReport, pos: Position): { markdown: string; range: Range } | undefined {
  const f = fieldAt(report, pos);
  if (f) {
    const ownerTime = f.owner ? formatManagerTime(f.owner.time) : undefined;
    const lines = [
      `**Drift** — ${f.status === 'drift' ? 'differs from the cluster' : f.status === 'ignored' ? `ignored (${f.ignoredBy})` : 'matches the cluster'}`,
      '',
      `- Desired: \`${f.masked ? MASK : showValue(f.desired)}\`${f.renderedFrom !== undefined ? ` (after kustomize overlay ${f.renderedFrom})` : ''}`,
      `- Live: \`${f.masked ? (f.liveAbsent ? '(absent)' : `${MASK} (${f.status === 'same' ? 'same' : 'differs'})`) : showValue(f.live)}\``,
      `- Manager: ${f.owner ? `\`${f.owner.manager}\`${f.owner.operation ? ` (${f.owner.operation})` : ''}${ownerTime ? ` at ${ownerTime} UTC` : ''}` : 'unknown'}`,
    ];
    return { markdown: lines.join('\n'), range: f.range };
  }
  const o = objectAt(report, pos);
  if (!o || !(contains(o.anchorRange, pos) || pos.line === o.range.start.line)) return undefined;
  const head = `**${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}**`;
  if (o.state !== 'present' || !o.live) {
    const what = o.state === 'missing' ? 'missing from the cluster' : o.state === 'not-served' ? `not checked (${o.reason})` : o.state === 'no-access' ? `no access (${o.reason})` : `unknown (${o.reason})`;
    return { markdown: `${head} — ${what}`, range: o.anchorRange };
  }
  const drifted = report.fields.filter((x) => x.docIndex === o.docIndex && x.status === 'drift').length;
  const lines = [head, '', drifted ? `${drifted} field(s) drifted from the repo.` : 'Declared fields match the cluster.', ...statusSummary(o.live).map((l) => `- ${l}`)];
  return { markdown: lines.join('\n'), range: o.anchorRange };
}

/** A text edit in the same file. */
export interface DriftTextEdit {
  range: Range;
  newText: string;
}

/** Quick fixes for one drift finding, as data; the wiring turns them into code actions. */
export type DriftQuickFix =
  | { kind: 'adopt-live'; title: string; edit: DriftTextEdit }
  | { kind: 'ignore-field'; title: string; setting: 'gitopsLens.ignoreDifferences'; entry: { group: string; kind: string; name: string; namespace?: string; jsonPointers: string[] } };

/** Renders a live value as YAML that can replace the desired value node in place (flow style for collections, so it fits on the value's line). */
export function yamlValueText(v: unknown): string {
  if (v === undefined) return 'null';
  if (v && typeof v === 'object') return JSON.stringify(v);
  return yamlStringify(v).trimEnd();
}

/** Quick fixes for drifted fields whose value range intersects `range`. Secret values are never adopted (that would put a secret in git). */
export function driftQuickFixes(report: DriftReport, range: Range): DriftQuickFix[] {
  const out: DriftQuickFix[] = [];
  for (const f of report.fields) {
    if (f.status !== 'drift') continue;
    if (!(contains(f.range, range.start) || contains(f.range, range.end) || contains(range, f.range.start))) continue;
    const o = report.objects.find((x) => x.docIndex === f.docIndex);
    if (!o) continue;
    if (!f.masked && !f.liveAbsent) out.push({ kind: 'adopt-live', title: `Adopt live value ${showValue(f.live)}`, edit: { range: f.range, newText: yamlValueText(f.live) } });
    out.push({
      kind: 'ignore-field',
      title: `Ignore ${f.pointer} of ${o.kind} ${o.name} (gitopsLens.ignoreDifferences)`,
      setting: 'gitopsLens.ignoreDifferences',
      entry: { group: parseApiVersion(o.apiVersion).group, kind: o.kind, name: o.name, namespace: o.namespace || undefined, jsonPointers: [f.pointer] },
    });
  }
  return out;
}
