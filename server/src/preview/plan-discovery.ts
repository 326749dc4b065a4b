/**
 * The first step of a plan: discovery, for every desired object, of its
 * resource, its final namespace and the agent's ownership marks. Objects of
 * one kind in one namespace are then read with one LIST instead of a GET
 * each, and all those LISTs are sent at once, before any dry-run, so that no
 * object waits for its kind's LIST behind other kinds' dry-runs.
 */
import type { GroupVersionKind, KubeObject, ResourceInfo } from '../cluster/cluster-types.js';
import { gvkOf } from '../cluster/cluster-types.js';
import { mapLimit } from '../util/concurrency.js';
import { ARGO_INSTANCE_LABEL, ARGO_TRACKING_ANNOTATION, FLUX_NAME_LABEL, FLUX_NAMESPACE_LABEL, type PreviewBinding } from '../render/binding.js';
import type { DesiredObject } from '../render/render-desired.js';
import { listKey, type PlanRun } from './plan-run.js';

/** Discovers every desired object (run.prepared, run.finals, run.groupSizes) and starts the LISTs of kinds with two or more objects. */
export async function discover(run: PlanRun): Promise<void> {
  const groupKinds = new Map<string, { gvk: GroupVersionKind; namespace?: string }>();
  await mapLimit(
    run.desiredObjects,
    run.concurrency,
    async (d) => {
      const object = structuredClone(d.object);
      const gvk = gvkOf(object.apiVersion, object.kind);
      let info: ResourceInfo | undefined;
      try {
        info = await run.cluster.resourceFor(gvk, run.call);
      } catch (e) {
        if (run.signal?.aborted) throw e;
        run.prepared.set(d, { object, gvk, discoveryError: e });
        return;
      }
      if (info) {
        const ns = namespaceFor(run, d, info);
        if (ns) object.metadata.namespace = ns;
        else delete object.metadata.namespace;
      }
      withAgentMarks(object, d.binding);
      run.prepared.set(d, { object, gvk, info });
      if (!info?.verbs.includes('list')) return;
      const k = listKey(gvk, object.metadata.namespace);
      run.groupSizes.set(k, (run.groupSizes.get(k) ?? 0) + 1);
      groupKinds.set(k, { gvk, namespace: object.metadata.namespace });
    },
    run.signal,
  );
  for (const d of run.desiredObjects) {
    const p = run.prepared.get(d);
    if (p && !p.discoveryError) run.finals.set(d, p.object);
  }
  for (const [k, { gvk, namespace }] of groupKinds) if ((run.groupSizes.get(k) ?? 0) >= 2) run.startList(gvk, namespace);
}

/** The namespace the agent applies a namespaced object to (a Flux target namespace wins); undefined for cluster-scoped objects. */
function namespaceFor(run: PlanRun, d: DesiredObject, info: ResourceInfo): string | undefined {
  if (!info.namespaced) return undefined;
  if (d.binding?.agent === 'flux' && d.binding.targetNamespace) return d.binding.targetNamespace;
  return d.object.metadata.namespace ?? d.binding?.targetNamespace ?? run.opts.defaultNamespace ?? 'default';
}

/** Adds the agent's ownership marks, as the agent's apply would. */
function withAgentMarks(object: KubeObject, binding: PreviewBinding | undefined): KubeObject {
  if (!binding) return object;
  const metadata = object.metadata;
  if (binding.agent === 'flux') {
    metadata.labels = { ...(metadata.labels ?? {}), [FLUX_NAME_LABEL]: binding.name, [FLUX_NAMESPACE_LABEL]: binding.namespace };
  } else {
    const method = binding.trackingMethod ?? 'annotation';
    if (method !== 'annotation') metadata.labels = { ...(metadata.labels ?? {}), [ARGO_INSTANCE_LABEL]: binding.name };
    if (method !== 'label') {
      const gvk = gvkOf(object.apiVersion, object.kind);
      metadata.annotations = {
        ...(metadata.annotations ?? {}),
        [ARGO_TRACKING_ANNOTATION]: `${binding.name}:${gvk.group}/${object.kind}:${metadata.namespace ?? ''}/${metadata.name}`,
      };
    }
  }
  return object;
}
