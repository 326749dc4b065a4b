/**
 * Where schemas come from and how a `$ref` is resolved. Three kinds of
 * source, looked up in this order: CRDs found in the workspace (the user's
 * intent wins), schemas read from a cluster's OpenAPI v3, then the bundled
 * schemas committed under `schemas/`. Bundled definition packages are read
 * lazily, one file per package, so startup stays cheap.
 */
import { collectOpenApi } from './openapi-bundle.js';
import { crdToSchemas } from './crd-schemas.js';
import { joinApiVersion, packageOf, splitApiVersion, type BundleIndex, type DefinitionMap, type KindEntry, type RetiredKind, type SchemaNode } from './schema-types.js';
import type { CatalogProject } from './catalog-types.js';
import { compareMinor, minorOf, type ApiLifecycle, type KubernetesVersionDiff } from './kubernetes-versions.js';
import { findSchemasDir, readBundleDirectory, type BundleData } from './schema-files.js';

/** Where a resolved kind's schema came from. */
export type SchemaOrigin = 'workspace' | 'cluster' | 'catalog' | 'bundled';

/** A provider of definitions: a map, or a lazy loader. */
interface SchemaSource {
  id: string;
  origin: SchemaOrigin;
  kinds: KindEntry[];
  get(name: string): SchemaNode | undefined;
  /** Versions this source knows but does not serve (CRD versions with `served: false`). */
  retired?: RetiredKind[];
}

/** A kind found in the registry, with its whole-object schema already resolved. */
export interface ResolvedKind {
  entry: KindEntry;
  origin: SchemaOrigin;
  sourceId: string;
  schema: FlatSchema;
  /** The catalog project the schema comes from (origin `catalog`). */
  project?: CatalogProject;
}

/** An apiVersion/kind that is known but not served, and where that is known from. */
export interface RetiredLookup {
  retired: RetiredKind;
  origin: SchemaOrigin;
  /** The catalog project that dropped it (origin `catalog`). */
  project?: CatalogProject;
}

/**
 * A schema node with `$ref` and `allOf` merged away, so the validator only
 * sees plain properties. Children stay unresolved and are flattened on demand.
 */
export interface FlatSchema extends SchemaNode {
  /** Name of the definition this node came from, when it was a reference (e.g. `...resource.Quantity`). */
  definitionName?: string;
  /** The source used to resolve references found below this node. */
  scope: string;
}

export { findSchemasDir, readBundleDirectory, readCatalogDirectory, readKubernetesDirectory, type BundleData, type CatalogData, type KubernetesData } from './schema-files.js';

const BUNDLED = 'bundled';
const CATALOG = 'catalog';

function gvkKey(group: string, version: string, kind: string): string {
  return `${group}/${version}/${kind}`;
}

/** The registry of every schema the engine knows. */
export class SchemaRegistry {
  /** Bumped on every change so caches keyed on it stay correct. */
  generation = 0;
  private readonly bundle?: BundleData;
  private readonly bundledDefs = new Map<string, DefinitionMap | null>();
  private readonly workspaceSources = new Map<string, SchemaSource>();
  private readonly clusterSources = new Map<string, SchemaSource>();
  private readonly bundledSource: SchemaSource;
  private catalogSource?: SchemaSource | null;
  private catalogProjects?: Map<string, CatalogProject>;
  private readonly catalogDefs = new Map<string, DefinitionMap | null>();
  private kindIndex?: Map<string, { entry: KindEntry; source: SchemaSource }>;
  private flatCache = new WeakMap<SchemaNode, FlatSchema>();
  /** The target Kubernetes version's diff against the bundle (undefined: the bundle's own version). */
  private versionDiff?: KubernetesVersionDiff;
  private targetVersion?: string;
  private requestedVersion = '';
  private readonly clusterVersions = new Map<string, string>();

