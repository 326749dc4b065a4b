/**
 * The dependency graph as text (an indented tree per cluster), Graphviz DOT
 * and JSON, for `gitops-lens graph`. The tree is the one the "GitOps
 * Dependencies" view shows: each agent under the agent whose path renders
 * it, in sync-wave and dependency order, with its `dependsOn` and sources.
 */
import * as path from 'node:path';
import type { DependencyEdge, DependencyGraph, DependencyNode } from './depends-on.js';

/** Live state of a node, when a cluster was asked. */
export interface NodeStatus {
  ready?: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  revision?: string;
  /** Not found in the cluster. */
  absent?: boolean;
}

/** The children of a node (or the roots of a cluster, for `parent` undefined), in display order. */
export function childrenOf(graph: DependencyGraph, parent: string | undefined, cluster?: string): DependencyNode[] {
  const ids = new Set(graph.nodes.map((n) => n.id));
  const list = graph.nodes.filter((n) =>
    n.role === 'agent' && (parent === undefined ? (!n.parent || !ids.has(n.parent)) && (cluster === undefined || (n.cluster ?? '') === cluster) : n.parent === parent),
  );
  return orderNodes(list);
}

/** Sync wave first, then dependencies before their dependents, then kind and name. */
export function orderNodes(list: DependencyNode[]): DependencyNode[] {
  const byName = [...list].sort((a, b) => (a.wave ?? 0) - (b.wave ?? 0) || a.kind.localeCompare(b.kind) || a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
  const inList = new Set(byName.map((n) => n.id));
  const done = new Set<string>();
  const out: DependencyNode[] = [];
  const byId = new Map(byName.map((n) => [n.id, n]));
  const visit = (n: DependencyNode, stack: Set<string>) => {
    if (done.has(n.id) || stack.has(n.id)) return;
    stack.add(n.id);
    for (const e of n.dependsOn) if (e.id && inList.has(e.id) && (byId.get(e.id)!.wave ?? 0) === (n.wave ?? 0)) visit(byId.get(e.id)!, stack);
    stack.delete(n.id);
    done.add(n.id);
    out.push(n);
  };
  for (const n of byName) visit(n, new Set());
  return out;
}

/** The clusters of a graph, sorted; '' for agents outside any cluster. */
export function clustersOf(graph: DependencyGraph): string[] {
  return [...new Set(graph.nodes.filter((n) => n.role === 'agent').map((n) => n.cluster ?? ''))].sort();
}

function edgeText(e: DependencyEdge, graph: DependencyGraph): string {
  const target = e.id ? graph.nodes.find((n) => n.id === e.id) : undefined;
  const name = `${e.kind} ${e.namespace}/${e.name}`;
  return `${name}${e.missing ? ' (missing)' : e.assumed ? ' (assumed: bootstrap)' : target?.file ? '' : ''}`;
}

function statusText(s: NodeStatus | undefined): string {
  if (!s) return '';
  if (s.absent) return '  [not in the cluster]';
  return `  [Ready=${s.ready ?? 'Unknown'}${s.revision ? ` ${s.revision}` : ''}${s.ready === 'False' && s.reason ? ` ${s.reason}` : ''}]`;
}

/** An indented text tree, one cluster after the other. */
export function formatGraphText(graph: DependencyGraph, root: string, status?: Map<string, NodeStatus>): string {
  const lines: string[] = [];
  const rel = (f: string) => path.relative(root, f).split(path.sep).join('/');
  const write = (n: DependencyNode, depth: number, seen: Set<string>) => {
    const pad = '  '.repeat(depth);
    const where = n.file && n.range ? `  (${rel(n.file)}:${n.range.start.line + 1})` : '';
    lines.push(`${pad}${n.kind} ${n.namespace}/${n.name}${n.wave !== undefined ? ` [wave ${n.wave}]` : ''}${n.path ? ` → ${n.path}` : ''}${where}${statusText(status?.get(n.id))}`);
    for (const e of n.dependsOn) lines.push(`${pad}    depends on ${edgeText(e, graph)}`);
    for (const e of n.sources) lines.push(`${pad}    source ${edgeText(e, graph)}`);
    if (seen.has(n.id)) return;
    seen.add(n.id);
    for (const c of childrenOf(graph, n.id)) write(c, depth + 1, seen);
  };
  for (const cluster of clustersOf(graph)) {
    lines.push(cluster ? `cluster ${cluster}` : 'not under a cluster root');
    for (const n of childrenOf(graph, undefined, cluster)) write(n, 1, new Set());
  }
  if (graph.cycles.length) {
    lines.push('', 'dependsOn cycles:');
    const byId = new Map(graph.nodes.map((n) => [n.id, n]));
    for (const c of graph.cycles) lines.push(`  ${[...c, c[0]].map((id) => `${byId.get(id)!.namespace}/${byId.get(id)!.name}`).join(' → ')}`);
  }
  if (!graph.nodes.length) lines.push('No Flux Kustomization, HelmRelease or Argo CD Application found.');
  return `${lines.join('\n')}\n`;
}

const quote = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/** Graphviz DOT: agents and sources as boxes, renders (solid), dependsOn (dashed) and source (dotted) edges; missing targets in red. */
export function formatGraphDot(graph: DependencyGraph, status?: Map<string, NodeStatus>): string {
  const lines = ['digraph gitops {', '  rankdir=LR;', '  node [shape=box, fontname="Helvetica"];'];
  const ids = new Set(graph.nodes.map((n) => n.id));
  const clusters = clustersOf(graph);
  clusters.forEach((cluster, i) => {
    const members = graph.nodes.filter((n) => (n.cluster ?? '') === cluster);
    if (cluster) lines.push(`  subgraph cluster_${i} {`, `    label=${quote(`cluster ${cluster}`)};`);
    for (const n of members) {
      const s = status?.get(n.id);
      const color = s?.absent || s?.ready === 'False' ? ', color=red' : s?.ready === 'True' ? ', color=darkgreen' : '';
      lines.push(`    ${quote(n.id)} [label=${quote(`${n.kind}\n${n.namespace}/${n.name}${n.wave !== undefined ? `\nwave ${n.wave}` : ''}`)}${n.role === 'source' ? ', shape=ellipse' : ''}${color}];`);
    }
    if (cluster) lines.push('  }');
  });
  let missing = 0;
  const target = (e: DependencyEdge) => {
    if (e.id && ids.has(e.id)) return quote(e.id);
    const id = `missing-${missing++}`;
    lines.push(`  ${quote(id)} [label=${quote(`${e.kind}\n${e.namespace}/${e.name}${e.missing ? '\n(missing)' : e.assumed ? '\n(bootstrap)' : ''}`)}, style=dashed${e.missing ? ', color=red' : ''}];`);
    return quote(id);
  };
  for (const n of graph.nodes) {
    if (n.parent && ids.has(n.parent)) lines.push(`  ${quote(n.parent)} -> ${quote(n.id)} [label="renders"];`);
    for (const e of n.dependsOn) lines.push(`  ${quote(n.id)} -> ${target(e)} [style=dashed, label="dependsOn"];`);
    for (const e of n.sources) lines.push(`  ${quote(n.id)} -> ${target(e)} [style=dotted, label="source"];`);
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

/** JSON with paths relative to the root and 1-based lines. */
export function formatGraphJson(graph: DependencyGraph, root: string, status?: Map<string, NodeStatus>): string {
  const rel = (f: string) => path.relative(root, f).split(path.sep).join('/');
  const nodes = graph.nodes.map(({ file, range, ...n }) => ({
    ...n,
    ...(file ? { file: rel(file), line: (range?.start.line ?? 0) + 1 } : {}),
    dependsOn: n.dependsOn.map(({ range: _r, ...e }) => e),
    sources: n.sources.map(({ range: _r, ...e }) => e),
    ...(status?.get(n.id) ? { status: status.get(n.id) } : {}),
  }));
  return `${JSON.stringify({ nodes, cycles: graph.cycles }, null, 2)}\n`;
}
