/**
 * Secret masking. Every path that shows cluster or manifest content to a
 * person (hover, drift messages, preview diffs and plans, logs, errors) passes
 * Secret objects through {@link maskSecret} and free text through
 * {@link redact}, so a Secret value can never reach the screen or a log.
 */

import { createHmac, randomBytes } from 'node:crypto';

/** What a masked value is replaced with, as `kubectl diff` does. */
export const MASK = '***';

/** Per-process key: digests let drift compare Secret values without storing them, and can't be matched against precomputed hashes. */
const DIGEST_KEY = randomBytes(32);
const DIGEST_PREFIX = `${MASK}hmac:`;

/** A keyed digest of a secret value; equal values give equal digests within this process. */
export function secretDigest(value: string): string {
  return DIGEST_PREFIX + createHmac('sha256', DIGEST_KEY).update(value, 'utf8').digest('hex');
}

/** True for a value produced by {@link secretDigest} (as stored in the live cache). */
export function isSecretDigest(v: unknown): v is string {
  return typeof v === 'string' && v.startsWith(DIGEST_PREFIX);
}

/**
 * Digests of a Secret's values by key, whether it holds raw `data` (base64),
 * `stringData`, or values already replaced by digests (cached live objects).
 */
export function secretDigests(secret: Record<string, unknown>): Map<string, string> {
  const out = new Map<string, string>();
  const data = secret.data as Record<string, unknown> | undefined;
  if (data && typeof data === 'object') {
    for (const [k, v] of Object.entries(data)) {
      if (isSecretDigest(v)) out.set(k, v);
      else if (typeof v === 'string') out.set(k, secretDigest(Buffer.from(v, 'base64').toString('utf8')));
    }
  }
  const stringData = secret.stringData as Record<string, unknown> | undefined;
  if (stringData && typeof stringData === 'object') {
    for (const [k, v] of Object.entries(stringData)) out.set(k, isSecretDigest(v) ? v : secretDigest(v == null ? '' : String(v)));
  }
  return out;
}

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** True when an object (or manifest value) is a core Secret. */
export function isSecret(obj: unknown): boolean {
  if (!obj || typeof obj !== 'object') return false;
  const o = obj as Record<string, unknown>;
  return o.kind === 'Secret' && (o.apiVersion === 'v1' || o.apiVersion === undefined);
}

/**
 * Returns a deep copy of `obj` in which, if it is a Secret, every value of
 * `data` and `stringData` and the last-applied annotation are replaced by
 * `***`. When `other` (the object it is being compared with) is given, each
 * masked value says whether it is the same or differs, like kubectl diff's
 * `***` / `*** (before)` / `*** (after)` markers, without revealing either.
 * Values learnt from the object are registered with the redactor so they are
 * also removed from any later free text.
 */
export function maskSecret<T>(obj: T, other?: unknown): T {
  if (!isSecret(obj)) return obj;
  const copy = structuredClone(obj) as Record<string, unknown>;
  const otherValues = other && isSecret(other) ? secretValues(other as Record<string, unknown>) : undefined;
  const mine = secretValues(obj as Record<string, unknown>);
  for (const value of mine.values()) registerSecretValue(value);
  for (const field of ['data', 'stringData'] as const) {
    const map = copy[field];
    if (!map || typeof map !== 'object') continue;
    for (const key of Object.keys(map as object)) {
      let mark = MASK;
      if (otherValues) {
        const a = mine.get(key);
        const b = otherValues.get(key);
        mark = b === undefined ? `${MASK} (only here)` : a === b ? `${MASK} (same)` : `${MASK} (differs)`;
      }
      (map as Record<string, unknown>)[key] = mark;
    }
  }
  const meta = copy.metadata as Record<string, unknown> | undefined;
  const annotations = meta?.annotations as Record<string, unknown> | undefined;
  if (annotations && LAST_APPLIED in annotations) annotations[LAST_APPLIED] = MASK;
  return copy as T;
}

