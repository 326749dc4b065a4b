/**
 * The rendered desired state of a repository, as identities: which units
 * (a Flux Kustomization's path, an Argo CD Application's source, an unbound
 * kustomization, a loose file) render which objects under which final name
 * and namespace, in which "cluster" (the root agent that leads to them).
 *
 * Units are found the way the agents find them: the root Flux Kustomizations
 * and Argo CD Applications (those no other unit renders, e.g. gotk-sync.yaml)
 * render their paths; every Kustomization or Application that comes out of a
 * render binds its own path, with the identity the render gave it (so a
 * `ks.yaml` without a namespace lands in its folder kustomization's
 * `namespace:`). Flux `targetNamespace`, `namePrefix`/`nameSuffix`,
 * `components` and `postBuild.substitute` apply; Argo CD's destination
 * namespace fills objects that have none.
 *
 * Everything is computed from the indexed files in process (no tool runs),
 * so the whole graph of a home-lab repository is rebuilt in milliseconds
 * after an edit.
 */
import * as path from 'node:path';
import { agentSourcesOf } from '../cluster/bindings.js';
import { bindingsFromObject, type PreviewBinding } from '../render/binding.js';
import { argoDirectoryIncludes } from '../render/argo-source.js';
import { substituteVariables } from '../render/post-build-substitute.js';
import type { FileLocation, RefSite } from './graph-types.js';
import type { IndexedDoc } from './index-file.js';
import { isClusterScoped, KustomizeModel, type BuildOutput, type Include, type OpaqueProducer, type RObj } from './kustomize-identities.js';
import type { PathProbe, RepoFiles } from './indexed-files.js';

/** Something that renders objects: an agent's path, an unbound kustomization, or a loose file. */
export interface Unit {
  id: string;
  /** The rendered folder or file, relative to the repository root (`apps/production`). */
  label: string;
  /** Absolute folder or file. */
  root: string;
  /** The Flux Kustomization / Argo CD Application that binds it, with its rendered identity. */
  agent?: RObj;
  agentKind?: 'flux' | 'argo';
  /** The unit whose render contains {@link agent}; undefined for roots. */
  parent?: Unit;
  /** The root agent's cluster label (`production` for clusters/production/…). */
  cluster?: string;
  objects: RObj[];
  opaque: OpaqueProducer[];
  files: Set<string>;
  includes: Include[];
  rules: BuildOutput['rules'];
  /** Flux postBuild variables; `varsUncertain` when `substituteFrom` may define others. */
  vars?: Record<string, string>;
  varsUncertain?: boolean;
}

/** A rendered object and the unit that renders it. */
export interface Located {
  o: RObj;
  unit: Unit;
}

/** An object a controller creates (an ExternalSecret's Secret…), counted as rendered. */
export interface Produced {
  kind: string;
  namespace: string;
  name: string;
  /** PVCs of a StatefulSet's claim template: `<name>-<statefulset>-<n>`. */
  pattern?: { statefulSet: string };
  by: Located;
  at: FileLocation;
}

/** The graph: units and indexes over their objects. */
export interface RepoGraph {
  root: string;
  units: Unit[];
  /** `kind|namespace|name` (final identity) → where it is rendered. */
  byKey: Map<string, Located[]>;
  /** `file#doc` (or a generator's `file@line:character`) → the units that render that document. */
  byDoc: Map<string, Located[]>;
  /** `file#doc` of every unit's agent → the agent in the unit that renders it (its parent, or its own unit for a root). */
  agents: Map<string, Located>;
  /** File → units that read it. */
  byFile: Map<string, Unit[]>;
  /** `kind|namespace|name` → producers; PVC patterns under `PersistentVolumeClaim|namespace|*`. */
  produced: Map<string, Produced[]>;
  /** GitRepositories the root agents sync from: created by the bootstrap (flux bootstrap, the Flux Operator), assumed to exist. */
  bootstrapSources: Set<string>;
  /** Absolute file or folder → the entries and agent paths that bring it into a build. */
  includes: Map<string, Include[]>;
  files: RepoFiles;
  model: KustomizeModel;
}

