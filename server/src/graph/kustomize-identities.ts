/**
 * The identities a kustomize build renders, computed in process from the
 * indexed files: which objects come out of a folder's kustomization, under
 * which final name and namespace. It follows kustomize v5's order —
 * resources (files and nested kustomizations), then components (which
 * transform everything accumulated so far), then generators, then the
 * folder's own transformers: `namespace` (which also renames Namespace
 * objects) and `namePrefix` / `nameSuffix` (never on Namespaces, CRDs and
 * APIServices). Generated ConfigMaps and Secrets get a content hash unless
 * it is disabled. Patches do not change identities and are only followed as
 * links. What cannot be known without running a tool (remote bases, Helm
 * charts) is recorded as an opaque producer, so a reference it may satisfy
 * is never called broken.
 *
 * `test/cli/references-corpora.test.ts` compares these identities
 * with `kubectl kustomize` on every kustomization of the shared corpora.
 */
import * as path from 'node:path';
import type { FileLocation, GeneratorEntry, NameReferenceRule } from './graph-types.js';
import type { IndexedDoc } from './index-file.js';
import type { PathProbe, RepoFiles } from './indexed-files.js';

/** One rendered object's identity and where it comes from. */
export interface RObj {
  apiVersion: string;
  kind: string;
  /** The final name (without a generator's hash suffix; see {@link hashed}). */
  name: string;
  /** The name as declared, which kustomize's name references use. */
  origName: string;
  /** The final namespace; '' when nothing set one. */
  namespace: string;
  /** A generated ConfigMap/Secret whose final name also has `-<hash>`. */
  hashed?: boolean;
  /** The source document (absolute file, document index). */
  file?: string;
  doc?: number;
  /** The index of the item, for an object of a `List` document. */
  item?: number;
  /** The kustomization generator entry that produced it. */
  generator?: { file: string; entry: GeneratorEntry };
  /** The build folders it passed through, innermost first (kustomize resolves a name reference to the nearest). */
  via?: string;
}

/** Something that creates objects the model cannot see (a Helm chart, a remote base). */
export interface OpaqueProducer {
  /** Namespace the objects land in; undefined = any. */
  namespace?: string;
  /** The names start with this (a Helm release's name); undefined = any name. */
  prefix?: string;
  /** For messages and logs: `HelmRelease media/bonob`, `remote base https://…`. */
  what: string;
}

/** A path listed somewhere (kustomization entry, Flux/Argo CD path) that brings a file or folder into a build. */
export interface Include {
  /** Absolute file or folder. */
  target: string;
  /** Where it is listed. */
  from: FileLocation;
  field: string;
}

/** The result of building one folder. */
export interface BuildOutput {
  objects: RObj[];
  opaque: OpaqueProducer[];
  /** Every file the build reads. */
  files: Set<string>;
  includes: Include[];
  /** nameReference rules from `configurations` files. */
  rules: NameReferenceRule[];
  /** The kustomization folders the build went through. */
  dirs: Set<string>;
}

/** Overrides a Flux Kustomization or Argo CD Application applies to the top kustomization of its path. */
export interface BuildOverrides {
  namespace?: string;
  namePrefix?: string;
  nameSuffix?: string;
  /** Extra component folders (absolute), appended after the kustomization's own. */
  components?: string[];
}

/** Kinds kustomize never prefixes or suffixes. */
const NO_PREFIX = new Set(['Namespace', 'CustomResourceDefinition', 'APIService']);

