/**
 * Masking of values derived from Secrets (HelmRelease `valuesFrom`): they end
 * up inside non-Secret objects (a ConfigMap, a Deployment's env), so the
 * object masks of mask-secrets.ts do not see them; they are masked in every
 * text shown instead.
 */
import { MASK } from './mask-secrets.js';

/** A rendered object and the Secret-derived values rendered into it. */
export interface DerivedValues {
  object: { kind: string; metadata: { name?: string } };
  maskValues?: readonly string[];
}

/** The shown texts of a plan (the shape of preview's ComputedPlan). */
export interface MaskablePlan {
  entries: Array<{ kind: string; name: string; liveText: string; afterText: string; diff?: string; message?: string }>;
  notes: string[];
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Masks values that came from Secrets in text shown to people: values of 4
 * characters or more wherever they appear; shorter ones (which would destroy
 * unrelated text) only where a whole YAML scalar equals them.
 */
export function maskDerivedValues(text: string, secretValues: readonly string[]): string {
  if (!text || secretValues.length === 0) return text;
  let out = text;
  const sorted = [...secretValues].sort((a, b) => b.length - a.length);
  for (const v of sorted) {
    if (v.length >= 4) {
      if (out.includes(v)) out = out.split(v).join(MASK);
      continue;
    }
    const scalar = new RegExp(`((?::|^[+\\- ]?\\s*-)\\s+)(["']?)${escapeRegExp(v)}\\2[ \\t]*$`, 'gm');
    out = out.replace(scalar, `$1${MASK}`);
  }
  return out;
}

/**
 * Masks values taken from Secrets (HelmRelease `valuesFrom`) in the plan:
 * in the texts and diff of every entry for an object rendered with them, and
 * in every entry's message and the notes.
 */
export function maskSecretDerived(plan: MaskablePlan, objects: readonly DerivedValues[], all: readonly string[]): void {
  if (all.length === 0) return;
  // Keyed by kind and name only: a desired object's namespace may still be unset here (the
  // binding supplies it). Same-named objects share their values, so a mask is never lost to
  // another namespace's object; masking a little more is the safe side.
  const perObject = new Map<string, string[]>();
  for (const d of objects) {
    if (!d.maskValues?.length) continue;
    const key = `${d.object.kind}\0${d.object.metadata.name}`;
    perObject.set(key, [...(perObject.get(key) ?? []), ...d.maskValues]);
  }
  for (const e of plan.entries) {
    const values = perObject.get(`${e.kind}\0${e.name}`);
    if (values) {
      e.liveText = maskDerivedValues(e.liveText, values);
      e.afterText = maskDerivedValues(e.afterText, values);
      if (e.diff) e.diff = maskDerivedValues(e.diff, values);
    }
    if (e.message) e.message = maskDerivedValues(e.message, all);
  }
  plan.notes = plan.notes.map((n) => maskDerivedValues(n, all));
}
