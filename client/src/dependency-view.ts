/**
 * The "GitOps Dependencies" tree: the workspace's Flux Kustomizations,
 * HelmReleases and Argo CD Applications, each under the one whose path
 * renders it (app-of-apps), in sync-wave and dependency order, with their
 * `dependsOn` (expandable, so a chain reads top to bottom) and sources. With
 * a bound cluster each node shows its Ready state and revision. Selecting a
 * node opens its document. The graph is the server's (`gitops/dependencyGraph`);
 * this file only draws it and asks again when the server says it changed.
 */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import {
  DependencyGraphChangedNotification,
  DependencyGraphRequest,
  type DependencyEdgeInfo,
  type DependencyGraphResult,
  type DependencyNodeInfo,
} from '../../server/src/protocol/protocol.js';
import { lspNotification, lspRequest } from './lsp-messages.js';

/** A row of the tree. */
export type DependencyRow =
  | { type: 'cluster'; id: string; cluster: string }
  | { type: 'node'; id: string; node: DependencyNodeInfo }
  | { type: 'edge'; id: string; edge: DependencyEdgeInfo; relation: 'depends on' | 'source'; depth: number }
  | { type: 'cycles'; id: string }
  | { type: 'cycle'; id: string; members: string[] };

/** Command that opens a node's document (contributed in package.json, hidden from the palette). */
export const OPEN_DEPENDENCY_COMMAND = 'gitopsLens.openDependency';
/** The view's refresh command. */
export const REFRESH_DEPENDENCIES_COMMAND = 'gitopsLens.refreshDependencies';

const ICONS: Record<string, string> = { Kustomization: 'symbol-namespace', HelmRelease: 'package', Application: 'rocket' };
/** How deep a dependsOn chain is unfolded under one node (a cycle must end somewhere). */
const MAX_CHAIN_DEPTH = 12;

/** Tree data of the dependency view. */
export class DependencyTreeProvider implements vscode.TreeDataProvider<DependencyRow>, vscode.Disposable {
  private graph: DependencyGraphResult = { nodes: [], cycles: [] };
  private byId = new Map<string, DependencyNodeInfo>();
  private view: vscode.TreeView<DependencyRow> | undefined;
  private readonly changed = new vscode.EventEmitter<DependencyRow | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private timer: NodeJS.Timeout | undefined;
  private subscription: vscode.Disposable | undefined;

  constructor(private readonly client: () => LanguageClient | undefined, private readonly log: vscode.LogOutputChannel) {}

  attach(view: vscode.TreeView<DependencyRow>): void {
    this.view = view;
    view.onDidChangeVisibility((e) => e.visible && this.refresh());
  }

  /** Follows a (new) language client: asks for the graph now and whenever the server says it changed. */
  follow(client: LanguageClient): void {
    this.subscription?.dispose();
    this.subscription = client.onNotification(lspNotification(DependencyGraphChangedNotification), () => this.refreshSoon());
    this.refreshSoon();
  }

