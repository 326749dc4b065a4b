/**
 * The one shared file of GitOps Lens' custom LSP messages. Every message is
 * namespaced `gitops/...` and typed here, so the server (server/src/lsp) and
 * the VS Code client (client/src, which imports this file by relative path
 * and gets it bundled by esbuild) can never disagree about a shape.
 *
 * This file must stay free of `vscode`, of server-only code and of any LSP
 * library at runtime: a message is plain data (its method name) typed by its
 * params and result. Each side turns it into its LSP library's message type at
 * its edge (server/src/lsp/lsp-messages.ts, client/src/lsp-messages.ts).
 */
import type { ConnectionState } from '../cluster/cluster-types.js';
import type { ExecApprovalRequest } from '../cluster/exec-credential.js';
import type { Range } from '../findings.js';

export type { GitOpsLensSettings } from './settings.js';
export type { ConnectionState, ExecApprovalRequest };

/** A custom request with params `P` and result `R` (`_types` exists only for the type checker). */
export interface RequestMessage<P, R> {
  readonly kind: 'request';
  readonly method: string;
  readonly _types?: [P, R];
}

/** A custom request without params, with result `R`. */
export interface RequestMessage0<R> {
  readonly kind: 'request0';
  readonly method: string;
  readonly _types?: [R];
}

/** A custom notification with params `P`. */
export interface NotificationMessage<P> {
  readonly kind: 'notification';
  readonly method: string;
  readonly _types?: [P];
}

/** The URI scheme of the read-only documents that the client opens in diff editors. */
export const PREVIEW_SCHEME = 'gitops-lens';

/** Diagnostic `source` of schema findings. */
export const VALIDATION_SOURCE = 'gitops-lens';
/** Diagnostic `source` of drift findings; a separate collection so it can be cleared on its own. */
export const DRIFT_SOURCE = 'gitops-lens-drift' as const;

// ---------------------------------------------------------------------------
// Initialization
// ---------------------------------------------------------------------------

/** What the client passes in `initialize.initializationOptions`. */
export interface GitOpsInitializationOptions {
  /**
   * Whether the workspace is trusted. The server starts with cluster features
   * disabled unless this is `true`, so an old or foreign client never enables them by accident.
   */
  trusted: boolean;
  /**
   * A folder the server may write caches to (VS Code: the extension's
   * `globalStorageUri`). Cluster OpenAPI schemas are cached under it; without
   * it the server uses `${XDG_CACHE_HOME:-~/.cache}/gitops-lens/cluster-schemas`.
   */
  globalStoragePath?: string;
}

// ---------------------------------------------------------------------------
// Server → client
// ---------------------------------------------------------------------------

/** Where the schemas used for a file come from; shown in the status bar tooltip. */
export type SchemaSource =
  | { kind: 'bundled'; kubernetesVersion?: string }
  | { kind: 'cluster'; context: string; kubernetesVersion?: string; cachedAt?: string }
  | { kind: 'cluster-cache'; context: string; kubernetesVersion?: string; cachedAt?: string };

/** Which context and namespace a folder deploys to, and why. */
export interface BindingInfo {
  context: string;
  namespace?: string;
  /** How it was found: the `gitopsLens.bindings` setting, a Flux Kustomization, an Argo CD Application, or the current context. */
  origin: 'setting' | 'flux-kustomization' | 'argocd-application' | 'current-context';
  /** For discovered bindings: the manifest that declares it. */
  sourceUri?: string;
  /** "Is my commit deployed?": e.g. `deployed`, `3 commits behind`, `reconcile failed: reason`. */
  deployStatus?: string;
}

/** Parameters of {@link ConnectionStatusNotification}. */
export interface ConnectionStatusParams {
  state: ConnectionState;
  /** The binding of `uri` (usually the active editor's file), when known. */
  binding?: BindingInfo;
  /** The file the binding and schema source refer to; absent for a workspace-wide state. */
  uri?: string;
  schemaSource?: SchemaSource;
  /** Kinds the identity may not list ("no access"); everything else keeps working. */
  noAccess?: string[];
}

/**
 * Sent by the server whenever the cluster connection state, the binding or
 * the schema source changes. The client shows it in the status bar.
 */
export const ConnectionStatusNotification: NotificationMessage<ConnectionStatusParams> = { kind: 'notification', method: 'gitops/connectionStatus' };

/**
 * Parameters of {@link ApproveCredentialsRequest}: exactly the cluster
 * layer's ExecApprovalRequest (program and arguments as they will be started,
 * without a shell; the kubeconfig user's name; an exec plugin's env with
 * secret-looking values masked, and a digest of the exact env).
 */
