/**
 * Small helpers for messages: did-you-mean suggestions, path formatting and
 * Kubernetes name syntax.
 */

/** Levenshtein distance, capped: returns `cap + 1` as soon as the distance exceeds `cap`. */
export function editDistance(a: string, b: string, cap = 3): number {
  if (Math.abs(a.length - b.length) > cap) return cap + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const v = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      cur.push(v);
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > cap) return cap + 1;
    prev = cur;
  }
  return prev[b.length];
}

/** The closest candidate to `word` (case-insensitive match first), or undefined when none is close. */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  const lower = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  const limit = word.length <= 4 ? 1 : word.length <= 8 ? 2 : 3;
  for (const c of candidates) {
    if (c === word) continue;
    if (c.toLowerCase() === lower) return c;
    const d = editDistance(lower, c.toLowerCase(), limit);
    if (d <= limit && d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  if (!best) {
    // A prefix match helps with truncated or extended names ("replica" → "replicas").
    for (const c of candidates) if (c !== word && (c.toLowerCase().startsWith(lower) || lower.startsWith(c.toLowerCase())) && Math.abs(c.length - word.length) <= 3) return c;
    // A word missing a part ("imagePolicy" → "imagePullPolicy") is a subsequence of the candidate.
    if (word.length >= 5) {
      for (const c of candidates) if (c.length - word.length <= 5 && c.length > word.length && isSubsequence(lower, c.toLowerCase())) return c;
    }
  }
  return best;
}

function isSubsequence(small: string, big: string): boolean {
  let i = 0;
  for (let j = 0; j < big.length && i < small.length; j++) if (big[j] === small[i]) i++;
  return i === small.length;
}

/** Formats a JSON path as `spec.template.spec.containers[0].image`. */
export function formatPath(path: (string | number)[]): string {
  let out = '';
  for (const step of path) {
    if (typeof step === 'number') out += `[${step}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(step)) out += out ? `.${step}` : step;
    else out += `[${JSON.stringify(step)}]`;
  }
  return out || '(root)';
}

/** Quotes a list of values for a message: `"a", "b" or "c"`. */
export function quoteList(values: unknown[], max = 12): string {
  const shown = values.slice(0, max).map((v) => JSON.stringify(v));
  const more = values.length > max ? `, … (${values.length - max} more)` : '';
  return shown.join(', ') + more;
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** Which name rule a kind uses, as kube-apiserver's validation does. */
export type NameRule = 'dns1123-subdomain' | 'dns1123-label' | 'dns1035-label' | 'path-segment';

/** The name rule of a kind: Namespace uses a label, Service a DNS-1035 label, RBAC kinds a path segment, others a subdomain. */
export function nameRuleOf(group: string, kind: string): NameRule {
  if (group === '' && kind === 'Namespace') return 'dns1123-label';
  if (group === '' && kind === 'Service') return 'dns1035-label';
  if (group === 'rbac.authorization.k8s.io') return 'path-segment';
  return 'dns1123-subdomain';
}

/** Checks a name against a rule; returns what is wrong, or undefined when valid. */
export function checkName(name: string, rule: NameRule): string | undefined {
  switch (rule) {
    case 'path-segment':
      if (name === '.' || name === '..') return `may not be "${name}"`;
      if (/[/%]/.test(name)) return 'may not contain "/" or "%"';
      return undefined;
    case 'dns1123-label':
      if (name.length > 63) return `must be at most 63 characters (it has ${name.length})`;
      if (!DNS1123_LABEL.test(name)) return 'must be a DNS-1123 label: lowercase letters, digits and "-", starting and ending with a letter or digit';
      return undefined;
    case 'dns1035-label':
      if (name.length > 63) return `must be at most 63 characters (it has ${name.length})`;
      if (!DNS1035_LABEL.test(name)) return 'must be a DNS-1035 label: lowercase letters, digits and "-", starting with a letter and ending with a letter or digit';
      return undefined;
    default:
      if (name.length > 253) return `must be at most 253 characters (it has ${name.length})`;
      if (!DNS1123_SUBDOMAIN.test(name)) return 'must be a DNS-1123 subdomain: lowercase letters, digits, "-" and ".", starting and ending with a letter or digit';
      return undefined;
  }
}

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

/** Checks a label or annotation key (`[prefix/]name`); returns what is wrong, or undefined. */
export function checkQualifiedKey(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined) {
    if (prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix)) return 'its prefix (before "/") must be a DNS-1123 subdomain such as "example.com"';
  }
  if (name.length === 0 || name.length > 63) return 'its name part must be 1 to 63 characters';
  if (!QUALIFIED_NAME.test(name)) return 'its name part must consist of letters, digits, "-", "_" and ".", starting and ending with a letter or digit';
  return undefined;
}

/** Checks a label value; returns what is wrong, or undefined. */
export function checkLabelValue(value: string): string | undefined {
  if (value.length > 63) return `must be at most 63 characters (it has ${value.length})`;
  if (!LABEL_VALUE.test(value)) return 'must be empty or consist of letters, digits, "-", "_" and ".", starting and ending with a letter or digit';
  return undefined;
}

const QUANTITY = /^[+-]?(\d+(\.\d*)?|\.\d+)(([KMGTPE]i)|[numkMGTPE]|([eE][+-]?\d+))?$/;

/** True for a Kubernetes resource quantity such as `500m`, `1.5`, `128Mi`, `1e3`. */
export function isQuantity(text: string): boolean {
  return QUANTITY.test(text);
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** True for an RFC 3339 date-time. */
export function isDateTime(text: string): boolean {
  return RFC3339.test(text);
}

/** True for standard base64 (line breaks are ignored, as Go's decoder does). */
export function isBase64(text: string): boolean {
  const t = text.replace(/[\r\n]/g, '');
  return t.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(t);
}
