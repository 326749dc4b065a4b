/**
 * Computes a plan: for each desired object what reconciliation will do
 * (create, update with a field-level diff, unchanged, error) and which live
 * objects the agent will prune. Updates are computed by server-side apply
 * with dryRun=All as the agent's field manager, then compared with the live
 * object after normalization. Every object shown is masked if it is a Secret.
 */
import { pathToFileURL } from 'node:url';
import type { ClusterError, GroupVersionKind, KubeList, KubeObject, ResourceInfo } from '../cluster/cluster-types.js';
import type { Range } from '../findings.js';
import type { Plan, PlanAction, PlanEntry } from '../protocol/protocol.js';
import { emptyPlanCounts } from '../protocol/protocol.js';
import { MASK, isSecret, maskSecret, redact, registerSecretObject } from '../secrets/mask-secrets.js';
import { mapLimit } from '../util/concurrency.js';
import {
  ARGO_INSTANCE_LABEL,
  ARGO_TRACKING_ANNOTATION,
  FLUX_NAME_LABEL,
  FLUX_NAMESPACE_LABEL,
  bindingLabel,
  fieldManagerFor,
  type AgentKind,
  type PreviewBinding,
} from '../render/binding.js';
import { DryRunMemo } from './dry-run-memo.js';
import { provesNoOpApply } from './no-op-apply.js';
import { approximateApply, changedPaths, jsonEqual, normalizeObject } from './normalize-object.js';
import { objectKey, pruneDecision } from './prune-rules.js';
import type { DesiredObject, RenderProblem } from '../render/render-desired.js';
import { splitFieldPath } from '../render/source-documents.js';
import { stableYaml } from '../render/stable-yaml.js';
import { unifiedDiff } from './unified-diff.js';

/** The cluster operations a preview needs; {@link ClusterClient} provides them through the read-only transport. */
export interface PreviewCluster {
  resourceFor(gvk: GroupVersionKind, opts?: { signal?: AbortSignal }): Promise<ResourceInfo | undefined>;
  get(gvk: GroupVersionKind, namespace: string | undefined, name: string, opts?: { signal?: AbortSignal }): Promise<KubeObject | undefined>;
  list(gvk: GroupVersionKind, namespace?: string, opts?: { signal?: AbortSignal }): Promise<KubeList>;
  dryRunApply(obj: KubeObject, fieldManager: string, opts?: { signal?: AbortSignal }): Promise<KubeObject>;
}

/** A plan entry plus what the diff editor and tests need; the extra fields stay on the server. */
export interface PlanItem extends PlanEntry {
  /** Live object, normalized and masked, as YAML ('' when absent). */
  liveText: string;
  /** Object after sync, normalized and masked, as YAML ('' for prune and errors). */
  afterText: string;
  /** Dotted paths that change (masked objects, so never a Secret value). */
  changedPaths?: string[];
}

/** A computed plan: the protocol's {@link Plan} with details. */
export interface ComputedPlan extends Plan {
  entries: PlanItem[];
  /** Things the preview did not cover (helm charts, unlistable prune candidates, unset variables). */
  notes: string[];
  /** Dry-run calls actually sent, memo hits, approximate entries, and objects proven unchanged without a dry-run; for tests and the benchmark. */
  stats: { dryRuns: number; memoHits: number; approximate: number; provenUnchanged: number };
}

/** Options of {@link computePlan}. */
export interface PlanOptions {
  cluster: PreviewCluster;
  /** Field manager override (the `gitopsLens.preview.fieldManager` setting): one for all, or per agent. */
  fieldManager?: string | Partial<Record<AgentKind, string>>;
  /** Namespace for namespaced objects that have none and no binding target namespace (the context's namespace). */
  defaultNamespace?: string;
  /** Requests in flight at once. Default 16. */
  concurrency?: number;
  memo?: DryRunMemo;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  /** Kinds listed to find prune candidates when the Flux inventory is not available, in addition to the desired kinds. */
  pruneKinds?: GroupVersionKind[];
  /**
   * Always ask the server, even when the live object provably already matches
   * (see no-op-apply.ts). Use it when mutating admission webhooks change objects on update.
   */
  exactUnchanged?: boolean;
  /** Label for the plan's binding field when an object has no binding. */
  unboundLabel?: string;
}