export type ApproveCredentialsParams = ExecApprovalRequest;

/**
 * The key under which the client remembers an approval: the same formula as
 * the cluster layer's `approvalKey` (cluster/approval-key.ts), so an approval
 * covers exactly one kubeconfig file, context, command line and environment
 * (its digest, computed by the server; the key holds no secret value).
 */
export function credentialApprovalKey(r: ExecApprovalRequest): string {
  const parts: unknown[] = [r.kubeconfigPath, r.context, r.kind, r.command, r.args];
  if (r.envDigest) parts.push(r.envDigest);
  return JSON.stringify(parts);
}

/** Result of {@link ApproveCredentialsRequest}. */
export interface ApproveCredentialsResult {
  approved: boolean;
}

/**
 * Sent by the server before it runs a kubeconfig exec or auth-provider
 * command. The client asks the user once per kubeconfig + context + command
 * and remembers the answer in its global state.
 */
export const ApproveCredentialsRequest: RequestMessage<ApproveCredentialsParams, ApproveCredentialsResult> = { kind: 'request', method: 'gitops/approveCredentials' };

// ---------------------------------------------------------------------------
// Client → server
// ---------------------------------------------------------------------------

/** Parameters of {@link TrustChangedNotification}. */
export interface TrustChangedParams {
  trusted: boolean;
}

/** Sent by the client when the workspace becomes trusted (VS Code never revokes trust within a session, but the server does not rely on that). */
export const TrustChangedNotification: NotificationMessage<TrustChangedParams> = { kind: 'notification', method: 'gitops/trustChanged' };

/** Parameters of {@link ActiveDocumentNotification}. */
export interface ActiveDocumentParams {
  /** The file in the active editor; `null` when no editor is active. */
  uri: string | null;
}

/**
 * Sent by the client when the active editor changes, so the server can
 * answer with a `gitops/connectionStatus` for that file's binding.
 */
export const ActiveDocumentNotification: NotificationMessage<ActiveDocumentParams> = { kind: 'notification', method: 'gitops/activeDocument' };

/** Arguments of the client command `gitopsLens.addIgnoreDifference`, used by drift's "Ignore this field" quick fix. */
export interface AddIgnoreDifferenceArgs {
  entry: { group?: string; kind: string; name?: string; namespace?: string; jsonPointers: string[] };
  /** The document the drift is in: in a multi-root workspace the entry goes to its folder's settings. */
  uri?: string;
}

/** The client command a code action runs to add an entry to the workspace's `gitopsLens.ignoreDifferences`. */
export const ADD_IGNORE_DIFFERENCE_COMMAND = 'gitopsLens.addIgnoreDifference';

/** One context of the merged kubeconfig. */
export interface KubeContextInfo {
  name: string;
  cluster: string;
  user: string;
  namespace?: string;
  /** True for the kubeconfig's `current-context`. */
  current: boolean;
}

/** Result of {@link ListContextsRequest}. */
export interface ListContextsResult {
  contexts: KubeContextInfo[];
  /** The kubeconfig files that were merged, in order. */
  kubeconfigPaths: string[];
  /** The context the server uses now (the setting, or the current context). */
  active?: string;
  /** Set when the kubeconfig could not be read; safe to show. */
  error?: string;
}

/** Asks the server for the contexts of the kubeconfig it uses (honouring trust and the machine-scoped setting). */
export const ListContextsRequest: RequestMessage0<ListContextsResult> = { kind: 'request0', method: 'gitops/listContexts' };

/** Parameters of {@link SelectContextRequest}. */
export interface SelectContextParams {
  /** The context to use; `null` goes back to the kubeconfig's current context. */
  context: string | null;
}

/**
 * Tells the server to switch context now. The client also persists the
 * choice in `gitopsLens.context`, so this only saves the round trip of a configuration change.
 */
export const SelectContextRequest: RequestMessage<SelectContextParams, void> = { kind: 'request', method: 'gitops/selectContext' };

/** What a plan entry does when the agent reconciles. */
export type PlanAction = 'create' | 'update' | 'prune' | 'unchanged' | 'error';

/** One object of a plan. */
export interface PlanEntry {
  action: PlanAction;
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
  /** The binding's context the object deploys to. */
  binding?: string;
  /** The manifest that declares the object (absent for prune). */
  sourceUri?: string;
  sourceRange?: Range;
  /** Unified diff live → after sync, with Secret values masked. */
  diff?: string;
  /** Why the entry is `error`, or a note for other actions. Safe to show. */
  message?: string;
  /** True when the entry could not be computed by a server-side dry run (for example no cluster access) and is a local estimate. */
  approximate?: boolean;
}

