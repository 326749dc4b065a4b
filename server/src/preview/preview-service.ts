/**
 * The preview facade that the LSP wiring and the CLI call: render the
 * desired state of some paths, compute the plan against a cluster context,
 * and keep the latest plans' documents for the diff editor. It owns the
 * dry-run memo, so a second preview with nothing changed sends no dry-run.
 */
import * as path from 'node:path';
import { ClusterClient, isClusterError } from '../cluster/read-only-transport.js';
import { kubeconfigPaths, loadKubeconfig, transportOptionsFor } from '../cluster/kubeconfig.js';
import type { ApproveExec } from '../cluster/exec-credential.js';
import type { PreviewDocumentResult, PreviewSide } from '../protocol/protocol.js';
import { maskSecretDerived } from '../secrets/mask-derived.js';
import { redact, secretValues } from '../secrets/mask-secrets.js';
import type { AgentKind, PreviewBinding } from '../render/binding.js';
import { changedFiles, gitTopLevel } from '../util/git.js';
import { DryRunMemo } from './dry-run-memo.js';
import { computePlan, type ComputedPlan, type PreviewCluster } from './plan.js';
import { renderDesired, type RenderTools } from '../render/render-desired.js';

/** A connected cluster for one preview. */
export interface PreviewConnection {
  cluster: PreviewCluster;
  /** Context name, for labels and the memo key. */
  context: string;
  /** The context's namespace, for namespaced objects that declare none. */
  namespace: string;
  /** Releases sockets; called after the preview. */
  dispose?(): void;
  /** A cheap request that fails fast when the cluster is unreachable or rejects the credentials. */
  probe?(signal?: AbortSignal): Promise<unknown>;
}

/** Parameters of {@link PreviewService.preview}. */
export interface PreviewParams {
  /** Absolute files or folders; empty means `root`. */
  paths: string[];
  /** Repository root; default: the git top level of the first path, else the first path's folder. */
  root?: string;
  /** Only units that contain files changed against git HEAD (plus untracked files). */
  onlyChanged?: boolean;
  context?: string;
  kubeconfig?: string;
  /** Extra bindings (from settings), used before discovered ones. */
  bindings?: PreviewBinding[];
  /** `gitopsLens.preview.fieldManager`; empty means each agent's own. */
  fieldManager?: string | Partial<Record<AgentKind, string>>;
  /** Dry-run every object, even those the live object provably already matches (mutating webhooks). */
  exactUnchanged?: boolean;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/** A plan the service has computed, with its id. */
export type PreviewResult = ComputedPlan & { planId: string; context: string; root: string };

/** How the service reaches clusters; the default reads kubeconfig files through server/src/cluster. */
export type ConnectFn = (kubeconfig: string | undefined, context: string | undefined) => Promise<PreviewConnection>;

/** Options of {@link PreviewService}. */
export interface PreviewServiceOptions {
  connect?: ConnectFn;
  /** Workspace trust and exec approval, passed to the kubeconfig layer by the default `connect`. */
  trusted?: boolean;
  approve?: ApproveExec;
  /** How many plans' documents to keep for the diff editor. Default 5. */
  keepPlans?: number;
  tools?: Partial<RenderTools>;
  log?: (message: string) => void;
}

/**
 * Connects through the kubeconfig layer; the client it returns sends only
 * GET and PATCH?dryRun=All, whatever the caller does.
 */
export function kubeconfigConnector(trusted: boolean, approve: ApproveExec, userAgent = 'gitops-lens-preview'): ConnectFn {
  return async (kubeconfig, context) => {
    if (!trusted) throw new Error('Preview needs cluster access, which is disabled in an untrusted workspace. Trust the folder to preview.');
    const loaded = loadKubeconfig(kubeconfigPaths(kubeconfig));
    const rc = loaded.resolve(context);
    const client = ClusterClient.create({ ...(await transportOptionsFor(rc, { trusted, approve })), userAgent, maxConcurrency: 16 });
    return {
      cluster: client,
      context: rc.context,
      namespace: rc.namespace,
      dispose: () => client.dispose(),
      probe: (signal) => client.serverVersion({ signal }),
    };
  };
}

/** How long an idle connection is reused. */
const CONNECTION_REUSE_MS = 5 * 60_000;

/** Thrown when a preview cannot start (no cluster, not a git repository...); the message is safe to show. */
export class PreviewError extends Error {
  constructor(message: string) {
    super(redact(message));
    this.name = 'PreviewError';
  }
}

/** The preview facade. One instance per language server or CLI run. */
export class PreviewService {
  private readonly memos = new Map<string, DryRunMemo>();
  private readonly connections = new Map<string, { connection: PreviewConnection; at: number }>();
  private readonly plans = new Map<string, PreviewResult>();
  private counter = 0;
  private readonly connect: ConnectFn;

