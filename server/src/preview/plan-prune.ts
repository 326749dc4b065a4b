/**
 * The prune step of a plan: per binding that prunes, the live objects it owns
 * (Flux: the Kustomization's inventory; else the desired and common kinds,
 * listed and filtered by ownership marks) that are no longer desired.
 */
import type { GroupVersionKind, KubeObject, ResourceInfo } from '../cluster/cluster-types.js';
import { gvkOf } from '../cluster/cluster-types.js';
import { maskPair, registerSecretObject } from '../secrets/mask-secrets.js';
import { mapLimit } from '../util/concurrency.js';
import { ARGO_INSTANCE_LABEL, ARGO_TRACKING_ANNOTATION, FLUX_NAME_LABEL, bindingLabel, type PreviewBinding } from '../render/binding.js';
import { stableYaml } from '../render/stable-yaml.js';
import { normalizeObject } from './normalize-object.js';
import { asClusterError, labelOf, type PlanRun } from './plan-run.js';
import { DEFAULT_PRUNE_KINDS } from './plan-types.js';
import { objectKey, pruneDecision } from './prune-rules.js';
import { unifiedDiff } from './unified-diff.js';

/** One binding's prune candidates. */
export interface BindingCandidates {
  binding: PreviewBinding;
  candidates: KubeObject[];
}

/** Adds the prune entries (and the kept ones with the reason, e.g. an opt-out) for candidates no longer desired. */
export function addPruneEntries(run: PlanRun, candidatesByBinding: BindingCandidates[]): void {
for (const { binding, candidates } of candidatesByBinding) {
  for (const live of candidates) {
    if (run.desiredKeys.has(objectKey(live))) continue;
    const decision = pruneDecision(live, binding);
    if (!decision.prune && decision.reason === 'not owned by this binding') continue;
    registerSecretObject(live);
    const liveN = normalizeObject(live);
    const [liveM] = maskPair(liveN, undefined);
    const liveText = stableYaml(liveM);
    const base = {
      apiVersion: live.apiVersion,
      kind: live.kind,
      ...(live.metadata.namespace ? { namespace: live.metadata.namespace } : {}),
      name: live.metadata.name ?? '',
      binding: bindingLabel(binding),
    };
    if (decision.prune) {
      run.items.push({ action: 'prune', ...base, diff: unifiedDiff(liveText, '', `live/${labelOf(live)}`, '/dev/null'), liveText, afterText: '' });
    } else {
      run.items.push({ action: 'unchanged', ...base, message: decision.reason, liveText, afterText: liveText });
    }
  }
}
}

/**
 * The live objects each binding may prune, binding by binding: the bindings of
 * the desired objects (with their final namespaces) and of the render problems
 * (a binding whose render failed gets a note instead: everything would look orphaned).
 */
export async function pruneCandidatesOfBindings(run: PlanRun): Promise<Array<{ binding: PreviewBinding; candidates: KubeObject[] }>> {
  const bindings = new Map<string, { binding: PreviewBinding; objects: KubeObject[]; failed: boolean }>();
  for (const d of run.desiredObjects) {
    if (!d.binding) continue;
    const k = bindingLabel(d.binding);
    const entry = bindings.get(k) ?? { binding: d.binding, objects: [], failed: false };
    entry.objects.push(run.finals.get(d) ?? d.object);
    bindings.set(k, entry);
  }
  for (const p of run.problems) {
    if (!p.binding) continue;
    const k = bindingLabel(p.binding);
    const entry = bindings.get(k) ?? { binding: p.binding, objects: [], failed: true };
    entry.failed = true;
    bindings.set(k, entry);
  }
  const out: Array<{ binding: PreviewBinding; candidates: KubeObject[] }> = [];
  for (const { binding, objects, failed } of bindings.values()) {
    run.signal?.throwIfAborted();
    if (failed) {
      run.notes.push(`${bindingLabel(binding)}: prune not computed because its desired state could not be rendered`);
      continue;
    }
    out.push({ binding, candidates: await pruneCandidates(run, binding, objects) });
  }
  return out;
}

