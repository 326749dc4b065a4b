/**
 * Placeholders that stand in for Secret values during a preview. A HelmRelease's `valuesFrom`
 * Secret or a Flux `postBuild.substituteFrom` Secret used to hand the real value to helm or the
 * substitution, and only exact copies were masked afterwards: a chart printing
 * `{{ .Values.password | upper }}` or `b64enc | b64enc` put the live Secret into the plan. Now
 * the real value never reaches a renderer: each one is replaced by a unique, recognizable
 * token, and the fields the tokens reach are shown as "derived from Secret X: not compared".
 * Whatever a chart does to a token, the output cannot contain the Secret.
 */
import { randomBytes } from 'node:crypto';

/** The text shown (on both sides of a diff) for a field derived from a Secret. */
export function notComparedMarker(secret: string): string {
  return `*** (derived from Secret ${secret}: not compared)`;
}

/** True for a value that is a {@link notComparedMarker}. */
export function isNotComparedMarker(v: unknown): boolean {
  return typeof v === 'string' && v.startsWith('*** (derived from Secret ');
}

/** One set of placeholders (one render); a second set with another `variant` gives different tokens of a different length. */
export class SecretPlaceholders {
  private readonly secretOf = new Map<string, string>();
  private readonly salt: string;
  private n = 0;

  constructor(private readonly variant = '') {
    // Lower-case letters and digits only, so upper/lower-casing and base64 keep them findable.
    this.salt = randomBytes(5).toString('hex');
  }

  /** A new token standing for one value of the Secret `secret` (`namespace/name`). */
  token(secret: string): string {
    const t = `glsecret${this.salt}${(this.n++).toString(36)}z${this.variant}`;
    this.secretOf.set(t, secret);
    return t;
  }

  /** True when this set handed out any token. */
  get used(): boolean {
    return this.n > 0;
  }

  /** The Secrets whose tokens appear in `text`: as given, upper-cased, or base64-encoded once or twice. */
  secretsIn(text: string): string[] {
    if (!text) return [];
    const lower = text.toLowerCase();
    const found = new Set<string>();
    for (const [token, secret] of this.secretOf) {
      if (found.has(secret)) continue;
      if (lower.includes(token) || text.includes(b64(token)) || text.includes(b64(b64(token))) || text.includes(b64Core(token))) found.add(secret);
    }
    return [...found];
  }

  /** Every Secret this set has tokens for. */
  secrets(): string[] {
    return [...new Set(this.secretOf.values())];
  }
}

function b64(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64');
}

/** The part of a token's base64 form that does not depend on what surrounds it in a longer string. */
function b64Core(s: string): string {
  const full = b64(s).replace(/=+$/, '');
  return full.slice(0, Math.max(4, full.length - 4));
}

/** A field path and the Secret(s) its value was derived from. */
export interface SecretDerivedField {
  path: Array<string | number>;
  secret: string;
}

/** Every string leaf of `value` whose text holds a token of `placeholders`, with its Secret(s). */
export function fieldsWithPlaceholders(value: unknown, placeholders: SecretPlaceholders, at: Array<string | number> = [], out: SecretDerivedField[] = []): SecretDerivedField[] {
  if (typeof value === 'string') {
    const secrets = placeholders.secretsIn(value);
    if (secrets.length) out.push({ path: at, secret: secrets.join(', ') });
  } else if (Array.isArray(value)) value.forEach((v, i) => fieldsWithPlaceholders(v, placeholders, [...at, i], out));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) fieldsWithPlaceholders(v, placeholders, [...at, k], out);
  return out;
}

/**
 * A copy of `object` with every Secret-derived field (and, for a Secret, its `data` twin of a
 * `stringData` field) replaced by its {@link notComparedMarker}; fields absent from the object
 * stay absent. Applied to the live and the after side alike, so the plan neither compares nor
 * shows them. A field path of `[]` (an object whose identity came from a Secret) marks `data`,
 * `stringData` and `spec`.
 */
export function withNotCompared<T>(object: T, fields: readonly SecretDerivedField[] | undefined): T {
  if (!fields?.length || !object || typeof object !== 'object') return object;
  const copy = structuredClone(object) as Record<string, unknown>;
  const isSecretKind = copy.kind === 'Secret';
  const set = (p: Array<string | number>, marker: string) => {
    if (!p.length) return;
    let node: unknown = copy;
    for (const k of p.slice(0, -1)) {
      node = node && typeof node === 'object' ? (node as Record<string | number, unknown>)[k] : undefined;
      if (!node || typeof node !== 'object') return;
    }
    const last = p[p.length - 1]!;
    if (last in (node as object)) (node as Record<string | number, unknown>)[last] = marker;
  };
  for (const f of fields) {
    const marker = notComparedMarker(f.secret);
    if (!f.path.length) {
      for (const k of ['data', 'stringData', 'spec']) if (k in copy) copy[k] = marker;
      continue;
    }
    set(f.path, marker);
    if (isSecretKind && (f.path[0] === 'stringData' || f.path[0] === 'data')) set([f.path[0] === 'data' ? 'stringData' : 'data', ...f.path.slice(1)], marker);
  }
  return copy as T;
}
