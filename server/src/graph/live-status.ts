/**
 * What a bound cluster says about the graph: the Ready condition and
 * revision of each agent node, and whether objects that the repository does
 * not have exist there. The cluster is reached through a getter the caller
 * builds on the read-only client (only GETs), so this file needs no cluster
 * code and tests can answer from memory.
 */
import type { DependencyGraph } from './depends-on.js';
import type { NodeStatus } from './graph-format.js';
import type { ClusterAnswer, ReferenceLookup } from './reference-checks.js';
import { keyOf } from './repo-graph.js';

/** Reads one object; resolves undefined when it does not exist (or its kind is not served); rejects when the cluster cannot answer. */
export type ObjectGetter = (apiVersion: string, kind: string, namespace: string, name: string) => Promise<Record<string, unknown> | undefined>;

/** The apiVersion a kind is looked up with (the current one of each project). */
export const LOOKUP_API_VERSION: Record<string, string> = {
  ConfigMap: 'v1',
  Secret: 'v1',
  ServiceAccount: 'v1',
  PersistentVolumeClaim: 'v1',
  Service: 'v1',
  Kustomization: 'kustomize.toolkit.fluxcd.io/v1',
  HelmRelease: 'helm.toolkit.fluxcd.io/v2',
  GitRepository: 'source.toolkit.fluxcd.io/v1',
  OCIRepository: 'source.toolkit.fluxcd.io/v1',
  HelmRepository: 'source.toolkit.fluxcd.io/v1',
  HelmChart: 'source.toolkit.fluxcd.io/v1',
  Bucket: 'source.toolkit.fluxcd.io/v1',
  ExternalArtifact: 'source.toolkit.fluxcd.io/v1',
  AppProject: 'argoproj.io/v1alpha1',
  Application: 'argoproj.io/v1alpha1',
};

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The Ready state and revision of a Flux object or an Argo CD Application. */
export function statusOf(obj: Obj): NodeStatus {
  const status = isObj(obj.status) ? obj.status : {};
  if (obj.kind === 'Application') {
    const sync = isObj(status.sync) ? status.sync : {};
    const health = isObj(status.health) ? status.health : {};
    const healthy = health.status === 'Healthy' && sync.status === 'Synced';
    const failed = health.status === 'Degraded' || health.status === 'Missing';
    const revision = typeof sync.revision === 'string' ? sync.revision.slice(0, 12) : undefined;
    return {
      ready: healthy ? 'True' : failed ? 'False' : 'Unknown',
      reason: `${String(sync.status ?? 'Unknown')}/${String(health.status ?? 'Unknown')}`,
      ...(revision ? { revision } : {}),
    };
  }
  const conditions = Array.isArray(status.conditions) ? status.conditions.filter(isObj) : [];
  const ready = conditions.find((c) => c.type === 'Ready');
  const value = ready?.status === 'True' || ready?.status === 'False' ? ready.status : 'Unknown';
  const history = Array.isArray(status.history) && isObj(status.history[0]) ? status.history[0] : undefined;
  const revision =
    (typeof status.lastAppliedRevision === 'string' && status.lastAppliedRevision) ||
    (history && typeof history.chartVersion === 'string' ? `chart ${history.chartVersion}` : undefined) ||
    (isObj(status.artifact) && typeof status.artifact.revision === 'string' ? status.artifact.revision : undefined) ||
    (typeof status.lastAttemptedRevision === 'string' ? status.lastAttemptedRevision : undefined);
  return {
    ready: value,
    ...(typeof ready?.reason === 'string' ? { reason: ready.reason } : {}),
    ...(typeof ready?.message === 'string' ? { message: ready.message.slice(0, 300) } : {}),
    ...(revision ? { revision: shortRevision(revision) } : {}),
  };
}

/** `main@sha1:0123456789abcdef…` → `main@sha1:0123456`. */
export function shortRevision(r: string): string {
  return r.replace(/(sha1|sha256):([0-9a-f]{7})[0-9a-f]+/, '$1:$2');
}

/** The live status of every agent node; nodes the cluster cannot answer for are left out. */
export async function liveStatus(graph: DependencyGraph, get: ObjectGetter): Promise<Map<string, NodeStatus>> {
  const out = new Map<string, NodeStatus>();
  await Promise.all(
    graph.nodes.map(async (n) => {
      const apiVersion = n.apiVersion || LOOKUP_API_VERSION[n.kind];
      if (!apiVersion) return;
      try {
        const obj = await get(apiVersion, n.kind, n.namespace, n.name);
        out.set(n.id, obj ? statusOf(obj) : { absent: true });
      } catch {
        // Unreachable or forbidden: no status rather than a wrong one.
      }
    }),
  );
  return out;
}

/** Whether each looked-up object exists in the cluster; unanswerable lookups are left out. */
export async function clusterAnswers(lookups: ReferenceLookup[], get: ObjectGetter): Promise<Map<string, ClusterAnswer>> {
  const out = new Map<string, ClusterAnswer>();
  await Promise.all(
    lookups.map(async (l) => {
      const apiVersion = LOOKUP_API_VERSION[l.kind];
      if (!apiVersion) return;
      try {
        out.set(keyOf(l.kind, l.namespace, l.name), (await get(apiVersion, l.kind, l.namespace, l.name)) ? 'exists' : 'absent');
      } catch {
        // Unknown: the finding keeps its repository-only severity.
      }
    }),
  );
  return out;
}
