/**
 * The dependency graph of the agents' objects: Flux Kustomizations and
 * HelmReleases with their `dependsOn` and sources, Argo CD Applications with
 * the app-of-apps nesting (an Application rendered by another one's source)
 * and sync waves. It feeds the "GitOps Dependencies" view, `gitops-lens
 * graph`, and the `depends-on-cycle` check.
 */
import type { Finding, Range } from '../findings.js';
import type { RefSite } from './graph-types.js';
import type { RObj } from './kustomize-identities.js';
import { resolveSite } from './resolve-reference.js';
import { docOf, isAgent, type Located, type RepoGraph, type Unit } from './repo-graph.js';

/** One node of the dependency graph. */
export interface DependencyNode {
  /** Stable within one graph: `cluster|kind|namespace|name`. */
  id: string;
  kind: string;
  apiVersion: string;
  name: string;
  namespace: string;
  cluster?: string;
  /** Where it is declared. */
  file?: string;
  range?: Range;
  /** The agent node whose path renders it (app-of-apps, a Kustomization rendering HelmReleases). */
  parent?: string;
  /** The folder it renders (`apps/production`), for Flux Kustomizations and Argo CD Applications. */
  path?: string;
  /** Argo CD `argocd.argoproj.io/sync-wave`. */
  wave?: number;
  dependsOn: DependencyEdge[];
  sources: DependencyEdge[];
  /** `agent` for Kustomizations, HelmReleases and Applications; `source` for what they pull from. */
  role: 'agent' | 'source';
}

/** A `dependsOn` or source edge. */
export interface DependencyEdge {
  /** The target node, when the repository has it. */
  id?: string;
  kind: string;
  name: string;
  namespace: string;
  /** The range of the name in the referring document. */
  range: Range;
  /** Not in the repository (and not a bootstrap source). */
  missing?: boolean;
  /** Assumed to exist (the bootstrap source, a name from cluster variables). */
  assumed?: boolean;
}

/** The dependency graph. */
export interface DependencyGraph {
  nodes: DependencyNode[];
  /** Node ids of `dependsOn` cycles, each in order (the first member repeated is implied). */
  cycles: string[][];
}

const WAVE_ANNOTATION = 'argocd.argoproj.io/sync-wave';
const graphCache = new WeakMap<RepoGraph, DependencyGraph>();

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const isHelmRelease = (o: { kind?: string; apiVersion?: string }) => o.kind === 'HelmRelease' && !!o.apiVersion?.startsWith('helm.toolkit.fluxcd.io/');
const nodeId = (o: RObj, unit: Unit | undefined) => `${unit?.cluster ?? ''}|${o.kind}|${o.namespace}|${o.name}`;

/** Builds (once per graph) the dependency graph. */
export function dependencyGraph(graph: RepoGraph): DependencyGraph {
  const cached = graphCache.get(graph);
  if (cached) return cached;
  const nodes = new Map<string, DependencyNode>();
  const located = new Map<string, Located>();
  const agentNode = (unit: Unit | undefined): string | undefined => (unit?.agent ? nodeId(unit.agent, unit.parent ?? unit) : undefined);
  const addNode = (o: RObj, unit: Unit | undefined, parent: string | undefined, renders?: Unit): DependencyNode => {
    const id = nodeId(o, unit);
    const existing = nodes.get(id);
    if (existing) {
      if (renders && !existing.path) existing.path = renders.label;
      return existing;
    }
    const doc = docOf(graph.files, o);
    const annotations = isObj(doc?.value?.metadata) && isObj((doc!.value!.metadata as Obj).annotations) ? ((doc!.value!.metadata as Obj).annotations as Obj) : {};
    const wave = Number(annotations[WAVE_ANNOTATION]);
    const node: DependencyNode = {
      id,
      kind: o.kind,
      apiVersion: o.apiVersion,
      name: o.name,
      namespace: o.namespace,
      ...(unit?.cluster ? { cluster: unit.cluster } : {}),
      ...(o.file ? { file: o.file, range: doc?.nameRange ?? doc?.range } : {}),
      ...(parent && parent !== id ? { parent } : {}),
      ...(renders ? { path: renders.label } : {}),
      ...(annotations[WAVE_ANNOTATION] !== undefined && Number.isFinite(wave) ? { wave } : {}),
      dependsOn: [],
      sources: [],
      role: isAgent(o) || isHelmRelease(o) ? 'agent' : 'source',
    };
    nodes.set(id, node);
    return node;
  };
  // The agents that bind units (roots included), then every agent object and HelmRelease the units render.
  for (const unit of graph.units) {
    if (!unit.agent) continue;
    const context = unit.parent ?? unit;
    addNode(unit.agent, context, agentNode(unit.parent), unit);
    located.set(nodeId(unit.agent, context), { o: unit.agent, unit: context });
  }
  for (const unit of graph.units) {
    for (const o of unit.objects) {
      if (!isAgent(o) && !isHelmRelease(o)) continue;
      const id = nodeId(o, unit);
      addNode(o, unit, agentNode(unit));
      if (!located.has(id)) located.set(id, { o, unit });
    }
  }
  // Edges: dependsOn and sources, resolved in the unit that renders the object.
  for (const node of [...nodes.values()]) {
    const loc = located.get(node.id);
    if (!loc) continue;
    for (const site of docOf(graph.files, loc.o)?.sites ?? []) {
      if (site.kind !== 'depends-on' && site.kind !== 'source') continue;
      const edge = edgeOf(graph, loc, site, nodes);
      (site.kind === 'depends-on' ? node.dependsOn : node.sources).push(edge);
    }
  }
  const result: DependencyGraph = { nodes: [...nodes.values()], cycles: cyclesOf(nodes) };
  graphCache.set(graph, result);
  return result;
}