  constructor(bundle?: BundleData) {
    this.bundle = bundle;
    const kinds = [...(bundle?.index.kinds ?? []), ...(bundle?.extra?.kinds ?? [])];
    this.bundledSource = {
      id: BUNDLED,
      origin: 'bundled',
      kinds,
      get: (name) => {
        const extra = this.bundle?.extra?.definitions[name];
        if (extra) return extra;
        const diff = this.versionDiff?.definitions;
        if (diff && name in diff) return diff[name] ?? undefined;
        const pkg = packageOf(name);
        let defs = this.bundledDefs.get(pkg);
        if (defs === undefined) {
          defs = this.bundle?.readPackage(pkg) ?? null;
          this.bundledDefs.set(pkg, defs);
        }
        return defs?.[name];
      },
    };
  }

  /** The Kubernetes version that built-in kinds are validated for (`v1.36.3`). */
  get kubernetesVersion(): string {
    return this.targetVersion ?? this.bundle?.index.kubernetesVersion ?? 'none';
  }

  /** The bundled Kubernetes versions, newest first. */
  supportedKubernetesVersions(): string[] {
    const k = this.bundle?.kubernetes?.index();
    return k ? k.versions.map((v) => v.version) : [this.bundle?.index.kubernetesVersion ?? 'none'];
  }

  /**
   * Sets the target Kubernetes version (`gitopsLens.kubernetesVersion`, `--kubernetes-version`):
   * `1.34`, `v1.34` or `v1.34.2` picks the bundled release of that minor; empty means the bound
   * cluster's version when a cluster's schemas are loaded, else the newest bundled. A minor outside
   * the bundled range is clamped to the nearest one. Returns the version now in effect.
   */
  setKubernetesVersion(requested: string | undefined): string {
    this.requestedVersion = (requested ?? '').trim();
    this.applyKubernetesVersion();
    return this.kubernetesVersion;
  }

  /** The API lifecycle entry (deprecation, removal, replacement) of a built-in apiVersion/kind. */
  builtinLifecycle(group: string, version: string, kind: string): ApiLifecycle | undefined {
    return this.bundle?.kubernetes?.index().lifecycle.find((e) => e.group === group && e.version === version && e.kind === kind);
  }

  private applyKubernetesVersion(): void {
    const data = this.bundle?.kubernetes;
    const wanted = this.requestedVersion || [...this.clusterVersions.values()].sort((a, b) => compareMinor(minorOf(b) ?? '0.0', minorOf(a) ?? '0.0'))[0] || '';
    const minor = minorOf(wanted);
    let target: { version: string; file?: string } | undefined;
    if (data && minor) {
      const versions = data.index().versions;
      target = versions.find((v) => minorOf(v.version) === minor)
        ?? (compareMinor(minor, minorOf(versions[0].version)!) > 0 ? versions[0] : versions[versions.length - 1]);
    }
    // The newest release is the bundle itself.
    const next = target?.file ? target : undefined;
    if (next?.version === this.targetVersion) return;
    this.versionDiff = next ? data!.readVersion(next.file!) : undefined;
    this.targetVersion = next?.version;
    this.bundledSource.kinds = [...(this.versionDiff?.kinds ?? this.bundle?.index.kinds ?? []), ...(this.bundle?.extra?.kinds ?? [])];
    // Flattened nodes hold resolved references of the previous version.
    this.flatCache = new WeakMap();
    this.changed();
  }

  /** The catalog as a source, built on first use (reading its index). */
  private catalog(): SchemaSource | undefined {
    if (this.catalogSource !== undefined) return this.catalogSource ?? undefined;
    const data = this.bundle?.catalog;
    if (!data) {
      this.catalogSource = null;
      return undefined;
    }
    const index = data.index();
    this.catalogProjects = new Map(index.projects.map((p) => [p.id, p]));
    this.catalogSource = {
      id: CATALOG,
      origin: 'catalog',
      kinds: index.kinds,
      retired: index.retired,
      get: (name) => {
        const pkg = packageOf(name);
        let defs = this.catalogDefs.get(pkg);
        if (defs === undefined) {
          defs = data.readPackage(pkg) ?? null;
          this.catalogDefs.set(pkg, defs);
        }
        return defs?.[name];
      },
    };
    return this.catalogSource;
  }