/** Kinds commonly applied by agents, listed (when served) to find prune candidates of kinds no longer in the repo. */
export const DEFAULT_PRUNE_KINDS: GroupVersionKind[] = [
  { group: '', version: 'v1', kind: 'ConfigMap' },
  { group: '', version: 'v1', kind: 'Secret' },
  { group: '', version: 'v1', kind: 'Service' },
  { group: '', version: 'v1', kind: 'ServiceAccount' },
  { group: '', version: 'v1', kind: 'PersistentVolumeClaim' },
  { group: 'apps', version: 'v1', kind: 'Deployment' },
  { group: 'apps', version: 'v1', kind: 'StatefulSet' },
  { group: 'apps', version: 'v1', kind: 'DaemonSet' },
  { group: 'batch', version: 'v1', kind: 'CronJob' },
  { group: 'networking.k8s.io', version: 'v1', kind: 'Ingress' },
  { group: 'networking.k8s.io', version: 'v1', kind: 'NetworkPolicy' },
  { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'Role' },
  { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'RoleBinding' },
];

function gvkOf(apiVersion: string, kind: string): GroupVersionKind {
  const i = apiVersion.indexOf('/');
  return i < 0 ? { group: '', version: apiVersion, kind } : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1), kind };
}

function asClusterError(e: unknown): ClusterError {
  if (e && typeof e === 'object' && typeof (e as ClusterError).status === 'number') {
    const c = e as ClusterError;
    return { status: c.status, reason: String(c.reason ?? 'Error'), message: String(c.message ?? '') };
  }
  return { status: 0, reason: 'Error', message: e instanceof Error ? e.message : String(e) };
}