function edgeOf(graph: RepoGraph, loc: Located, site: RefSite, nodes: Map<string, DependencyNode>): DependencyEdge {
  const r = resolveSite(graph, loc, site);
  const kind = site.targetKinds[0];
  const base = { kind, name: site.name, namespace: site.namespace ?? loc.o.namespace, range: site.range };
  if (r.status === 'found') {
    const t = r.targets[0];
    const id = nodeId(t.o, t.unit);
    if (!nodes.has(id) && site.kind === 'source') {
      const doc = docOf(graph.files, t.o);
      nodes.set(id, {
        id, kind: t.o.kind, apiVersion: t.o.apiVersion, name: t.o.name, namespace: t.o.namespace,
        ...(t.unit.cluster ? { cluster: t.unit.cluster } : {}),
        ...(t.o.file ? { file: t.o.file, range: doc?.nameRange ?? doc?.range } : {}),
        dependsOn: [], sources: [], role: 'source',
      });
    }
    // A dependsOn target that is rendered but not a node (another cluster's copy) still resolves to its identity.
    const target = nodes.has(id) ? id : byIdentity(nodes).get(`${t.o.kind}|${t.o.namespace}|${t.o.name}`);
    return { ...base, name: t.o.name, namespace: t.o.namespace, ...(target ? { id: target } : {}) };
  }
  if (r.status === 'produced') return { ...base };
  if (r.status === 'assumed') return { ...base, assumed: true };
  return { ...base, namespace: r.namespace, missing: true };
}

const identityIndex = new WeakMap<Map<string, DependencyNode>, { size: number; index: Map<string, string> }>();

/** Node ids by `kind|namespace|name` (the first node of each identity), rebuilt when nodes were added. */
function byIdentity(nodes: Map<string, DependencyNode>): Map<string, string> {
  const cached = identityIndex.get(nodes);
  if (cached && cached.size === nodes.size) return cached.index;
  const index = new Map<string, string>();
  for (const n of nodes.values()) {
    const k = `${n.kind}|${n.namespace}|${n.name}`;
    if (!index.has(k)) index.set(k, n.id);
  }
  identityIndex.set(nodes, { size: nodes.size, index });
  return index;
}

/** Strongly connected components of the dependsOn edges with more than one member (or a self-loop), each as a path. */
function cyclesOf(nodes: Map<string, DependencyNode>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const out: string[][] = [];
  let counter = 0;
  const next = (id: string) => (nodes.get(id)?.dependsOn ?? []).map((e) => e.id).filter((x): x is string => !!x && nodes.has(x));
  const strong = (v: string) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of next(v)) {
      if (!index.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || next(v).includes(v)) out.push(orderCycle(scc, next));
    }
  };
  for (const id of [...nodes.keys()].sort()) if (!index.has(id)) strong(id);
  return out;
}

/** The members of a component in dependency order, starting from the smallest id. */
function orderCycle(scc: string[], next: (id: string) => string[]): string[] {
  const members = new Set(scc);
  const start = [...scc].sort()[0];
  const path = [start];
  for (let cur = start; path.length < scc.length; ) {
    const n = next(cur).find((x) => members.has(x) && !path.includes(x));
    if (!n) break;
    path.push(n);
    cur = n;
  }
  return path;
}

/** `depends-on-cycle` findings: on each member's dependsOn entry that continues the cycle. */
export function dependencyCycles(graph: RepoGraph): Array<{ file: string; finding: Finding }> {
  const g = dependencyGraph(graph);
  const byId = new Map(g.nodes.map((n) => [n.id, n]));
  const out: Array<{ file: string; finding: Finding }> = [];
  const label = (id: string) => {
    const n = byId.get(id)!;
    return `${n.namespace}/${n.name}`;
  };
  for (const cycle of g.cycles) {
    const shown = [...cycle, cycle[0]].map(label).join(' → ');
    cycle.forEach((id, i) => {
      const node = byId.get(id)!;
      const nextId = cycle[(i + 1) % cycle.length];
      const edge = node.dependsOn.find((e) => e.id === nextId);
      if (!edge || !node.file) return;
      out.push({
        file: node.file,
        finding: {
          range: edge.range,
          severity: 'error',
          code: 'depends-on-cycle',
          source: 'gitops-lens',
          message: `dependsOn cycle: ${shown}. Flux never reconciles any of these ${node.kind}s; remove one of the dependencies.`,
        },
      });
    });
  }
  return out;
}
