/**
 * Connects the graph's cluster questions (live-status.ts) to a kubeconfig
 * context through the one read-only client: GETs only, credentials through
 * the approval gate. Loaded with a dynamic import by the language server and
 * the CLI, so the graph engine itself never loads cluster code.
 */
import type { ApproveExec } from '../cluster/exec-credential.js';
import { gvkOf } from '../cluster/cluster-types.js';
import { kubeconfigPaths, loadKubeconfig, transportOptionsFor } from '../cluster/kubeconfig.js';
import { ClusterClient, isClusterError } from '../cluster/read-only-transport.js';
import type { ObjectGetter } from './live-status.js';

/** A connected getter and what it is connected to. */
export interface ClusterGetter {
  get: ObjectGetter;
  /** The context actually used (the current context when none was asked for). */
  context: string;
  dispose(): void;
}

/** Options of {@link connectGetter}. */
export interface ConnectOptions {
  /** Kubeconfig file; empty means KUBECONFIG or ~/.kube/config. */
  kubeconfig?: string;
  /** Context; empty means the kubeconfig's current context. */
  context?: string;
  trusted: boolean;
  approve: ApproveExec;
  /** Per-request timeout. Default 5 s: the editor must not wait on an unreachable cluster. */
  timeoutMs?: number;
}

/** Connects to a context. Throws when the kubeconfig or the context cannot be used (the message says why). */
export async function connectGetter(options: ConnectOptions): Promise<ClusterGetter> {
  if (!options.trusted) throw new Error('cluster access is off in an untrusted workspace');
  const loaded = loadKubeconfig(kubeconfigPaths(options.kubeconfig || undefined));
  const rc = loaded.resolve(options.context || undefined);
  const client = ClusterClient.create({ ...(await transportOptionsFor(rc, { trusted: options.trusted, approve: options.approve })), userAgent: 'gitops-lens-references', maxConcurrency: 8 });
  const timeoutMs = options.timeoutMs ?? 5000;
  const get: ObjectGetter = async (apiVersion, kind, namespace, name) => {
    try {
      return (await client.get(gvkOf(apiVersion, kind), namespace || undefined, name, { signal: AbortSignal.timeout(timeoutMs) })) as Record<string, unknown> | undefined;
    } catch (e) {
      // A kind the cluster does not serve has no such object.
      if (isClusterError(e) && e.status === 404) return undefined;
      throw e;
    }
  };
  return { get, context: rc.context, dispose: () => client.dispose() };
}
