/**
 * What Kubernetes considers equal. Drift compares a desired value with a live
 * value only after these rules, so a manifest saying `cpu: 1000m` is not
 * reported against a live `cpu: "1"`, and `targetPort: "80"` is not reported
 * against `80`.
 */

const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)|[eE]([+-]?\d+))?$/;
const SUFFIX: Record<string, number> = {
  '': 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
  Pi: 1024 ** 5,
  Ei: 1024 ** 6,
};

/** Parses a Kubernetes resource quantity (`500m`, `1Gi`, `1e3`, `2`) to a number, or undefined when it isn't one. */
export function parseQuantity(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v !== 'string') return undefined;
  const m = QUANTITY.exec(v.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  if (m[3] !== undefined) return n * 10 ** Number(m[3]);
  return n * SUFFIX[m[2] ?? ''];
}

/** Path segments under which values are resource quantities. */
const QUANTITY_PARENTS = new Set(['limits', 'requests', 'hard', 'capacity', 'allocatable', 'used', 'min', 'max', 'default', 'defaultRequest', 'maxLimitRequestRatio', 'overhead']);
const QUANTITY_KEYS = new Set(['storage', 'sizeLimit']);

/** True when the value at this path (map keys only) is a quantity by Kubernetes' API conventions. */
export function isQuantityPath(path: readonly string[]): boolean {
  const last = path[path.length - 1];
  const parent = path[path.length - 2];
  return (parent !== undefined && QUANTITY_PARENTS.has(parent)) || (last !== undefined && QUANTITY_KEYS.has(last));
}

/** True for values Kubernetes treats like "not set": absent, null, '', {} and []. */
export function isEmptyValue(v: unknown): boolean {
  if (v === undefined || v === null || v === '') return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v as object).length === 0;
  return false;
}

/** Relative tolerance for quantity comparison (binary suffixes give exact integers; this absorbs float noise of milli-units). */
function closeEnough(a: number, b: number): boolean {
  return a === b || Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
}

/**
 * Compares two scalars under Kubernetes' equality: quantities by value on
 * quantity paths, int-or-string (`"80"` vs `80`) anywhere a number meets its
 * own decimal string, and empty vs absent.
 */
export function scalarsEqual(desired: unknown, live: unknown, path: readonly string[]): boolean {
  if (desired === live) return true;
  if (isEmptyValue(desired) && isEmptyValue(live)) return true;
  if (isQuantityPath(path)) {
    const a = parseQuantity(desired);
    const b = parseQuantity(live);
    if (a !== undefined && b !== undefined) return closeEnough(a, b);
  }
  // int-or-string: the API server keeps the type written, but agents and
  // humans write ports and percentages both ways; 80 and "80" are the same.
  if ((typeof desired === 'number' && typeof live === 'string') || (typeof desired === 'string' && typeof live === 'number')) {
    return String(desired).trim() === String(live).trim();
  }
  if (typeof desired === 'boolean' && typeof live === 'string') return String(desired) === live;
  return false;
}

/** Deep equality with the same rules, used for atomic lists and whole-value comparisons. Extra live map keys (defaults) are allowed. */
export function valuesEqual(desired: unknown, live: unknown, path: readonly string[]): boolean {
  if (Array.isArray(desired)) {
    if (!Array.isArray(live)) return isEmptyValue(desired) && isEmptyValue(live);
    if (desired.length !== live.length) return false;
    return desired.every((d, i) => valuesEqual(d, live[i], path));
  }
  if (desired && typeof desired === 'object') {
    if (!live || typeof live !== 'object' || Array.isArray(live)) return isEmptyValue(desired) && isEmptyValue(live);
    return Object.entries(desired as Record<string, unknown>).every(([k, v]) => valuesEqual(v, (live as Record<string, unknown>)[k], [...path, k]));
  }
  return scalarsEqual(desired, live, path);
}

/**
 * Merge keys for well-known list-map fields, used when no schema registry
 * answers (offline CLI runs, kinds without a schema). The schema registry's
 * x-kubernetes-list-map-keys take precedence.
 */
const FALLBACK_LIST_MAP_KEYS: Record<string, string[]> = {
  containers: ['name'],
  initContainers: ['name'],
  ephemeralContainers: ['name'],
  env: ['name'],
  volumes: ['name'],
  volumeMounts: ['mountPath'],
  volumeDevices: ['devicePath'],
  imagePullSecrets: ['name'],
  conditions: ['type'],
  hostAliases: ['ip'],
  resourceClaims: ['name'],
};

/** The fallback merge keys for a list at `path` (map keys only), or undefined for atomic lists. */
export function fallbackListMapKeys(path: readonly string[]): string[] | undefined {
  const last = path[path.length - 1];
  if (last === 'ports') {
    // Container ports merge on containerPort+protocol; Service ports on port+protocol.
    return path.includes('containers') || path.includes('initContainers') ? ['containerPort', 'protocol'] : ['port', 'protocol'];
  }
  return last ? FALLBACK_LIST_MAP_KEYS[last] : undefined;
}
