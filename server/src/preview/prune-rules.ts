/**
 * Which live objects an agent would prune: those carrying its ownership
 * marks for the binding, absent from the desired state, and not opted out of
 * pruning by annotation.
 */
import type { KubeObject } from '../cluster/cluster-types.js';
import {
  ARGO_INSTANCE_LABEL,
  ARGO_SYNC_OPTIONS_ANNOTATION,
  ARGO_TRACKING_ANNOTATION,
  FLUX_NAME_LABEL,
  FLUX_NAMESPACE_LABEL,
  FLUX_PRUNE_ANNOTATION,
  type PreviewBinding,
} from '../render/binding.js';

/** True when the live object carries the ownership marks of `binding`. */
export function isOwnedBy(live: KubeObject, binding: PreviewBinding): boolean {
  const labels = live.metadata?.labels ?? {};
  const annotations = live.metadata?.annotations ?? {};
  if (binding.agent === 'flux') {
    return labels[FLUX_NAME_LABEL] === binding.name && labels[FLUX_NAMESPACE_LABEL] === binding.namespace;
  }
  if (labels[ARGO_INSTANCE_LABEL] === binding.name) return true;
  // The tracking id is `<app>:<group>/<kind>:<namespace>/<name>`; the app part may be `<namespace>_<app>` when apps live outside argocd's namespace.
  const tracking = annotations[ARGO_TRACKING_ANNOTATION];
  if (!tracking) return false;
  const app = tracking.split(':')[0];
  return app === binding.name || app === `${binding.namespace}_${binding.name}`;
}

/** Why pruning is disabled for this object, or undefined when the agent would prune it. */
export function pruneDisabledReason(live: KubeObject): string | undefined {
  const annotations = live.metadata?.annotations ?? {};
  if (annotations[FLUX_PRUNE_ANNOTATION] === 'disabled') return `${FLUX_PRUNE_ANNOTATION}: disabled`;
  const syncOptions = annotations[ARGO_SYNC_OPTIONS_ANNOTATION];
  if (syncOptions && syncOptions.split(',').some((o) => o.trim() === 'Prune=false')) {
    return `${ARGO_SYNC_OPTIONS_ANNOTATION}: Prune=false`;
  }
  return undefined;
}

/** The identity that desired and live objects are matched on. */
export function objectKey(o: { apiVersion: string; kind: string; metadata?: { namespace?: string; name?: string } }): string {
  const group = o.apiVersion.includes('/') ? o.apiVersion.split('/')[0] : '';
  return `${group}/${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
}

/** The outcome for one live object that is no longer desired. */
export type PruneDecision = { prune: true } | { prune: false; reason: string };

/**
 * Decides whether a live object is pruned by `binding`: it must be owned by
 * the binding, the binding must prune, and the object must not opt out.
 * Callers only pass objects that are absent from the desired state.
 */
export function pruneDecision(live: KubeObject, binding: PreviewBinding): PruneDecision {
  if (!isOwnedBy(live, binding)) return { prune: false, reason: 'not owned by this binding' };
  const disabled = pruneDisabledReason(live);
  if (disabled) return { prune: false, reason: `no longer in the repository, kept because ${disabled}` };
  if (!binding.prune) return { prune: false, reason: 'no longer in the repository, kept because the Kustomization has prune: false' };
  return { prune: true };
}