/**
 * The decoded values of a Secret by key: `data` is base64, `stringData` is
 * plain text, and Kubernetes merges stringData over data, so comparing the
 * decoded forms is what tells whether a desired and a live Secret agree.
 */
export function secretValues(secret: Record<string, unknown>): Map<string, string> {
  const out = new Map<string, string>();
  const data = secret.data as Record<string, unknown> | undefined;
  if (data && typeof data === 'object') {
    for (const [k, v] of Object.entries(data)) {
      if (typeof v === 'string') out.set(k, Buffer.from(v, 'base64').toString('utf8'));
    }
  }
  const stringData = secret.stringData as Record<string, unknown> | undefined;
  if (stringData && typeof stringData === 'object') {
    for (const [k, v] of Object.entries(stringData)) out.set(k, v == null ? '' : String(v));
  }
  return out;
}

/** Secret values seen so far, removed from any text passed to {@link redact}. Bounded so a huge cluster can't grow it without limit. */
const knownSecretValues = new Set<string>();
const MAX_KNOWN = 10_000;

/**
 * Remembers a secret value (and its base64 form) so {@link redact} removes it
 * from logs and error messages. Very short values are skipped: redacting "a"
 * everywhere would destroy messages while protecting nothing.
 */
export function registerSecretValue(value: string): void {
  if (typeof value !== 'string' || value.length < 4) return;
  if (knownSecretValues.size >= MAX_KNOWN) knownSecretValues.delete(knownSecretValues.values().next().value as string);
  knownSecretValues.add(value);
  const b64 = Buffer.from(value, 'utf8').toString('base64');
  if (b64.length >= 4) knownSecretValues.add(b64);
}

/** Registers every value of a Secret object for redaction. Safe to call with any object. */
export function registerSecretObject(obj: unknown): void {
  if (!isSecret(obj)) return;
  const o = obj as Record<string, unknown>;
  for (const v of secretValues(o).values()) registerSecretValue(v);
  const data = o.data as Record<string, unknown> | undefined;
  if (data) for (const v of Object.values(data)) if (typeof v === 'string') registerSecretValue(v);
}

const BEARER = /(Bearer\s+)[A-Za-z0-9._~+/=-]+/gi;
const TOKEN_FIELDS = /("?(?:token|access[_-]?token|id[_-]?token|refresh[_-]?token|client[_-]?secret|password)"?\s*[:=]\s*"?)([^"\s,}]+)/gi;
const JWT = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\b/g;

/**
 * Removes secrets from free text before it is logged or shown: bearer
 * tokens, JWTs, `token: ...`-style fields (as exec plugins print them), any
 * explicitly passed extra values, and every Secret value seen so far.
 */
export function redact(text: string, extraSecrets: Iterable<string | undefined> = []): string {
  let out = String(text);
  for (const s of extraSecrets) if (s && s.length >= 4) out = out.split(s).join(MASK);
  // Longest first, so a value is removed before any of its substrings.
  const known = [...knownSecretValues].sort((a, b) => b.length - a.length);
  for (const s of known) if (out.includes(s)) out = out.split(s).join(MASK);
  out = out.replace(BEARER, `$1${MASK}`).replace(JWT, MASK).replace(TOKEN_FIELDS, `$1${MASK}`);
  return out;
}

/** Secret masks that differ between the two sides must render differently, or the diff would hide the change. */
export function maskPair<T extends object>(live: T | undefined, after: T | undefined): [T | undefined, T | undefined] {
  const l = live ? maskSecret(live, after) : undefined;
  const a = after ? maskSecret(after, live) : undefined;
  const relabel = (o: T | undefined, side: string) => {
    if (!o || !isSecret(o)) return o;
    for (const field of ['data', 'stringData']) {
      const map = (o as Record<string, unknown>)[field] as Record<string, string> | undefined;
      if (!map) continue;
      for (const k of Object.keys(map)) {
        if (map[k] === `${MASK} (differs)`) map[k] = `${MASK} (${side})`;
        else if (map[k] === `${MASK} (same)`) map[k] = MASK;
      }
    }
    return o;
  };
  return [relabel(l, 'before'), relabel(a, 'after')];
}