/** The result of a preview. */
export interface Plan {
  /** Identifies the plan in {@link previewDocumentUri}; the server keeps the plan's documents while it is the latest one. */
  planId?: string;
  entries: PlanEntry[];
  counts: Record<PlanAction, number>;
  /** When the plan was computed (ISO 8601). */
  createdAt?: string;
  /** The kubeconfig context the plan was computed against; the plan view and its summary name it. */
  context?: string;
  /** What was not previewed and why (Helm charts, prune candidates that could not be listed, unset postBuild variables). */
  notes?: string[];
}

/** Parameters of {@link PreviewSyncRequest}. */
export interface PreviewSyncParams {
  /** Files or folders to preview; empty means every workspace folder. */
  uris: string[];
  /** Only objects in files that differ from git HEAD. */
  onlyChanged?: boolean;
}

/** Computes a plan with server-side apply dry-run. Cancellable (the client shows progress with cancel). */
export const PreviewSyncRequest: RequestMessage<PreviewSyncParams, Plan> = { kind: 'request', method: 'gitops/previewSync' };

/** Which side of a plan entry a preview document shows. */
export type PreviewSide = 'live' | 'after';

/** Parameters of {@link PreviewDocumentRequest}. */
export interface PreviewDocumentParams {
  /** A `gitops-lens:` URI made by {@link previewDocumentUri}. */
  uri: string;
}

/** Result of {@link PreviewDocumentRequest}. */
export interface PreviewDocumentResult {
  /** YAML with Secret values masked. Empty for the live side of a create or the after side of a prune. */
  text: string;
}

/** Returns the YAML of one side of one plan entry, for the diff editor. */
export const PreviewDocumentRequest: RequestMessage<PreviewDocumentParams, PreviewDocumentResult> = { kind: 'request', method: 'gitops/previewDocument' };

/** Per-file validation counters, for protocol tests and the benchmark. */
export interface DocumentStats {
  uri: string;
  version: number;
  /** How many YAML documents the file holds now. */
  documents: number;
  /** YAML documents validated by the engine since the file was opened. */
  validatedTotal: number;
  /** In the latest run: YAML documents sent to the engine, and documents whose findings were reused because they did not change. */
  lastRun: { validated: number; reused: number };
  /** Completed validation runs since the file was opened. */
  runs: number;
}

/** Result of {@link StatsRequest}. */
export interface StatsResult {
  documents: DocumentStats[];
  /** Files fed to the engine by the workspace scan and the file watcher. */
  workspaceFiles: number;
}

/** Internal counters; used by protocol tests and benchmarks, harmless for anyone else. */
export const StatsRequest: RequestMessage0<StatsResult> = { kind: 'request0', method: 'gitops/stats' };

// ---------------------------------------------------------------------------
// Preview document URIs
// ---------------------------------------------------------------------------

/** What a preview document URI identifies. */
export interface PreviewDocumentRef {
  planId: string;
  index: number;
  side: PreviewSide;
  kind: string;
  name: string;
  namespace?: string;
}

/**
 * Builds the URI of one side of one plan entry, e.g.
 * `gitops-lens:/p1/3/live/default/Deployment-web.yaml`. The path ends with a
 * readable name and `.yaml` so the diff editor shows a good title and picks YAML highlighting.
 */
export function previewDocumentUri(ref: PreviewDocumentRef): string {
  const ns = ref.namespace ? ref.namespace : '_cluster';
  const file = `${ref.kind}-${ref.name}.yaml`;
  return `${PREVIEW_SCHEME}:/${[ref.planId, String(ref.index), ref.side, ns, file].map(encodeURIComponent).join('/')}`;
}

/** Parses a URI made by {@link previewDocumentUri}; returns undefined for anything else. */
export function parsePreviewDocumentUri(uri: string): PreviewDocumentRef | undefined {
  const prefix = `${PREVIEW_SCHEME}:/`;
  if (!uri.startsWith(prefix)) return undefined;
  const parts = uri.slice(prefix.length).split('/').map((p) => decodeURIComponent(p));
  if (parts.length !== 5) return undefined;
  const [planId, index, side, ns, file] = parts as [string, string, string, string, string];
  if (side !== 'live' && side !== 'after') return undefined;
  const idx = Number(index);
  if (!Number.isInteger(idx) || idx < 0) return undefined;
  const m = /^([^-]+)-(.*)\.yaml$/.exec(file);
  if (!m) return undefined;
  return {
    planId,
    index: idx,
    side,
    kind: m[1]!,
    name: m[2]!,
    ...(ns === '_cluster' ? {} : { namespace: ns }),
  };
}

