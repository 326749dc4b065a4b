/**
 * Resolves one reference site in the context of the unit that renders it,
 * as the agent's build and the cluster would: kustomize rewrites a pod
 * template's reference to an object of the same build to that object's final
 * name (prefix, suffix, generator hash), so such a reference follows the
 * declared name; any other reference must name the final identity of an
 * object rendered somewhere in the repository, or one that a controller
 * produces. Names that only a chart or an operator could create, and names
 * built from variables only the cluster knows, are "unknown", never broken.
 */
import type { RefSite } from './graph-types.js';
import { podSpecPath } from './reference-sites.js';
import { keyOf, substitutedName, type Located, type Produced, type RepoGraph, type Unit } from './repo-graph.js';
import type { OpaqueProducer, RObj } from './kustomize-identities.js';
import { docOf } from './repo-graph.js';

/** How a site resolved. */
export type Resolution =
  | { status: 'found'; targets: Located[]; produced?: undefined }
  | { status: 'produced'; produced: Produced[]; targets?: undefined }
  /** A built-in object (the `default` ServiceAccount), a bootstrap source, or something only a chart/operator/variable could name. */
  | { status: 'assumed'; why: string }
  /** Found only under the name without kustomize's content hash, in a field kustomize does not rewrite. */
  | { status: 'hashed'; targets: Located[]; namespace: string; name: string }
  | { status: 'missing'; namespace: string; name: string };

/** Objects every namespace has. */
const BUILT_IN: Record<string, Set<string>> = {
  ServiceAccount: new Set(['default']),
  ConfigMap: new Set(['kube-root-ca.crt']),
  // Argo CD creates the default project itself.
  AppProject: new Set(['default']),
};

/** API groups whose objects create nothing the model cannot see (or whose outputs it models exactly). */
const NON_PRODUCING_GROUP = /(^|\.)(fluxcd\.io|argoproj\.io|external-secrets\.io|cert-manager\.io|bitnami\.com|k8s\.io|cilium\.io|kyverno\.io|kustomize\.config\.k8s\.io)$/;

/** Sites whose targets a chart or an operator may create. */
const CHART_MADE = new Set<RefSite['kind']>(['workload', 'backend', 'name-only', 'values-from']);

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const origIndex = new WeakMap<Unit, Map<string, RObj[]>>();

/** A unit's objects by `kind|declared name` (kustomize's name references use the declared name). */
function byOrigName(unit: Unit): Map<string, RObj[]> {
  let m = origIndex.get(unit);
  if (!m) {
    m = new Map();
    for (const c of unit.objects) {
      const k = `${c.kind}|${c.origName}`;
      const list = m.get(k);
      if (list) list.push(c);
      else m.set(k, [c]);
    }
    origIndex.set(unit, m);
  }
  return m;
}

/** True when kustomize's name-reference transformer rewrites this field of this referrer. */
export function kustomizeRewrites(referrer: RObj, site: RefSite, unit: Unit): boolean {
  if (site.kind === 'workload') return !!podSpecPath(referrer.kind) && referrer.kind !== 'Rollout';
  if (site.kind === 'backend' && referrer.kind === 'Ingress') return true;
  if (site.kind === 'name-only' && referrer.kind === 'StatefulSet') return true;
  if (!unit.rules.length) return false;
  const plain = site.path.filter((p) => typeof p === 'string').join('/');
  return unit.rules.some((r) => site.targetKinds.includes(r.targetKind) && (!r.referrerKind || r.referrerKind === referrer.kind) && r.path === plain);
}

/** The namespace a site's target is looked up in. */
export function targetNamespaceOf(referrer: RObj, site: RefSite, unit: Unit): string | undefined {
  if (site.namespace === undefined) return referrer.namespace;
  return substitutedName(unit, site.namespace);
}

