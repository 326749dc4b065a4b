/**
 * Broken references as findings, computed on the rendered desired state of
 * every unit (see repo-graph.ts) and reported on the exact value in the
 * source file. One finding per value: a base built by two overlays is
 * reported once, naming the unit it fails in.
 *
 * Object references that the repository does not satisfy are warnings that
 * carry `data.lookup` (the target's identity); with a bound cluster the
 * caller asks the cluster and {@link applyClusterState} turns them into
 * information ("not in the repo; exists in the cluster") or errors.
 * `# gitops-lens-ignore <code>` on the finding's line or the line above
 * silences one occurrence; each check can be switched off.
 */
import * as path from 'node:path';
import type { Finding, Range } from '../findings.js';
import { argoGlobMatch } from '../render/argo-source.js';
import type { RefSite } from './graph-types.js';
import type { IndexedDoc, IndexedFile } from './index-file.js';
import type { ReferenceCheck } from '../protocol/reference-check-codes.js';
import { podSpecPath, valueAt } from './reference-sites.js';
import { dependencyCycles } from './depends-on.js';
import { namespaceHasOpaquePods, resolveSite } from './resolve-reference.js';
import { docOf, keyOf, substitutedName, type Located, type RepoGraph } from './repo-graph.js';

/** The identity of a referenced object, for the cluster lookup. */
export interface ReferenceLookup {
  kind: string;
  namespace: string;
  name: string;
}

/** `data` of a reference finding. */
export interface ReferenceFindingData {
  /** Set when the repository does not satisfy the reference: the object to look for in a bound cluster. */
  lookup?: ReferenceLookup;
  /** The unit the reference fails in (`apps/production`). */
  unit?: string;
}

/** What a bound cluster says about an object: there, not there, or unknown (not bound, unreachable). */
export type ClusterAnswer = 'exists' | 'absent' | undefined;

/** Options of {@link referenceFindings}. */
export interface ReferenceCheckOptions {
  /** Checks switched on (all when absent). */
  checks?: Partial<Record<ReferenceCheck, boolean>>;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const WHAT_BREAKS: Record<string, string> = {
  workload: 'pods that use it do not start',
  backend: 'requests to this backend fail',
  source: 'it never reconciles',
  'depends-on': 'it waits forever',
  'argo-project': 'Argo CD refuses to sync it',
};

/** The broken references of a repository, by absolute file path. */
export function referenceFindings(graph: RepoGraph, options: ReferenceCheckOptions = {}): Map<string, Finding[]> {
  const on = (c: ReferenceCheck) => options.checks?.[c] !== false;
  const byFile = new Map<string, Finding[]>();
  const seen = new Set<string>();
  const add = (file: string, f: Finding) => {
    const key = `${file}|${f.range.start.line}:${f.range.start.character}|${f.code}`;
    if (seen.has(key)) return;
    seen.add(key);
    const list = byFile.get(file) ?? [];
    list.push(f);
    byFile.set(file, list);
  };
  if (on('kustomize-entry-missing')) kustomizeEntries(graph, add);
  // A site is judged in every unit that renders it; it is reported when it fails in one, once.
  const failing = new Map<string, { f: Finding; file: string }>();
  const fine = new Set<string>();
  for (const unit of graph.units) {
    for (const o of unit.objects) {
      const doc = docOf(graph.files, o);
      if (!doc || !o.file) continue;
      const loc: Located = { o, unit };
      for (const site of doc.sites) {
        const code = codeOf(site);
        if (!code || !on(code) || site.optional) continue;
        const key = `${o.file}|${site.range.start.line}:${site.range.start.character}`;
        const r = resolveSite(graph, loc, site);
        if (r.status === 'found' || r.status === 'produced' || r.status === 'assumed') {
          fine.add(key);
          continue;
        }
        if (failing.has(key)) continue;
        failing.set(key, { file: o.file, f: siteFinding(loc, site, code, r) });
      }
      if (on('selector-matches-nothing')) selectorCheck(graph, loc, doc, add);
      if (on('argo-destination-denied')) argoDestinationCheck(graph, loc, doc, add);
    }
  }
  // A value that resolves in one unit and not in another (a base shared by overlays) is broken in that one: still reported.
  for (const { file, f } of failing.values()) add(file, f);
  if (on('depends-on-cycle')) for (const c of dependencyCycles(graph)) add(c.file, c.finding);
  for (const [file, list] of byFile) {
    const ignores = graph.files.files.get(file)?.ignores;
    const kept = ignores?.size ? list.filter((f) => !ignored(ignores, f)) : list;
    if (kept.length) byFile.set(file, kept.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character));
    else byFile.delete(file);
  }
  return byFile;
}

