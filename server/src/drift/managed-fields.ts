/**
 * Who changed a field: reads metadata.managedFields (FieldsV1 sets) to find
 * the field managers that own a path, so a drift message can say
 * `changed by "kubectl-edit" at 10:42`.
 */
import type { ManagedFieldsEntry } from '../cluster/cluster-types.js';

/** One step of a field path: a map key, or a list element identified by its merge-key values (list-maps) or its index (atomic lists). */
export type FieldPathSegment = { key: string } | { listKeys: Record<string, unknown> } | { index: number };

/** The manager that owns a field. */
export interface FieldOwner {
  manager: string;
  operation?: string;
  time?: string;
  subresource?: string;
}

function sameKeyValues(fieldsKey: string, wanted: Record<string, unknown>): boolean {
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(fieldsKey.slice(2)) as Record<string, unknown>;
  } catch {
    return false;
  }
  const names = Object.keys(parsed);
  if (!names.length) return false;
  return names.every((n) => wanted[n] !== undefined && String(wanted[n]) === String(parsed[n]));
}

/**
 * True when a FieldsV1 set contains `path`: each map key is `f:<name>`, each
 * list-map element `k:{...}`; reaching an empty set `{}` before the end means
 * the manager owns an atomic value that contains the path.
 */
export function fieldsV1Owns(fields: unknown, path: readonly FieldPathSegment[]): boolean {
  let node = fields as Record<string, unknown> | undefined;
  for (const seg of path) {
    if (!node || typeof node !== 'object') return false;
    if (Object.keys(node).length === 0 || (Object.keys(node).length === 1 && '.' in node)) return true;
    let next: unknown;
    if ('key' in seg) next = node[`f:${seg.key}`];
    else if ('listKeys' in seg) {
      const k = Object.keys(node).find((name) => name.startsWith('k:') && sameKeyValues(name, seg.listKeys));
      next = k ? node[k] : undefined;
    } else {
      next = node[`i:${seg.index}`];
      // An atomic list is owned as a whole: the parent set was a leaf already.
    }
    if (next === undefined) return false;
    node = next as Record<string, unknown>;
  }
  return true;
}

/**
 * The owners of `path`, latest first. A field can be co-owned (two appliers
 * setting the same value); the latest writer is the one a person wants to
 * know about.
 */
export function ownersOf(managedFields: readonly ManagedFieldsEntry[] | undefined, path: readonly FieldPathSegment[]): FieldOwner[] {
  const out: FieldOwner[] = [];
  for (const e of managedFields ?? []) {
    if (e.fieldsType && e.fieldsType !== 'FieldsV1') continue;
    if (e.subresource && e.subresource !== '') continue;
    if (!fieldsV1Owns(e.fieldsV1, path)) continue;
    out.push({ manager: e.manager ?? '(unknown manager)', operation: e.operation, time: e.time, subresource: e.subresource });
  }
  return out.sort((a, b) => (b.time ?? '').localeCompare(a.time ?? ''));
}

/** Formats a managedFields time as `HH:MM` (UTC by default; the wiring may pass the user's time zone). */
export function formatManagerTime(iso: string | undefined, timeZone = 'UTC'): string | undefined {
  if (!iso) return undefined;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return undefined;
  return new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hour12: false, timeZone }).format(d);
}