  /** The catalog's projects and their pinned versions. */
  catalogInfo(): CatalogProject[] {
    this.catalog();
    return [...(this.catalogProjects?.values() ?? [])];
  }

  /** A registry over the `schemas/` folder (found automatically when not given). */
  static fromDirectory(dir = findSchemasDir()): SchemaRegistry {
    return new SchemaRegistry(dir ? readBundleDirectory(dir) : undefined);
  }

  /** The Kubernetes version and origin of the bundled schemas. */
  get bundleInfo(): { kubernetesVersion: string; source: string; crds: string[] } {
    const i = this.bundle?.index;
    return { kubernetesVersion: i?.kubernetesVersion ?? 'none', source: i?.source ?? 'none', crds: i?.crds ?? [] };
  }

  /** Adds (or replaces, with the same sourceId) the CRDs defined in one workspace file. */
  setWorkspaceCrds(sourceId: string, crds: unknown[]): void {
    const definitions: DefinitionMap = {};
    const kinds: KindEntry[] = [];
    const retired: RetiredKind[] = [];
    for (const crd of crds) {
      const s = crdToSchemas(crd);
      Object.assign(definitions, s.definitions);
      kinds.push(...s.kinds);
      retired.push(...s.retired);
    }
    if (kinds.length === 0 && retired.length === 0) {
      if (this.workspaceSources.delete(sourceId)) this.changed();
      return;
    }
    this.workspaceSources.set(sourceId, { id: `workspace:${sourceId}`, origin: 'workspace', kinds, retired, get: (n) => definitions[n] });
    this.changed();
  }

  /** Adds one CRD found in a workspace file; several calls with the same file accumulate. */
  addCrd(sourceId: string, crd: unknown): void {
    const existing = this.workspaceCrdObjects.get(sourceId) ?? [];
    existing.push(crd);
    this.workspaceCrdObjects.set(sourceId, existing);
    this.setWorkspaceCrds(sourceId, existing);
  }
  private readonly workspaceCrdObjects = new Map<string, unknown[]>();

  /** Forgets everything a workspace file or a cluster contributed. */
  removeSource(sourceId: string): void {
    this.workspaceCrdObjects.delete(sourceId);
    const a = this.workspaceSources.delete(sourceId);
    const b = this.clusterSources.delete(sourceId);
    if (a || b) this.changed();
    if (this.clusterVersions.delete(sourceId)) this.applyKubernetesVersion();
  }

  /**
   * Uses the schemas a cluster serves: pass the raw JSON documents of
   * `/openapi/v3/apis/<group>/<version>` (and `/openapi/v3/api/v1`). Replaces
   * what the same sourceId set before; an empty list removes it.
   */
  setClusterSchemas(sourceId: string, openapiV3Docs: unknown[], kubernetesVersion?: string): void {
    if (openapiV3Docs.length === 0) {
      this.removeSource(sourceId);
      return;
    }
    const { definitions, kinds } = collectOpenApi(openapiV3Docs);
    this.clusterSources.set(sourceId, { id: `cluster:${sourceId}`, origin: 'cluster', kinds, get: (n) => definitions[n] });
    // Without a setting, the bound cluster's version is the target.
    if (kubernetesVersion) this.clusterVersions.set(sourceId, kubernetesVersion);
    else this.clusterVersions.delete(sourceId);
    this.changed();
    this.applyKubernetesVersion();
  }

  private changed(): void {
    this.generation++;
    this.kindIndex = undefined;
    this.bundledIndex = undefined;
  }

  private sourceById(id: string): SchemaSource | undefined {
    if (id === BUNDLED) return this.bundledSource;
    if (id === CATALOG) return this.catalog();
    if (id.startsWith('workspace:')) return this.workspaceSources.get(id.slice('workspace:'.length));
    if (id.startsWith('cluster:')) return this.clusterSources.get(id.slice('cluster:'.length));
    return undefined;
  }

