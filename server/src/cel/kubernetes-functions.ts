/**
 * The Kubernetes CEL extension libraries that CRD rules use, on top of
 * @bufbuild/cel's standard library and string extensions: lists (isSorted,
 * sum, min, max, indexOf, lastIndexOf), URLs (url, isURL, getScheme, …),
 * IPs and CIDRs (isIP, ip, isCIDR, cidr, family, containsIP, …), quantities
 * (isQuantity, quantity, compareTo, isGreaterThan, asInteger, …) and the
 * format library (`format.dns1123Label().validate(s)`).
 *
 * @bufbuild/cel has no custom object types without protobuf descriptors, so
 * URL, IP, CIDR, quantity and format values are maps carrying one tag key
 * (`__url__`, …); rules cannot construct such maps by accident.
 */
import { celFunc, celList, celMethod, CelScalar, isCelList, isCelMap, listType, mapType, type CelFunc, type CelMap, type CelValue } from '@bufbuild/cel';

const { STRING, INT, BOOL, DOUBLE, DYN } = CelScalar;
const LIST = listType(DYN);
const MAP = mapType(STRING, DYN);

function tagged(tag: string, fields: Record<string, CelValue>): Map<string, CelValue> {
  return new Map<string, CelValue>([[tag, true], ...Object.entries(fields)]);
}

function field(m: CelMap, tag: string, name: string): CelValue {
  if (!m.has(tag)) throw new Error(`no such overload: ${name} on a map`);
  return m.get(name) as CelValue;
}

// --- lists -----------------------------------------------------------------------------------

function compare(a: CelValue, b: CelValue): number {
  if ((typeof a === 'bigint' || typeof a === 'number') && (typeof b === 'bigint' || typeof b === 'number')) return Number(a) < Number(b) ? -1 : Number(a) > Number(b) ? 1 : 0;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  throw new Error('no such overload: values of this list cannot be compared');
}

function listItems(list: CelValue): CelValue[] {
  if (!isCelList(list)) throw new Error('no such overload');
  return [...list];
}

function listFunctions(): CelFunc[] {
  return [
    celMethod('isSorted', LIST, [], BOOL, function () {
      const items = listItems(this);
      for (let i = 1; i < items.length; i++) if (compare(items[i - 1], items[i]) > 0) return false;
      return true;
    }),
    celMethod('sum', LIST, [], DYN, function () {
      const items = listItems(this);
      if (items.every((x) => typeof x === 'bigint')) return items.reduce((a, b) => (a as bigint) + (b as bigint), 0n);
      return items.reduce((a: number, b) => a + Number(b), 0);
    }),
    celMethod('min', LIST, [], DYN, function () {
      const items = listItems(this);
      if (!items.length) throw new Error('min called on an empty list');
      return items.reduce((a, b) => (compare(a, b) <= 0 ? a : b));
    }),
    celMethod('max', LIST, [], DYN, function () {
      const items = listItems(this);
      if (!items.length) throw new Error('max called on an empty list');
      return items.reduce((a, b) => (compare(a, b) >= 0 ? a : b));
    }),
    celMethod('indexOf', LIST, [DYN], INT, function (x) {
      return BigInt(listItems(this).findIndex((y) => safeEquals(x, y)));
    }),
    celMethod('lastIndexOf', LIST, [DYN], INT, function (x) {
      const items = listItems(this);
      for (let i = items.length - 1; i >= 0; i--) if (safeEquals(x, items[i])) return BigInt(i);
      return -1n;
    }),
  ];
}

function safeEquals(a: CelValue, b: CelValue): boolean {
  try {
    return compare(a, b) === 0;
  } catch {
    return false;
  }
}

// --- URLs --------------------------------------------------------------------------------------

/** Go's url.Parse accepts absolute URLs and absolute paths; Kubernetes' isURL rejects the rest. */
function parseUrl(s: string): URL | undefined {
  try {
    if (s.startsWith('/')) return new URL(s, 'x-relative://');
    return new URL(s);
  } catch {
    return undefined;
  }
}

function urlValue(s: string): Map<string, CelValue> {
  const u = parseUrl(s);
  if (!u) throw new Error(`URL parse error during conversion from string: ${s}`);
  const relative = u.protocol === 'x-relative:';
  return tagged('__url__', {
    scheme: relative ? '' : u.protocol.replace(/:$/, ''),
    host: relative ? '' : u.host,
    hostname: relative ? '' : u.hostname.replace(/^\[|\]$/g, ''),
    port: relative ? '' : u.port,
    path: u.pathname,
    query: u.search.replace(/^\?/, ''),
  });
}

