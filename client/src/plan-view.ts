/**
 * The "GitOps Plan" tree: the latest plan grouped by binding → namespace →
 * kind → object, like Argo CD's app tree, with counts per action on every
 * group and in the view's description. Selecting an object opens its diff in
 * a read-only diff editor, like `kubectl diff` or Argo CD's diff view.
 *
 * The grouping and counting are the pure functions of
 * server/src/protocol/plan-summary.ts, shared with the Markdown summary and the CLI.
 */
import * as vscode from 'vscode';
import type { Plan, PlanAction, PlanEntry } from '../../server/src/protocol/protocol.js';
import {
  formatCounts,
  groupPlan,
  type PlanBindingGroup,
  type PlanKindGroup,
  type PlanNamespaceGroup,
  type PlanObjectNode,
} from '../../server/src/protocol/plan-summary.js';
import type { PlanDocumentProvider } from './plan-documents.js';

/** How each action looks: codicon and theme colour. */
const ACTION_STYLE: Record<PlanAction, { icon: string; color?: string }> = {
  error: { icon: 'error', color: 'problemsErrorIcon.foreground' },
  create: { icon: 'diff-added', color: 'gitDecoration.addedResourceForeground' },
  update: { icon: 'diff-modified', color: 'gitDecoration.modifiedResourceForeground' },
  prune: { icon: 'diff-removed', color: 'gitDecoration.deletedResourceForeground' },
  unchanged: { icon: 'check' },
};

/** The summary line at the top of the tree. */
interface SummaryNode {
  type: 'summary';
  id: string;
}

/** The notes about what was not previewed, and one note. */
interface NotesNode {
  type: 'notes';
  id: string;
  notes: string[];
}
interface NoteNode {
  type: 'note';
  id: string;
  text: string;
}

/** A node of the tree: the summary, a binding, a namespace, a kind, an object (a plan entry), or notes. */
export type PlanNode = SummaryNode | PlanBindingGroup | PlanNamespaceGroup | PlanKindGroup | PlanObjectNode | NotesNode | NoteNode;

function actionIcon(action: PlanAction): vscode.ThemeIcon {
  const s = ACTION_STYLE[action];
  return new vscode.ThemeIcon(s.icon, s.color ? new vscode.ThemeColor(s.color) : undefined);
}

/** Tree data for the plan view. */
export class PlanTreeProvider implements vscode.TreeDataProvider<PlanNode> {
  private plan: Plan | undefined;
  private roots: PlanNode[] = [];
  private view: vscode.TreeView<PlanNode> | undefined;
  private readonly changed = new vscode.EventEmitter<PlanNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;

  constructor(private readonly documents: PlanDocumentProvider) {}

  /** The view showing this tree; its description carries the plan's total counts. */
  attach(view: vscode.TreeView<PlanNode>): void {
    this.view = view;
    this.updateView();
  }

  /** Shows a new plan (or clears the view). */
  setPlan(plan: Plan | undefined): void {
    this.plan = plan;
    this.documents.setPlan(plan);
    const prefix = plan?.planId ?? String(Date.now());
    // Ids carry the plan id, so a new plan starts from each group's default expansion.
    const prefixed = <T extends { id: string }>(n: T): T => ({ ...n, id: `${prefix}:${n.id}` });
    const groups = plan ? groupPlan(plan) : [];
    const withIds = groups.map((b) => ({
      ...prefixed(b),
      children: b.children.map((n) => ({
        ...prefixed(n),
        children: n.children.map((k) => ({ ...prefixed(k), children: k.children.map(prefixed) })),
      })),
    }));
    this.roots = plan
      ? [
          { type: 'summary', id: `${prefix}:summary` },
          ...withIds,
          ...(plan.notes?.length ? [{ type: 'notes' as const, id: `${prefix}:notes`, notes: plan.notes }] : []),
        ]
      : [];
    this.updateView();
    this.changed.fire(undefined);
  }

  get current(): Plan | undefined {
    return this.plan;
  }

  private updateView(): void {
    if (!this.view) return;
    const plan = this.plan;
    this.view.description = plan ? formatCounts(plan.counts) : undefined;
    this.view.message = undefined;
  }

  getChildren(node?: PlanNode): PlanNode[] {
    if (!node) return this.roots;
    switch (node.type) {
      case 'binding':
      case 'namespace':
      case 'kind':
        return node.children;
      case 'notes':
        return node.notes.map((text, i) => ({ type: 'note', id: `${node.id}/${i}`, text }));
      default:
        return [];
    }
  }