  /**
   * All kinds by group/version/kind, the highest-priority source winning: workspace, cluster,
   * catalog, bundled. Includes the catalog, so it reads the catalog's index.
   */
  private index(): Map<string, { entry: KindEntry; source: SchemaSource }> {
    if (this.kindIndex) return this.kindIndex;
    const index = new Map<string, { entry: KindEntry; source: SchemaSource }>();
    // Later sources are overwritten by earlier ones: insert the lowest priority first.
    const catalog = this.catalog();
    const ordered = [this.bundledSource, ...(catalog ? [catalog] : []), ...this.clusterSources.values(), ...this.workspaceSources.values()];
    for (const source of ordered) {
      for (const entry of source.kinds) index.set(gvkKey(entry.group, entry.version, entry.kind), { entry, source });
    }
    this.kindIndex = index;
    return index;
  }

  /**
   * The same lookup without reading the catalog, for built-in kinds: the catalog holds no
   * Kubernetes (`io.k8s.*`) kind, so a bundled hit cannot be overridden by it, and validating a
   * Service never pays for the catalog's index.
   */
  private findKind(key: string): { entry: KindEntry; source: SchemaSource } | undefined {
    if (this.kindIndex || this.workspaceSources.size || this.clusterSources.size) return this.index().get(key);
    if (!this.bundledIndex) {
      this.bundledIndex = new Map();
      for (const entry of this.bundledSource.kinds) this.bundledIndex.set(gvkKey(entry.group, entry.version, entry.kind), { entry, source: this.bundledSource });
    }
    return this.bundledIndex.get(key) ?? this.index().get(key);
  }
  private bundledIndex?: Map<string, { entry: KindEntry; source: SchemaSource }>;

  /** Every kind the registry can validate. */
  allKinds(): (KindEntry & { origin: SchemaOrigin })[] {
    return [...this.index().values()].map(({ entry, source }) => ({ ...entry, origin: source.origin }));
  }

  /** The schema of one apiVersion/kind, or undefined when no source has it. */
  lookupKind(apiVersion: string, kind: string): ResolvedKind | undefined {
    const { group, version } = splitApiVersion(apiVersion);
    const hit = this.findKind(gvkKey(group, version, kind));
    if (!hit) return undefined;
    const def = hit.source.get(hit.entry.definition) ?? this.bundledSource.get(hit.entry.definition);
    if (!def) return undefined;
    const project = hit.source.origin === 'catalog' ? this.catalogProjects?.get((hit.entry as KindEntry & { project?: string }).project ?? '') : undefined;
    return { entry: hit.entry, origin: hit.source.origin, sourceId: hit.source.id, schema: this.flatten(def, hit.source.id, hit.entry.definition), ...(project ? { project } : {}) };
  }

  /**
   * A version that a CRD of the workspace or the catalog lists but does not serve (or that its
   * project dropped), when no source serves it. Workspace CRDs are asked first.
   */
  retiredKind(apiVersion: string, kind: string): RetiredLookup | undefined {
    const { group, version } = splitApiVersion(apiVersion);
    if (this.index().has(gvkKey(group, version, kind))) return undefined;
    const catalog = this.catalog();
    for (const source of [...this.workspaceSources.values(), ...(catalog ? [catalog] : [])]) {
      const hit = source.retired?.find((r) => r.group === group && r.version === version && r.kind === kind);
      if (!hit) continue;
      const project = source.origin === 'catalog' ? this.catalogProjects?.get((hit as RetiredKind & { project?: string }).project ?? '') : undefined;
      return { retired: hit, origin: source.origin, ...(project ? { project } : {}) };
    }
    return undefined;
  }

  /** Whether any source defines kinds in this API group (`''` is the core group). */
  hasGroup(group: string): boolean {
    for (const { entry } of this.index().values()) if (entry.group === group) return true;
    return false;
  }

  /** The apiVersions under which a kind is known, for did-you-mean messages. */
  apiVersionsOfKind(kind: string): string[] {
    const out: string[] = [];
    for (const { entry } of this.index().values()) if (entry.kind === kind) out.push(joinApiVersion(entry.group, entry.version));
    return out.sort();
  }