/** The key of an identity. */
export const keyOf = (kind: string, namespace: string, name: string): string => `${kind}|${namespace}|${name}`;
/** The key of a source document. */
export const docKey = (file: string, doc: number): string => `${file}#${doc}`;
/** The key of a kustomization generator entry (by the range of its name). */
export const generatorKey = (file: string, range: { start: { line: number; character: number } }): string => `${file}@${range.start.line}:${range.start.character}`;

/** The key of what declares a rendered object: its document (and List item), or its generator entry. */
export function declarationKey(o: RObj): string | undefined {
  if (o.generator) return generatorKey(o.generator.file, o.generator.entry.range);
  if (o.file === undefined) return undefined;
  return o.item === undefined ? docKey(o.file, o.doc!) : `${docKey(o.file, o.doc!)}.${o.item}`;
}

const FLUX_GROUP = 'kustomize.toolkit.fluxcd.io';
const SUBSTITUTE_ANNOTATION = 'kustomize.toolkit.fluxcd.io/substitute';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** True for a Flux Kustomization or an Argo CD Application. */
export function isAgent(o: { apiVersion?: string; kind?: string }): boolean {
  return (o.kind === 'Kustomization' && !!o.apiVersion?.startsWith(`${FLUX_GROUP}/`)) || (o.kind === 'Application' && !!o.apiVersion?.startsWith('argoproj.io/'));
}

/** The indexed document of a rendered object, if it comes from one. */
export function docOf(files: RepoFiles, o: { file?: string; doc?: number }): IndexedDoc | undefined {
  if (o.file === undefined || o.doc === undefined) return undefined;
  return files.files.get(o.file)?.docs[o.doc];
}

/** The default namespace of a unit's objects that set none. */
function defaultNamespaceOf(unit: Unit, binding: PreviewBinding | undefined): string {
  if (binding?.agent === 'argo' && binding.targetNamespace) return binding.targetNamespace;
  return 'default';
}

/** The cluster label of a root agent: the folder after `clusters/`, else the declaring file's folder. */
function clusterLabel(root: string, file: string | undefined): string | undefined {
  if (!file) return undefined;
  const rel = path.relative(root, file).split(path.sep);
  const i = rel.indexOf('clusters');
  if (i >= 0 && rel.length > i + 2) return rel[i + 1];
  return rel.length > 1 ? rel[rel.length - 2] : path.basename(root);
}