/** Zero counts for every action; convenient for producers of a {@link Plan}. */
export function emptyPlanCounts(): Record<PlanAction, number> {
  return { create: 0, update: 0, prune: 0, unchanged: 0, error: 0 };
}

// ---------------------------------------------------------------------------
// Quick fixes carried by findings
// ---------------------------------------------------------------------------

/**
 * A text edit an engine can attach to `Finding.data.fixes` so the server
 * offers it as a quick fix without knowing the finding's meaning (for
 * example a did-you-mean for an unknown field or kind).
 */
export interface FindingFix {
  title: string;
  /** Edits in the finding's own file. */
  edits: Array<{ range: Range; newText: string }>;
  /** Marks the fix VS Code may apply with "auto fix". */
  isPreferred?: boolean;
}

// ---------------------------------------------------------------------------
// Repository graph: dependency view and "built by" lenses
// ---------------------------------------------------------------------------

/** Diagnostic collection (DiagnosticsStore slot) of the broken-reference checks; their `source` stays `gitops-lens`. */
export const REFERENCES_SLOT = 'gitops-lens-references';

/**
 * Client command a "built by …" CodeLens runs: `[uri, position, locations]`
 * in LSP shapes; the client converts them and opens VS Code's references peek.
 */
export const SHOW_REFERENCES_COMMAND = 'gitopsLens.showReferences';

/** Parameters of {@link DependencyGraphRequest}. */
export interface DependencyGraphParams {
  /** Ask the bound cluster for each node's Ready state and revision (trusted folders only; answers are kept 30 s). */
  live?: boolean;
  /** The user asked for a refresh: read the cluster again instead of the kept answers. */
  refresh?: boolean;
}

/** A `dependsOn` or source edge of a dependency node. */
export interface DependencyEdgeInfo {
  /** The target node's id, when the repository has it. */
  id?: string;
  kind: string;
  name: string;
  namespace: string;
  /** Matches nothing in the repository. */
  missing?: boolean;
  /** Assumed to exist (the bootstrap source). */
  assumed?: boolean;
}

/** The live state of a node (see server/src/graph/live-status.ts). */
export interface DependencyStatusInfo {
  ready?: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  revision?: string;
  /** Not found in the cluster. */
  absent?: boolean;
}

/** One Flux Kustomization, HelmRelease, Argo CD Application, or a source. */
export interface DependencyNodeInfo {
  id: string;
  kind: string;
  name: string;
  namespace: string;
  cluster?: string;
  /** The declaring document; selecting the node opens it at `range`. */
  uri?: string;
  range?: Range;
  /** The node whose path renders this one. */
  parent?: string;
  /** The folder it renders, relative to its workspace folder. */
  path?: string;
  /** Argo CD sync wave. */
  wave?: number;
  dependsOn: DependencyEdgeInfo[];
  sources: DependencyEdgeInfo[];
  role: 'agent' | 'source';
  status?: DependencyStatusInfo;
}

/** Result of {@link DependencyGraphRequest}: every workspace folder's graph. */
export interface DependencyGraphResult {
  nodes: DependencyNodeInfo[];
  /** Node ids of dependsOn cycles. */
  cycles: string[][];
  /** Set when `live` was asked: the context asked, or why no status could be read. */
  live?: { context?: string; error?: string };
}

/** The dependency graph of the workspace's Flux and Argo CD objects ("GitOps Dependencies" view). */
export const DependencyGraphRequest: RequestMessage<DependencyGraphParams, DependencyGraphResult> = { kind: 'request', method: 'gitops/dependencyGraph' };

/** Sent by the server when the dependency graph may have changed (a relevant file changed); the view asks again. */
export const DependencyGraphChangedNotification: NotificationMessage<Record<string, never>> = { kind: 'notification', method: 'gitops/dependencyGraphChanged' };

/** One workspace folder's reference index, for tests and the benchmark. */
export interface ReferenceFolderStats {
  folder: string;
  /** The folder's first scan is complete (reference diagnostics are published from then on). */
  ready: boolean;
  files: number;
  units: number;
  objects: number;
  /** Completed reference-diagnostics runs, and how long the last one computed (graph + checks, cluster lookups excluded): wall and CPU time. */
  runs: number;
  lastRunMs?: number;
  lastRunCpuMs?: number;
}

/** Counters of the reference indexes; used by protocol tests and benchmarks. */
export const ReferenceStatsRequest: RequestMessage0<{ folders: ReferenceFolderStats[] }> = { kind: 'request0', method: 'gitops/referenceStats' };