  getTreeItem(node: PlanNode): vscode.TreeItem {
    const { Expanded, Collapsed, None } = vscode.TreeItemCollapsibleState;
    switch (node.type) {
      case 'summary': {
        const plan = this.plan;
        const counts = plan ? formatCounts(plan.counts) : '';
        const item = new vscode.TreeItem(`Plan: ${counts}`, None);
        item.id = node.id;
        item.description = [plan?.context ? `context ${plan.context}` : undefined, plan?.createdAt ? new Date(plan.createdAt).toLocaleTimeString() : undefined]
          .filter(Boolean)
          .join(' · ');
        item.iconPath = new vscode.ThemeIcon(plan?.counts.error ? 'warning' : 'checklist');
        item.tooltip = `${plan?.entries.length ?? 0} objects: ${counts}. "GitOps: Copy Plan Summary" copies the plan as Markdown for a pull request.`;
        item.contextValue = 'gitopsLens.planSummary';
        item.accessibilityInformation = { label: `Plan: ${counts}${item.description ? `, ${item.description}` : ''}` };
        return item;
      }
      case 'binding':
      case 'namespace':
      case 'kind': {
        const label = node.type === 'kind' ? node.kind : node.label;
        const item = new vscode.TreeItem(label, node.type !== 'binding' && node.allUnchanged ? Collapsed : Expanded);
        item.id = node.id;
        item.description = formatCounts(node.counts);
        item.iconPath = new vscode.ThemeIcon(node.type === 'binding' ? 'cloud-upload' : node.type === 'namespace' ? 'symbol-namespace' : 'symbol-class');
        item.tooltip = `${node.type === 'binding' ? 'Binding' : node.type === 'namespace' ? 'Namespace' : 'Kind'} ${label}: ${formatCounts(node.counts)}`;
        item.contextValue = `gitopsLens.plan${node.type[0]!.toUpperCase()}${node.type.slice(1)}`;
        // Screen readers (and the e2e tests) read the label with its counts.
        item.accessibilityInformation = { label: `${label}, ${item.description}` };
        return item;
      }
      case 'notes': {
        const item = new vscode.TreeItem('Not previewed', Collapsed);
        item.id = node.id;
        item.description = `${node.notes.length} note${node.notes.length === 1 ? '' : 's'}`;
        item.iconPath = new vscode.ThemeIcon('info');
        return item;
      }
      case 'note': {
        const item = new vscode.TreeItem(node.text, None);
        item.id = node.id;
        item.tooltip = node.text;
        return item;
      }
      case 'object':
        return this.objectItem(node);
    }
  }

  private objectItem(node: PlanObjectNode): vscode.TreeItem {
    const { entry } = node;
    const item = new vscode.TreeItem(entry.name, vscode.TreeItemCollapsibleState.None);
    item.id = node.id;
    // Errors and notes (e.g. a prune kept by an annotation) show their message right in the row.
    item.description = [entry.action, entry.approximate ? 'approximate' : undefined, entry.message ? entry.message : undefined].filter(Boolean).join(' · ');
    const tooltip = new vscode.MarkdownString();
    tooltip.appendText(`${entry.action}: ${entry.apiVersion} ${entry.kind} ${entry.namespace ? `${entry.namespace}/` : ''}${entry.name}`);
    if (entry.message) tooltip.appendMarkdown('\n\n').appendText(entry.message);
    if (entry.approximate) tooltip.appendMarkdown('\n\n').appendText('Approximate: computed locally, not by a server-side dry run.');
    item.tooltip = tooltip;
    item.iconPath = actionIcon(entry.action);
    item.contextValue = entry.sourceUri ? 'gitopsLens.planEntry.withSource' : 'gitopsLens.planEntry';
    item.accessibilityInformation = { label: `${entry.kind} ${entry.name}, ${item.description}` };
    item.command = { command: 'gitopsLens.openPlanEntry', title: 'Open Diff', arguments: [node] };
    return item;
  }

  dispose(): void {
    this.changed.dispose();
  }
}

/** The entry of an object node; other nodes have none. */
function entryOf(node: PlanNode | undefined): { entry: PlanEntry; index: number } | undefined {
  return node?.type === 'object' ? { entry: node.entry, index: node.index } : undefined;
}

/** Opens an entry: a live ↔ after-sync diff editor, the unified diff, or the manifest for errors. */
export async function openPlanEntry(documents: PlanDocumentProvider, node: PlanNode | undefined): Promise<void> {
  const selected = entryOf(node);
  if (!selected) return;
  const { entry, index } = selected;
  const title = `${entry.kind}/${entry.name}: live ↔ after sync`;
  if (entry.action === 'error') {
    void vscode.window.showErrorMessage(`${entry.kind}/${entry.name}: ${entry.message ?? 'the preview failed for this object.'}`);
    await openPlanEntrySource(node);
    return;
  }
  const live = documents.sideUri(index, entry, 'live');
  const after = documents.sideUri(index, entry, 'after');
  if (live && after) {
    await vscode.commands.executeCommand('vscode.diff', live, after, title, { preview: true });
  } else if (entry.diff) {
    const doc = await vscode.workspace.openTextDocument(documents.diffUri(index, entry));
    await vscode.window.showTextDocument(doc, { preview: true });
  } else {
    await openPlanEntrySource(node);
  }
}

/** Reveals the manifest that declares an entry. */
export async function openPlanEntrySource(node: PlanNode | undefined): Promise<void> {
  const entry = entryOf(node)?.entry;
  if (!entry?.sourceUri) return;
  const r = entry.sourceRange;
  const selection = r ? new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character) : undefined;
  await vscode.window.showTextDocument(vscode.Uri.parse(entry.sourceUri), { preview: true, ...(selection ? { selection } : {}) });
}
