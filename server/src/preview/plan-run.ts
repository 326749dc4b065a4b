/**
 * One plan computation's state and the small operations every step of it
 * uses: the options, the cluster calls with their signal, the entries found
 * so far, the counters, the LIST results shared by live reads and prune
 * candidates, and how an object becomes an entry (binding label, source
 * range, error entry). The steps (plan-discovery.ts, plan-object.ts,
 * plan-prune.ts) take this object instead of long parameter lists.
 */
import { pathToFileURL } from 'node:url';
import type { ClusterError, GroupVersionKind, KubeObject, ResourceInfo } from '../cluster/cluster-types.js';
import type { Range } from '../findings.js';
import type { PlanEntry } from '../protocol/protocol.js';
import { emptyPlanCounts, type PlanAction } from '../protocol/protocol.js';
import { isSecret, redact } from '../secrets/mask-secrets.js';
import { bindingLabel, fieldManagerFor, type PreviewBinding } from '../render/binding.js';
import type { DesiredObject, RenderProblem } from '../render/render-desired.js';
import { splitFieldPath } from '../render/source-documents.js';
import { DryRunMemo } from './dry-run-memo.js';
import type { ComputedPlan, PlanItem, PlanOptions, PreviewCluster } from './plan-types.js';

/** LIST results of one plan, by kind and namespace: name → object, or the error of the failed LIST. */
type ListCache = Map<string, Promise<{ items?: Map<string, KubeObject>; error?: unknown }>>;

/** What discovery found for one desired object: its final form (namespace, agent marks), its resource, or the discovery error. */
export interface Prepared {
  object: KubeObject;
  gvk: GroupVersionKind;
  info?: ResourceInfo;
  discoveryError?: unknown;
}

/** The state of one computePlan call. */
export class PlanRun {
  readonly cluster: PreviewCluster;
  readonly signal?: AbortSignal;
  /** Passed to every cluster call. */
  readonly call: { signal?: AbortSignal };
  readonly memo: DryRunMemo;
  /** Requests in flight at once. */
  readonly concurrency: number;
  readonly notes: string[] = [];
  readonly items: PlanItem[] = [];
  readonly stats = { dryRuns: 0, memoHits: 0, approximate: 0, provenUnchanged: 0 };
  /** Per desired object: what discovery found (plan-discovery.ts). */
  readonly prepared = new Map<DesiredObject, Prepared>();
  /** Desired objects after namespace defaulting and agent marks, for prune. */
  readonly finals = new Map<DesiredObject, KubeObject>();
  /** Keys of planned desired objects, for prune. */
  readonly desiredKeys = new Set<string>();
  /** Unit + object key → object, to find duplicates within one rendered unit. */
  readonly seen = new Map<string, DesiredObject>();
  /** Objects per kind and namespace: a group of two or more is read with one LIST. */
  readonly groupSizes = new Map<string, number>();
  /** Namespaces and CRD kinds (`group/kind`) created by this same sync: objects that depend on them cannot be dry-run yet. */
  readonly createdNamespaces: Set<string>;
  readonly createdKinds = new Set<string>();
  private readonly lists: ListCache = new Map();
  private done = 0;

  constructor(
    readonly desiredObjects: DesiredObject[],
    readonly problems: RenderProblem[],
    readonly opts: PlanOptions,
  ) {
    this.cluster = opts.cluster;
    this.signal = opts.signal;
    this.call = { signal: opts.signal };
    this.memo = opts.memo ?? new DryRunMemo();
    this.concurrency = opts.concurrency ?? 16;
    this.createdNamespaces = new Set(desiredObjects.filter((d) => d.object.kind === 'Namespace' && d.object.apiVersion === 'v1').map((d) => d.object.metadata.name!));
    for (const d of desiredObjects) {
      if (d.object.kind !== 'CustomResourceDefinition') continue;
      const spec = d.object.spec as { group?: string; names?: { kind?: string } } | undefined;
      if (spec?.group && spec.names?.kind) this.createdKinds.add(`${spec.group}/${spec.names.kind}`);
    }
  }

  /** Reports progress: one more object planned (or none yet). */
  progress(planned = 0): void {
    this.done += planned;
    this.opts.onProgress?.(this.done, this.desiredObjects.length);
  }

  /** The field manager of an apply for this binding: the setting, else the agent's own. */
  fieldManager(b: PreviewBinding | undefined): string {
    const setting = this.opts.fieldManager;
    return typeof setting === 'string' && setting ? setting : fieldManagerFor(b, typeof setting === 'object' ? setting : undefined);
  }

  /** The plan's binding field of an object. */
  bindingName(b: PreviewBinding | undefined): string {
    return b ? bindingLabel(b) : (this.opts.unboundLabel ?? 'unbound');
  }

