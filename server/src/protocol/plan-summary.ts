/**
 * The presentation of a plan that every face shares: counts per action, the
 * binding → namespace → kind → object grouping of the "GitOps Plan" tree, and
 * the Markdown summary a person pastes into a pull request (the client's
 * "GitOps: Copy Plan Summary" and `gitops-lens preview --output markdown`).
 *
 * Pure and free of `vscode` and of server-only code, so the client bundles it
 * by relative path like protocol.ts and node:test covers it directly. It only
 * rearranges what the plan already holds: entry diffs arrive with Secret
 * values masked by the engine, and free text is passed through the caller's
 * `redact` when one is given.
 */
import type { PlanAction, PlanEntry } from './protocol.js';

/** The order actions are listed in everywhere: what needs attention first, unchanged last. */
export const PLAN_ACTIONS: readonly PlanAction[] = ['error', 'create', 'update', 'prune', 'unchanged'];

/** The fields of a plan the presentation reads; both the protocol `Plan` and the engine's `PreviewResult` fit. */
export interface PlanForSummary {
  entries: readonly PlanEntry[];
  counts?: Record<PlanAction, number>;
  notes?: readonly string[];
  /** The kubeconfig context the plan was computed against. */
  context?: string;
  createdAt?: string;
}

/** Counts per action of some entries. */
export function countEntries(entries: Iterable<Pick<PlanEntry, 'action'>>): Record<PlanAction, number> {
  const counts: Record<PlanAction, number> = { create: 0, update: 0, prune: 0, unchanged: 0, error: 0 };
  for (const e of entries) counts[e.action]++;
  return counts;
}

/**
 * Non-zero counts in {@link PLAN_ACTIONS} order, e.g. `1 create · 1 update · 1 unchanged`
 * (`error` is pluralised as "errors" when more than one); "no objects" when all are zero.
 */
export function formatCounts(counts: Record<PlanAction, number>, separator = ' · '): string {
  const parts = PLAN_ACTIONS.filter((a) => counts[a] > 0).map((a) => `${counts[a]} ${a === 'error' && counts[a] > 1 ? 'errors' : a}`);
  return parts.length ? parts.join(separator) : 'no objects';
}

/** The one-line summary used in text output and pull request comments. */
export function planSummaryLine(counts: Record<PlanAction, number>): string {
  return `${counts.create} to create, ${counts.update} to update, ${counts.prune} to prune, ${counts.unchanged} unchanged, ${counts.error} errors`;
}

/**
 * A readable binding label. The engine names bindings `Kustomization <ns>/<name>`
 * (Flux) or `Application <ns>/<name>` (Argo CD); they read as
 * `flux-system/podinfo (Flux) → context tool`. Objects outside any binding are
 * `unbound → context tool`; any other label is kept as it is.
 */
export function describeBinding(binding: string | undefined, context?: string): string {
  const b = binding?.trim() || 'unbound';
  const m = /^(Kustomization|Application) (\S+)$/.exec(b);
  const name = m ? `${m[2]} (${m[1] === 'Kustomization' ? 'Flux' : 'Argo CD'})` : b;
  return context ? `${name} → context ${context}` : name;
}

/** `Kind namespace/name`, or `Kind name` for cluster-scoped objects. */
export function objectLabel(e: Pick<PlanEntry, 'kind' | 'namespace' | 'name'>): string {
  return `${e.kind} ${e.namespace ? `${e.namespace}/` : ''}${e.name}`;
}

/** One object of the grouped plan, with its index in `plan.entries` (the index preview document URIs use). */
export interface PlanObjectNode {
  type: 'object';
  id: string;
  index: number;
  entry: PlanEntry;
}

/** A kind inside a namespace. */
export interface PlanKindGroup {
  type: 'kind';
  id: string;
  kind: string;
  counts: Record<PlanAction, number>;
  /** True when every object is unchanged: the tree shows the group collapsed. */
  allUnchanged: boolean;
  children: PlanObjectNode[];
}

