/**
 * `gitops-lens preview <path>`: the plan of what the GitOps agent would do,
 * computed with server-side apply dry-run, as text (summary + unified diffs),
 * JSON, or the Markdown pull request summary the editor's "GitOps: Copy Plan
 * Summary" produces. Exit codes make it usable in CI and pre-commit hooks: 0 no
 * changes, 1 changes, 2 errors (in the plan or in running the preview).
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PlanAction, PlanEntry } from '../protocol/protocol.js';
import { redact } from '../secrets/mask-secrets.js';
import { formatPlanMarkdown, planSummaryLine } from '../protocol/plan-summary.js';
import { PreviewError, PreviewService, kubeconfigConnector, type PreviewResult } from '../preview/preview-service.js';
import { ALLOW_EXEC_HELP, type CliCommand, type CliIo } from './cli-types.js';

/** Exit codes of `gitops-lens preview`. */
export const PREVIEW_EXIT = { noChanges: 0, changes: 1, errors: 2 } as const;

export const PREVIEW_USAGE = `Usage: gitops-lens preview <path>... [options]

Shows what Flux or Argo CD would do to the cluster if the working tree were
synced: create, update (with a diff), prune, unchanged, error. Read-only: it
uses GET/LIST and server-side apply with dryRun=All.

Options:
  --context NAME        kubeconfig context (default: current context)
  --kubeconfig PATH     kubeconfig file (default: KUBECONFIG or ~/.kube/config)
  --output text|json|markdown
                        output format (default: text); markdown is a summary to paste
                        into a pull request (counts per binding, update diffs)
  --only-changed        only what uncommitted changes touch (git working tree vs HEAD, plus untracked files)
  --root DIR            repository root that Flux/Argo CD paths are relative to (default: git top level)
  --field-manager NAME  field manager of the dry-run (default: kustomize-controller for Flux, argocd-controller for Argo CD)
  --exact-unchanged     dry-run every object, even those the live object provably matches already
                        (use when mutating admission webhooks change objects on every update)
${ALLOW_EXEC_HELP}
  -h, --help            show this help

Exit codes: 0 no changes, 1 changes, 2 errors.`;

interface PreviewArgs {
  paths: string[];
  context?: string;
  kubeconfig?: string;
  output: 'text' | 'json' | 'markdown';
  onlyChanged: boolean;
  root?: string;
  fieldManager?: string;
  allowExec: boolean;
  exactUnchanged: boolean;
  help: boolean;
}

/** Parses the command's arguments; throws an Error with a usage hint on bad input. */
export function parsePreviewArgs(argv: string[]): PreviewArgs {
  const args: PreviewArgs = { paths: [], output: 'text', onlyChanged: false, allowExec: false, exactUnchanged: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new Error(`${flag} needs a value.`);
      return v;
    };
    switch (flag) {
      case '--context':
        args.context = value();
        break;
      case '--kubeconfig':
        args.kubeconfig = value();
        break;
      case '--output':
      case '-o': {
        const v = value();
        if (v !== 'text' && v !== 'json' && v !== 'markdown' && v !== 'md') throw new Error(`--output must be text, json or markdown, not "${v}".`);
        args.output = v === 'md' ? 'markdown' : v;
        break;
      }
      case '--only-changed':
        args.onlyChanged = true;
        break;
      case '--root':
        args.root = value();
        break;
      case '--field-manager':
        args.fieldManager = value();
        break;
      case '--allow-exec':
        args.allowExec = true;
        break;
      case '--exact-unchanged':
        args.exactUnchanged = true;
        break;
      case '-h':
      case '--help':
        args.help = true;
        break;
      default:
        if (flag.startsWith('-')) throw new Error(`Unknown option ${flag}.`);
        args.paths.push(a);
    }
  }
  return args;
}

/** The exit code for a plan: 2 with any error entry, 1 with any change, else 0. */
export function exitCodeOf(counts: Record<PlanAction, number>): number {
  if (counts.error > 0) return PREVIEW_EXIT.errors;
  if (counts.create + counts.update + counts.prune > 0) return PREVIEW_EXIT.changes;
  return PREVIEW_EXIT.noChanges;
}

const SYMBOL: Record<PlanAction, string> = { create: '+', update: '~', prune: '-', unchanged: '=', error: '!' };

function sourceOf(e: PlanEntry, cwd: string): string {
  if (!e.sourceUri) return '';
  let file = e.sourceUri;
  try {
    file = path.relative(cwd, fileURLToPath(e.sourceUri)) || file;
  } catch {
    // Not a file URI: shown as is.
  }
  return `${file}:${(e.sourceRange?.start.line ?? 0) + 1}`;
}

/** The one-line summary used in text output and pull request comments (shared with the editor; see plan-summary.ts). */
export { planSummaryLine };

/** The Markdown output: the same pull request summary as the editor's "GitOps: Copy Plan Summary", sources relative to `cwd`. */
export function formatPlanMarkdownOutput(plan: PreviewResult, cwd = process.cwd()): string {
  return formatPlanMarkdown(plan, { sourceLabel: (e) => sourceOf(e, cwd) || undefined, redact: (s) => redact(s) });
}

