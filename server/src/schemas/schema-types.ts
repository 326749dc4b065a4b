/**
 * The subset of the Kubernetes OpenAPI v3 schema shape that GitOps Lens keeps
 * and validates against. It is deliberately smaller than JSON Schema: the
 * Kubernetes API only uses a structural subset, and keeping our own type lets
 * the validator give precise, single answers instead of "matches multiple
 * schemas".
 */

/** One schema node. `$ref` holds a bare definition name (no `#/components/schemas/` prefix). */
export interface SchemaNode {
  type?: string;
  description?: string;
  properties?: Record<string, SchemaNode>;
  required?: string[];
  enum?: unknown[];
  format?: string;
  items?: SchemaNode;
  additionalProperties?: SchemaNode | boolean;
  allOf?: SchemaNode[];
  oneOf?: SchemaNode[];
  anyOf?: SchemaNode[];
  $ref?: string;
  nullable?: boolean;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  minProperties?: number;
  maxProperties?: number;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-list-type'?: string;
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: string;
  'x-kubernetes-patch-merge-key'?: string;
  'x-kubernetes-patch-strategy'?: string;
  /** CEL rules of a CRD (`x-kubernetes-validations`), evaluated offline by `server/src/cel/`. */
  'x-kubernetes-validations'?: CelRule[];
  /** Value the API server fills in when the field is absent (kept for CRDs: CEL rules see defaulted objects). */
  default?: unknown;
}

/** One `x-kubernetes-validations` entry of a CRD schema. */
export interface CelRule {
  rule: string;
  message?: string;
  messageExpression?: string;
  /** JSON path (`.spec.chart`) relative to the node holding the rule, where the finding belongs. */
  fieldPath?: string;
  reason?: string;
  optionalOldSelf?: boolean;
}

/** A map from definition name (e.g. `io.k8s.api.apps.v1.Deployment`) to its schema. */
export type DefinitionMap = Record<string, SchemaNode>;

/** One kind that a schema source can validate. */
export interface KindEntry {
  group: string;
  version: string;
  kind: string;
  /** The definition that describes the whole object. */
  definition: string;
  /** Whether objects of this kind live in a namespace; undefined when unknown. */
  namespaced?: boolean;
  /** The CRD marks this version `deprecated`. */
  deprecated?: boolean;
  /** The CRD's `deprecationWarning` for this version. */
  deprecationWarning?: string;
}

/**
 * An apiVersion/kind that a schema source knows but no longer serves: a Kubernetes API
 * removed in `removedIn` (e.g. `1.22`), or a CRD version its project dropped.
 */
export interface RetiredKind {
  group: string;
  version: string;
  kind: string;
  /** Kubernetes minor (`1.22`) or project release (`source-controller v1.9.6`) that no longer serves it. */
  removedIn?: string;
  /** The apiVersion to use instead, e.g. `networking.k8s.io/v1`. */
  replacement?: string;
}

/** The committed `schemas/index.json`. */
export interface BundleIndex {
  format: 1;
  /** Kubernetes version of the API server the bundle came from, e.g. `v1.37.2`. */
  kubernetesVersion: string;
  /** Where the OpenAPI documents came from (`kube-apiserver` or `static-openapi-spec`). */
  source: string;
  /** CRDs that were installed when the bundle was generated, e.g. `source.toolkit.fluxcd.io/v1 GitRepository`. */
  crds: string[];
  kinds: KindEntry[];
  /** Definition packages (file names under `schemas/definitions/` without `.json`). */
  packages: string[];
}

/** Splits `apps/v1` into group and version; `v1` is the core group. */
export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  if (slash < 0) return { group: '', version: apiVersion };
  return { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/** Joins a group and version into an apiVersion string. */
export function joinApiVersion(group: string, version: string): string {
  return group ? `${group}/${version}` : version;
}

/** The package (file) a definition lives in: its name without the last dotted segment. */
export function packageOf(definition: string): string {
  const dot = definition.lastIndexOf('.');
  return dot < 0 ? definition : definition.slice(0, dot);
}
