/**
 * Turns the CustomResourceDefinitions of the catalog's projects into the
 * committed catalog (`schemas/catalog/index.json` + one definitions file per
 * group/version). Pure apart from the final write, so the generator script
 * stays thin and the layout is tested without the Go module proxy.
 *
 * Size matters (the catalog ships in the extension): descriptions are
 * shortened, `status` (never written in a repository) is replaced by an open
 * object, and a version whose schema equals another version's of the same
 * kind is stored as a reference to it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { crdToSchemas } from './crd-schemas.js';
import type { CatalogIndex, CatalogKind, CatalogProject, CatalogRetiredKind } from './catalog-types.js';
import { packageOf, type DefinitionMap, type SchemaNode } from './schema-types.js';

/** The CRDs of one project as read from its module. */
export interface ProjectCrds {
  project: CatalogProject;
  crds: unknown[];
  /** Versions the project dropped (from its API types or the sources file). */
  retired: Omit<CatalogRetiredKind, 'project'>[];
}

/** Options of {@link buildCatalog}. */
export interface BuildCatalogOptions {
  maxDescription?: number;
  /** Called for a CRD that an earlier project already defined (the earlier one is kept). */
  onDuplicate?(crdKind: string, keptProject: string, droppedProject: string): void;
}

const STATUS: SchemaNode = {
  type: 'object',
  'x-kubernetes-preserve-unknown-fields': true,
  description: 'Written by the controller; not validated in manifests.',
};

/** Builds the catalog's index and definitions from the projects' CRDs. */
export function buildCatalog(projects: ProjectCrds[], options: BuildCatalogOptions = {}): { index: CatalogIndex; definitions: DefinitionMap } {
  const definitions: DefinitionMap = {};
  const kinds: CatalogKind[] = [];
  const retired: CatalogRetiredKind[] = [];
  const owner = new Map<string, string>();
  for (const { project, crds, retired: dropped } of projects) {
    for (const crd of crds) {
      const s = crdToSchemas(crd, { maxDescription: options.maxDescription });
      const fresh = s.kinds.filter((k) => {
        const key = `${k.group}/${k.version}/${k.kind}`;
        const kept = owner.get(key);
        if (kept && kept !== project.id) {
          options.onDuplicate?.(key, kept, project.id);
          return false;
        }
        owner.set(key, project.id);
        return true;
      });
      // Identical versions of one kind (v1 and v1beta1 of Gateway API routes…) are stored once.
      const seen = new Map<string, string>();
      for (const k of fresh) {
        const def = s.definitions[k.definition];
        if (def.properties?.status) def.properties.status = STATUS;
        const json = JSON.stringify(def);
        const same = seen.get(json);
        definitions[k.definition] = same ? { $ref: same } : def;
        if (!same) seen.set(json, k.definition);
        kinds.push({ ...k, project: project.id });
      }
      for (const r of s.retired) {
        if (!owner.has(`${r.group}/${r.version}/${r.kind}`)) retired.push({ ...r, removedIn: `${project.name} ${project.version}`, project: project.id });
      }
    }
    for (const r of dropped) {
      const key = `${r.group}/${r.version}/${r.kind}`;
      if (owner.has(key) || retired.some((x) => `${x.group}/${x.version}/${x.kind}` === key)) continue;
      retired.push({ ...r, project: project.id });
    }
  }
  const byKey = (a: { group: string; version: string; kind: string }, b: typeof a) => `${a.group}/${a.version}/${a.kind}`.localeCompare(`${b.group}/${b.version}/${b.kind}`);
  kinds.sort(byKey);
  retired.sort(byKey);
  const packages = [...new Set(Object.keys(definitions).map(packageOf))].sort();
  return { index: { format: 1, projects: projects.map((p) => p.project), kinds, retired, packages }, definitions };
}

/** Subtrees at least this large (JSON characters) that occur twice in one file are stored once. */
const SHARE_MIN_SIZE = 300;

/**
 * Stores subtrees that repeat inside one group/version file once, as definitions named
 * `<package>.~<n>` that the repeats reference with `$ref` (CRDs inline the same Kubernetes types,
 * e.g. a pod template, in many places). Resolution is the registry's usual `$ref` handling, and
 * the shared definitions live in the same file, so loading stays one file per group/version.
 */
export function shareRepeatedSubtrees(pkg: string, defs: DefinitionMap): DefinitionMap {
  const counts = new Map<string, number>();
  const children = (n: SchemaNode): SchemaNode[] => [
    ...Object.values(n.properties ?? {}),
    ...(n.items ? [n.items] : []),
    ...(typeof n.additionalProperties === 'object' ? [n.additionalProperties] : []),
    ...(n.allOf ?? []), ...(n.oneOf ?? []), ...(n.anyOf ?? []),
  ];
  const count = (n: SchemaNode): void => {
    const json = JSON.stringify(n);
    if (json.length >= SHARE_MIN_SIZE) counts.set(json, (counts.get(json) ?? 0) + 1);
    children(n).forEach(count);
  };
  Object.values(defs).forEach((d) => children(d).forEach(count));
  const shared = new Map<string, string>();
  const out: DefinitionMap = {};
  const rewrite = (n: SchemaNode): SchemaNode => {
    const copy: SchemaNode = { ...n };
    if (n.properties) copy.properties = Object.fromEntries(Object.entries(n.properties).map(([k, v]) => [k, share(v)]));
    if (n.items) copy.items = share(n.items);
    if (typeof n.additionalProperties === 'object') copy.additionalProperties = share(n.additionalProperties);
    for (const key of ['allOf', 'oneOf', 'anyOf'] as const) if (n[key]) copy[key] = n[key]!.map(share);
    return copy;
  };
  const share = (n: SchemaNode): SchemaNode => {
    const json = JSON.stringify(n);
    if ((counts.get(json) ?? 0) < 2) return rewrite(n);
    let name = shared.get(json);
    if (!name) {
      name = `${pkg}.~${shared.size}`;
      shared.set(json, name);
      out[name] = rewrite(n);
    }
    return { $ref: name };
  };
  for (const [name, def] of Object.entries(defs)) out[name] = rewrite(def);
  return out;
}

/** Writes the catalog folder (removing stale files); returns the total size in bytes. */
export function writeCatalog(outDir: string, index: CatalogIndex, definitions: DefinitionMap): number {
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(outDir, { recursive: true });
  const byPackage = new Map<string, DefinitionMap>();
  for (const name of Object.keys(definitions).sort()) {
    const pkg = packageOf(name);
    if (!byPackage.has(pkg)) byPackage.set(pkg, {});
    byPackage.get(pkg)![name] = definitions[name];
  }
  let bytes = 0;
  for (const [pkg, defs] of byPackage) {
    const text = JSON.stringify(shareRepeatedSubtrees(pkg, defs)) + '\n';
    fs.writeFileSync(path.join(outDir, `${pkg}.json`), text);
    bytes += Buffer.byteLength(text);
  }
  const text = JSON.stringify(index) + '\n';
  fs.writeFileSync(path.join(outDir, 'index.json'), text);
  return bytes + Buffer.byteLength(text);
}