function ignored(ignores: Map<number, Set<string>>, f: Finding): boolean {
  const line = f.range.start.line;
  for (const l of [line, line - 1]) {
    const codes = ignores.get(l);
    if (codes && (codes.has(f.code) || codes.has('*'))) return true;
  }
  return false;
}

function codeOf(site: RefSite): ReferenceCheck | undefined {
  switch (site.kind) {
    case 'workload':
      return 'workload-ref-not-found';
    case 'source':
      return 'source-not-found';
    case 'depends-on':
      return 'depends-on-not-found';
    case 'backend':
      return 'backend-not-found';
    case 'argo-project':
      return 'argo-project-not-found';
    default:
      return undefined;
  }
}

function finding(range: Range, severity: Finding['severity'], code: string, message: string, data?: ReferenceFindingData): Finding {
  return { range, severity, code, message, source: 'gitops-lens', ...(data ? { data } : {}) };
}

function siteFinding(loc: Located, site: RefSite, code: ReferenceCheck, r: Extract<ReturnType<typeof resolveSite>, { status: 'hashed' | 'missing' }>): Finding {
  const kind = site.targetKinds[0];
  const where = loc.unit.agent ? ` (rendered by ${loc.unit.agentKind === 'flux' ? 'Kustomization' : 'Application'} ${loc.unit.agent.namespace}/${loc.unit.agent.name}, ${loc.unit.label})` : ` (in ${loc.unit.label})`;
  if (r.status === 'hashed') {
    const g = r.targets[0].o;
    return finding(site.range, 'warning', code,
      `${kind} "${r.name}" is generated by kustomize with a content-hash suffix (${r.name}-<hash>), and ${site.field} is not rewritten to it${where}: ${WHAT_BREAKS[site.kind] ?? 'the reference breaks'}. ` +
        `Set options.disableNameSuffixHash: true on the generator${g.generator ? ` in ${path.basename(g.generator.file)}` : ''}, or add a nameReference configuration for this field.`,
      { lookup: { kind, namespace: r.namespace, name: r.name }, unit: loc.unit.label });
  }
  const ns = isNamespaced(kind) ? ` in namespace "${r.namespace}"` : '';
  const what = site.kind === 'depends-on' ? `${kind} "${r.name}"${ns} matches nothing in the repository` : site.kind === 'source' ? `${kind} "${r.name}"${ns} matches nothing in the repository` : `${kind} "${r.name}"${ns} is neither rendered nor produced by the repository`;
  const todo = site.kind === 'depends-on' || site.kind === 'source' || site.kind === 'argo-project' ? 'Fix the name or namespace, or add it to the repository.' : 'Add it (or a generator, ExternalSecret… that creates it) to the repository, or fix the name.';
  return finding(site.range, 'warning', code, `${what}${where}: ${WHAT_BREAKS[site.kind] ?? 'the reference breaks'}. ${todo}`, { lookup: { kind, namespace: r.namespace, name: r.name }, unit: loc.unit.label });
}

function isNamespaced(kind: string): boolean {
  return kind !== 'Namespace' && !kind.startsWith('Cluster');
}

