/**
 * `gitops/dependencyGraph`: the dependency graph of every workspace folder
 * (server/src/graph/depends-on.ts) for the "GitOps Dependencies" view, with
 * each node's live Ready state and revision when asked and a cluster is
 * bound (read-only GETs through reference-cluster.ts).
 */
import { dependencyGraph } from '../graph/depends-on.js';
import { liveStatus } from '../graph/live-status.js';
import type { DependencyGraphParams, DependencyGraphResult, DependencyNodeInfo } from '../protocol/protocol.js';
import type { ReferenceCluster } from './reference-cluster.js';
import type { ReferenceIndexes } from './reference-indexes.js';
import { pathToUri } from '../util/uri-path.js';

/** Builds the view's graph; node ids are prefixed per folder when the workspace has several. */
export async function dependencyGraphOf(indexes: ReferenceIndexes, cluster: ReferenceCluster, params: DependencyGraphParams, trusted: boolean): Promise<DependencyGraphResult> {
  const folders = indexes.all();
  const result: DependencyGraphResult = { nodes: [], cycles: [] };
  const contexts = new Set<string>();
  const errors: string[] = [];
  for (const [i, { folder, index }] of folders.entries()) {
    const graph = dependencyGraph(index.graph());
    const id = (s: string) => (folders.length > 1 ? `${i}:${s}` : s);
    let status: Awaited<ReturnType<typeof liveStatus>> | undefined;
    if (params.live && trusted && graph.nodes.length) {
      const bound = await cluster.forFile(folder, folder);
      if (bound) {
        contexts.add(bound.context);
        status = await liveStatus(graph, bound.get);
      } else errors.push('no reachable cluster for this folder (see "GitOps: Show Output")');
    }
    for (const n of graph.nodes) {
      const node: DependencyNodeInfo = {
        id: id(n.id),
        kind: n.kind,
        name: n.name,
        namespace: n.namespace,
        ...(n.cluster ? { cluster: n.cluster } : {}),
        ...(n.file ? { uri: pathToUri(n.file) } : {}),
        ...(n.range ? { range: n.range } : {}),
        ...(n.parent ? { parent: id(n.parent) } : {}),
        ...(n.path ? { path: n.path } : {}),
        ...(n.wave !== undefined ? { wave: n.wave } : {}),
        dependsOn: n.dependsOn.map(({ range: _r, id: target, ...e }) => ({ ...e, ...(target ? { id: id(target) } : {}) })),
        sources: n.sources.map(({ range: _r, id: target, ...e }) => ({ ...e, ...(target ? { id: id(target) } : {}) })),
        role: n.role,
        ...(status?.get(n.id) ? { status: status.get(n.id) } : {}),
      };
      result.nodes.push(node);
    }
    result.cycles.push(...graph.cycles.map((c) => c.map(id)));
  }
  if (params.live) {
    result.live = trusted
      ? { ...(contexts.size ? { context: [...contexts].join(', ') } : {}), ...(errors.length && !contexts.size ? { error: errors[0] } : {}) }
      : { error: 'cluster status needs a trusted folder' };
  }
  return result;
}