  constructor(private readonly options: PreviewServiceOptions = {}) {
    this.connect =
      options.connect ??
      kubeconfigConnector(options.trusted ?? false, options.approve ?? (async () => false));
  }

  /** Renders and plans. Throws {@link PreviewError} when it cannot start; cluster errors per object become error entries. */
  async preview(params: PreviewParams): Promise<PreviewResult> {
    const paths = params.paths.map((p) => path.resolve(p));
    const first = paths[0] ?? process.cwd();
    const root = params.root ? path.resolve(params.root) : ((await gitTopLevel(path.extname(first) ? path.dirname(first) : first, params.signal)) ?? (path.extname(first) ? path.dirname(first) : first));
    let onlyFiles: Set<string> | undefined;
    if (params.onlyChanged) {
      try {
        onlyFiles = await changedFiles(root, params.signal);
      } catch (e) {
        throw new PreviewError((e as Error).message);
      }
    }
    let connection: PreviewConnection;
    try {
      connection = await this.connection(params.kubeconfig, params.context);
    } catch (e) {
      throw new PreviewError(`Cannot connect to the cluster: ${(e as Error).message}`);
    }
    try {
      // The probe and the render run side by side (one is network, the other files and kustomize), but an
      // unreachable cluster still fails fast: its error stops the render.
      const stopRender = new AbortController();
      const renderSignal = params.signal ? AbortSignal.any([params.signal, stopRender.signal]) : stopRender.signal;
      const rendering = renderDesired({
        paths,
        root,
        bindings: params.bindings,
        onlyFiles,
        signal: renderSignal,
        tools: this.options.tools,
        substituteFromValues: (b) => substituteFromValues(connection.cluster, b, params.signal),
        readValuesSource: (kind, namespace, name) => readValuesSource(connection.cluster, kind, namespace, name, params.signal),
      });
      // A cancelled render may reject while the probe is still awaited; it is awaited (and rethrown) below.
      rendering.catch(() => undefined);
      if (connection.probe) {
        try {
          await connection.probe(params.signal);
        } catch (e) {
          stopRender.abort();
          if (params.signal?.aborted) throw e;
          throw new PreviewError(`Cannot reach the cluster of context ${connection.context}: ${(e as Error).message}`);
        }
      }
      const rendered = await rendering;
      let memo = this.memos.get(connection.context);
      if (!memo) this.memos.set(connection.context, (memo = new DryRunMemo()));
      const plan = await computePlan(rendered.objects, rendered.problems, {
        cluster: connection.cluster,
        fieldManager: params.fieldManager,
        exactUnchanged: params.exactUnchanged,
        defaultNamespace: connection.namespace,
        memo,
        signal: params.signal,
        onProgress: params.onProgress,
      });
      plan.notes.unshift(...rendered.notes);
      maskSecretDerived(plan, rendered.objects, rendered.maskValues);
      if (rendered.units.length === 0) plan.notes.push(onlyFiles ? 'no uncommitted change touches a previewable manifest' : 'no Kubernetes manifests found under the selected paths');
      const planId = `p${++this.counter}`;
      const result: PreviewResult = { ...plan, planId, context: connection.context, root };
      this.plans.set(planId, result);
      const keep = this.options.keepPlans ?? 5;
      while (this.plans.size > keep) this.plans.delete(this.plans.keys().next().value as string);
      this.options.log?.(
        `preview ${planId} on ${connection.context}: ${Object.entries(plan.counts).map(([k, v]) => `${v} ${k}`).join(', ')}; ${plan.stats.dryRuns} dry-runs, ${plan.stats.memoHits} memoized`,
      );
      return result;
    } catch (e) {
      // A failed preview may mean a broken connection or changed credentials: start afresh next time.
      this.dropConnection(params.kubeconfig, params.context);
      if (params.signal?.aborted || e instanceof PreviewError) throw e;
      if (isClusterError(e)) throw new PreviewError(e.message);
      throw e;
    }
  }

