/**
 * The "GitOps Plan" tree: the latest plan grouped by action (create,
 * update, prune, error, unchanged). Selecting an entry opens its diff in a
 * read-only diff editor, like `kubectl diff` or Argo CD's diff view.
 */
import * as vscode from 'vscode';
import type { Plan, PlanAction, PlanEntry } from '../../server/src/lsp/protocol.js';
import type { PlanDocumentProvider } from './plan-documents.js';

/** The order and presentation of the action groups. */
const GROUPS: Array<{ action: PlanAction; label: string; icon: string; color?: string }> = [
  { action: 'error', label: 'Error', icon: 'error', color: 'problemsErrorIcon.foreground' },
  { action: 'create', label: 'Create', icon: 'diff-added', color: 'gitDecoration.addedResourceForeground' },
  { action: 'update', label: 'Update', icon: 'diff-modified', color: 'gitDecoration.modifiedResourceForeground' },
  { action: 'prune', label: 'Prune', icon: 'diff-removed', color: 'gitDecoration.deletedResourceForeground' },
  { action: 'unchanged', label: 'Unchanged', icon: 'check' },
];

/** A node of the tree: an action group or one entry. */
export type PlanNode = { type: 'group'; action: PlanAction } | { type: 'entry'; index: number; entry: PlanEntry };

/** Tree data for the plan view. */
export class PlanTreeProvider implements vscode.TreeDataProvider<PlanNode> {
  private plan: Plan | undefined;
  private readonly changed = new vscode.EventEmitter<PlanNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;

  constructor(private readonly documents: PlanDocumentProvider) {}

  /** Shows a new plan (or clears the view). */
  setPlan(plan: Plan | undefined): void {
    this.plan = plan;
    this.documents.setPlan(plan);
    this.changed.fire(undefined);
  }

  get current(): Plan | undefined {
    return this.plan;
  }

  getChildren(node?: PlanNode): PlanNode[] {
    const plan = this.plan;
    if (!plan) return [];
    if (!node) {
      return GROUPS.filter((g) => plan.entries.some((e) => e.action === g.action)).map((g) => ({ type: 'group', action: g.action }));
    }
    if (node.type === 'entry') return [];
    return plan.entries.flatMap((entry, index) => (entry.action === node.action ? [{ type: 'entry' as const, index, entry }] : []));
  }

  getTreeItem(node: PlanNode): vscode.TreeItem {
    if (node.type === 'group') {
      const group = GROUPS.find((g) => g.action === node.action)!;
      const count = this.plan?.entries.filter((e) => e.action === node.action).length ?? 0;
      const item = new vscode.TreeItem(
        `${group.label} (${count})`,
        node.action === 'unchanged' ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.Expanded,
      );
      item.iconPath = new vscode.ThemeIcon(group.icon, group.color ? new vscode.ThemeColor(group.color) : undefined);
      item.contextValue = `gitopsLens.planGroup.${node.action}`;
      return item;
    }
    const { entry } = node;
    const item = new vscode.TreeItem(`${entry.kind}/${entry.name}`, vscode.TreeItemCollapsibleState.None);
    item.description = [entry.namespace, entry.binding, entry.approximate ? 'approximate' : undefined].filter(Boolean).join(' · ');
    const tooltip = new vscode.MarkdownString();
    tooltip.appendText(`${entry.action}: ${entry.apiVersion} ${entry.kind} ${entry.namespace ? `${entry.namespace}/` : ''}${entry.name}`);
    if (entry.message) tooltip.appendMarkdown('\n\n').appendText(entry.message);
    if (entry.approximate) tooltip.appendMarkdown('\n\n').appendText('Approximate: computed locally, not by a server-side dry run.');
    item.tooltip = tooltip;
    const group = GROUPS.find((g) => g.action === entry.action)!;
    item.iconPath = new vscode.ThemeIcon(group.icon, group.color ? new vscode.ThemeColor(group.color) : undefined);
    item.contextValue = entry.sourceUri ? 'gitopsLens.planEntry.withSource' : 'gitopsLens.planEntry';
    item.command = { command: 'gitopsLens.openPlanEntry', title: 'Open Diff', arguments: [node] };
    return item;
  }

  dispose(): void {
    this.changed.dispose();
  }
}

/** Opens an entry: a live ↔ after-sync diff editor, the unified diff, or the manifest for errors. */
export async function openPlanEntry(documents: PlanDocumentProvider, node: PlanNode | undefined): Promise<void> {
  if (!node || node.type !== 'entry') return;
  const { entry, index } = node;
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
  if (!node || node.type !== 'entry' || !node.entry.sourceUri) return;
  const r = node.entry.sourceRange;
  const selection = r ? new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character) : undefined;
  await vscode.window.showTextDocument(vscode.Uri.parse(node.entry.sourceUri), { preview: true, ...(selection ? { selection } : {}) });
}