/** Builds the graph of a repository from its indexed files. */
export function buildRepoGraph(files: RepoFiles, probe: PathProbe, model = new KustomizeModel(files, probe)): RepoGraph {
  const root = files.root;
  const units: Unit[] = [];
  const rel = (p: string) => path.relative(root, p).split(path.sep).join('/') || '.';

  // Every agent document as written, and what each one's path renders (as written), to find the roots.
  const rawAgents: Array<{ o: RObj; value: Obj }> = [];
  const generators: Array<{ file: string; value: unknown }> = [];
  const sourcesInRepo = new Set<string>();
  for (const [file, indexed] of files.files) {
    if (files.isInChart(file)) continue;
    for (const d of indexed.docs) {
      if (!d.value || !d.apiVersion || !d.kind || !d.name) continue;
      if (d.kind === 'ArtifactGenerator') generators.push({ file: rel(file), value: d.value });
      if (d.kind === 'GitRepository') sourcesInRepo.add(d.name);
      if (isAgent(d)) rawAgents.push({ o: { apiVersion: d.apiVersion, kind: d.kind, name: d.name, origName: d.name, namespace: d.namespace ?? '', file, doc: d.index }, value: d.value });
    }
  }
  // What an agent renders depends on its spec and its parent's variables, not on its own name or namespace: one render per document.
  const renders = new Map<string, ReturnType<typeof renderAgentNow>>();
  const renderAgent = (o: RObj, value: Obj, parentVars?: Record<string, string>) => {
    const key = `${o.file}#${o.doc}|${parentVars && Object.keys(parentVars).length ? JSON.stringify(parentVars) : ''}`;
    if (!renders.has(key)) renders.set(key, renderAgentNow(o, value, parentVars));
    const r = renders.get(key);
    return r && { ...r, binding: { ...r.binding, name: o.name, namespace: o.namespace || r.binding.namespace } };
  };
  const renderAgentNow = (o: RObj, value: Obj, parentVars?: Record<string, string>): { out: BuildOutput; binding: PreviewBinding; folder: string } | undefined => {
    const binding = bindingOf(o, value, root, generators, sourcesInRepo, parentVars);
    if (!binding) return undefined;
    const folder = binding.folder;
    if (binding.agent === 'argo' && (binding.helm || (files.chartDirs.has(folder) && !files.kustomizationDirs.has(folder) && !binding.argo))) {
      const out: BuildOutput = { objects: [], opaque: [{ namespace: binding.targetNamespace, what: `Helm source (not rendered) of Application ${binding.namespace}/${binding.name}` }], files: new Set(), includes: [], rules: [], dirs: new Set() };
      return { out, binding, folder };
    }
    if (probe.kindOf(folder) !== 'dir') return undefined;
    if (binding.agent === 'flux') {
      const overrides = {
        namespace: binding.targetNamespace,
        namePrefix: binding.build?.namePrefix,
        nameSuffix: binding.build?.nameSuffix,
        components: (binding.build?.components ?? []).map((c) => path.resolve(folder, c)),
      };
      const out = files.kustomizationDirs.has(folder) ? model.build(folder, overrides) : model.buildGenerated(folder, overrides);
      return { out, binding, folder };
    }
    if (files.kustomizationDirs.has(folder)) {
      const components = (binding.argo?.kustomize?.components ?? []).map((c) => path.resolve(folder, c));
      const out = model.build(folder, { namespace: binding.argo?.kustomize?.namespace, namePrefix: binding.argo?.kustomize?.namePrefix, nameSuffix: binding.argo?.kustomize?.nameSuffix, components });
      return { out, binding, folder };
    }
    return { out: argoDirectory(files, model, folder, binding), binding, folder };
  };

  // Roots: agents no other agent's render contains.
  const coveredBy = new Map<string, Set<string>>();
  for (const a of rawAgents) {
    const r = renderAgent(a.o, a.value);
    if (!r) continue;
    const self = docKey(a.o.file!, a.o.doc!);
    for (const o of r.out.objects) {
      if (!isAgent(o) || o.file === undefined) continue;
      const k = docKey(o.file, o.doc!);
      if (k === self) continue;
      const set = coveredBy.get(k) ?? new Set();
      set.add(self);
      coveredBy.set(k, set);
    }
  }
  const roots = rawAgents.filter((a) => !coveredBy.has(docKey(a.o.file!, a.o.doc!)));

  const bootstrapSources = new Set<string>();
  const unitKeys = new Set<string>();
  const queue: Array<{ o: RObj; value: Obj; parent?: Unit; cluster?: string }> = roots.map((a) => ({ ...a, cluster: clusterLabel(root, a.o.file) }));
  for (const r of roots) {
    const ref = sourceRefOf(r.value);
    // The repository itself must come from somewhere: a root's GitRepository is the bootstrap's (other kinds are checked).
    if (ref?.kind === 'GitRepository') bootstrapSources.add(keyOf(ref.kind, ref.namespace ?? (r.o.namespace || 'flux-system'), ref.name));
  }
  while (queue.length) {
    const item = queue.shift()!;
    const agentKind = item.o.kind === 'Application' ? 'argo' : 'flux';
    if (!item.o.namespace) item.o = { ...item.o, namespace: agentKind === 'argo' ? 'argocd' : 'flux-system' };
    const key = `${item.o.kind}|${item.o.namespace}|${item.o.name}|${item.cluster ?? ''}|${docKey(item.o.file ?? '', item.o.doc ?? -1)}`;
    if (unitKeys.has(key) || units.length > 5000) continue;
    unitKeys.add(key);
    const r = renderAgent(item.o, item.value, item.parent?.vars);
    if (!r) continue;
    const unit: Unit = {
      id: `${agentKind}:${item.o.namespace}/${item.o.name}${item.cluster ? `@${item.cluster}` : ''}#${units.length}`,
      label: rel(r.folder),
      root: r.folder,
      agent: item.o,
      agentKind,
      ...(item.parent ? { parent: item.parent } : {}),
      ...(item.cluster ? { cluster: item.cluster } : {}),
      objects: r.out.objects.map((o) => ({ ...o })),
      opaque: r.out.opaque.map((p) => ({ ...p })),
      files: new Set(r.out.files),
      includes: [...r.out.includes],
      rules: r.out.rules,
    };
    if (item.o.file) unit.includes.push(...agentPathIncludes(files, item.o, root));
    if (r.binding.agent === 'flux') {
      unit.vars = r.binding.substitute ?? {};
      if (r.binding.substituteFrom?.length) unit.varsUncertain = true;
    }
    finishUnit(files, unit, r.binding);
    units.push(unit);
    for (const o of unit.objects) {
      if (!isAgent(o) || (o.file === item.o.file && o.doc === item.o.doc)) continue;
      const d = docOf(files, o);
      if (d?.value) queue.push({ o, value: d.value, parent: unit, cluster: item.cluster });
    }
  }

  // Unbound kustomizations (roots of their own: not built by a unit, not a base or component of another) and loose files.
  const built = new Set<string>();
  const builtFiles = new Set<string>();
  for (const u of units) for (const f of u.files) builtFiles.add(f);
  for (const u of units) for (const o of u.objects) if (o.file) builtFiles.add(o.file);
  // The folder of root agents that nothing in the repository renders is applied by the bootstrap
  // (flux bootstrap's flux-system Kustomization, the Flux Operator's sync path, an Argo CD root app):
  // render it as Flux would, so those files and their siblings belong to the cluster.
  const bootstrapDirs = new Map<string, Unit[]>();
  for (const u of units) {
    if (u.parent || !u.agent?.file || builtFiles.has(u.agent.file)) continue;
    const dir = path.dirname(u.agent.file);
    if (dir === root || !dir.startsWith(root + path.sep)) continue;
    bootstrapDirs.set(dir, [...(bootstrapDirs.get(dir) ?? []), u]);
  }
  for (const [dir, roots] of bootstrapDirs) {
    const out = files.kustomizationDirs.has(dir) ? model.build(dir) : model.buildGenerated(dir);
    const unit: Unit = {
      id: `bootstrap:${rel(dir)}`,
      label: rel(dir),
      root: dir,
      ...(roots[0].cluster ? { cluster: roots[0].cluster } : {}),
      objects: out.objects.map((o) => ({ ...o })),
      opaque: out.opaque.map((p) => ({ ...p })),
      files: new Set(out.files),
      includes: [...out.includes],
      rules: out.rules,
    };
    finishUnit(files, unit, undefined);
    units.push(unit);
    for (const r of roots) r.parent = unit;
    for (const f of unit.files) builtFiles.add(f);
  }
  const referencedDirs = new Set<string>();
  for (const [dir] of files.kustomizationDirs) {
    const out = model.build(dir);
    for (const d of out.dirs) if (d !== dir) referencedDirs.add(d);
    for (const inc of out.includes) if (inc.field === 'components') referencedDirs.add(inc.target);
  }
  for (const u of units) for (const inc of u.includes) referencedDirs.add(inc.target);
  for (const u of units) if (files.kustomizationDirs.has(u.root)) built.add(u.root);
  for (const [dir, file] of files.kustomizationDirs) {
    if (built.has(dir) || referencedDirs.has(dir) || builtFiles.has(file) || files.isInChart(file)) continue;
    const k = model.kustomizationOf(dir);
    if (!k || k.doc.kustomization?.component) continue;
    const out = model.build(dir);
    const unit: Unit = { id: `kustomize:${rel(dir)}`, label: rel(dir), root: dir, objects: out.objects.map((o) => ({ ...o })), opaque: out.opaque.map((p) => ({ ...p })), files: new Set(out.files), includes: [...out.includes], rules: out.rules };
    finishUnit(files, unit, undefined);
    units.push(unit);
    for (const f of unit.files) builtFiles.add(f);
  }
  for (const file of [...files.files.keys()].sort()) {
    if (builtFiles.has(file) || files.isInChart(file) || files.kustomizationDirs.get(path.dirname(file)) === file) continue;
    const objects = model.objectsOfFile(file);
    if (!objects.length) continue;
    const unit: Unit = { id: `file:${rel(file)}`, label: rel(file), root: file, objects: objects.map((o) => ({ ...o })), opaque: [], files: new Set([file]), includes: [], rules: [] };
    finishUnit(files, unit, undefined);
    units.push(unit);
  }
  return indexGraph(root, files, model, units, bootstrapSources);
}

