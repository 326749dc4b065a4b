/**
 * The main step of a plan, per desired object: duplicate check, live read,
 * the server-side apply dry run as the agent's field manager (memoized; or
 * proven a no-op without asking; or approximated client-side when the server
 * cannot answer), then normalize, mask and diff into one plan entry.
 */
import type { KubeObject } from '../cluster/cluster-types.js';
import type { PlanAction } from '../protocol/protocol.js';
import { maskPair, maskSecret, redact, registerSecretObject } from '../secrets/mask-secrets.js';
import type { DesiredObject } from '../render/render-desired.js';
import { stableYaml } from '../render/stable-yaml.js';
import { DryRunMemo } from './dry-run-memo.js';
import { provesNoOpApply } from './no-op-apply.js';
import { approximateApply, changedPaths, jsonEqual, normalizeObject } from './normalize-object.js';
import { asClusterError, foldStringData, labelOf, type PlanRun } from './plan-run.js';
import type { PlanItem } from './plan-types.js';
import { objectKey } from './prune-rules.js';
import { unifiedDiff } from './unified-diff.js';

/** Plans one desired object (after discovery) and adds its entry to the run. */
export async function planObject(run: PlanRun, d: DesiredObject): Promise<void> {
  const { object, gvk, info, discoveryError } = run.prepared.get(d)!;
  try {
    if (discoveryError !== undefined) {
      run.items.push(run.errorItem(d, object, asClusterError(discoveryError), 'discovery failed: '));
      return;
    }
    const key = objectKey(object);
    // Duplicates only matter within one rendered unit: two overlays for two clusters may declare the same object.
    const unitKey = `${d.unit}\0${key}`;
    if (run.seen.has(unitKey)) {
      run.items.push({
        action: 'error',
        ...run.entryBase(d, object),
        ...run.sourceOf(d),
        message: `${labelOf(object)} is declared more than once in the desired state; the agent rejects duplicate objects. Remove one of them.`,
        liveText: '',
        afterText: '',
      });
      return;
    }
    run.seen.set(unitKey, d);
    run.desiredKeys.add(key);
    const note = d.note;
    if (!info) {
      if (run.createdKinds.has(`${gvk.group}/${gvk.kind}`)) {
        const after = normalizeObject(object);
        run.stats.approximate++;
        run.items.push({
          action: 'create',
          ...run.entryBase(d, object),
          ...run.sourceOf(d),
          approximate: true,
          message: `approximate: its CustomResourceDefinition is created by this same sync, so the server cannot dry-run it yet${note ? `; ${note}` : ''}`,
          diff: unifiedDiff('', stableYaml(maskSecret(after)), '/dev/null', `after/${labelOf(object)}`),
          liveText: '',
          afterText: stableYaml(maskSecret(after)),
        });
      } else {
        run.items.push(
          run.errorItem(d, object, {
            status: 404,
            reason: 'NotServed',
            message: `The cluster does not serve ${object.apiVersion} ${object.kind}. Install its CustomResourceDefinition, or check apiVersion and kind.`,
          }),
        );
      }
      return;
    }
    const manager = run.fieldManager(d.binding);
    let live: KubeObject | undefined;
    try {
      live = await run.readLive(gvk, object.metadata.namespace, object.metadata.name!);
    } catch (e) {
      if (run.signal?.aborted) throw e;
      run.items.push(run.errorItem(d, object, asClusterError(e), 'reading the live object failed: '));
      return;
    }
    if (live) registerSecretObject(live);
    const memoKey = DryRunMemo.key(object, manager, live?.metadata.resourceVersion);
    let after = run.memo.get(memoKey);
    let approximate: string | undefined;
    if (after) run.stats.memoHits++;
    else if (live && !run.opts.exactUnchanged && provesNoOpApply(object, live, manager)) {
      // Every desired field already has its value and nothing owned was dropped: the apply is a no-op.
      run.stats.provenUnchanged++;
      after = live;
    } else {
      try {
        run.stats.dryRuns++;
        after = await run.cluster.dryRunApply(object, manager, run.call);
        run.memo.set(memoKey, after);
      } catch (e) {
        if (run.signal?.aborted) throw e;
        const err = asClusterError(e);
        const ns = object.metadata.namespace;
        if (err.status === 403) {
          approximate = `approximate: no permission to dry-run apply (${redact(err.message)}); compared client-side, without server defaults or other field managers`;
        } else if (err.status === 404 && ns && run.createdNamespaces.has(ns) && !live) {
          approximate = `approximate: namespace ${ns} is created by this same sync, so the server cannot dry-run this object yet`;
        } else {
          run.items.push(run.errorItem(d, object, err, 'the API server rejected the dry-run: '));
          return;
        }
        run.stats.approximate++;
        after = (live ? approximateApply(normalizeObject(foldStringData(live)), foldStringData(object)) : foldStringData(object)) as KubeObject;
      }
    }
    const liveN = live ? normalizeObject(live) : undefined;
    // A proven no-op's result is the live object itself: no second copy to make or compare.
    const afterN = after === live && liveN ? liveN : normalizeObject(after);
    const action: PlanAction = !liveN ? 'create' : afterN === liveN || jsonEqual(liveN, afterN) ? 'unchanged' : 'update';
    const [liveM, afterM] = maskPair(liveN, afterN);
    const liveText = liveM ? stableYaml(liveM) : '';
    // Equal objects get equal masks (a Secret value that is the same on both sides is masked the same),
    // so one YAML rendering serves both sides; rendering is the costliest step for unchanged objects.
    const afterText = action === 'unchanged' ? liveText : stableYaml(afterM);
    const label = labelOf(object);
    const messages = [approximate, note].filter(Boolean) as string[];
    const item: PlanItem = {
      action,
      ...run.entryBase(d, object),
      ...run.sourceOf(d),
      liveText,
      afterText,
      ...(approximate ? { approximate: true } : {}),
      ...(messages.length ? { message: messages.join('; ') } : {}),
    };
    if (action !== 'unchanged') {
      item.diff = unifiedDiff(liveText, afterText, liveN ? `live/${label}` : '/dev/null', `after/${label}`);
      item.changedPaths = changedPaths(liveM ?? {}, afterM);
    }
    run.items.push(item);
  } finally {
    run.progress(1);
  }
}