/** Entry findings of a kustomization file, kept while the file and what exists where are the same. */
const entryCache = new WeakMap<IndexedFile, { membership: number; structure: number; findings: Finding[] }>();

/** Kustomization entries that do not exist (kustomize would fail), in every kustomization file outside Helm charts. */
function kustomizeEntries(graph: RepoGraph, add: (file: string, f: Finding) => void): void {
  const { files } = graph;
  for (const [file, indexed] of files.files) {
    if (!indexed.docs.some((d) => d.kustomization) || files.isInChart(file)) continue;
    let cached = entryCache.get(indexed);
    if (!cached || cached.membership !== files.membership || cached.structure !== files.structure) {
      cached = { membership: files.membership, structure: files.structure, findings: entryFindings(graph, file, indexed) };
      entryCache.set(indexed, cached);
    }
    for (const f of cached.findings) add(file, f);
  }
}

function entryFindings(graph: RepoGraph, file: string, indexed: IndexedFile): Finding[] {
  const { model } = graph;
  const out: Finding[] = [];
  for (const doc of indexed.docs) {
    if (!doc.kustomization) continue;
    const dir = path.dirname(file);
    for (const e of doc.paths) {
      if (e.remote || e.optional || e.base !== 'kustomization') continue;
      const target = path.resolve(dir, e.value);
      const kind = model.kindOf(target);
      const shown = JSON.stringify(e.value);
      if (kind === undefined) {
        out.push(finding(e.range, 'error', 'kustomize-entry-missing', `${shown} (${e.field}) does not exist: kustomize build fails. Fix the path or remove the entry.`));
      } else if (kind === 'dir' && e.expect === 'file') {
        out.push(finding(e.range, 'error', 'kustomize-entry-missing', `${shown} (${e.field}) is a folder, not a file: kustomize build fails. Name a file.`));
      } else if (kind === 'dir' && !model.kustomizationOf(target) && (e.field === 'resources' || e.field === 'bases' || e.field === 'components')) {
        out.push(finding(e.range, 'error', 'kustomize-entry-missing', `${shown} (${e.field}) is a folder without a kustomization.yaml: kustomize build fails. Add one there, or list its files.`));
      } else if (kind === 'file' && e.expect === 'dir') {
        out.push(finding(e.range, 'error', 'kustomize-entry-missing', `${shown} (${e.field}) is a file; a component is a folder with a kustomization.yaml (kind: Component). Name the folder.`));
      }
    }
  }
  return out;
}

/** Labels of a pod template, or undefined when they depend on variables the model cannot resolve. */
function podTemplateLabels(graph: RepoGraph, loc: Located): Record<string, string> | undefined | null {
  const pod = podSpecPath(loc.o.kind);
  if (!pod) return null;
  const value = docOf(graph.files, loc.o)?.value;
  const labelsPath = loc.o.kind === 'Pod' ? ['metadata', 'labels'] : [...pod.slice(0, -1), 'metadata', 'labels'];
  const labels = valueAt(value, labelsPath);
  if (!isObj(labels)) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) {
    const s = substitutedName(loc.unit, String(v));
    if (s === undefined) return undefined;
    out[k] = s;
  }
  return out;
}

interface Requirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values: string[];
}

function requirementsOf(selector: unknown, plainMap: boolean): Requirement[] | undefined {
  if (!isObj(selector)) return undefined;
  const out: Requirement[] = [];
  const labels = plainMap ? selector : isObj(selector.matchLabels) ? selector.matchLabels : {};
  for (const [k, v] of Object.entries(labels)) out.push({ key: k, operator: 'In', values: [String(v)] });
  if (!plainMap && Array.isArray(selector.matchExpressions)) {
    for (const e of selector.matchExpressions) {
      if (!isObj(e) || typeof e.key !== 'string' || !['In', 'NotIn', 'Exists', 'DoesNotExist'].includes(String(e.operator))) return undefined;
      out.push({ key: e.key, operator: e.operator as Requirement['operator'], values: Array.isArray(e.values) ? e.values.map(String) : [] });
    }
  }
  return out;
}