  /** Where an entry points in the repository: the declaring document, or the patch that last set `fieldPath`. */
  sourceOf(d: DesiredObject, fieldPath?: string): Pick<PlanEntry, 'sourceUri' | 'sourceRange'> {
    if (!d.source) return {};
    if (fieldPath) {
      // A field set by a kustomize patch is reported on the patch, the last place that wrote it.
      const segments = splitFieldPath(fieldPath);
      const patch = [...(d.source.patches ?? [])].reverse().find((p) => hasPath(p.value, segments));
      if (patch) return { sourceUri: pathToFileURL(patch.file).href, sourceRange: patch.rangeOf(fieldPath) };
    }
    const range: Range = fieldPath && d.source.document ? d.source.document.rangeOf(fieldPath) : d.source.range;
    return { sourceUri: pathToFileURL(d.source.file).href, sourceRange: range };
  }

  /** The identity fields of an entry for object `o` (the final form of `d`). */
  entryBase(d: DesiredObject, o: KubeObject): Pick<PlanEntry, 'apiVersion' | 'kind' | 'namespace' | 'name' | 'binding'> {
    return {
      apiVersion: o.apiVersion,
      kind: o.kind,
      ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}),
      name: o.metadata.name ?? '',
      binding: this.bindingName(d.binding),
    };
  }

  /** An error entry for a cluster error, on the field the API server names when it names one. */
  errorItem(d: DesiredObject, o: KubeObject, err: ClusterError, prefix = ''): PlanItem {
    const message = redact(`${prefix}${err.status ? `${err.status} ${err.reason}: ` : `${err.reason}: `}${err.message}`);
    const fieldPath = fieldPathFromMessage(err.message);
    return { action: 'error', ...this.entryBase(d, o), ...this.sourceOf(d, fieldPath), message, liveText: '', afterText: '' };
  }

  /** The live object: from its kind's LIST when two or more objects share it, else one GET. */
  async readLive(gvk: GroupVersionKind, namespace: string | undefined, name: string): Promise<KubeObject | undefined> {
    if ((this.groupSizes.get(listKey(gvk, namespace)) ?? 0) >= 2) {
      const listed = await this.cachedList(gvk, namespace);
      if (listed) return listed.get(name);
    }
    return this.cluster.get(gvk, namespace, name, this.call);
  }

  /**
   * One LIST per kind and namespace per plan, shared by the live reads and the
   * prune candidates. A failed LIST resolves undefined (callers fall back to
   * GETs), or rejects with its error when `rethrow` is set, so the caller can report it.
   */
  async cachedList(gvk: GroupVersionKind, namespace: string | undefined, rethrow = false): Promise<Map<string, KubeObject> | undefined> {
    this.startList(gvk, namespace);
    const result = await this.lists.get(listKey(gvk, namespace))!;
    this.signal?.throwIfAborted();
    if (result.error !== undefined && rethrow) throw result.error;
    return result.items;
  }

  /** Sends the LIST of a kind in a namespace now, without waiting for it; {@link cachedList} picks up its result. */
  startList(gvk: GroupVersionKind, namespace: string | undefined): void {
    const k = listKey(gvk, namespace);
    if (this.lists.has(k)) return;
    this.lists.set(
      k,
      this.cluster.list(gvk, namespace, this.call).then(
        (l) => ({ items: new Map(l.items.map((o) => [o.metadata.name ?? '', o] as const)) }),
        (error: unknown) => ({ error }),
      ),
    );
  }

  /** The plan: entries sorted by binding, namespace, kind, name and action, with counts. */
  result(): ComputedPlan {
    const order: Record<PlanAction, number> = { error: 0, create: 1, update: 2, prune: 3, unchanged: 4 };
    this.items.sort(
      (a, b) =>
        (a.binding ?? '').localeCompare(b.binding ?? '') ||
        (a.namespace ?? '').localeCompare(b.namespace ?? '') ||
        a.kind.localeCompare(b.kind) ||
        a.name.localeCompare(b.name) ||
        order[a.action] - order[b.action],
    );
    const counts = emptyPlanCounts();
    for (const i of this.items) counts[i.action]++;
    return { entries: this.items, counts, notes: this.notes, stats: this.stats, createdAt: new Date().toISOString() };
  }
}

/** The key of a kind in a namespace, for LIST grouping. */
export function listKey(gvk: GroupVersionKind, namespace: string | undefined): string {
  return `${gvk.group}/${gvk.version}/${gvk.kind}/${namespace ?? ''}`;
}

/** Any thrown value as a cluster error (status 0 when it is not one). */
export function asClusterError(e: unknown): ClusterError {
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

/** A Secret's stringData folded into data (base64), which is what the API server stores; needed for the client-side comparison. */
export function foldStringData(object: KubeObject): KubeObject {
  if (!isSecret(object) || !object.stringData || typeof object.stringData !== 'object') return object;
  const copy = structuredClone(object);
  const data = { ...((copy.data as Record<string, string>) ?? {}) };
  for (const [k, v] of Object.entries(copy.stringData as Record<string, unknown>)) data[k] = Buffer.from(String(v ?? ''), 'utf8').toString('base64');
  copy.data = data;
  delete copy.stringData;
  return copy;
}

/** `Kind/namespace/name` of an object, for messages and diff headers. */
export function labelOf(o: { kind: string; metadata?: { namespace?: string; name?: string } }): string {
  return `${o.kind}/${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name ?? ''}`;
}