  /**
   * The connection for a kubeconfig + context, reused between previews for a
   * few minutes so that a second preview pays no TLS handshakes or discovery.
   */
  private async connection(kubeconfig: string | undefined, context: string | undefined): Promise<PreviewConnection> {
    const key = `${kubeconfig ?? ''}\0${context ?? ''}`;
    const cached = this.connections.get(key);
    if (cached && Date.now() - cached.at < CONNECTION_REUSE_MS) {
      cached.at = Date.now();
      return cached.connection;
    }
    if (cached) this.dropConnection(kubeconfig, context);
    const connection = await this.connect(kubeconfig, context);
    this.connections.set(key, { connection, at: Date.now() });
    return connection;
  }

  private dropConnection(kubeconfig: string | undefined, context: string | undefined): void {
    const key = `${kubeconfig ?? ''}\0${context ?? ''}`;
    this.connections.get(key)?.connection.dispose?.();
    this.connections.delete(key);
  }

  /** Closes kept connections; call when the service is no longer used (end of a CLI run, server shutdown, kubeconfig change). */
  dispose(): void {
    for (const { connection } of this.connections.values()) connection.dispose?.();
    this.connections.clear();
  }

  /** The masked YAML of one side of one entry of a kept plan, for the read-only diff editor. */
  document(planId: string, index: number, side: PreviewSide): PreviewDocumentResult | undefined {
    const entry = this.plans.get(planId)?.entries[index];
    if (!entry) return undefined;
    return { text: side === 'live' ? entry.liveText : entry.afterText };
  }

  /** A kept plan, by id. */
  plan(planId: string): PreviewResult | undefined {
    return this.plans.get(planId);
  }

  /** Forgets memoized dry-runs and kept connections (for example after the kubeconfig or credentials changed). */
  clearMemo(): void {
    this.memos.clear();
    this.dispose();
  }
}

/**
 * A ConfigMap's `data` or a Secret's decoded `data` for HelmRelease
 * `valuesFrom` (GET only); undefined when it does not exist. The values
 * only go to helm; the caller masks those of Secrets in the plan.
 */
async function readValuesSource(cluster: PreviewCluster, kind: 'ConfigMap' | 'Secret', namespace: string, name: string, signal?: AbortSignal): Promise<Record<string, string> | undefined> {
  let object;
  try {
    object = await cluster.get({ group: '', version: 'v1', kind }, namespace, name, { signal });
  } catch (e) {
    // The API's status and reason, never a body that could hold data.
    throw new Error(isClusterError(e) ? `${e.status} ${e.reason}` : 'cannot be read');
  }
  if (!object) return undefined;
  // A live Secret holds `data` only (the API server folds stringData into it).
  if (kind === 'Secret') return Object.fromEntries(secretValues(object));
  const data = (object.data ?? {}) as Record<string, unknown>;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(data)) if (typeof v === 'string') out[k] = v;
  return out;
}

/**
 * Flux `postBuild.substituteFrom` values from ConfigMaps in the binding's
 * namespace. Secret references are deliberately not read: their values would
 * end up in diffs of non-Secret objects.
 */
async function substituteFromValues(cluster: PreviewCluster, binding: PreviewBinding, signal?: AbortSignal): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const ref of binding.substituteFrom ?? []) {
    if (ref.kind !== 'ConfigMap') continue;
    try {
      const cm = await cluster.get({ group: '', version: 'v1', kind: 'ConfigMap' }, binding.namespace, ref.name, { signal });
      for (const [k, v] of Object.entries((cm?.data as Record<string, string> | undefined) ?? {})) out[k] = v;
    } catch {
      // Unreadable: the variables stay unset, and the plan notes list them.
    }
  }
  return out;
}