/**
 * Live objects that may belong to a binding. Flux keeps an inventory in the
 * Kustomization's status, which is exactly what it prunes from; when it is not
 * readable, the desired kinds and common kinds are listed in the namespaces
 * the binding deploys to, and filtered by ownership labels.
 */
async function pruneCandidates(run: PlanRun, binding: PreviewBinding, desired: KubeObject[]): Promise<KubeObject[]> {
  const { cluster, call } = run;
  if (!binding.prune) return listCandidates(run, binding, desired);
  if (binding.agent === 'flux') {
    try {
      const ks = await cluster.get({ group: 'kustomize.toolkit.fluxcd.io', version: 'v1', kind: 'Kustomization' }, binding.namespace, binding.name, call);
      const entries = (ks?.status as { inventory?: { entries?: Array<{ id?: string; v?: string }> } } | undefined)?.inventory?.entries;
      if (entries) {
        const out: KubeObject[] = [];
        await mapLimit(
          entries,
          run.concurrency,
          async (e) => {
            // Inventory ids are `<namespace>_<name>_<group>_<kind>`.
            const parts = (e.id ?? '').split('_');
            if (parts.length < 4 || !e.v) return;
            const [ns, name, group, kind] = [parts[0]!, parts.slice(1, -2).join('_'), parts[parts.length - 2]!, parts[parts.length - 1]!];
            try {
              const o = await cluster.get({ group, version: e.v, kind }, ns || undefined, name, call);
              if (o) out.push({ ...o, apiVersion: group ? `${group}/${e.v}` : e.v, kind });
            } catch {
              // An entry we cannot read is not shown; Flux would report it on its own.
            }
          },
          call.signal,
        );
        return out;
      }
    } catch {
      // No Flux CRD, no Kustomization or no permission: fall back to listing.
    }
  }
  return listCandidates(run, binding, desired);
}

async function listCandidates(run: PlanRun, binding: PreviewBinding, desired: KubeObject[]): Promise<KubeObject[]> {
  const { cluster, call, opts } = run;
  const kinds = new Map<string, GroupVersionKind>();
  for (const g of [...desired.map((o) => gvkOf(o.apiVersion, o.kind)), ...(opts.pruneKinds ?? []), ...DEFAULT_PRUNE_KINDS]) {
    const k = `${g.group}/${g.kind}`;
    if (!kinds.has(k)) kinds.set(k, g);
  }
  const namespaces = new Set<string>();
  for (const o of desired) if (o.metadata.namespace) namespaces.add(o.metadata.namespace);
  if (binding.targetNamespace) namespaces.add(binding.targetNamespace);
  if (namespaces.size === 0) namespaces.add(opts.defaultNamespace ?? 'default');
  const tasks: Array<{ gvk: GroupVersionKind; ns?: string }> = [];
  for (const gvk of kinds.values()) {
    let info: ResourceInfo | undefined;
    try {
      info = await cluster.resourceFor(gvk, call);
    } catch {
      continue;
    }
    if (!info || !info.verbs.includes('list')) continue;
    if (info.namespaced) for (const ns of namespaces) tasks.push({ gvk, ns });
    else tasks.push({ gvk });
  }
  const out: KubeObject[] = [];
  const forbidden: string[] = [];
  await mapLimit(
    tasks,
    run.concurrency,
    async ({ gvk, ns }) => {
      try {
        const list = await run.cachedList(gvk, ns, true);
        for (const o of list!.values()) {
          const labels = o.metadata?.labels ?? {};
          const annotations = o.metadata?.annotations ?? {};
          if (labels[FLUX_NAME_LABEL] || labels[ARGO_INSTANCE_LABEL] || annotations[ARGO_TRACKING_ANNOTATION]) out.push(o);
        }
      } catch (e) {
        if (call.signal?.aborted) throw e;
        const err = asClusterError(e);
        if (err.status === 403) forbidden.push(`${gvk.kind}${ns ? ` in ${ns}` : ''}`);
      }
    },
    call.signal,
  );
  if (forbidden.length) run.notes.push(`${bindingLabel(binding)}: prune candidates could not be listed (forbidden): ${forbidden.join(', ')}`);
  return out;
}