/** The binding of an agent object (with its rendered identity), or undefined when it does not render this repository. */
function bindingOf(o: RObj, value: Obj, root: string, generators: Array<{ file: string; value: unknown }>, sourcesInRepo: Set<string>, parentVars?: Record<string, string>): PreviewBinding | undefined {
  const meta = isObj(value.metadata) ? value.metadata : {};
  let v: Obj = { ...value, metadata: { ...meta, name: o.name, namespace: o.namespace || undefined } };
  const spec = isObj(v.spec) ? v.spec : {};
  const sub = (s: unknown) => (typeof s === 'string' && s.includes('${') && parentVars ? substituteVariables(s, parentVars).text : s);
  if (o.kind === 'Kustomization') {
    const ref = isObj(spec.sourceRef) ? spec.sourceRef : {};
    const refKind = typeof ref.kind === 'string' ? ref.kind : 'GitRepository';
    let specPath = sub(spec.path);
    if (refKind === 'ExternalArtifact') {
      const mapped = agentSourcesOf([...generators, { file: path.relative(root, o.file ?? root), value: v }]).find((a) => a.kind === 'flux-kustomization');
      if (!mapped) return undefined;
      specPath = `./${mapped.path}`;
    } else if (refKind !== 'GitRepository') {
      return undefined;
    } else if (typeof ref.name === 'string' && ref.name !== 'flux-system' && sourcesInRepo.has(ref.name)) {
      // A GitRepository declared in this repository other than the bootstrap one points at another repository (a tenant's).
      return undefined;
    }
    v = { ...v, spec: { ...spec, path: specPath, targetNamespace: sub(spec.targetNamespace), sourceRef: { ...ref, kind: 'GitRepository' } } };
  }
  return bindingsFromObject(v, root)[0];
}