  /** The kinds known under one apiVersion. */
  kindsOfApiVersion(apiVersion: string): string[] {
    const { group, version } = splitApiVersion(apiVersion);
    const out: string[] = [];
    for (const { entry } of this.index().values()) if (entry.group === group && entry.version === version) out.push(entry.kind);
    return out.sort();
  }

  /**
   * Resolves `$ref` and `allOf` of a node into one flat node. The result is
   * cached per node object, which is safe because a node belongs to one source.
   */
  flatten(node: SchemaNode, scope: string, definitionName?: string): FlatSchema {
    const cached = this.flatCache.get(node);
    if (cached) return cached;
    let flat: FlatSchema;
    if (!node.$ref && !node.allOf) {
      flat = { ...node, scope, definitionName } as FlatSchema;
    } else {
      flat = { scope, definitionName } as FlatSchema;
      this.mergeInto(flat, node, scope, 0);
    }
    this.flatCache.set(node, flat);
    return flat;
  }

  /** Looks up a definition by name in a scope, falling back to the bundled definitions. */
  definition(name: string, scope: string): SchemaNode | undefined {
    return this.sourceById(scope)?.get(name) ?? this.bundledSource.get(name);
  }

  private mergeInto(target: FlatSchema, node: SchemaNode, scope: string, depth: number): void {
    if (depth > 20) return;
    if (node.$ref) {
      const def = this.definition(node.$ref, scope);
      target.definitionName ??= node.$ref;
      if (def) this.mergeInto(target, def, scope, depth + 1);
    }
    for (const part of node.allOf ?? []) this.mergeInto(target, part, scope, depth + 1);
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' || key === 'allOf') continue;
      if (key === 'properties') {
        target.properties = { ...(target.properties ?? {}), ...(value as Record<string, SchemaNode>) };
      } else if (key === 'required') {
        target.required = [...new Set([...(target.required ?? []), ...(value as string[])])];
      } else if (key === 'description') {
        // The description written at the use site is more specific than the definition's.
        target.description = value as string;
      } else {
        (target as unknown as Record<string, unknown>)[key] = value;
      }
    }
  }

  /** Flattens a child node in the scope of its parent. */
  child(parent: FlatSchema, node: SchemaNode | undefined): FlatSchema | undefined {
    return node ? this.flatten(node, parent.scope) : undefined;
  }

  /**
   * The schema at a JSON path inside a kind (numbers step into arrays), or
   * undefined when the path leaves the schema.
   */
  schemaAt(apiVersion: string, kind: string, pathInObject: (string | number)[]): FlatSchema | undefined {
    const resolved = this.lookupKind(apiVersion, kind);
    if (!resolved) return undefined;
    return this.descend(resolved.schema, pathInObject);
  }

  /** Walks from a flat schema down a path. */
  descend(start: FlatSchema, pathInObject: (string | number)[]): FlatSchema | undefined {
    let current: FlatSchema | undefined = start;
    for (const step of pathInObject) {
      if (!current) return undefined;
      if (typeof step === 'number') {
        current = this.child(current, current.items);
      } else {
        const prop: SchemaNode | undefined = current.properties?.[step] ??
          (typeof current.additionalProperties === 'object' ? current.additionalProperties : undefined);
        current = this.child(current, prop);
      }
    }
    return current;
  }

  /**
   * The keys that identify items of the list at `path`, for normalizing
   * lists: `x-kubernetes-list-map-keys` of a `map` list, else the
   * `x-kubernetes-patch-merge-key`. Undefined for atomic/set lists.
   */
  listMapKeys(apiVersion: string, kind: string, pathInObject: (string | number)[]): string[] | undefined {
    const schema = this.schemaAt(apiVersion, kind, pathInObject);
    if (!schema) return undefined;
    if (schema['x-kubernetes-list-type'] === 'map' && schema['x-kubernetes-list-map-keys']?.length) return [...schema['x-kubernetes-list-map-keys']];
    if (schema['x-kubernetes-patch-merge-key']) return [schema['x-kubernetes-patch-merge-key']];
    return undefined;
  }
}
