/**
 * The contract between the cluster layer and its users (drift, preview, the
 * LSP wiring and the CLI). Everything that talks to a cluster goes through a
 * {@link ClusterClient}; its implementation is the one place that enforces
 * that GitOps Lens never changes a cluster.
 */

/** The connection state shown in the status bar and used to mark drift as unknown. */
export type ConnectionState =
  | { kind: 'disabled'; reason: string }
  | { kind: 'connecting' }
  | { kind: 'connected'; serverVersion?: string }
  | { kind: 'unreachable'; reason: string }
  | { kind: 'unauthorized'; reason: string }
  | { kind: 'needs-approval'; reason: string };

/** A group/version/kind, as written in a manifest's apiVersion and kind. */
export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

/** What an API server says about one kind: from discovery. */
export interface ResourceInfo extends GroupVersionKind {
  /** Plural resource name used in URLs, e.g. `deployments`. */
  resource: string;
  namespaced: boolean;
  verbs: string[];
}

/** A Kubernetes object as plain JSON. */
export type KubeObject = {
  apiVersion: string;
  kind: string;
  metadata: {
    name?: string;
    namespace?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    managedFields?: ManagedFieldsEntry[];
    [key: string]: unknown;
  };
  [key: string]: unknown;
};

/** One entry of metadata.managedFields. */
export interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  apiVersion?: string;
  time?: string;
  fieldsType?: string;
  fieldsV1?: unknown;
  subresource?: string;
}

/** An error from the API server or the transport, already safe to show (no secret values, no tokens). */
export interface ClusterError {
  /** HTTP status, or 0 when no response arrived (unreachable, timeout, TLS). */
  status: number;
  /** `reason` from the API's Status object, e.g. `Forbidden`, `NotFound`, `Invalid`; or a transport reason. */
  reason: string;
  message: string;
}

/** One event from a watch stream, already parsed. */
export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: KubeObject;
}

/** The result of a LIST: items (with apiVersion/kind filled in) and the collection's resourceVersion to watch from. */
export interface KubeList {
  items: KubeObject[];
  resourceVersion: string;
}

/** A reference to one object in a cluster. `namespace` is empty for cluster-scoped kinds. */
export interface ObjectRef extends GroupVersionKind {
  namespace: string;
  name: string;
}

/** Splits an apiVersion such as `apps/v1` or `v1` into group and version. */
export function parseApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/** Builds a GroupVersionKind from a manifest's apiVersion and kind. */
export function gvkOf(apiVersion: string, kind: string): GroupVersionKind {
  return { ...parseApiVersion(apiVersion), kind };
}

/** The apiVersion string for a group and version. */
export function apiVersionOf(gvk: { group: string; version: string }): string {
  return gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version;
}