/** Built-in cluster-scoped kinds (kustomize's own list, from the Kubernetes API); custom resources count as namespaced, as in kustomize. */
export const CLUSTER_SCOPED_KINDS = new Set([
  'ComponentStatus', 'Namespace', 'Node', 'PersistentVolume', 'MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration',
  'MutatingAdmissionPolicy', 'MutatingAdmissionPolicyBinding', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding',
  'CustomResourceDefinition', 'APIService', 'TokenReview', 'SelfSubjectAccessReview', 'SelfSubjectRulesReview', 'SubjectAccessReview',
  'CertificateSigningRequest', 'ClusterTrustBundle', 'FlowSchema', 'PriorityLevelConfiguration', 'IngressClass', 'IPAddress', 'ServiceCIDR',
  'RuntimeClass', 'ClusterRole', 'ClusterRoleBinding', 'DeviceClass', 'ResourceSlice', 'PriorityClass', 'CSIDriver', 'CSINode',
  'StorageClass', 'VolumeAttachment', 'VolumeAttributesClass', 'PodSecurityPolicy',
]);

/** True when kustomize (and the API server) give the kind no namespace. */
export function isClusterScoped(kind: string): boolean {
  return CLUSTER_SCOPED_KINDS.has(kind);
}

/** A memoized build and what it depends on. */
interface MemoEntry {
  out: BuildOutput;
  /** Files and folders it read or looked for: a change to one of them (or to a file directly inside one) invalidates it. */
  deps: Set<string>;
  /** For Flux's generated kustomization: every file under this folder counts. */
  tree?: string;
}

/**
 * Builds kustomize folders of one repository from its indexed files.
 * Results are memoized per folder and build options; after a change only the
 * builds that read the changed file are redone (all of them when a
 * kustomization file appears or goes).
 */
export class KustomizeModel {
  private readonly memo = new Map<string, MemoEntry>();
  private readonly fileObjects = new Map<string, RObj[]>();
  private readonly layouts = new Map<string, { nested: string[]; files: string[]; membership: number; structure: number }>();
  private generation: number;
  private structure: number;

  constructor(
    private readonly files: RepoFiles,
    private readonly probe: PathProbe,
  ) {
    this.generation = files.generation;
    this.structure = files.structure;
  }

  private fresh(): void {
    if (this.generation === this.files.generation) return;
    const changed = this.structure === this.files.structure ? this.files.changedSince(this.generation) : undefined;
    if (!changed) {
      this.memo.clear();
      this.fileObjects.clear();
    } else {
      for (const p of changed) {
        this.fileObjects.delete(p);
        const dir = path.dirname(p);
        for (const [key, entry] of this.memo) {
          if (entry.deps.has(p) || entry.deps.has(dir) || (entry.tree && p.startsWith(entry.tree + path.sep))) this.memo.delete(key);
        }
      }
    }
    this.generation = this.files.generation;
    this.structure = this.files.structure;
  }

  private remember(key: string, out: BuildOutput, tree?: string): BuildOutput {
    const deps = new Set<string>([...out.files, ...out.dirs, ...out.includes.map((i) => i.target)]);
    this.memo.set(key, { out, deps, ...(tree ? { tree } : {}) });
    return out;
  }

  /** What is at a path (the repository's probe). */
  kindOf(p: string): 'file' | 'dir' | undefined {
    return this.probe.kindOf(p);
  }

  /** The kustomization document of a folder, when it has one. */
  kustomizationOf(dir: string): { file: string; doc: IndexedDoc } | undefined {
    const file = this.files.kustomizationDirs.get(dir);
    if (!file) return undefined;
    const doc = this.files.files.get(file)?.docs.find((d) => d.kustomization);
    return doc ? { file, doc } : undefined;
  }

  /** The objects a plain YAML file declares (kustomize reads it as a resource). */
  objectsOfFile(file: string): RObj[] {
    this.fresh();
    const cached = this.fileObjects.get(file);
    if (cached) return cached;
    const out: RObj[] = [];
    const indexed = this.files.files.get(file);
    if (indexed && !this.files.isInChart(file)) {
      for (const d of indexed.docs) {
        if (d.kustomization || !d.apiVersion || !d.kind) continue;
        if (d.items) {
          // kustomize expands List documents into their items.
          d.items.forEach((it, item) => out.push({ apiVersion: it.apiVersion, kind: it.kind, name: it.name, origName: it.name, namespace: it.namespace ?? '', file, doc: d.index, item }));
          continue;
        }
        if (!d.name) continue;
        out.push({ apiVersion: d.apiVersion, kind: d.kind, name: d.name, origName: d.name, namespace: d.namespace ?? '', file, doc: d.index });
      }
    }
    this.fileObjects.set(file, out);
    return out;
  }