/** A namespace inside a binding; `namespace` is undefined for cluster-scoped objects. */
export interface PlanNamespaceGroup {
  type: 'namespace';
  id: string;
  namespace: string | undefined;
  label: string;
  counts: Record<PlanAction, number>;
  allUnchanged: boolean;
  children: PlanKindGroup[];
}

/** A binding (the agent object that deploys the objects, and the context it deploys to). */
export interface PlanBindingGroup {
  type: 'binding';
  id: string;
  binding: string | undefined;
  label: string;
  counts: Record<PlanAction, number>;
  allUnchanged: boolean;
  children: PlanNamespaceGroup[];
}

/** Label of the namespace group of cluster-scoped objects. */
export const CLUSTER_SCOPED_LABEL = '(cluster-scoped)';

/**
 * Groups a plan's entries by binding → namespace → kind → object, each level
 * sorted by name, objects sorted by action ({@link PLAN_ACTIONS}) then name.
 * Every entry appears exactly once: unchanged objects are grouped, never dropped.
 */
export function groupPlan(plan: PlanForSummary): PlanBindingGroup[] {
  const tree = new Map<string, Map<string, Map<string, PlanObjectNode[]>>>();
  plan.entries.forEach((entry, index) => {
    const b = entry.binding ?? '';
    const ns = entry.namespace ?? '';
    const byNs = tree.get(b) ?? new Map<string, Map<string, PlanObjectNode[]>>();
    tree.set(b, byNs);
    const byKind = byNs.get(ns) ?? new Map<string, PlanObjectNode[]>();
    byNs.set(ns, byKind);
    const objects = byKind.get(entry.kind) ?? [];
    byKind.set(entry.kind, objects);
    objects.push({ type: 'object', id: '', index, entry });
  });
  const byName = (a: string, b: string) => a.localeCompare(b);
  const actionRank = (a: PlanAction) => PLAN_ACTIONS.indexOf(a);
  const allUnchanged = (c: Record<PlanAction, number>) => PLAN_ACTIONS.every((a) => a === 'unchanged' || c[a] === 0);
  return [...tree.keys()].sort(byName).map((b) => {
    const bindingId = `b:${b}`;
    const namespaces = [...tree.get(b)!.entries()]
      .sort(([x], [y]) => (x === '' ? 1 : y === '' ? -1 : byName(x, y)))
      .map(([ns, byKind]): PlanNamespaceGroup => {
        const nsId = `${bindingId}/n:${ns}`;
        const kinds = [...byKind.entries()]
          .sort(([x], [y]) => byName(x, y))
          .map(([kind, objects]): PlanKindGroup => {
            const kindId = `${nsId}/k:${kind}`;
            const children = objects
              .sort((x, y) => actionRank(x.entry.action) - actionRank(y.entry.action) || byName(x.entry.name, y.entry.name))
              .map((o) => ({ ...o, id: `${kindId}/o:${o.index}` }));
            const counts = countEntries(children.map((o) => o.entry));
            return { type: 'kind', id: kindId, kind, counts, allUnchanged: allUnchanged(counts), children };
          });
        const counts = countEntries(kinds.flatMap((k) => k.children.map((o) => o.entry)));
        return {
          type: 'namespace',
          id: nsId,
          namespace: ns || undefined,
          label: ns || CLUSTER_SCOPED_LABEL,
          counts,
          allUnchanged: allUnchanged(counts),
          children: kinds,
        };
      });
    const counts = countEntries(namespaces.flatMap((n) => n.children.flatMap((k) => k.children.map((o) => o.entry))));
    return {
      type: 'binding',
      id: bindingId,
      binding: b || undefined,
      label: describeBinding(b || undefined, plan.context),
      counts,
      allUnchanged: allUnchanged(counts),
      children: namespaces,
    };
  });
}

/** Options of {@link formatPlanMarkdown}. */
export interface MarkdownSummaryOptions {
  /** Where an entry comes from, e.g. `apps/web/configmap.yaml:3`; the CLI makes it relative to the working directory, the client to the workspace. */
  sourceLabel?: (entry: PlanEntry) => string | undefined;
  /** Redacts free text (messages, notes) once more; diffs are already masked by the engine. */
  redact?: (text: string) => string;
}

