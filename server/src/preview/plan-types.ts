/**
 * The types of a plan computation: what it needs from the cluster
 * (PreviewCluster), its options, and what it returns (ComputedPlan, whose
 * entries are the protocol's PlanEntry plus the texts the diff editor shows).
 */
import type { GroupVersionKind, KubeList, KubeObject, ResourceInfo } from '../cluster/cluster-types.js';
import type { Plan, PlanEntry } from '../protocol/protocol.js';
import type { AgentKind } from '../render/binding.js';
import type { DryRunMemo } from './dry-run-memo.js';

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