  /**
   * Builds a kustomization folder. `overrides` are a Flux Kustomization's or
   * Argo CD Application's settings for its path (not memoized); `input` is
   * what a component transforms.
   */
  build(dir: string, overrides?: BuildOverrides): BuildOutput {
    this.fresh();
    const key = `k|${dir}|${overrides ? JSON.stringify(overrides) : ''}`;
    const cached = this.memo.get(key);
    if (cached) return cached.out;
    return this.remember(key, this.buildFolder(dir, overrides, undefined, new Set()));
  }

  /**
   * What Flux builds for a path without a kustomization file: every YAML file
   * beneath it, and each subfolder with its own kustomization as one resource.
   */
  buildGenerated(dir: string, overrides?: BuildOverrides): BuildOutput {
    this.fresh();
    const key = `g|${dir}|${overrides ? JSON.stringify(overrides) : ''}`;
    const cached = this.memo.get(key);
    if (cached) return cached.out;
    const out = emptyOutput();
    const layout = this.layoutOf(dir);
    for (const d of layout.nested) merge(out, this.build(d));
    for (const f of layout.files) {
      out.files.add(f);
      out.objects.push(...this.objectsOfFile(f).map((o) => ({ ...o })));
    }
    for (const c of overrides?.components ?? []) this.applyComponent(c, out, new Set());
    transform(out, overrides?.namespace, overrides?.namePrefix, overrides?.nameSuffix);
    return this.remember(key, out, dir);
  }

  /** The files and nested kustomization folders of a plain folder; they change only when files appear, go or become kustomizations. */
  private layoutOf(dir: string): { nested: string[]; files: string[] } {
    const cached = this.layouts.get(dir);
    if (cached && cached.membership === this.files.membership && cached.structure === this.files.structure) return cached;
    const prefix = dir.endsWith(path.sep) ? dir : dir + path.sep;
    // The nearest kustomization folder between a path and `dir` (exclusive), if any.
    const kustomizationAbove = (p: string): boolean => {
      for (let d = path.dirname(p); d.length > dir.length && d.startsWith(prefix); d = path.dirname(d)) if (this.files.kustomizationDirs.has(d)) return true;
      return false;
    };
    const nested: string[] = [];
    for (const d of this.files.kustomizationDirs.keys()) if (d.startsWith(prefix) && !kustomizationAbove(d)) nested.push(d);
    const files: string[] = [];
    for (const f of this.files.files.keys()) if (f.startsWith(prefix) && !this.files.isInChart(f) && !kustomizationAbove(f)) files.push(f);
    const layout = { nested: nested.sort(), files: files.sort(), membership: this.files.membership, structure: this.files.structure };
    this.layouts.set(dir, layout);
    return layout;
  }