/** The first field path named in an API server error, e.g. `spec.replicas` from `... is invalid: spec.replicas: Invalid value`. */
export function fieldPathFromMessage(message: string): string | undefined {
  const m =
    /is invalid: \[?\.?([A-Za-z][\w.\-/[\]"]*?):\s/.exec(message) ??
    /(?:^|[\s(:])\.((?:metadata|spec|data|stringData|binaryData|rules|subjects|roleRef|webhooks|type|immutable)(?:[.[][^\s:]*)?):\s/.exec(message);
  return m?.[1];
}

/** True when `value` has a value at the key/index path. */
function hasPath(value: unknown, segments: Array<string | number>): boolean {
  let v = value;
  for (const s of segments) {
    if (v === null || typeof v !== 'object') return false;
    if (!(String(s) in (v as object))) return false;
    v = (v as Record<string, unknown>)[String(s)];
  }
  return true;
}

/** LIST results of one plan, by kind and namespace: name → object, or the error of the failed LIST. */
type ListCache = Map<string, Promise<{ items?: Map<string, KubeObject>; error?: unknown }>>;

function listKey(gvk: GroupVersionKind, namespace: string | undefined): string {
  return `${gvk.group}/${gvk.version}/${gvk.kind}/${namespace ?? ''}`;
}

/**
 * One LIST per kind and namespace per plan, shared by the live reads and the
 * prune candidates. A failed LIST resolves undefined (callers fall back to
 * GETs), or rejects with its error when `rethrow` is set, so the caller can report it.
 */
async function cachedList(
  cluster: PreviewCluster,
  cache: ListCache,
  gvk: GroupVersionKind,
  namespace: string | undefined,
  call: { signal?: AbortSignal },
  rethrow = false,
): Promise<Map<string, KubeObject> | undefined> {
  startList(cluster, cache, gvk, namespace, call);
  const result = await cache.get(listKey(gvk, namespace))!;
  call.signal?.throwIfAborted();
  if (result.error !== undefined && rethrow) throw result.error;
  return result.items;
}

/** Sends the LIST of a kind in a namespace now, without waiting for it; {@link cachedList} picks up its result. */
function startList(cluster: PreviewCluster, cache: ListCache, gvk: GroupVersionKind, namespace: string | undefined, call: { signal?: AbortSignal }): void {
  const k = listKey(gvk, namespace);
  if (cache.has(k)) return;
  cache.set(
    k,
    cluster.list(gvk, namespace, call).then(
      (l) => ({ items: new Map(l.items.map((o) => [o.metadata.name ?? '', o] as const)) }),
      (error: unknown) => ({ error }),
    ),
  );
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

/** Secret masks that differ between the two sides must render differently, or the diff would hide the change. */
function maskPair(live: KubeObject | undefined, after: KubeObject | undefined): [KubeObject | undefined, KubeObject | undefined] {
  const l = live ? maskSecret(live, after) : undefined;
  const a = after ? maskSecret(after, live) : undefined;
  const relabel = (o: KubeObject | undefined, side: string) => {
    if (!o || !isSecret(o)) return o;
    for (const field of ['data', 'stringData']) {
      const map = o[field] as Record<string, string> | undefined;
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

/** A Secret's stringData folded into data (base64), which is what the API server stores; needed for the client-side comparison. */
function foldStringData(object: KubeObject): KubeObject {
  if (!isSecret(object) || !object.stringData || typeof object.stringData !== 'object') return object;
  const copy = structuredClone(object);
  const data = { ...((copy.data as Record<string, string>) ?? {}) };
  for (const [k, v] of Object.entries(copy.stringData as Record<string, unknown>)) data[k] = Buffer.from(String(v ?? ''), 'utf8').toString('base64');
  copy.data = data;
  delete copy.stringData;
  return copy;
}

function labelOf(o: { kind: string; metadata?: { namespace?: string; name?: string } }): string {
  return `${o.kind}/${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name ?? ''}`;
}

interface Work {
  desired: DesiredObject;
  object: KubeObject;
  gvk: GroupVersionKind;
  fieldManager: string;
}

/**
 * Computes the plan for rendered desired objects. Never throws for cluster
 * errors (they become entries); throws only when cancelled.
 */
export async function computePlan(desiredObjects: DesiredObject[], problems: RenderProblem[], opts: PlanOptions): Promise<ComputedPlan> {
  const { cluster, signal } = opts;
  const memo = opts.memo ?? new DryRunMemo();
  const notes: string[] = [];
  const items: PlanItem[] = [];
  const stats = { dryRuns: 0, memoHits: 0, approximate: 0, provenUnchanged: 0 };
  const call = { signal };
  const listCache: ListCache = new Map();
  // Register every desired Secret value first, so no message below can echo one.
  for (const d of desiredObjects) registerSecretObject(d.object);

  const fm = (b: PreviewBinding | undefined) =>
    typeof opts.fieldManager === 'string' && opts.fieldManager ? opts.fieldManager : fieldManagerFor(b, typeof opts.fieldManager === 'object' ? opts.fieldManager : undefined);
  const bindingName = (b: PreviewBinding | undefined) => (b ? bindingLabel(b) : (opts.unboundLabel ?? 'unbound'));
  const sourceOf = (d: DesiredObject, fieldPath?: string): Pick<PlanEntry, 'sourceUri' | 'sourceRange'> => {
    if (!d.source) return {};
    if (fieldPath) {
      // A field set by a kustomize patch is reported on the patch, the last place that wrote it.
      const segments = splitFieldPath(fieldPath);
      const patch = [...(d.source.patches ?? [])].reverse().find((p) => hasPath(p.value, segments));
      if (patch) return { sourceUri: pathToFileURL(patch.file).href, sourceRange: patch.rangeOf(fieldPath) };
    }
    const range: Range = fieldPath && d.source.document ? d.source.document.rangeOf(fieldPath) : d.source.range;
    return { sourceUri: pathToFileURL(d.source.file).href, sourceRange: range };
  };

  for (const p of problems) {
    items.push({
      action: 'error',
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      name: p.label,
      binding: bindingName(p.binding),
      sourceUri: pathToFileURL(p.file).href,
      sourceRange: p.range ?? { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
      message: redact(p.message),
      liveText: '',
      afterText: '',
    });
  }

  // Namespaces and CRDs created by this same sync: objects that depend on them cannot be dry-run yet.
  const createdNamespaces = new Set(desiredObjects.filter((d) => d.object.kind === 'Namespace' && d.object.apiVersion === 'v1').map((d) => d.object.metadata.name!));
  const createdKinds = new Set<string>();
  for (const d of desiredObjects) {
    if (d.object.kind !== 'CustomResourceDefinition') continue;
    const spec = d.object.spec as { group?: string; names?: { kind?: string } } | undefined;
    if (spec?.group && spec.names?.kind) createdKinds.add(`${spec.group}/${spec.names.kind}`);
  }

  const total = desiredObjects.length;
  let done = 0;
  const progress = () => opts.onProgress?.(done, total);
  progress();

  // Desired keys per binding, for prune; objects whose key is known after namespace defaulting.
  const desiredKeys = new Set<string>();
  const seen = new Map<string, DesiredObject>();
  const finals = new Map<DesiredObject, KubeObject>();

  const entryBase = (d: DesiredObject, o: KubeObject) => ({
    apiVersion: o.apiVersion,
    kind: o.kind,
    ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}),
    name: o.metadata.name ?? '',
    binding: bindingName(d.binding),
  });

  const errorItem = (d: DesiredObject, o: KubeObject, err: ClusterError, prefix = ''): PlanItem => {
    const message = redact(`${prefix}${err.status ? `${err.status} ${err.reason}: ` : `${err.reason}: `}${err.message}`);
    const fieldPath = fieldPathFromMessage(err.message);
    return { action: 'error', ...entryBase(d, o), ...sourceOf(d, fieldPath), message, liveText: '', afterText: '' };
  };

  const concurrency = opts.concurrency ?? 16;
  const namespaceFor = (d: DesiredObject, info: ResourceInfo): string | undefined => {
    if (!info.namespaced) return undefined;
    if (d.binding?.agent === 'flux' && d.binding.targetNamespace) return d.binding.targetNamespace;
    return d.object.metadata.namespace ?? d.binding?.targetNamespace ?? opts.defaultNamespace ?? 'default';
  };
  // Discovery first, for every object: its resource, final namespace and agent marks. Objects of one kind in
  // one namespace are then read with one LIST instead of a GET each, and all those LISTs are sent at once,
  // before any dry-run, so that no object waits for its kind's LIST behind other kinds' dry-runs.
  type Prepared = { object: KubeObject; gvk: GroupVersionKind; info?: ResourceInfo; discoveryError?: unknown };
  const prepared = new Map<DesiredObject, Prepared>();
  const groupSizes = new Map<string, number>();
  const groupKinds = new Map<string, { gvk: GroupVersionKind; namespace?: string }>();
  await mapLimit(
    desiredObjects,
    concurrency,
    async (d) => {
      const object = structuredClone(d.object);
      const gvk = gvkOf(object.apiVersion, object.kind);
      let info: ResourceInfo | undefined;
      try {
        info = await cluster.resourceFor(gvk, call);
      } catch (e) {
        if (signal?.aborted) throw e;
        prepared.set(d, { object, gvk, discoveryError: e });
        return;
      }
      if (info) {
        const ns = namespaceFor(d, info);
        if (ns) object.metadata.namespace = ns;
        else delete object.metadata.namespace;
      }
      withAgentMarks(object, d.binding);
      prepared.set(d, { object, gvk, info });
      if (!info?.verbs.includes('list')) return;
      const k = listKey(gvk, object.metadata.namespace);
      groupSizes.set(k, (groupSizes.get(k) ?? 0) + 1);
      groupKinds.set(k, { gvk, namespace: object.metadata.namespace });
    },
    signal,
  );
  for (const d of desiredObjects) {
    const p = prepared.get(d);
    if (p && !p.discoveryError) finals.set(d, p.object);
  }
  for (const [k, { gvk, namespace }] of groupKinds) if ((groupSizes.get(k) ?? 0) >= 2) startList(cluster, listCache, gvk, namespace, call);
  const readLive = async (gvk: GroupVersionKind, namespace: string | undefined, name: string): Promise<KubeObject | undefined> => {
    const k = listKey(gvk, namespace);
    if ((groupSizes.get(k) ?? 0) >= 2) {
      const listed = await cachedList(cluster, listCache, gvk, namespace, call);
      if (listed) return listed.get(name);
    }
    return cluster.get(gvk, namespace, name, call);
  };

  // Prune candidates only depend on the bindings and the final desired objects: read them while the objects are planned.
  const pruning = pruneCandidatesOfBindings(desiredObjects, problems, finals, opts, notes, call, listCache);
  // Awaited after the objects; until then a rejection (cancellation) must not count as unhandled.
  pruning.catch(() => undefined);

  await mapLimit(
    desiredObjects,
    concurrency,
    async (d) => {
      const { object, gvk, info, discoveryError } = prepared.get(d)!;
      try {
        if (discoveryError !== undefined) {
          items.push(errorItem(d, object, asClusterError(discoveryError), 'discovery failed: '));
          return;
        }
        const key = objectKey(object);
        // Duplicates only matter within one rendered unit: two overlays for two clusters may declare the same object.
        const unitKey = `${d.unit}\0${key}`;
        if (seen.has(unitKey)) {
          items.push({
            action: 'error',
            ...entryBase(d, object),
            ...sourceOf(d),
            message: `${labelOf(object)} is declared more than once in the desired state; the agent rejects duplicate objects. Remove one of them.`,
            liveText: '',
            afterText: '',
          });
          return;
        }
        seen.set(unitKey, d);
        desiredKeys.add(key);
        const note = d.note;
        if (!info) {
          if (createdKinds.has(`${gvk.group}/${gvk.kind}`)) {
            const after = normalizeObject(object);
            stats.approximate++;
            items.push({
              action: 'create',
              ...entryBase(d, object),
              ...sourceOf(d),
              approximate: true,
              message: `approximate: its CustomResourceDefinition is created by this same sync, so the server cannot dry-run it yet${note ? `; ${note}` : ''}`,
              diff: unifiedDiff('', stableYaml(maskSecret(after)), '/dev/null', `after/${labelOf(object)}`),
              liveText: '',
              afterText: stableYaml(maskSecret(after)),
            });
          } else {
            items.push(
              errorItem(d, object, {
                status: 404,
                reason: 'NotServed',
                message: `The cluster does not serve ${object.apiVersion} ${object.kind}. Install its CustomResourceDefinition, or check apiVersion and kind.`,
              }),
            );
          }
          return;
        }
        const manager = fm(d.binding);
        let live: KubeObject | undefined;
        try {
          live = await readLive(gvk, object.metadata.namespace, object.metadata.name!);
        } catch (e) {
          if (signal?.aborted) throw e;
          items.push(errorItem(d, object, asClusterError(e), 'reading the live object failed: '));
          return;
        }
        if (live) registerSecretObject(live);
        const memoKey = DryRunMemo.key(object, manager, live?.metadata.resourceVersion);
        let after = memo.get(memoKey);
        let approximate: string | undefined;
        if (after) stats.memoHits++;
        else if (live && !opts.exactUnchanged && provesNoOpApply(object, live, manager)) {
          // Every desired field already has its value and nothing owned was dropped: the apply is a no-op.
          stats.provenUnchanged++;
          after = live;
        } else {
          try {
            stats.dryRuns++;
            after = await cluster.dryRunApply(object, manager, call);
            memo.set(memoKey, after);
          } catch (e) {
            if (signal?.aborted) throw e;
            const err = asClusterError(e);
            const ns = object.metadata.namespace;
            if (err.status === 403) {
              approximate = `approximate: no permission to dry-run apply (${redact(err.message)}); compared client-side, without server defaults or other field managers`;
            } else if (err.status === 404 && ns && createdNamespaces.has(ns) && !live) {
              approximate = `approximate: namespace ${ns} is created by this same sync, so the server cannot dry-run this object yet`;
            } else {
              items.push(errorItem(d, object, err, 'the API server rejected the dry-run: '));
              return;
            }
            stats.approximate++;
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
          ...entryBase(d, object),
          ...sourceOf(d),
          liveText,
          afterText,
          ...(approximate ? { approximate: true } : {}),
          ...(messages.length ? { message: messages.join('; ') } : {}),
        };
        if (action !== 'unchanged') {
          item.diff = unifiedDiff(liveText, afterText, liveN ? `live/${label}` : '/dev/null', `after/${label}`);
          item.changedPaths = changedPaths(liveM ?? {}, afterM);
        }
        items.push(item);
      } finally {
        done++;
        progress();
      }
    },
    signal,
  );

  // Prune: per binding that prunes, live objects it owns that are no longer desired.
  for (const { binding, candidates } of await pruning) {
    for (const live of candidates) {
      if (desiredKeys.has(objectKey(live))) continue;
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
        items.push({ action: 'prune', ...base, diff: unifiedDiff(liveText, '', `live/${labelOf(live)}`, '/dev/null'), liveText, afterText: '' });
      } else {
        items.push({ action: 'unchanged', ...base, message: decision.reason, liveText, afterText: liveText });
      }
    }
  }

  const order: Record<PlanAction, number> = { error: 0, create: 1, update: 2, prune: 3, unchanged: 4 };
  items.sort(
    (a, b) =>
      (a.binding ?? '').localeCompare(b.binding ?? '') ||
      (a.namespace ?? '').localeCompare(b.namespace ?? '') ||
      a.kind.localeCompare(b.kind) ||
      a.name.localeCompare(b.name) ||
      order[a.action] - order[b.action],
  );
  const counts = emptyPlanCounts();
  for (const i of items) counts[i.action]++;
  return { entries: items, counts, notes, stats, createdAt: new Date().toISOString() };
}

/**
 * The live objects each binding may prune, binding by binding: the bindings of
 * the desired objects (with their final namespaces) and of the render problems
 * (a binding whose render failed gets a note instead: everything would look orphaned).
 */
async function pruneCandidatesOfBindings(
  desiredObjects: DesiredObject[],
  problems: RenderProblem[],
  finals: Map<DesiredObject, KubeObject>,
  opts: PlanOptions,
  notes: string[],
  call: { signal?: AbortSignal },
  listCache: ListCache,
): Promise<Array<{ binding: PreviewBinding; candidates: KubeObject[] }>> {
  const bindings = new Map<string, { binding: PreviewBinding; objects: KubeObject[]; failed: boolean }>();
  for (const d of desiredObjects) {
    if (!d.binding) continue;
    const k = bindingLabel(d.binding);
    const entry = bindings.get(k) ?? { binding: d.binding, objects: [], failed: false };
    entry.objects.push(finals.get(d) ?? d.object);
    bindings.set(k, entry);
  }
  for (const p of problems) {
    if (!p.binding) continue;
    const k = bindingLabel(p.binding);
    const entry = bindings.get(k) ?? { binding: p.binding, objects: [], failed: true };
    entry.failed = true;
    bindings.set(k, entry);
  }
  const out: Array<{ binding: PreviewBinding; candidates: KubeObject[] }> = [];
  for (const { binding, objects, failed } of bindings.values()) {
    call.signal?.throwIfAborted();
    if (failed) {
      notes.push(`${bindingLabel(binding)}: prune not computed because its desired state could not be rendered`);
      continue;
    }
    out.push({ binding, candidates: await pruneCandidates(opts.cluster, binding, objects, opts, notes, call, listCache) });
  }
  return out;
}

/**
 * Live objects that may belong to a binding. Flux keeps an inventory in the
 * Kustomization's status, which is exactly what it prunes from; when it is not
 * readable, the desired kinds and common kinds are listed in the namespaces
 * the binding deploys to, and filtered by ownership labels.
 */
async function pruneCandidates(
  cluster: PreviewCluster,
  binding: PreviewBinding,
  desired: KubeObject[],
  opts: PlanOptions,
  notes: string[],
  call: { signal?: AbortSignal },
  listCache: ListCache,
): Promise<KubeObject[]> {
  if (!binding.prune) return listCandidates(cluster, binding, desired, opts, notes, call, listCache);
  if (binding.agent === 'flux') {
    try {
      const ks = await cluster.get({ group: 'kustomize.toolkit.fluxcd.io', version: 'v1', kind: 'Kustomization' }, binding.namespace, binding.name, call);
      const entries = (ks?.status as { inventory?: { entries?: Array<{ id?: string; v?: string }> } } | undefined)?.inventory?.entries;
      if (entries) {
        const out: KubeObject[] = [];
        await mapLimit(
          entries,
          opts.concurrency ?? 16,
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
  return listCandidates(cluster, binding, desired, opts, notes, call, listCache);
}

async function listCandidates(
  cluster: PreviewCluster,
  binding: PreviewBinding,
  desired: KubeObject[],
  opts: PlanOptions,
  notes: string[],
  call: { signal?: AbortSignal },
  listCache: ListCache,
): Promise<KubeObject[]> {
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
    opts.concurrency ?? 16,
    async ({ gvk, ns }) => {
      try {
        const list = await cachedList(cluster, listCache, gvk, ns, call, true);
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
  if (forbidden.length) notes.push(`${bindingLabel(binding)}: prune candidates could not be listed (forbidden): ${forbidden.join(', ')}`);
  return out;
}
