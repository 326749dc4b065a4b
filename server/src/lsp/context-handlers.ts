/**
 * `gitops/listContexts` and `gitops/selectContext`: the server reads the
 * kubeconfig (honouring the machine-scoped setting and trust) so the client
 * never needs to parse kubeconfig files itself.
 */
import type { ClusterGate } from './cluster-gate.js';
import type { ListContextsResult, SelectContextParams } from '../protocol/protocol.js';
import type { SettingsService } from './settings-service.js';

/** Lists the contexts of the kubeconfig the server would use. */
export async function listContexts(gate: ClusterGate, settings: SettingsService): Promise<ListContextsResult> {
  if (!gate.isTrusted) {
    return { contexts: [], kubeconfigPaths: [], error: 'Cluster features are off until the folder is trusted.' };
  }
  const s = await settings.get();
  let paths: string[] = [];
  try {
    // Loaded on first use: the cluster code needs Node 22+, and validation
    // must keep working in an editor whose extension host runs an older Node.
    const { kubeconfigPaths, loadKubeconfig } = await import('../cluster/kubeconfig.js');
    paths = kubeconfigPaths(s.kubeconfig || undefined);
    const kc = loadKubeconfig(paths);
    const active = gate.selectedContext ?? (s.context || kc.currentContext);
    const contexts = kc.contexts.map((name) => {
      try {
        const r = kc.resolve(name);
        return {
          name,
          cluster: r.clusterName,
          user: r.userName,
          namespace: r.namespace,
          current: name === kc.currentContext,
        };
      } catch {
        // A context with a dangling cluster or user is still listed so the user sees it exists.
        return { name, cluster: '?', user: '?', current: name === kc.currentContext };
      }
    });
    return { contexts, kubeconfigPaths: kc.files, ...(active ? { active } : {}) };
  } catch (err) {
    return { contexts: [], kubeconfigPaths: paths, error: err instanceof Error ? err.message : String(err) };
  }
}

/** Applies the user's choice of context. */
export function selectContext(gate: ClusterGate, params: SelectContextParams): void {
  gate.selectContext(params.context ?? null);
}
