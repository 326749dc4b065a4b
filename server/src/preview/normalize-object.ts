/**
 * Normalization applied to both sides of a comparison (live object and the
 * server's dry-run answer) so that a diff only shows what reconciliation
 * changes, not bookkeeping the API server rewrites on every write.
 */
import type { KubeObject } from '../cluster/cluster-types.js';

/** The annotation `kubectl apply` (client-side) keeps; it duplicates the whole object and is noise in a diff. */
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

/** Metadata fields the API server owns and that change on every write. */
const VOLATILE_METADATA = ['managedFields', 'resourceVersion', 'generation', 'uid', 'creationTimestamp', 'selfLink'] as const;

/**
 * Returns a deep copy of `object` without managedFields, resourceVersion,
 * generation, uid, creationTimestamp, selfLink, status and the last-applied
 * annotation. Empty `annotations`/`labels` maps left behind are removed so that
 * "no annotations" and "an empty map" compare equal.
 */
export function normalizeObject(object: KubeObject): KubeObject {
  const copy = structuredClone(object) as KubeObject;
  delete copy.status;
  const metadata = (copy.metadata ?? {}) as KubeObject['metadata'];
  for (const key of VOLATILE_METADATA) delete metadata[key];
  if (metadata.annotations) {
    delete metadata.annotations[LAST_APPLIED_ANNOTATION];
    if (Object.keys(metadata.annotations).length === 0) delete metadata.annotations;
  }
  if (metadata.labels && Object.keys(metadata.labels).length === 0) delete metadata.labels;
  copy.metadata = metadata;
  return copy;
}

/** Deep structural equality of JSON values; key order does not matter. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => jsonEqual(v, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
  return ak.length === bk.length && ak.every((k) => Object.prototype.hasOwnProperty.call(bo, k) && jsonEqual(ao[k], bo[k]));
}

/**
 * The dotted paths (`spec.replicas`, `data.key`, `spec.containers[0].image`)
 * whose values differ between `before` and `after`. Used for the plan's
 * field-level summary and in tests; list elements are compared by index.
 */
export function changedPaths(before: unknown, after: unknown, prefix = ''): string[] {
  if (jsonEqual(before, after)) return [];
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (isObj(before) && isObj(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) => changedPaths(before[k], after[k], prefix ? `${prefix}.${k}` : k));
  }
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    return before.flatMap((v, i) => changedPaths(v, after[i], `${prefix}[${i}]`));
  }
  return [prefix || '.'];
}

/**
 * An approximation of what server-side apply would produce, for when the
 * dry-run is not allowed: maps are merged key by key, everything else (lists
 * included) is replaced by the desired value. It cannot know about defaulting,
 * list merge keys or fields other managers own, which is why its results are
 * labelled approximate.
 */
export function approximateApply(live: unknown, desired: unknown): unknown {
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObj(live) || !isObj(desired)) return structuredClone(desired);
  const out: Record<string, unknown> = structuredClone(live);
  for (const [k, v] of Object.entries(desired)) {
    if (v === null || v === undefined) continue;
    out[k] = k in out ? approximateApply(out[k], v) : structuredClone(v);
  }
  return out;
}
