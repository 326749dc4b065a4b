/**
 * Computes a plan: for each desired object what reconciliation will do
 * (create, update with a field-level diff, unchanged, error) and which live
 * objects the agent will prune. Updates are computed by server-side apply
 * with dryRun=All as the agent's field manager, then compared with the live
 * object after normalization. Every object shown is masked if it is a Secret.
 */
import { pathToFileURL } from 'node:url';
import { mapLimit } from '../util/concurrency.js';
import { registerSecretObject, redact } from '../secrets/mask-secrets.js';
import type { DesiredObject, RenderProblem } from '../render/render-desired.js';
import { discover } from './plan-discovery.js';
import { planObject } from './plan-object.js';
import { addPruneEntries, pruneCandidatesOfBindings } from './plan-prune.js';
import { PlanRun } from './plan-run.js';
import type { ComputedPlan, PlanOptions } from './plan-types.js';

export type { ComputedPlan, PlanItem, PlanOptions, PreviewCluster } from './plan-types.js';
export { DEFAULT_PRUNE_KINDS } from './plan-types.js';
export { fieldPathFromMessage } from './plan-run.js';

/**
 * Computes the plan for rendered desired objects, step by step around one
 * {@link PlanRun}: render problems become error entries; discovery (resource,
 * final namespace, agent marks, LISTs started); prune candidates read while
 * every object is planned (live read, dry run, normalize, mask, diff); prune
 * entries; sorted entries and counts. Never throws for cluster errors (they
 * become entries); throws only when cancelled.
 */
export async function computePlan(desiredObjects: DesiredObject[], problems: RenderProblem[], opts: PlanOptions): Promise<ComputedPlan> {
  const run = new PlanRun(desiredObjects, problems, opts);
  // Register every desired Secret value first, so no message below can echo one.
  for (const d of desiredObjects) registerSecretObject(d.object);
  addProblemEntries(run);
  run.progress();
  await discover(run);
  // Prune candidates only depend on the bindings and the final desired objects: read them while the objects are planned.
  const pruning = pruneCandidatesOfBindings(run);
  // Awaited after the objects; until then a rejection (cancellation) must not count as unhandled.
  pruning.catch(() => undefined);
  await mapLimit(desiredObjects, run.concurrency, (d) => planObject(run, d), run.signal);
  addPruneEntries(run, await pruning);
  return run.result();
}

/** A render problem (kustomize or helm failed) is an error entry on its kustomization or binding. */
function addProblemEntries(run: PlanRun): void {
  for (const p of run.problems) {
    run.items.push({
      action: 'error',
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      name: p.label,
      binding: run.bindingName(p.binding),
      sourceUri: pathToFileURL(p.file).href,
      sourceRange: p.range ?? { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
      message: redact(p.message),
      liveText: '',
      afterText: '',
    });
  }
}
