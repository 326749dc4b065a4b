/**
 * Converts a CustomResourceDefinition object into definitions and kind
 * entries, the way kube-apiserver publishes CRD schemas in OpenAPI v3:
 * the version's `openAPIV3Schema` with `metadata` replaced by ObjectMeta.
 * Used for CRDs found in the workspace and by the schema generator's
 * offline mode.
 */
import { trimSchema, type TrimOptions } from './openapi-bundle.js';
import type { DefinitionMap, KindEntry, RetiredKind, SchemaNode } from './schema-types.js';

/** The name kube-apiserver gives a CRD's definition: the reversed group, the version and the kind. */
export function crdDefinitionName(group: string, version: string, kind: string): string {
  return `${group.split('.').reverse().join('.')}.${version}.${kind}`;
}

/** True when an object looks like a CustomResourceDefinition. */
export function isCrd(value: unknown): boolean {
  const v = value as Record<string, unknown> | null;
  return !!v && typeof v === 'object' && v.kind === 'CustomResourceDefinition' &&
    typeof v.apiVersion === 'string' && v.apiVersion.startsWith('apiextensions.k8s.io/');
}

/** What a CRD contributes: definitions and kinds of its served versions, and the versions it lists but does not serve. */
export interface CrdSchemas {
  definitions: DefinitionMap;
  kinds: KindEntry[];
  /** Versions with `served: false`: documents at them are rejected by the API server. */
  retired: RetiredKind[];
}

/**
 * Definitions and kinds of one CRD; empty when it has no usable schema.
 * Defaults are kept (unless `options.keepDefaults` is false) because CEL rules see defaulted objects.
 */
export function crdToSchemas(crd: unknown, options: TrimOptions = {}): CrdSchemas {
  const definitions: DefinitionMap = {};
  const kinds: KindEntry[] = [];
  const retired: RetiredKind[] = [];
  if (!isCrd(crd)) return { definitions, kinds, retired };
  const trim: TrimOptions = { keepDefaults: true, ...options };
  const spec = (crd as any).spec ?? {};
  const group = typeof spec.group === 'string' ? spec.group : '';
  const kind = typeof spec.names?.kind === 'string' ? spec.names.kind : '';
  if (!group || !kind) return { definitions, kinds, retired };
  const namespaced = spec.scope === undefined ? true : spec.scope === 'Namespaced';
  const versions: any[] = Array.isArray(spec.versions) ? spec.versions : typeof spec.version === 'string' ? [{ name: spec.version }] : [];
  const served = versions.filter((v) => typeof v?.name === 'string' && v.served !== false).map((v) => v.name as string);
  for (const v of versions) {
    if (typeof v?.name !== 'string') continue;
    if (v.served === false) {
      retired.push({ group, version: v.name, kind, ...(served.length ? { replacement: `${group}/${newestVersion(served)}` } : {}) });
      continue;
    }
    const raw = v.schema?.openAPIV3Schema ?? spec.validation?.openAPIV3Schema;
    if (!raw || typeof raw !== 'object') continue;
    const schema: SchemaNode = trimSchema(raw, trim);
    schema.type ??= 'object';
    schema.properties = {
      ...(schema.properties ?? {}),
      apiVersion: { type: 'string', description: 'APIVersion defines the versioned schema of this representation of an object.' },
      kind: { type: 'string', description: 'Kind is a string value representing the REST resource this object represents.' },
      metadata: { $ref: 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta', description: "Standard object's metadata." },
    };
    const name = crdDefinitionName(group, v.name, kind);
    definitions[name] = schema;
    kinds.push({
      group, version: v.name, kind, definition: name, namespaced,
      ...(v.deprecated === true ? { deprecated: true } : {}),
      ...(v.deprecated === true && typeof v.deprecationWarning === 'string' ? { deprecationWarning: v.deprecationWarning } : {}),
    });
  }
  return { definitions, kinds, retired };
}

/** Orders Kubernetes version names by stability and number: v1 > v1beta2 > v1beta1 > v1alpha1. */
export function compareApiVersionNames(a: string, b: string): number {
  const rank = (v: string): [number, number, number] => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return [-1, 0, 0];
    return [Number(m[1]), m[2] === 'alpha' ? 0 : m[2] === 'beta' ? 1 : 2, Number(m[3] ?? 0)];
  };
  const [x, y] = [rank(a), rank(b)];
  return x[1] !== y[1] ? x[1] - y[1] : x[0] !== y[0] ? x[0] - y[0] : x[2] - y[2];
}

/** The most stable, newest of a list of version names (`v1` over `v2beta1` over `v1beta2`). */
export function newestVersion(versions: string[]): string {
  return [...versions].sort(compareApiVersionNames).at(-1)!;
}