function urlFunctions(): CelFunc[] {
  const get = (name: string, key: string) => celMethod(name, MAP, [], STRING, function () {
    return field(this as CelMap, '__url__', key) as string;
  });
  return [
    celFunc('isURL', [STRING], BOOL, (s) => parseUrl(s) !== undefined),
    celFunc('url', [STRING], MAP, (s) => urlValue(s)),
    get('getScheme', 'scheme'),
    get('getHost', 'host'),
    get('getHostname', 'hostname'),
    get('getPort', 'port'),
    get('getEscapedPath', 'path'),
    celMethod('getQuery', MAP, [], MAP, function () {
      const q = new URLSearchParams(field(this as CelMap, '__url__', 'query') as string);
      const out = new Map<string, CelValue>();
      for (const key of new Set(q.keys())) out.set(key, celList(q.getAll(key)));
      return out;
    }),
  ];
}

// --- IPs and CIDRs ---------------------------------------------------------------------------

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** The 16 or 4 bytes of an address, or undefined. Kubernetes rejects IPv4-mapped IPv6 and zones. */
function ipBytes(s: string): number[] | undefined {
  if (IPV4.test(s)) return s.split('.').map(Number);
  if (!s.includes(':') || s.includes('%') || /::ffff:\d+\.\d+/i.test(s)) return undefined;
  let parts = s.split('::');
  if (parts.length > 2) return undefined;
  const side = (x: string) => (x ? x.split(':') : []);
  let head = side(parts[0]);
  let tail = parts.length === 2 ? side(parts[1]) : [];
  const last = (tail.length ? tail : head).at(-1) ?? '';
  let v4: number[] = [];
  if (IPV4.test(last)) {
    v4 = last.split('.').map(Number);
    if (tail.length) tail = tail.slice(0, -1);
    else head = head.slice(0, -1);
  }
  const groups = [...head, ...tail];
  if (!groups.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  const total = groups.length * 2 + v4.length;
  if (parts.length === 1 ? total !== 16 : total > 14) return undefined;
  parts = [];
  const bytes = (gs: string[]) => gs.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 255]);
  return [...bytes(head), ...new Array(16 - total).fill(0), ...bytes(tail), ...v4];
}

function cidrParts(s: string): { ip: number[]; prefix: number } | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const ip = ipBytes(s.slice(0, slash));
  const p = s.slice(slash + 1);
  if (!ip || !/^\d{1,3}$/.test(p) || Number(p) > ip.length * 8) return undefined;
  return { ip, prefix: Number(p) };
}

function ipFunctions(): CelFunc[] {
  const ipOf = (m: CelMap) => field(m, '__ip__', 'text') as string;
  return [
    celFunc('isIP', [STRING], BOOL, (s) => ipBytes(s) !== undefined),
    celFunc('isCIDR', [STRING], BOOL, (s) => cidrParts(s) !== undefined),
    celFunc('ip', [STRING], MAP, (s) => {
      if (!ipBytes(s)) throw new Error(`IP Address ${JSON.stringify(s)} parse error during conversion from string`);
      return tagged('__ip__', { text: s });
    }),
    celFunc('cidr', [STRING], MAP, (s) => {
      if (!cidrParts(s)) throw new Error(`network address parse error during conversion from string: ${s}`);
      return tagged('__cidr__', { text: s });
    }),
    celMethod('family', MAP, [], INT, function () {
      return ipBytes(ipOf(this as CelMap))!.length === 4 ? 4n : 6n;
    }),
    celMethod('isUnspecified', MAP, [], BOOL, function () {
      return ipBytes(ipOf(this as CelMap))!.every((b) => b === 0);
    }),
    celMethod('isLoopback', MAP, [], BOOL, function () {
      const b = ipBytes(ipOf(this as CelMap))!;
      return b.length === 4 ? b[0] === 127 : b.slice(0, 15).every((x) => x === 0) && b[15] === 1;
    }),
    celMethod('prefixLength', MAP, [], INT, function () {
      return BigInt(cidrParts(field(this as CelMap, '__cidr__', 'text') as string)!.prefix);
    }),
    celMethod('containsIP', MAP, [STRING], BOOL, function (ip) {
      const c = cidrParts(field(this as CelMap, '__cidr__', 'text') as string)!;
      const b = ipBytes(ip);
      if (!b || b.length !== c.ip.length) return false;
      for (let bit = 0; bit < c.prefix; bit++) {
        const mask = 0x80 >> (bit % 8);
        if ((c.ip[bit >> 3] & mask) !== (b[bit >> 3] & mask)) return false;
      }
      return true;
    }),
  ];
}