function matches(reqs: Requirement[], labels: Record<string, string>): boolean {
  return reqs.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(labels, r.key);
    switch (r.operator) {
      case 'In':
        return has && r.values.includes(labels[r.key]);
      case 'NotIn':
        return !has || !r.values.includes(labels[r.key]);
      case 'Exists':
        return has;
      case 'DoesNotExist':
        return !has;
    }
  });
}

/** Pod templates by namespace, over every unit of the graph. */
function podTemplates(graph: RepoGraph): Map<string, Array<Record<string, string> | undefined>> {
  const cached = templatesCache.get(graph);
  if (cached) return cached;
  const out = new Map<string, Array<Record<string, string> | undefined>>();
  for (const unit of graph.units) {
    for (const o of unit.objects) {
      const labels = podTemplateLabels(graph, { o, unit });
      if (labels === null) continue;
      const list = out.get(o.namespace) ?? [];
      list.push(labels);
      out.set(o.namespace, list);
    }
  }
  templatesCache.set(graph, out);
  return out;
}
const templatesCache = new WeakMap<RepoGraph, Map<string, Array<Record<string, string> | undefined>>>();

/** A Service / PodDisruptionBudget / NetworkPolicy selector that matches no pod template of its namespace. */
function selectorCheck(graph: RepoGraph, loc: Located, doc: IndexedDoc, add: (file: string, f: Finding) => void): void {
  const { o } = loc;
  const group = o.apiVersion.includes('/') ? o.apiVersion.slice(0, o.apiVersion.indexOf('/')) : '';
  const spec = isObj(doc.value?.spec) ? (doc.value!.spec as Obj) : undefined;
  if (!spec) return;
  let reqs: Requirement[] | undefined;
  let anchor: Range | undefined;
  if (o.kind === 'Service' && group === '' && spec.type !== 'ExternalName') {
    reqs = requirementsOf(spec.selector, true);
    anchor = doc.anchors?.['spec.selector'];
  } else if (o.kind === 'PodDisruptionBudget' && group === 'policy') {
    reqs = requirementsOf(spec.selector, false);
    anchor = doc.anchors?.['spec.selector'];
  } else if (o.kind === 'NetworkPolicy' && group === 'networking.k8s.io') {
    reqs = requirementsOf(spec.podSelector, false);
    anchor = doc.anchors?.['spec.podSelector'];
  }
  // No selector, or an empty one (all pods), or one built from variables: nothing to check.
  if (!reqs || !reqs.length || !anchor || !o.file) return;
  for (const r of reqs) for (const v of r.values) if (substitutedName(loc.unit, v) === undefined || v.includes('${')) return;
  if (namespaceHasOpaquePods(graph, o.namespace)) return;
  const templates = podTemplates(graph).get(o.namespace) ?? [];
  if (templates.some((labels) => labels === undefined || matches(reqs!, labels))) return;
  const shown = reqs.map((r) => (r.operator === 'In' && r.values.length === 1 ? `${r.key}=${r.values[0]}` : `${r.key} ${r.operator}${r.values.length ? ` (${r.values.join(', ')})` : ''}`)).join(', ');
  const effect = o.kind === 'Service' ? 'the Service has no endpoints' : o.kind === 'PodDisruptionBudget' ? 'the budget protects no pod' : 'the policy applies to no pod';
  add(o.file, finding(anchor, 'warning', 'selector-matches-nothing',
    `${o.kind} ${o.name}: the selector ${shown} matches no pod template in namespace "${o.namespace}" (${templates.length} there): ${effect}. Fix the selector or the pods' labels.`));
}