/** Resolves a site of `referrer` (rendered in `unit`). */
export function resolveSite(graph: RepoGraph, referrer: Located, site: RefSite): Resolution {
  const { unit, o } = referrer;
  const name = substitutedName(unit, site.name);
  const namespace = targetNamespaceOf(o, site, unit);
  if (name === undefined || namespace === undefined) return { status: 'assumed', why: 'the name depends on variables from the cluster (postBuild.substituteFrom)' };
  for (const kind of site.targetKinds) if (BUILT_IN[kind]?.has(name)) return { status: 'assumed', why: `every namespace has ${kind} ${name}` };
  // kustomize rewrote the reference to the final name of an object of the same build declared with this name.
  if (kustomizeRewrites(o, site, unit)) {
    const same = site.targetKinds.flatMap((k) => byOrigName(unit).get(`${k}|${name}`) ?? []).filter((c) => c.namespace === namespace || c.via === o.via);
    if (same.length) return { status: 'found', targets: same.map((c) => ({ o: c, unit })) };
  }
  const candidates: Located[] = [];
  for (const kind of site.targetKinds) candidates.push(...(graph.byKey.get(keyOf(kind, namespace, name)) ?? []));
  const exact = candidates.filter((c) => !c.o.hashed);
  if (exact.length) return { status: 'found', targets: preferNear(exact, unit) };
  if (candidates.length) return { status: 'hashed', targets: preferNear(candidates, unit), namespace, name };
  const produced = producedFor(graph, site.targetKinds, namespace, name);
  if (produced.length) return { status: 'produced', produced };
  for (const kind of site.targetKinds) if (graph.bootstrapSources.has(keyOf(kind, namespace, name))) return { status: 'assumed', why: 'the root Kustomization syncs from it (created by the Flux bootstrap)' };
  // `flux bootstrap` and the Flux Operator create the repository's own source as flux-system/flux-system.
  if (site.kind === 'source' && name === 'flux-system' && namespace === 'flux-system' && /^(GitRepository|OCIRepository|Bucket)$/.test(site.targetKinds[0])) {
    return { status: 'assumed', why: 'flux bootstrap (or the Flux Operator) creates the flux-system source' };
  }
  // Charts and operators create workload objects (ConfigMaps, Secrets, Services…), not the agents' own objects.
  const opaque = CHART_MADE.has(site.kind) ? opaqueFor(graph, namespace, name) : undefined;
  if (opaque) return { status: 'assumed', why: `${opaque.what} may create it` };
  return { status: 'missing', namespace, name };
}

/** The same unit first, then the same cluster, then the rest. */
export function preferNear(list: Located[], unit: Unit): Located[] {
  const rank = (l: Located) => (l.unit === unit ? 0 : unit.cluster !== undefined && l.unit.cluster === unit.cluster ? 1 : l.unit.cluster === undefined ? 2 : 3);
  return [...list].sort((a, b) => rank(a) - rank(b));
}

function producedFor(graph: RepoGraph, kinds: string[], namespace: string, name: string): Produced[] {
  const out: Produced[] = [];
  for (const kind of kinds) {
    out.push(...(graph.produced.get(keyOf(kind, namespace, name)) ?? []), ...(graph.produced.get(keyOf(kind, '*', name)) ?? []));
    for (const p of graph.produced.get(keyOf(kind, namespace, '*')) ?? []) {
      if (p.pattern && new RegExp(`^${escapeRegex(p.name)}-${escapeRegex(p.pattern.statefulSet)}-\\d+$`).test(name)) out.push(p);
    }
  }
  return out;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The opaque producers of a graph: charts and remote bases, HelmReleases, and custom resources of operators. */
export function opaqueProducers(graph: RepoGraph): OpaqueProducer[] {
  const cached = opaqueCache.get(graph);
  if (cached) return cached;
  const out: OpaqueProducer[] = [];
  for (const unit of graph.units) {
    out.push(...unit.opaque);
    for (const o of unit.objects) {
      const group = o.apiVersion.includes('/') ? o.apiVersion.slice(0, o.apiVersion.indexOf('/')) : '';
      if (o.kind === 'HelmRelease' && group === 'helm.toolkit.fluxcd.io') {
        // A chart names its objects as it likes (cilium's HelmRelease creates hubble-ui): any name in the release's namespace.
        const spec = docOf(graph.files, o)?.value?.spec;
        const target = isObj(spec) && typeof spec.targetNamespace === 'string' ? spec.targetNamespace : undefined;
        out.push({ namespace: target ?? o.namespace, what: `HelmRelease ${o.namespace}/${o.name} (its chart is not rendered)` });
      } else if (group.includes('.') && !NON_PRODUCING_GROUP.test(group)) {
        // An operator's custom resource: operators name what they create after it (`<name>`, `<name>-app`, `<name>-rw`…).
        out.push({ namespace: o.namespace, prefix: o.name, what: `${o.kind} ${o.namespace}/${o.name} (an operator's resource)` });
      }
    }
  }
  opaqueCache.set(graph, out);
  return out;
}
const opaqueCache = new WeakMap<RepoGraph, OpaqueProducer[]>();

function opaqueFor(graph: RepoGraph, namespace: string, name: string): OpaqueProducer | undefined {
  return opaqueProducers(graph).find((p) => (p.namespace === undefined || p.namespace === namespace) && (p.prefix === undefined || name.startsWith(p.prefix)));
}

/** True when an opaque producer may create pods in the namespace (selectors there are not checked). */
export function namespaceHasOpaquePods(graph: RepoGraph, namespace: string): boolean {
  return opaqueProducers(graph).some((p) => p.namespace === undefined || p.namespace === namespace);
}
