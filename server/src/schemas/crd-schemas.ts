/**
 * Converts a CustomResourceDefinition object into definitions and kind
 * entries, the way kube-apiserver publishes CRD schemas in OpenAPI v3:
 * the version's `openAPIV3Schema` with `metadata` replaced by ObjectMeta.
 * Used for CRDs found in the workspace and by the schema generator's
 * offline mode.
 */
import { trimSchema, type TrimOptions } from './openapi-bundle.js';
import type { DefinitionMap, KindEntry, SchemaNode } from './schema-types.js';

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

/** Definitions and kinds of one CRD; empty when it has no usable schema. */
export function crdToSchemas(crd: unknown, options: TrimOptions = {}): { definitions: DefinitionMap; kinds: KindEntry[] } {
  const definitions: DefinitionMap = {};
  const kinds: KindEntry[] = [];
  if (!isCrd(crd)) return { definitions, kinds };
  const spec = (crd as any).spec ?? {};
  const group = typeof spec.group === 'string' ? spec.group : '';
  const kind = typeof spec.names?.kind === 'string' ? spec.names.kind : '';
  if (!group || !kind) return { definitions, kinds };
  const namespaced = spec.scope === undefined ? true : spec.scope === 'Namespaced';
  const versions: any[] = Array.isArray(spec.versions) ? spec.versions : typeof spec.version === 'string' ? [{ name: spec.version }] : [];
  for (const v of versions) {
    if (typeof v?.name !== 'string' || v.served === false) continue;
    const raw = v.schema?.openAPIV3Schema ?? spec.validation?.openAPIV3Schema;
    if (!raw || typeof raw !== 'object') continue;
    const schema: SchemaNode = trimSchema(raw, options);
    schema.type ??= 'object';
    schema.properties = {
      ...(schema.properties ?? {}),
      apiVersion: { type: 'string', description: 'APIVersion defines the versioned schema of this representation of an object.' },
      kind: { type: 'string', description: 'Kind is a string value representing the REST resource this object represents.' },
      metadata: { $ref: 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta', description: "Standard object's metadata." },
    };
    const name = crdDefinitionName(group, v.name, kind);
    definitions[name] = schema;
    kinds.push({ group, version: v.name, kind, definition: name, namespaced });
  }
  return { definitions, kinds };
}
