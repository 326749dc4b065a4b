/**
 * Flux HelmRelease `spec.valuesFrom`, resolved the way helm-controller
 * resolves it before it renders the chart: each ConfigMap or Secret (in the
 * HelmRelease's namespace) in order, its `valuesKey` (default `values.yaml`)
 * either merged as a YAML document or, with `targetPath`, set at that path
 * with Helm's `--set` syntax; `spec.values` merged last. A missing object is
 * skipped only when `optional`; a missing key or a bad path fails, as it
 * does in the controller.
 *
 * Secret values are read only to be passed to helm. Every leaf value that
 * came from a Secret is returned in {@link ResolvedValues.secretValues} so
 * that the caller masks it in everything shown (charts may copy values into
 * ConfigMaps, Deployments, error messages...).
 */
import { parse as parseYaml } from 'yaml';
import type { ValuesReference } from './render-helm.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Reads the `data` of a ConfigMap or Secret (Secret values already decoded).
 * Resolves undefined when the object does not exist; rejects for anything
 * else (no permission, unreachable...).
 */
export type ValuesSourceReader = (kind: 'ConfigMap' | 'Secret', namespace: string, name: string) => Promise<Record<string, string> | undefined>;

/** The values helm gets, and what the plan must know about them. */
export interface ResolvedValues {
  values: Obj;
  /** Every leaf value taken from a Secret, to be masked wherever text is shown. */
  secretValues: string[];
  /** References that could not be read (other than "not found"): their values are left out. */
  notes: string[];
}

/** helm-controller's (fluxcd/pkg) MergeMaps: maps merged key by key, recursively; anything else from `b` replaces `a`'s. */
export function mergeMaps(a: Obj, b: Obj): Obj {
  const out: Obj = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const current = out[k];
    out[k] = isObj(v) && isObj(current) ? mergeMaps(current, v) : v;
  }
  return out;
}

/** Helm's strvals typing of an unquoted `--set` value: booleans, null, and integers without a leading zero. */
function typedValue(v: string): unknown {
  const lower = v.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  if (lower === 'null') return null;
  if (v === '0') return 0;
  if (v.length > 0 && v[0] !== '0' && /^[+-]?\d+$/.test(v)) {
    const n = Number(v);
    if (Number.isSafeInteger(n)) return n;
  }
  return v;
}

/** Sets `value` at `keys` in `root`, creating maps and lists (filled with null) as Helm's strvals does. */
function setAt(root: Obj, keys: Array<string | number>, value: unknown): void {
  let node: Obj | unknown[] = root;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const last = i === keys.length - 1;
    const nextIsIndex = !last && typeof keys[i + 1] === 'number';
    const container = node as Record<string | number, unknown>;
    if (Array.isArray(node) && typeof key === 'number') while (node.length <= key) node.push(null);
    if (last) {
      container[key] = value;
      return;
    }
    let child = container[key];
    if (nextIsIndex ? !Array.isArray(child) : !isObj(child)) {
      child = nextIsIndex ? [] : {};
      container[key] = child;
    }
    node = child as Obj | unknown[];
  }
}

/**
 * A subset of Helm's `strvals.ParseInto` (typed) / `ParseIntoString`
 * (`asString`) that covers what helm-controller passes it,
 * `<targetPath>=<value>`: dotted keys with `\` escapes and `[n]` list
 * indexes, `{a,b}` lists, assignments separated by unescaped commas.
 * Throws Helm's kind of message for a key without a value.
 */
