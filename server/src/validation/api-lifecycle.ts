/**
 * Deprecated and removed API versions. For the target Kubernetes version
 * (gitopsLens.kubernetesVersion, --kubernetes-version, the bound cluster's, or
 * the newest bundled): a warning for a built-in apiVersion that version
 * deprecates, with the release that removes it and the replacement; an error
 * for one it no longer serves. The same for CRD versions: `deprecated` (with
 * the CRD's `deprecationWarning`) is a warning; a version the CRD does not
 * serve (`served: false`, or dropped by its project, like Flux's v1beta2
 * sources) is an error. A document at a removed version is still validated
 * against the nearest served version of its kind.
 */
import type { ResolvedKind, SchemaRegistry } from '../schemas/schema-registry.js';
import { compareMinor, minorOf } from '../schemas/kubernetes-versions.js';
import { joinApiVersion, splitApiVersion } from '../schemas/schema-types.js';
import { compareApiVersionNames } from '../schemas/crd-schemas.js';

/** What the lifecycle says about one document's apiVersion/kind. */
export interface LifecycleFinding {
  severity: 'warning' | 'error';
  code: 'deprecated-api-version' | 'removed-api-version';
  message: string;
  /** apiVersion to use instead (also the quick fix's replacement). */
  replacement?: string;
  /** The schema to validate the document against when its own version is not served. */
  validateAs?: ResolvedKind;
}

/** Deprecation warning for a served apiVersion/kind, if any. */
export function deprecationOf(registry: SchemaRegistry, apiVersion: string, kind: string, resolved: ResolvedKind): LifecycleFinding | undefined {
  const { group, version } = splitApiVersion(apiVersion);
  if (resolved.entry.deprecated) {
    const candidate = newestServed(registry, group, kind, version);
    // Only a version that is itself current is worth suggesting.
    const newest = candidate && !registry.lookupKind(candidate, kind)?.entry.deprecated ? candidate : undefined;
    const by = resolved.project ? ` (${resolved.project.name} ${resolved.project.version})` : '';
    const warning = resolved.entry.deprecationWarning?.trim();
    return {
      severity: 'warning',
      code: 'deprecated-api-version',
      message: warning
        ? `${warning.replace(/\.?$/, '.')}${by ? ` Deprecated by its CustomResourceDefinition${by}.` : ''}${newest ? ` Use apiVersion ${newest}.` : ''}`
        : `${apiVersion} ${kind} is deprecated by its CustomResourceDefinition${by}.${newest ? ` Use apiVersion ${newest}.` : ''}`,
      ...(newest ? { replacement: newest } : {}),
    };
  }
  // Kubernetes deprecates only prerelease versions; a GA version never needs the lifecycle table.
  if ((resolved.origin !== 'bundled' && resolved.origin !== 'cluster') || !/alpha|beta/.test(version)) return undefined;
  const life = registry.builtinLifecycle(group, version, kind);
  const target = minorOf(registry.kubernetesVersion);
  if (!life?.deprecated || !target || compareMinor(life.deprecated, target) > 0) return undefined;
  const use = life.replacement ? ` Use ${life.replacement}${life.replacementKind ? ` ${life.replacementKind}` : ''}.` : '';
  return {
    severity: 'warning',
    code: 'deprecated-api-version',
    message: `${apiVersion} ${kind} is deprecated since Kubernetes ${life.deprecated}${life.removed ? ` and removed in ${life.removed}` : ''} (target version ${target}).${use}`,
    ...(life.replacement ? { replacement: life.replacement } : {}),
  };
}

/** The error for an apiVersion/kind that is known but not served, with the schema to validate against instead. */
export function removalOf(registry: SchemaRegistry, apiVersion: string, kind: string): LifecycleFinding | undefined {
  const { group, version } = splitApiVersion(apiVersion);
  const retired = registry.retiredKind(apiVersion, kind);
  if (retired) {
    const r = retired.retired;
    const replacement = r.replacement ?? newestServed(registry, group, kind, version);
    const validateAs = nearestServed(registry, group, kind, replacement);
    const by = retired.project ? `${retired.project.name} ${retired.project.version}` : r.removedIn ?? 'its CustomResourceDefinition';
    return {
      severity: 'error',
      code: 'removed-api-version',
      message: `${apiVersion} ${kind} is no longer served by ${by}.${replacement ? ` Use apiVersion ${replacement}.` : ''}${validateAs ? ` Checked against ${joinApiVersion(validateAs.entry.group, validateAs.entry.version)}.` : ''}`,
      ...(replacement ? { replacement } : {}),
      ...(validateAs ? { validateAs } : {}),
    };
  }
  const life = registry.builtinLifecycle(group, version, kind);
  const target = minorOf(registry.kubernetesVersion);
  if (!life || !target) return undefined;
  const replacement = life.replacement;
  const validateAs = nearestServed(registry, group, life.replacementKind ?? kind, replacement, life.replacementKind ? life.replacementKind : undefined);
  const checked = validateAs ? ` Checked against ${joinApiVersion(validateAs.entry.group, validateAs.entry.version)}.` : '';
  const use = replacement ? ` Use ${replacement}${life.replacementKind ? ` ${life.replacementKind}` : ''}.` : '';
  if (life.removed && compareMinor(life.removed, target) <= 0) {
    return { severity: 'error', code: 'removed-api-version', message: `${apiVersion} ${kind} was removed in Kubernetes ${life.removed} (target version ${target}).${use}${checked}`, ...(replacement ? { replacement } : {}), ...(validateAs ? { validateAs } : {}) };
  }
  if (life.deprecated && compareMinor(life.deprecated, target) <= 0) {
    // A beta the target release still has but a default API server does not serve (new betas are off since 1.24).
    return { severity: 'warning', code: 'deprecated-api-version', message: `${apiVersion} ${kind} is deprecated since Kubernetes ${life.deprecated}${life.removed ? ` and removed in ${life.removed}` : ''} (target version ${target}), and not served unless enabled.${use}${checked}`, ...(replacement ? { replacement } : {}), ...(validateAs ? { validateAs } : {}) };
  }
  if (life.introduced && compareMinor(life.introduced, target) > 0) {
    return { severity: 'error', code: 'removed-api-version', message: `${apiVersion} ${kind} was introduced in Kubernetes ${life.introduced}, after the target version ${target}.${use}${checked}`, ...(replacement ? { replacement } : {}), ...(validateAs ? { validateAs } : {}) };
  }
  return undefined;
}

/** The newest served apiVersion of a kind in a group (excluding `except`), preferring versions that are not deprecated. */
function newestServed(registry: SchemaRegistry, group: string, kind: string, except?: string): string | undefined {
  const versions = registry.apiVersionsOfKind(kind).map(splitApiVersion).filter((v) => v.group === group && v.version !== except).map((v) => v.version);
  if (!versions.length) return undefined;
  const current = versions.filter((v) => !registry.lookupKind(joinApiVersion(group, v), kind)?.entry.deprecated);
  return joinApiVersion(group, (current.length ? current : versions).sort(compareApiVersionNames).at(-1)!);
}

/** The schema of the replacement apiVersion if served, else of the newest served version of the kind in its group. */
function nearestServed(registry: SchemaRegistry, group: string, kind: string, replacement: string | undefined, replacementKind?: string): ResolvedKind | undefined {
  if (replacement) {
    const hit = registry.lookupKind(replacement, replacementKind ?? kind);
    if (hit) return hit;
  }
  const newest = newestServed(registry, group, kind);
  return newest ? registry.lookupKind(newest, kind) : undefined;
}