/** Renders a plan as text: summary, then each changed or failed entry with its diff, then unchanged ones in one line each. */
export function formatPlanText(plan: PreviewResult, cwd = process.cwd()): string {
  const lines: string[] = [];
  lines.push(`Preview on context ${plan.context}: ${planSummaryLine(plan.counts)}`);
  const interesting = plan.entries.filter((e) => e.action !== 'unchanged' || e.message);
  for (const e of interesting) {
    const id = `${e.kind} ${e.namespace ? `${e.namespace}/` : ''}${e.name}`;
    const where = sourceOf(e, cwd);
    const label = e.approximate ? ' (approximate)' : '';
    lines.push('');
    lines.push(`${SYMBOL[e.action]} ${e.action} ${id}${label}${e.binding ? `  [${e.binding}]` : ''}${where ? `  ${where}` : ''}`);
    if (e.message) lines.push(`  ${redact(e.message)}`);
    if (e.diff && e.action !== 'unchanged') lines.push(...e.diff.trimEnd().split('\n').map((l) => `  ${l}`));
  }
  const unchanged = plan.entries.filter((e) => e.action === 'unchanged' && !e.message);
  if (unchanged.length) {
    lines.push('');
    lines.push(`Unchanged: ${unchanged.map((e) => `${e.kind} ${e.namespace ? `${e.namespace}/` : ''}${e.name}`).join(', ')}`);
  }
  if (plan.notes.length) {
    lines.push('');
    lines.push('Notes:');
    for (const n of plan.notes) lines.push(`  - ${redact(n)}`);
  }
  // Secret objects are masked structurally by the plan; free text (messages, notes) is redacted here once more.
  return lines.join('\n') + '\n';
}

/** The JSON output: the protocol's plan fields only (no server-side documents), plus context and notes. */
export function formatPlanJson(plan: PreviewResult): string {
  const entries: PlanEntry[] = plan.entries.map((e) => {
    const { liveText: _l, afterText: _a, changedPaths: _c, ...entry } = e;
    return entry.message ? { ...entry, message: redact(entry.message) } : entry;
  });
  const notes = plan.notes.map((n) => redact(n));
  return JSON.stringify({ context: plan.context, counts: plan.counts, entries, notes, createdAt: plan.createdAt }, null, 2) + '\n';
}

/**
 * Runs `gitops-lens preview`. Never throws: problems are printed to `io.stderr`
 * and turned into exit code 2. `service` is injectable for tests.
 */
export async function runPreviewCommand(argv: string[], io: CliIo, service?: PreviewService, signal?: AbortSignal): Promise<number> {
  let args: PreviewArgs;
  try {
    args = parsePreviewArgs(argv);
  } catch (e) {
    io.stderr(`gitops-lens preview: ${(e as Error).message}\n\n${PREVIEW_USAGE}\n`);
    return PREVIEW_EXIT.errors;
  }
  if (args.help) {
    io.stdout(`${PREVIEW_USAGE}\n`);
    return PREVIEW_EXIT.noChanges;
  }
  if (args.paths.length === 0) args.paths.push('.');
  const svc =
    service ??
    new PreviewService({
      connect: kubeconfigConnector(true, async () => args.allowExec),
    });
  try {
    const plan = await svc.preview({
      paths: args.paths.map((p) => path.resolve(io.cwd, p)),
      root: args.root ? path.resolve(io.cwd, args.root) : undefined,
      onlyChanged: args.onlyChanged,
      context: args.context,
      kubeconfig: args.kubeconfig ? path.resolve(io.cwd, args.kubeconfig) : undefined,
      fieldManager: args.fieldManager,
      exactUnchanged: args.exactUnchanged,
      signal,
    });
    io.stdout(
      args.output === 'json' ? formatPlanJson(plan) : args.output === 'markdown' ? formatPlanMarkdownOutput(plan, io.cwd) : formatPlanText(plan, io.cwd),
    );
    return exitCodeOf(plan.counts);
  } catch (e) {
    const message = e instanceof PreviewError ? e.message : `preview failed: ${(e as Error).message}`;
    const hint = /approv|exec/i.test(message) && !args.allowExec ? '\nThe kubeconfig runs a credential command or uses credential files that need approval; pass --allow-exec to allow it.' : '';
    io.stderr(`gitops-lens preview: ${redact(message)}${hint}\n`);
    return PREVIEW_EXIT.errors;
  } finally {
    // Only a service this run created is closed; an injected one belongs to the caller.
    if (!service) svc.dispose();
  }
}

/** The `preview` entry of the CLI's command table. */
export const previewCommand: CliCommand = {
  name: 'preview',
  summary: 'show what Flux / Argo CD would create, update or prune (server-side dry-run)',
  help: PREVIEW_USAGE,
  run: (args, io) => runPreviewCommand(args, io),
};
