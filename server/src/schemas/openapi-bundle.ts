/**
 * Turns the raw OpenAPI v3 documents served by a kube-apiserver
 * (`/openapi/v3/apis/<group>/<version>`) into the compact form GitOps Lens
 * keeps: trimmed definitions and a kind index. Used by the schema generator
 * script, and by the registry for schemas read from a live cluster.
 */
import type { CelRule, DefinitionMap, KindEntry, SchemaNode } from './schema-types.js';

/** The keys of a schema node that validation, hover and completion need. Everything else is dropped. */
const KEPT_KEYS = new Set<string>([
  'type', 'description', 'required', 'enum', 'format', 'nullable', 'pattern',
  'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'minLength', 'maxLength',
  'minItems', 'maxItems', 'minProperties', 'maxProperties',
  'x-kubernetes-int-or-string', 'x-kubernetes-preserve-unknown-fields', 'x-kubernetes-embedded-resource',
  'x-kubernetes-list-type', 'x-kubernetes-list-map-keys', 'x-kubernetes-map-type',
  'x-kubernetes-patch-merge-key', 'x-kubernetes-patch-strategy',
]);

const REF_PREFIX = '#/components/schemas/';

/** Options for trimming. */
export interface TrimOptions {
  /** Descriptions longer than this are cut at a sentence boundary; hover needs the gist, not the whole essay. */
  maxDescription?: number;
  /** Keep `default` values (CRDs: their CEL rules are evaluated on the defaulted object, as the API server does). */
  keepDefaults?: boolean;
}

/** The fields of one `x-kubernetes-validations` entry that offline evaluation uses. */
function trimCelRules(value: unknown): CelRule[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const out: CelRule[] = [];
  for (const v of value) {
    if (!v || typeof v !== 'object' || typeof (v as CelRule).rule !== 'string') continue;
    const r = v as CelRule;
    out.push({
      rule: r.rule,
      ...(typeof r.message === 'string' ? { message: r.message } : {}),
      ...(typeof r.messageExpression === 'string' ? { messageExpression: r.messageExpression } : {}),
      ...(typeof r.fieldPath === 'string' ? { fieldPath: r.fieldPath } : {}),
      ...(typeof r.reason === 'string' ? { reason: r.reason } : {}),
      ...(r.optionalOldSelf === true ? { optionalOldSelf: true } : {}),
    });
  }
  return out.length ? out : undefined;
}

/** Shortens a description to at most `max` characters, preferring to cut after a sentence. */
export function shortenDescription(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max);
  const sentence = cut.lastIndexOf('. ');
  return (sentence > max / 2 ? cut.slice(0, sentence + 1) : cut.trimEnd()) + ' …';
}

/** Copies one raw OpenAPI schema into a trimmed {@link SchemaNode}. */
export function trimSchema(raw: unknown, options: TrimOptions = {}): SchemaNode {
  if (!raw || typeof raw !== 'object') return {};
  const src = raw as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(src)) {
    if (KEPT_KEYS.has(key)) {
      if (key === 'description' && typeof value === 'string' && options.maxDescription) {
        out[key] = shortenDescription(value, options.maxDescription);
      } else {
        out[key] = value;
      }
    } else if (key === 'x-kubernetes-validations') {
      const rules = trimCelRules(value);
      if (rules) out[key] = rules;
    } else if (key === 'default' && options.keepDefaults && value !== undefined) {
      out.default = value;
    } else if (key === '$ref' && typeof value === 'string') {
      out.$ref = value.startsWith(REF_PREFIX) ? value.slice(REF_PREFIX.length) : value;
    } else if (key === 'properties' && value && typeof value === 'object') {
      const props: Record<string, SchemaNode> = {};
      for (const [name, child] of Object.entries(value as Record<string, unknown>)) props[name] = trimSchema(child, options);
      out.properties = props;
    } else if (key === 'items' && value && typeof value === 'object' && !Array.isArray(value)) {
      out.items = trimSchema(value, options);
    } else if (key === 'additionalProperties') {
      out.additionalProperties = typeof value === 'boolean' ? value : trimSchema(value, options);
    } else if ((key === 'allOf' || key === 'oneOf' || key === 'anyOf') && Array.isArray(value)) {
      out[key] = value.map((v) => trimSchema(v, options));
    }
  }
  // A lone `allOf: [{$ref}]` is how Kubernetes attaches a description to a reference;
  // keeping it as `$ref` directly makes the files smaller and resolution cheaper.
  const allOf = out.allOf as SchemaNode[] | undefined;
  if (allOf && allOf.length === 1 && allOf[0].$ref && Object.keys(allOf[0]).length === 1 && !out.$ref) {
    out.$ref = allOf[0].$ref;
    delete out.allOf;
  }
  return out as SchemaNode;
}

/** What {@link collectOpenApi} returns: all definitions and the kinds that have a top-level definition. */
export interface CollectedOpenApi {
  definitions: DefinitionMap;
  kinds: KindEntry[];
}

/**
 * Collects definitions and kinds from a set of OpenAPI v3 documents. A kind is
 * any definition carrying `x-kubernetes-group-version-kind` that is not a
 * list or a meta type. Namespacing comes from the paths: a kind is namespaced
 * when a path with `{namespace}` returns it.
 */
export function collectOpenApi(docs: unknown[], options: TrimOptions = {}): CollectedOpenApi {
  const definitions: DefinitionMap = {};
  const kinds = new Map<string, KindEntry>();
  for (const doc of docs) {
    if (!doc || typeof doc !== 'object') continue;
    const schemas = ((doc as Record<string, any>).components?.schemas ?? {}) as Record<string, any>;
    const namespacedKinds = new Set<string>();
    const clusterKinds = new Set<string>();
    const paths = ((doc as Record<string, any>).paths ?? {}) as Record<string, any>;
    for (const [path, item] of Object.entries(paths)) {
      for (const op of Object.values(item ?? {}) as any[]) {
        const gvk = op?.['x-kubernetes-group-version-kind'];
        if (!gvk || typeof gvk !== 'object' || path.endsWith('/status') || path.endsWith('/scale')) continue;
        const key = `${gvk.group ?? ''}/${gvk.version}/${gvk.kind}`;
        if (path.includes('{namespace}')) namespacedKinds.add(key);
        else if (!path.includes('/watch/')) clusterKinds.add(key);
      }
    }
    for (const [name, raw] of Object.entries(schemas)) {
      if (!definitions[name]) definitions[name] = trimSchema(raw, options);
      const gvks = raw?.['x-kubernetes-group-version-kind'];
      if (!Array.isArray(gvks) || gvks.length !== 1) continue;
      const gvk = gvks[0];
      if (typeof gvk?.kind !== 'string' || gvk.kind.endsWith('List') || !raw?.properties?.apiVersion) continue;
      if (name.startsWith('io.k8s.apimachinery.pkg.apis.meta.')) continue;
      const key = `${gvk.group ?? ''}/${gvk.version}/${gvk.kind}`;
      const namespaced = namespacedKinds.has(key) ? true : clusterKinds.has(key) ? false : kinds.get(key)?.namespaced;
      kinds.set(key, { group: gvk.group ?? '', version: gvk.version, kind: gvk.kind, definition: name, ...(namespaced === undefined ? {} : { namespaced }) });
    }
  }
  return { definitions, kinds: [...kinds.values()].sort((a, b) => `${a.group}/${a.version}/${a.kind}`.localeCompare(`${b.group}/${b.version}/${b.kind}`)) };
}