  /** Asks again shortly (changes come in bursts while a folder is scanned or a branch is switched). */
  refreshSoon(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refresh(), 300);
  }

  /** Asks the server for the graph (with live status in a trusted folder); `userAsked` reads the cluster again. */
  async refresh(userAsked = false): Promise<void> {
    const c = this.client();
    if (!c?.isRunning() || (this.view && !this.view.visible)) return;
    try {
      this.graph = await c.sendRequest(lspRequest(DependencyGraphRequest), { live: vscode.workspace.isTrusted, refresh: userAsked });
    } catch (err) {
      this.log.warn(`GitOps Dependencies: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    this.byId = new Map(this.graph.nodes.map((n) => [n.id, n]));
    if (this.view) {
      const agents = this.graph.nodes.filter((n) => n.role === 'agent');
      const count = (kind: string) => agents.filter((n) => n.kind === kind).length;
      const parts = [['Kustomization', count('Kustomization')], ['HelmRelease', count('HelmRelease')], ['Application', count('Application')]]
        .filter(([, n]) => n)
        .map(([k, n]) => `${n} ${k}${n === 1 ? '' : 's'}`);
      if (this.graph.live?.context) parts.push(`context ${this.graph.live.context}`);
      this.view.description = parts.join(' · ');
      this.view.message = this.graph.cycles.length ? `${this.graph.cycles.length} dependsOn cycle${this.graph.cycles.length === 1 ? '' : 's'}: Flux never reconciles their members.` : undefined;
    }
    this.changed.fire(undefined);
  }

  private clusters(): string[] {
    return [...new Set(this.graph.nodes.filter((n) => n.role === 'agent').map((n) => n.cluster ?? ''))].sort();
  }

  /** Agents whose parent is `parent` (roots of `cluster` when undefined), in sync-wave and dependency order. */
  private children(parent: string | undefined, cluster?: string): DependencyNodeInfo[] {
    const list = this.graph.nodes.filter((n) =>
      n.role === 'agent' && (parent === undefined ? (!n.parent || !this.byId.has(n.parent)) && (cluster === undefined || (n.cluster ?? '') === cluster) : n.parent === parent),
    );
    const sorted = list.sort((a, b) => (a.wave ?? 0) - (b.wave ?? 0) || a.kind.localeCompare(b.kind) || a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
    const ids = new Set(sorted.map((n) => n.id));
    const out: DependencyNodeInfo[] = [];
    const done = new Set<string>();
    const visit = (n: DependencyNodeInfo, stack: Set<string>) => {
      if (done.has(n.id) || stack.has(n.id)) return;
      stack.add(n.id);
      for (const e of n.dependsOn) if (e.id && ids.has(e.id) && (this.byId.get(e.id)!.wave ?? 0) === (n.wave ?? 0)) visit(this.byId.get(e.id)!, stack);
      stack.delete(n.id);
      done.add(n.id);
      out.push(n);
    };
    for (const n of sorted) visit(n, new Set());
    return out;
  }

  getChildren(row?: DependencyRow): DependencyRow[] {
    if (!row) {
      const clusters = this.clusters();
      const top: DependencyRow[] =
        clusters.length > 1 || (clusters.length === 1 && clusters[0])
          ? clusters.map((cluster) => ({ type: 'cluster', id: `cluster:${cluster}`, cluster }))
          : this.children(undefined).map((node) => ({ type: 'node', id: node.id, node }));
      if (this.graph.cycles.length) top.unshift({ type: 'cycles', id: 'cycles' });
      return top;
    }
    switch (row.type) {
      case 'cluster':
        return this.children(undefined, row.cluster).map((node) => ({ type: 'node', id: `${row.id}/${node.id}`, node }));
      case 'node':
        return [
          ...row.node.dependsOn.map((edge, i): DependencyRow => ({ type: 'edge', id: `${row.id}/d${i}`, edge, relation: 'depends on', depth: 1 })),
          ...row.node.sources.map((edge, i): DependencyRow => ({ type: 'edge', id: `${row.id}/s${i}`, edge, relation: 'source', depth: 1 })),
          ...this.children(row.node.id).map((node): DependencyRow => ({ type: 'node', id: `${row.id}/${node.id}`, node })),
        ];
      case 'edge': {
        // A dependency's own dependencies: the chain unfolds under it.
        const target = row.edge.id ? this.byId.get(row.edge.id) : undefined;
        if (!target || row.relation !== 'depends on' || row.depth >= MAX_CHAIN_DEPTH) return [];
        return target.dependsOn.map((edge, i) => ({ type: 'edge', id: `${row.id}/d${i}`, edge, relation: 'depends on', depth: row.depth + 1 }));
      }
      case 'cycles':
        return this.graph.cycles.map((members, i) => ({ type: 'cycle', id: `cycle:${i}`, members }));
      default:
        return [];
    }
  }

  getTreeItem(row: DependencyRow): vscode.TreeItem {
    const { Expanded, Collapsed, None } = vscode.TreeItemCollapsibleState;
    switch (row.type) {
      case 'cluster': {
        const item = new vscode.TreeItem(row.cluster ? `cluster ${row.cluster}` : 'not under a cluster root', Expanded);
        item.id = row.id;
        item.iconPath = new vscode.ThemeIcon('server-environment');
        return item;
      }
      case 'node':
        return this.nodeItem(row.id, row.node);
      case 'edge': {
        const target = row.edge.id ? this.byId.get(row.edge.id) : undefined;
        const label = `${row.relation} ${row.edge.kind} ${row.edge.name}`;
        const hasChain = row.relation === 'depends on' && !!target?.dependsOn.length && row.depth < MAX_CHAIN_DEPTH;
        const item = new vscode.TreeItem(label, hasChain ? Collapsed : None);
        item.id = row.id;
        const state = row.edge.missing ? 'missing: matches nothing in the repository' : row.edge.assumed ? 'bootstrap' : target?.status ? statusText(target) : '';
        item.description = [row.edge.namespace, state].filter(Boolean).join(' · ');
        item.iconPath = row.edge.missing
          ? new vscode.ThemeIcon('error', new vscode.ThemeColor('problemsErrorIcon.foreground'))
          : new vscode.ThemeIcon(row.relation === 'source' ? 'repo' : 'arrow-right');
        if (target?.uri) item.command = { command: OPEN_DEPENDENCY_COMMAND, title: 'Open', arguments: [target] };
        item.accessibilityInformation = { label: `${label}${item.description ? `, ${item.description}` : ''}` };
        return item;
      }
      case 'cycles': {
        const item = new vscode.TreeItem('dependsOn cycles', Expanded);
        item.id = row.id;
        item.description = String(this.graph.cycles.length);
        item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('problemsErrorIcon.foreground'));
        return item;
      }
      case 'cycle': {
        const names = [...row.members, row.members[0]].map((id) => this.byId.get(id)?.name ?? id).join(' → ');
        const item = new vscode.TreeItem(names, None);
        item.id = row.id;
        const first = this.byId.get(row.members[0]);
        if (first?.uri) item.command = { command: OPEN_DEPENDENCY_COMMAND, title: 'Open', arguments: [first] };
        return item;
      }
    }
  }

  private nodeItem(id: string, node: DependencyNodeInfo): vscode.TreeItem {
    const hasChildren = node.dependsOn.length + node.sources.length > 0 || this.graph.nodes.some((n) => n.parent === node.id);
    const item = new vscode.TreeItem(`${node.kind} ${node.name}`, hasChildren ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    item.id = id;
    item.description = [node.namespace, node.wave !== undefined ? `wave ${node.wave}` : undefined, node.path ? `→ ${node.path}` : undefined, node.status ? statusText(node) : undefined]
      .filter(Boolean)
      .join(' · ');
    const ready = node.status?.ready;
    item.iconPath =
      node.status?.absent || ready === 'False'
        ? new vscode.ThemeIcon('error', new vscode.ThemeColor('problemsErrorIcon.foreground'))
        : ready === 'True'
          ? new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed'))
          : new vscode.ThemeIcon(ICONS[node.kind] ?? 'symbol-class');
    const tooltip = new vscode.MarkdownString();
    tooltip.appendMarkdown(`**${node.kind} ${node.namespace}/${node.name}**\n\n`);
    if (node.path) tooltip.appendMarkdown(`Renders \`${node.path}\`\n\n`);
    if (node.dependsOn.length) tooltip.appendMarkdown(`Depends on: ${node.dependsOn.map((e) => `${e.namespace}/${e.name}${e.missing ? ' (missing)' : ''}`).join(', ')}\n\n`);
    if (node.sources.length) tooltip.appendMarkdown(`Source: ${node.sources.map((e) => `${e.kind} ${e.namespace}/${e.name}`).join(', ')}\n\n`);
    if (node.status?.message) tooltip.appendText(node.status.message);
    item.tooltip = tooltip;
    item.contextValue = 'gitopsLens.dependencyNode';
    if (node.uri) item.command = { command: OPEN_DEPENDENCY_COMMAND, title: 'Open', arguments: [node] };
    item.accessibilityInformation = { label: `${node.kind} ${node.name}${item.description ? `, ${item.description}` : ''}` };
    return item;
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.subscription?.dispose();
    this.changed.dispose();
  }
}

function statusText(node: DependencyNodeInfo): string {
  const s = node.status;
  if (!s) return '';
  if (s.absent) return 'not in the cluster';
  const ready = s.ready === 'True' ? 'Ready' : s.ready === 'False' ? `not Ready${s.reason ? ` (${s.reason})` : ''}` : 'Ready unknown';
  return [ready, s.revision].filter(Boolean).join(' · ');
}

/** Opens a node's document at its declaration. */
export async function openDependency(node?: DependencyNodeInfo): Promise<void> {
  if (!node?.uri) return;
  const range = node.range ? new vscode.Range(node.range.start.line, node.range.start.character, node.range.end.line, node.range.end.character) : undefined;
  await vscode.window.showTextDocument(vscode.Uri.parse(node.uri), { ...(range ? { selection: range } : {}), preview: true });
}