  private buildFolder(dir: string, overrides: BuildOverrides | undefined, input: BuildOutput | undefined, stack: Set<string>): BuildOutput {
    const out = input ?? emptyOutput();
    const k = this.kustomizationOf(dir);
    if (!k || stack.has(dir)) return out;
    stack.add(dir);
    out.dirs.add(dir);
    out.files.add(k.file);
    const info = k.doc.kustomization!;
    const at = (range: FileLocation['range']): FileLocation => ({ file: k.file, range });
    const ownNamespace = overrides?.namespace ?? info.namespace;
    for (const entry of k.doc.paths) {
      if (entry.remote) {
        if (entry.field === 'resources' || entry.field === 'bases' || entry.field === 'components') out.opaque.push({ namespace: ownNamespace, what: `remote ${entry.field} ${entry.value}` });
        continue;
      }
      const target = path.resolve(dir, entry.value);
      out.includes.push({ target, from: at(entry.range), field: entry.field });
      if (entry.field === 'resources' || entry.field === 'bases') {
        if (this.kustomizationOf(target)) {
          if (stack.has(target)) continue;
          const sub = this.buildFolder(target, undefined, undefined, stack);
          mergeInto(out, sub);
        } else if (this.files.files.has(target)) {
          out.files.add(target);
          out.objects.push(...this.objectsOfFile(target).map((o) => ({ ...o, via: dir })));
        }
      } else if (entry.field !== 'components') {
        if (this.probe.kindOf(target) === 'file') out.files.add(target);
        if (entry.field === 'configurations') for (const r of this.files.files.get(target)?.nameReferences ?? []) out.rules.push(r);
      }
    }
    const components = k.doc.paths.filter((e) => e.field === 'components' && !e.remote).map((e) => path.resolve(dir, e.value));
    for (const c of [...components, ...(overrides?.components ?? [])]) this.applyComponent(c, out, stack);
    for (const g of info.generators) {
      if (g.behavior !== 'create') continue;
      out.objects.push({ apiVersion: 'v1', kind: g.kind, name: g.name, origName: g.name, namespace: g.namespace ?? '', hashed: g.hashed, generator: { file: k.file, entry: g }, via: dir });
    }
    for (const h of info.helmCharts) out.opaque.push({ namespace: h.namespace ?? ownNamespace, what: `helmCharts ${h.name} (not rendered)` });
    transform(out, ownNamespace, overrides?.namePrefix ?? info.namePrefix, overrides?.nameSuffix ?? info.nameSuffix);
    stack.delete(dir);
    return out;
  }

  /** A component transforms what was accumulated so far and may add resources of its own. */
  private applyComponent(dir: string, out: BuildOutput, stack: Set<string>): void {
    if (!this.kustomizationOf(dir) || stack.has(dir)) return;
    this.buildFolder(dir, undefined, out, stack);
  }
}

function emptyOutput(): BuildOutput {
  return { objects: [], opaque: [], files: new Set(), includes: [], rules: [], dirs: new Set() };
}

/** Adds a nested build's results (copies of its objects, so later transformers never change the memoized build). */
function mergeInto(out: BuildOutput, sub: BuildOutput): void {
  for (const o of sub.objects) out.objects.push({ ...o });
  out.opaque.push(...sub.opaque.map((p) => ({ ...p })));
  for (const f of sub.files) out.files.add(f);
  out.includes.push(...sub.includes);
  out.rules.push(...sub.rules);
  for (const d of sub.dirs) out.dirs.add(d);
}

/** Like {@link mergeInto}, for callers that hold the output (Flux's generated kustomization). */
export function merge(out: BuildOutput, sub: BuildOutput): void {
  mergeInto(out, sub);
}

/** A kustomization's own transformers, in kustomize's order: namespace, then prefix/suffix. */
function transform(out: BuildOutput, namespace: string | undefined, prefix: string | undefined, suffix: string | undefined): void {
  if (namespace) {
    for (const o of out.objects) {
      // kustomize renames Namespace objects to the kustomization's namespace (the `_` placeholder trick).
      if (o.kind === 'Namespace' && o.apiVersion === 'v1') o.name = namespace;
      else if (!isClusterScoped(o.kind)) o.namespace = namespace;
    }
    for (const p of out.opaque) p.namespace = namespace;
  }
  if (prefix || suffix) {
    for (const o of out.objects) if (!NO_PREFIX.has(o.kind)) o.name = `${prefix ?? ''}${o.name}${suffix ?? ''}`;
    for (const p of out.opaque) if (p.prefix !== undefined) p.prefix = `${prefix ?? ''}${p.prefix}`;
  }
}