function sourceRefOf(value: Obj): { kind: string; name: string; namespace?: string } | undefined {
  const ref = isObj(value.spec) && isObj(value.spec.sourceRef) ? value.spec.sourceRef : undefined;
  if (!ref || typeof ref.kind !== 'string' || typeof ref.name !== 'string') return undefined;
  return { kind: ref.kind, name: ref.name, ...(typeof ref.namespace === 'string' ? { namespace: ref.namespace } : {}) };
}

/** The Flux `spec.path` / Argo CD source path of an agent document, as includes of its folder. */
function agentPathIncludes(files: RepoFiles, o: RObj, root: string): Include[] {
  const d = docOf(files, o);
  if (!d) return [];
  return d.paths.filter((p) => p.base === 'root' && !p.remote).map((p) => ({ target: path.resolve(root, p.value), from: { file: o.file!, range: p.range }, field: p.field }));
}

/** An Argo CD directory source: top-level manifests (or all, with `recurse`), filtered by include/exclude. */
function argoDirectory(files: RepoFiles, model: KustomizeModel, folder: string, binding: PreviewBinding): BuildOutput {
  const out: BuildOutput = { objects: [], opaque: [], files: new Set(), includes: [], rules: [], dirs: new Set() };
  const prefix = folder + path.sep;
  for (const f of [...files.files.keys()].sort()) {
    if (!f.startsWith(prefix) || files.isInChart(f)) continue;
    const relative = f.slice(prefix.length).split(path.sep).join('/');
    if (!binding.argo?.directory?.recurse && relative.includes('/')) continue;
    if (!argoDirectoryIncludes(relative, binding.argo?.directory)) continue;
    out.files.add(f);
    out.objects.push(...model.objectsOfFile(f).map((o) => ({ ...o })));
  }
  return out;
}