/** Escapes text for a Markdown table cell or list item. */
function mdText(text: string): string {
  return text.replace(/\r?\n/g, ' ').replace(/([\\`*_[\]|<>])/g, '\\$1');
}

/** An inline code span that survives backticks in the text. */
function mdCode(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((s) => s.length));
  const fence = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

/** A fenced block longer than any backtick run inside it. */
function fenced(lang: string, body: string): string[] {
  const longest = Math.max(0, ...(body.match(/`{3,}/g) ?? []).map((s) => s.length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return [`${fence}${lang}`, ...body.trimEnd().split('\n'), fence];
}

/**
 * The plan as Markdown for a pull request: a heading with the totals, a table
 * of counts per binding, the creates, prunes and errors as lists, each update's
 * diff in a ```diff fence (Secret values appear only as the engine's masks),
 * unchanged objects that carry a note, and the notes about what was not previewed.
 */
export function formatPlanMarkdown(plan: PlanForSummary, options: MarkdownSummaryOptions = {}): string {
  const redact = options.redact ?? ((s: string) => s);
  const counts = plan.counts ?? countEntries(plan.entries);
  const lines: string[] = [];
  lines.push(`### GitOps Lens preview: ${planSummaryLine(counts)}`);
  const meta = [plan.context ? `Context ${mdCode(plan.context)}` : undefined, plan.createdAt ? `computed ${plan.createdAt}` : undefined].filter(Boolean);
  if (meta.length) lines.push('', meta.join(' · '));
  if (plan.entries.length === 0) {
    lines.push('', 'No objects were previewed.');
  } else {
    const groups = groupPlan(plan);
    lines.push('', '| Binding | Create | Update | Prune | Unchanged | Error |', '| --- | ---: | ---: | ---: | ---: | ---: |');
    const row = (label: string, c: Record<PlanAction, number>) =>
      `| ${label} | ${c.create} | ${c.update} | ${c.prune} | ${c.unchanged} | ${c.error} |`;
    // Rows name the binding without the context: the line under the heading already names it.
    for (const g of groups) lines.push(row(mdText(describeBinding(g.binding)), g.counts));
    if (groups.length > 1) lines.push(row('**Total**', counts));
  }
  // Entries in the grouped order, so every section reads binding by binding.
  const ordered = groupPlan(plan).flatMap((g) => g.children.flatMap((n) => n.children.flatMap((k) => k.children.map((o) => o.entry))));
  const item = (e: PlanEntry): string => {
    const where = options.sourceLabel?.(e);
    const details = [describeBinding(e.binding), where ? mdCode(where) : undefined].filter(Boolean).join(', ');
    return `- ${mdCode(objectLabel(e))}${e.approximate ? ' (approximate)' : ''} — ${details}`;
  };
  const section = (title: string, entries: PlanEntry[], withMessage: boolean) => {
    if (!entries.length) return;
    lines.push('', `#### ${title} (${entries.length})`, '');
    for (const e of entries) lines.push(withMessage && e.message ? `${item(e)}: ${mdText(redact(e.message))}` : item(e));
  };
  section('Errors', ordered.filter((e) => e.action === 'error'), true);
  section('Creates', ordered.filter((e) => e.action === 'create'), false);
  section('Prunes', ordered.filter((e) => e.action === 'prune'), true);
  const updates = ordered.filter((e) => e.action === 'update');
  if (updates.length) {
    lines.push('', `#### Updates (${updates.length})`);
    for (const e of updates) {
      lines.push('', item(e));
      if (e.message) lines.push('', `  ${mdText(redact(e.message))}`);
      if (e.diff) lines.push('', ...fenced('diff', e.diff));
    }
  }
  section('Unchanged with a note', ordered.filter((e) => e.action === 'unchanged' && e.message), true);
  if (plan.notes?.length) {
    lines.push('', '#### Not previewed', '');
    for (const n of plan.notes) lines.push(`- ${mdText(redact(n))}`);
  }
  return lines.join('\n') + '\n';
}
