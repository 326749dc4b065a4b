/**
 * Kubernetes versions other than the bundle's, and the API lifecycle table.
 * `schemas/kubernetes/index.json` lists the bundled minors and every built-in
 * API version that Kubernetes deprecates or removes (from the
 * `+k8s:prerelease-lifecycle-gen` markers of `k8s.io/api`);
 * `schemas/kubernetes/<version>.json` holds one older minor as a diff against
 * the bundle: its full kind list and only the definitions that differ.
 * Also the pure helpers the generator and the registry share.
 */
import type { DefinitionMap, KindEntry, SchemaNode } from './schema-types.js';

/** When a built-in API version is deprecated and removed, and what replaces it. */
export interface ApiLifecycle {
  group: string;
  version: string;
  kind: string;
  /** Minor version strings: `1.16`. */
  introduced?: string;
  deprecated?: string;
  removed?: string;
  /** apiVersion of the replacement, e.g. `apps/v1` (its kind is the same unless `replacementKind` says otherwise). */
  replacement?: string;
  replacementKind?: string;
}

/** `schemas/kubernetes/index.json`. */
export interface KubernetesVersionsIndex {
  format: 1;
  /** The bundle's version (`v1.37.2`). */
  newest: string;
  /** Every bundled version, newest first; `file` is the diff of an older one. */
  versions: { version: string; file?: string }[];
  lifecycle: ApiLifecycle[];
}

/** `schemas/kubernetes/<version>.json`: one older version as a diff against the bundle. */
export interface KubernetesVersionDiff {
  kubernetesVersion: string;
  kinds: KindEntry[];
  /** Definitions that differ from the bundle's (null: the version has no such definition). */
  definitions: Record<string, SchemaNode | null>;
}

/** `1.34` from `v1.34.2`, `1.34`, `v1.34`; undefined when unreadable. */
export function minorOf(version: string): string | undefined {
  const m = /^v?(\d+)\.(\d+)(?:\.\d+)?(?:[-+].*)?$/.exec(version.trim());
  return m ? `${Number(m[1])}.${Number(m[2])}` : undefined;
}

/** Compares minor strings numerically (`1.9` < `1.10`). */
export function compareMinor(a: string, b: string): number {
  const [x, y] = [a.split('.').map(Number), b.split('.').map(Number)];
  return x[0] - y[0] || x[1] - y[1];
}

/** JSON of a schema without its descriptions: what validation sees. */
function shape(node: SchemaNode): string {
  return JSON.stringify(node, (key, value) => (key === 'description' ? undefined : value));
}

/**
 * The definitions of `version` that validate differently from `base`, for the names reachable
 * from its kinds. Reworded descriptions alone do not count: the older version then shows the
 * newer wording in hovers, which keeps each diff to the definitions whose shape changed.
 */
export function diffDefinitions(base: DefinitionMap, version: DefinitionMap, names: Iterable<string>): Record<string, SchemaNode | null> {
  const out: Record<string, SchemaNode | null> = {};
  for (const name of names) {
    const v = version[name];
    const b = base[name];
    if (!v) {
      if (b) out[name] = null;
      continue;
    }
    if (!b || shape(b) !== shape(v)) out[name] = v;
  }
  return out;
}

/**
 * Reads one `zz_generated.prerelease-lifecycle.go` of k8s.io/api. `group` and `version` come from
 * the package's register.go (see {@link readGroupVersion}).
 */
export function readLifecycleGo(source: string, group: string, version: string): ApiLifecycle[] {
  const byKind = new Map<string, ApiLifecycle>();
  const entry = (kind: string) => {
    let e = byKind.get(kind);
    if (!e) byKind.set(kind, (e = { group, version, kind }));
    return e;
  };
  for (const m of source.matchAll(/func \(in \*(\w+)\) APILifecycle(Introduced|Deprecated|Removed)\(\) \(major, minor int\) \{\s*return (\d+), (\d+)\s*\}/g)) {
    const key = m[2].toLowerCase() as 'introduced' | 'deprecated' | 'removed';
    entry(m[1])[key] = `${m[3]}.${m[4]}`;
  }
  for (const m of source.matchAll(/func \(in \*(\w+)\) APILifecycleReplacement\(\) schema\.GroupVersionKind \{\s*return schema\.GroupVersionKind\{Group: "([^"]*)", Version: "([^"]*)", Kind: "([^"]*)"\}\s*\}/g)) {
    const e = entry(m[1]);
    e.replacement = m[2] ? `${m[2]}/${m[3]}` : m[3];
    if (m[4] !== m[1]) e.replacementKind = m[4];
  }
  return [...byKind.values()].filter((e) => !e.kind.endsWith('List'));
}

/** The API group and version of a k8s.io/api package from its register.go. */
export function readGroupVersion(registerGo: string): { group: string; version: string } | undefined {
  const group = /const GroupName = "([^"]*)"/.exec(registerGo)?.[1];
  const version = /SchemeGroupVersion = schema\.GroupVersion\{Group: GroupName, Version: "([^"]+)"\}/.exec(registerGo)?.[1];
  return group !== undefined && version ? { group, version } : undefined;
}