/** Postbuild substitution of names and the unit's default namespace. */
function finishUnit(files: RepoFiles, unit: Unit, binding: PreviewBinding | undefined): void {
  const fallback = defaultNamespaceOf(unit, binding);
  for (const o of unit.objects) {
    if (unit.vars && (o.name.includes('${') || o.namespace.includes('${'))) {
      const d = docOf(files, o);
      const annotations = isObj(d?.value?.metadata) && isObj((d!.value!.metadata as Obj).annotations) ? ((d!.value!.metadata as Obj).annotations as Obj) : {};
      if (annotations[SUBSTITUTE_ANNOTATION] !== 'disabled') {
        o.name = substituteVariables(o.name, unit.vars).text;
        o.namespace = substituteVariables(o.namespace, unit.vars).text;
      }
    }
    if (!o.namespace && !isClusterScoped(o.kind)) o.namespace = isAgent(o) ? (o.kind === 'Application' ? 'argocd' : 'flux-system') : fallback;
  }
  for (const p of unit.opaque) if (p.namespace === undefined && binding?.targetNamespace) p.namespace = binding.targetNamespace;
}

/** The value of a reference site after the unit's postBuild substitution; undefined when it depends on variables only the cluster knows. */
export function substitutedName(unit: Unit, name: string): string | undefined {
  if (!name.includes('${')) return name;
  if (!unit.vars) return name.includes('${') ? undefined : name;
  const r = substituteVariables(name, unit.vars);
  if (r.unset.length && unit.varsUncertain) return undefined;
  return r.text;
}

function indexGraph(root: string, files: RepoFiles, model: KustomizeModel, units: Unit[], bootstrapSources: Set<string>): RepoGraph {
  const byKey = new Map<string, Located[]>();
  const byDoc = new Map<string, Located[]>();
  const byFile = new Map<string, Unit[]>();
  const produced = new Map<string, Produced[]>();
  const includes = new Map<string, Include[]>();
  const agents = new Map<string, Located>();
  const push = <T>(m: Map<string, T[]>, k: string, v: T) => {
    const list = m.get(k);
    if (list) list.push(v);
    else m.set(k, [v]);
  };
  for (const unit of units) {
    if (unit.agent?.file !== undefined) {
      const k = docKey(unit.agent.file, unit.agent.doc!);
      if (!agents.has(k)) agents.set(k, { o: unit.agent, unit: unit.parent ?? unit });
    }
    for (const f of unit.files) push(byFile, f, unit);
    for (const o of unit.objects) {
      const loc: Located = { o, unit };
      push(byKey, keyOf(o.kind, o.namespace, o.name), loc);
      if (o.file !== undefined) {
        push(byDoc, docKey(o.file, o.doc!), loc);
        if (!unit.files.has(o.file)) push(byFile, o.file, unit);
      }
      if (o.generator) push(byDoc, generatorKey(o.generator.file, o.generator.entry.range), loc);
      const d = docOf(files, o);
      for (const p of d?.produces ?? []) {
        const name = p.name === undefined ? o.name : substitutedName(unit, p.name);
        if (!name) continue;
        const ns = p.anyNamespace ? '*' : o.namespace;
        const entry: Produced = { kind: p.kind, namespace: ns, name, by: loc, at: { file: o.file!, range: p.range } };
        if (p.pattern) push(produced, keyOf(p.kind, ns, '*'), { ...entry, pattern: { statefulSet: o.name } });
        else push(produced, keyOf(p.kind, ns, name), entry);
      }
    }
  }
  // Every kustomization's entries, built or not, so "who includes this file" is complete.
  // Builds share their includes' objects, so identity dedupes them (an agent path is listed once per unit).
  const seen = new Set<Include>();
  const addInclude = (inc: Include) => {
    if (seen.has(inc)) return;
    seen.add(inc);
    push(includes, inc.target, inc);
  };
  for (const u of units) for (const inc of u.includes) addInclude(inc);
  for (const [dir] of files.kustomizationDirs) for (const inc of model.build(dir).includes) addInclude(inc);
  return { root, units, byKey, byDoc, agents, byFile, produced, bootstrapSources, includes, files, model };
}

/** The sites of a rendered object's document. */
export function sitesOf(files: RepoFiles, o: RObj): RefSite[] {
  return docOf(files, o)?.sites ?? [];
}