/** An Argo CD Application whose AppProject (found in the repository) does not allow its destination. */
function argoDestinationCheck(graph: RepoGraph, loc: Located, doc: IndexedDoc, add: (file: string, f: Finding) => void): void {
  const { o } = loc;
  if (o.kind !== 'Application' || !o.apiVersion.startsWith('argoproj.io/') || !o.file) return;
  const spec = isObj(doc.value?.spec) ? (doc.value!.spec as Obj) : {};
  const project = typeof spec.project === 'string' ? spec.project : 'default';
  const destination = isObj(spec.destination) ? spec.destination : {};
  if (project.includes('{{')) return;
  const projects = graph.byKey.get(keyOf('AppProject', o.namespace, project)) ?? [];
  if (projects.length !== 1) return;
  const pspec = docOf(graph.files, projects[0].o)?.value?.spec;
  const destinations = isObj(pspec) && Array.isArray(pspec.destinations) ? pspec.destinations.filter(isObj) : undefined;
  if (!destinations) return;
  const server = typeof destination.server === 'string' ? destination.server : undefined;
  const name = typeof destination.name === 'string' ? destination.name : undefined;
  const namespace = typeof destination.namespace === 'string' ? destination.namespace : '';
  if ([server, name, namespace].some((v) => v?.includes('{{') || v?.includes('${'))) return;
  const glob = (pattern: unknown, value: string | undefined) => typeof pattern === 'string' && value !== undefined && argoGlobMatch(pattern, value);
  const allows = (d: Obj) => (glob(d.server, server) || glob(d.name, name)) && (d.namespace === undefined ? true : glob(d.namespace, namespace));
  const denies = (d: Obj) => typeof d.namespace === 'string' && d.namespace.startsWith('!') && argoGlobMatch(d.namespace.slice(1), namespace) && (glob(d.server, server) || glob(d.name, name));
  if (destinations.some(denies) === false && destinations.filter((d) => !(typeof d.namespace === 'string' && d.namespace.startsWith('!'))).some(allows)) return;
  const range = doc.anchors?.['spec.destination.namespace'] ?? doc.anchors?.['spec.destination.server'] ?? doc.anchors?.['spec.destination.name'] ?? doc.anchors?.['spec.destination'];
  if (!range) return;
  const target = `${server ? `server ${server}` : `cluster ${name ?? '?'}`}${namespace ? `, namespace "${namespace}"` : ''}`;
  add(o.file, finding(range, 'error', 'argo-destination-denied',
    `AppProject "${project}" does not allow the destination ${target}: Argo CD refuses to sync this Application. Add the destination to the project's spec.destinations, or change it here.`));
}

/**
 * Adjusts the object-reference findings with what the bound cluster says:
 * present → information "not in the repo; exists in the cluster"; absent →
 * error. Findings without a lookup, or with no answer, stay as they are.
 */
export function applyClusterState(findings: Finding[], answer: (lookup: ReferenceLookup) => ClusterAnswer, context: string): Finding[] {
  return findings.map((f) => {
    const lookup = (f.data as ReferenceFindingData | undefined)?.lookup;
    if (!lookup) return f;
    const a = answer(lookup);
    if (a === 'exists') {
      const ns = isNamespaced(lookup.kind) ? ` in namespace "${lookup.namespace}"` : '';
      return { ...f, severity: 'information', message: `${lookup.kind} "${lookup.name}" is not in the repo; exists in the cluster (context "${context}"${ns}). Add it to the repository to manage it with GitOps.` };
    }
    if (a === 'absent') return { ...f, severity: 'error', message: `${f.message.replace(/\.$/, '')} It is not in the cluster either (context "${context}").` };
    return f;
  });
}

/** Every lookup the findings need, deduplicated. */
export function lookupsOf(findings: Iterable<Finding>): ReferenceLookup[] {
  const out = new Map<string, ReferenceLookup>();
  for (const f of findings) {
    const l = (f.data as ReferenceFindingData | undefined)?.lookup;
    if (l) out.set(keyOf(l.kind, l.namespace, l.name), l);
  }
  return [...out.values()];
}
