/**
 * Ignore rules for drift, in Argo CD's ignoreDifferences shape: from an
 * Application that owns the file, and from the `gitopsLens.ignoreDifferences`
 * setting. A matching field is shown as ignored on hover and never reported.
 */

/** One rule. `jsonPointers` are RFC 6901 pointers; `managedFieldsManagers` ignores fields owned by those managers. */
export interface IgnoreRule {
  group?: string;
  kind: string;
  name?: string;
  namespace?: string;
  jsonPointers?: string[];
  managedFieldsManagers?: string[];
  /** Where the rule came from, shown on hover: `setting` or `Application argocd/guestbook`. */
  origin: string;
}

/** The identity of the object a rule is tested against. */
export interface IgnoreTarget {
  group: string;
  kind: string;
  name: string;
  namespace: string;
}

/** Escapes one pointer token (RFC 6901). */
export function pointerToken(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Rules that apply to an object. Empty/absent group matches the core group and any group, as Argo CD does for `group: ""` only on core; we accept both. */
export function rulesFor(rules: readonly IgnoreRule[], t: IgnoreTarget): IgnoreRule[] {
  return rules.filter(
    (r) =>
      (r.kind === '*' || r.kind === t.kind) &&
      (r.group === undefined || r.group === '*' || r.group === t.group) &&
      (!r.name || r.name === t.name) &&
      (!r.namespace || r.namespace === t.namespace),
  );
}

/**
 * The rule that ignores a field, if any: a pointer equal to or a prefix of
 * the field's pointer (so `/spec/template/spec/containers/0` covers its
 * image), or a manager list containing the field's owner.
 */
export function ignoringRule(rules: readonly IgnoreRule[], pointer: string, owners: readonly string[]): IgnoreRule | undefined {
  return rules.find(
    (r) =>
      (r.jsonPointers ?? []).some((p) => p === pointer || pointer.startsWith(p.endsWith('/') ? p : `${p}/`) || p === '') ||
      (r.managedFieldsManagers ?? []).some((m) => owners.includes(m)),
  );
}

/** Reads `spec.ignoreDifferences` of an Argo CD Application (as a plain object) into rules. */
export function rulesFromApplication(app: Record<string, unknown>): IgnoreRule[] {
  const meta = (app.metadata ?? {}) as Record<string, unknown>;
  const spec = (app.spec ?? {}) as Record<string, unknown>;
  const list = Array.isArray(spec.ignoreDifferences) ? (spec.ignoreDifferences as Array<Record<string, unknown>>) : [];
  const origin = `Application ${meta.namespace ? `${meta.namespace}/` : ''}${meta.name ?? ''}`;
  return list
    .filter((r) => r && typeof r.kind === 'string')
    .map((r) => ({
      group: typeof r.group === 'string' ? r.group : undefined,
      kind: r.kind as string,
      name: typeof r.name === 'string' ? r.name : undefined,
      namespace: typeof r.namespace === 'string' ? r.namespace : undefined,
      jsonPointers: Array.isArray(r.jsonPointers) ? (r.jsonPointers as unknown[]).map(String) : undefined,
      managedFieldsManagers: Array.isArray(r.managedFieldsManagers) ? (r.managedFieldsManagers as unknown[]).map(String) : undefined,
      origin,
    }));
}

/** Converts `gitopsLens.ignoreDifferences` entries into rules. */
export function rulesFromSetting(entries: ReadonlyArray<{ group?: string; kind: string; name?: string; namespace?: string; jsonPointers?: string[]; managedFieldsManagers?: string[] }>): IgnoreRule[] {
  return (entries ?? []).filter((e) => e && typeof e.kind === 'string').map((e) => ({ ...e, origin: 'setting gitopsLens.ignoreDifferences' }));
}