// --- quantities ------------------------------------------------------------------------------

const SUFFIX: Record<string, number> = {
  '': 1, n: 1e-9, u: 1e-6, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

/** The approximate value of a quantity string (exact enough for comparisons of manifest values). */
export function quantityValue(s: string): number {
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|([numkMGTPE]|[KMGTPE]i)?)$/.exec(s);
  if (!m) throw new Error(`quantities must match the regular expression: ${s}`);
  return m[2] ? Number(m[1] + m[2]) : Number(m[1]) * SUFFIX[m[3] ?? ''];
}

function quantityFunctions(): CelFunc[] {
  const q = (m: CelMap) => quantityValue(field(m, '__quantity__', 'text') as string);
  const make = (text: string) => tagged('__quantity__', { text });
  const cmp = (a: number, b: number) => BigInt(a < b ? -1 : a > b ? 1 : 0);
  return [
    celFunc('isQuantity', [STRING], BOOL, (s) => {
      try {
        quantityValue(s);
        return true;
      } catch {
        return false;
      }
    }),
    celFunc('quantity', [STRING], MAP, (s) => {
      quantityValue(s);
      return make(s);
    }),
    celMethod('sign', MAP, [], INT, function () {
      return cmp(q(this as CelMap), 0);
    }),
    celMethod('isInteger', MAP, [], BOOL, function () {
      return Number.isSafeInteger(q(this as CelMap));
    }),
    celMethod('asInteger', MAP, [], INT, function () {
      const v = q(this as CelMap);
      if (!Number.isSafeInteger(v)) throw new Error('cannot convert value to integer');
      return BigInt(v);
    }),
    celMethod('asApproximateFloat', MAP, [], DOUBLE, function () {
      return q(this as CelMap);
    }),
    celMethod('compareTo', MAP, [MAP], INT, function (o) {
      return cmp(q(this as CelMap), q(o));
    }),
    celMethod('isGreaterThan', MAP, [MAP], BOOL, function (o) {
      return q(this as CelMap) > q(o);
    }),
    celMethod('isLessThan', MAP, [MAP], BOOL, function (o) {
      return q(this as CelMap) < q(o);
    }),
    celMethod('add', MAP, [MAP], MAP, function (o) {
      return make(String(q(this as CelMap) + q(o)));
    }),
    celMethod('sub', MAP, [MAP], MAP, function (o) {
      return make(String(q(this as CelMap) - q(o)));
    }),
  ];
}

// --- format library ----------------------------------------------------------------------------

const FORMATS: Record<string, (s: string) => string | undefined> = {
  dns1123Label: (s) => (s.length <= 63 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(s) ? undefined : "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character"),
  dns1123Subdomain: (s) => (s.length <= 253 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(s) ? undefined : "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"),
  dns1035Label: (s) => (s.length <= 63 && /^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(s) ? undefined : "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character"),
  qualifiedName: (s) => (/^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/.test(s) ? undefined : 'name part must consist of alphanumeric characters, \'-\', \'_\' or \'.\', and must start and end with an alphanumeric character'),
  labelValue: (s) => (s === '' || (s.length <= 63 && /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(s)) ? undefined : "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"),
  uri: (s) => (parseUrl(s) ? undefined : 'must be a valid URI'),
  uuid: (s) => (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s) ? undefined : 'must be a valid UUID'),
  date: (s) => (/^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(s)) ? undefined : 'must be a valid date'),
};

function formatFunctions(): CelFunc[] {
  const out: CelFunc[] = Object.keys(FORMATS).map((name) => celFunc(`format.${name}`, [], MAP, () => tagged('__format__', { name })));
  out.push(celMethod('validate', MAP, [STRING], DYN, function (s) {
    const problem = FORMATS[field(this as CelMap, '__format__', 'name') as string]?.(s);
    // Kubernetes returns optional.none() when valid; null compares the same way in the rules seen.
    return problem === undefined ? null : celList([problem]);
  }));
  return out;
}

/** Every Kubernetes extension function, to pass to the CEL environment. */
export function kubernetesCelFunctions(): CelFunc[] {
  return [...listFunctions(), ...urlFunctions(), ...ipFunctions(), ...quantityFunctions(), ...formatFunctions()];
}

/** True for the tagged maps above (not plain objects of the manifest). */
export function isTaggedValue(v: unknown): boolean {
  return isCelMap(v) && (v.has('__url__') || v.has('__ip__') || v.has('__cidr__') || v.has('__quantity__') || v.has('__format__'));
}