export function parseSetInto(expression: string, values: Obj, asString = false): void {
  let i = 0;
  const s = expression;
  while (i < s.length) {
    const keys: Array<string | number> = [];
    let segment = '';
    let afterIndex = false;
    for (;;) {
      if (i >= s.length || s[i] === ',') throw new Error(`key "${segment}" has no value`);
      const c = s[i]!;
      if (c === '\\' && i + 1 < s.length) {
        segment += s[i + 1];
        i += 2;
      } else if (c === '.') {
        if (!afterIndex) keys.push(segment);
        segment = '';
        afterIndex = false;
        i++;
      } else if (c === '[') {
        if (segment || !afterIndex) keys.push(segment);
        segment = '';
        const end = s.indexOf(']', i);
        const index = end < 0 ? NaN : Number(s.slice(i + 1, end));
        if (!Number.isInteger(index) || index < 0) throw new Error(`invalid list index in "${s.slice(i)}"`);
        keys.push(index);
        afterIndex = true;
        i = end + 1;
      } else if (c === '=') {
        if (!afterIndex || segment) keys.push(segment);
        i++;
        break;
      } else {
        segment += c;
        i++;
      }
    }
    if (s[i] === '{') {
      const end = s.indexOf('}', i);
      const body = end < 0 ? s.slice(i + 1) : s.slice(i + 1, end);
      setAt(values, keys, body === '' ? [] : body.split(',').map((x) => (asString ? x : typedValue(x))));
      i = end < 0 ? s.length : end + 1;
    } else {
      let value = '';
      while (i < s.length && s[i] !== ',') {
        if (s[i] === '\\' && i + 1 < s.length) {
          value += s[i + 1];
          i += 2;
        } else value += s[i++];
      }
      setAt(values, keys, asString ? value : typedValue(value));
    }
    if (s[i] === ',') i++;
  }
}

/**
 * helm-controller's ReplacePathValue: a quoted value is set as a string
 * (quotes removed), anything else is typed like `--set`.
 */
export function replacePathValue(values: Obj, targetPath: string, value: string): void {
  const quoted = (value.startsWith("'") && value.endsWith("'")) || (value.startsWith('"') && value.endsWith('"'));
  if (quoted) parseSetInto(`${targetPath}=${value.replace(/^['"]+|['"]+$/g, '')}`, values, true);
  else parseSetInto(`${targetPath}=${value}`, values, false);
}

/** Every scalar leaf of a parsed YAML value, as text. */
function leaves(v: unknown, out: string[] = []): string[] {
  if (v === null || v === undefined) return out;
  if (Array.isArray(v)) for (const x of v) leaves(x, out);
  else if (isObj(v)) for (const x of Object.values(v)) leaves(x, out);
  else out.push(String(v));
  return out;
}

/**
 * Resolves `valuesFrom` then merges `inline` (`spec.values`) over it.
 * Throws (with a message free of Secret values) when helm-controller would
 * fail the release: a missing object that is not optional, a missing key,
 * a values document that is not a map, a bad target path.
 */
export async function resolveValuesFrom(refs: ValuesReference[], namespace: string, read: ValuesSourceReader, inline: Obj | undefined): Promise<ResolvedValues> {
  let values: Obj = {};
  const secretValues: string[] = [];
  const notes: string[] = [];
  for (const ref of refs) {
    const label = `${ref.kind} ${namespace}/${ref.name}`;
    let data: Record<string, string> | undefined;
    try {
      data = await read(ref.kind, namespace, ref.name);
    } catch (e) {
      notes.push(`valuesFrom ${label} not applied: ${(e as Error).message}`);
      continue;
    }
    if (!data) {
      if (ref.optional) continue;
      throw new Error(`valuesFrom ${label} not found`);
    }
    const key = ref.valuesKey ?? 'values.yaml';
    const raw = data[key];
    if (raw === undefined) throw new Error(`valuesFrom ${label}: missing key '${key}'`);
    if (ref.kind === 'Secret') secretValues.push(raw.trim());
    if (ref.targetPath) {
      if (ref.kind === 'Secret') secretValues.push(raw.replace(/^['"]+|['"]+$/g, ''));
      try {
        replacePathValue(values, ref.targetPath, raw);
      } catch (e) {
        // Helm's message quotes the value; only the path is safe to show.
        throw new Error(`valuesFrom ${label}: cannot set targetPath '${ref.targetPath}'${ref.kind === 'Secret' ? '' : `: ${(e as Error).message}`}`);
      }
      continue;
    }
    let parsed: unknown;
    try {
      parsed = parseYaml(raw);
    } catch (e) {
      throw new Error(`valuesFrom ${label}: key '${key}' is not valid YAML${ref.kind === 'Secret' ? '' : `: ${(e as Error).message.split('\n')[0]}`}`);
    }
    if (parsed === null || parsed === undefined) continue;
    if (!isObj(parsed)) throw new Error(`valuesFrom ${label}: key '${key}' is not a map of values`);
    if (ref.kind === 'Secret') secretValues.push(...leaves(parsed));
    values = mergeMaps(values, parsed);
  }
  if (inline) values = mergeMaps(values, inline);
  return { values, secretValues: [...new Set(secretValues.filter((v) => v.length > 0))], notes };
}
