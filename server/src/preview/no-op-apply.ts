/**
 * Proves, without asking the server, that a server-side apply would change
 * nothing: every field of the desired object already has the same value in
 * the live object, and the field manager owns no field that the desired
 * object dropped (which the apply would remove). When this holds the dry-run
 * is skipped and the entry is `unchanged`; when it cannot be proven, the
 * dry-run decides. The check is deliberately conservative: lists must have
 * the same length and are compared by index, Secrets with stringData and any
 * doubt fall back to the server.
 *
 * What it cannot see: a mutating admission webhook or policy that changes
 * objects on every update. Callers turn it off with `exactUnchanged`.
 */
import type { KubeObject, ManagedFieldsEntry } from '../cluster/cluster-types.js';

type Json = unknown;
const isObj = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** True when every value in `desired` is present and equal in `live` (maps: subset; lists: same length, by index). */
export function containedIn(desired: Json, live: Json): boolean {
  if (isObj(desired)) {
    if (!isObj(live)) return false;
    return Object.entries(desired).every(([k, v]) => (v === null ? !(k in live) || live[k] === null : k in live && containedIn(v, live[k])));
  }
  if (Array.isArray(desired)) {
    return Array.isArray(live) && desired.length === live.length && desired.every((v, i) => containedIn(v, live[i]));
  }
  return desired === live;
}

/** Paths of a value with list items collapsed to `[]`: `spec.ports[].port`. */
function valuePaths(value: Json, prefix: string, out: Set<string>): Set<string> {
  if (isObj(value)) {
    for (const [k, v] of Object.entries(value)) {
      const p = prefix ? `${prefix}.${k}` : k;
      out.add(p);
      valuePaths(v, p, out);
    }
  } else if (Array.isArray(value)) {
    if (value.length) out.add(`${prefix}[]`);
    for (const v of value) valuePaths(v, `${prefix}[]`, out);
  }
  return out;
}

/** Paths of a managedFields fieldsV1 set, in the same collapsed form. */
function ownedPaths(fields: Json, prefix: string, out: Set<string>): Set<string> {
  if (!isObj(fields)) return out;
  for (const [k, v] of Object.entries(fields)) {
    if (k === '.') continue;
    if (k.startsWith('f:')) {
      const p = prefix ? `${prefix}.${k.slice(2)}` : k.slice(2);
      out.add(p);
      ownedPaths(v, p, out);
    } else if (k.startsWith('k:') || k.startsWith('v:') || k.startsWith('i:')) {
      // A list element: its own fields continue under `[]`; a `v:` (set member) is a leaf.
      out.add(`${prefix}[]`);
      ownedPaths(v, `${prefix}[]`, out);
    }
  }
  return out;
}

/**
 * True when applying `desired` as `fieldManager` to `live` provably changes
 * nothing. `desired` must already carry the agent's labels and the final namespace.
 */
export function provesNoOpApply(desired: KubeObject, live: KubeObject, fieldManager: string): boolean {
  const { status: _s, ...desiredSpec } = desired;
  const desiredMeta = { ...desired.metadata };
  delete desiredMeta.resourceVersion;
  delete desiredMeta.managedFields;
  const raw = { ...desiredSpec, metadata: desiredMeta };
  // The API server stores a Secret's stringData as base64 data; compare in that form.
  const stored = desired.kind === 'Secret' && desired.apiVersion === 'v1' && isObj(desired.stringData) ? foldStringData(raw) : raw;
  if (!containedIn(stored, live)) return false;
  const applied = (live.metadata.managedFields ?? []).filter(
    (m: ManagedFieldsEntry) => m.manager === fieldManager && m.operation === 'Apply' && !m.subresource,
  );
  if (applied.length === 0) return true;
  const have = valuePaths(stored, '', valuePaths(raw, '', new Set()));
  for (const entry of applied) {
    for (const p of ownedPaths(entry.fieldsV1, '', new Set())) if (!have.has(p)) return false;
  }
  return true;
}

function foldStringData(secret: Record<string, Json>): Record<string, Json> {
  const { stringData, ...rest } = secret;
  const data: Record<string, Json> = { ...(isObj(rest.data) ? rest.data : {}) };
  for (const [k, v] of Object.entries(stringData as Record<string, Json>)) data[k] = Buffer.from(String(v ?? ''), 'utf8').toString('base64');
  return { ...rest, data };
}
