/**
 * Status publishing for drift: the connection status of the active file's
 * binding (state, context, namespace, where schemas come from, "is my commit
 * deployed?") sent as `gitops/connectionStatus`. Bursts are coalesced into one
 * publication, and a slow deploy status never replaces a newer one.
 */
import { basename } from 'node:path';
import type { BindingInfo, ConnectionStatusParams } from '../protocol/protocol.js';
import type { DriftClusterSchemas } from './drift-schemas.js';
import type { DriftFolders } from './drift-folders.js';
import type { ServerContext } from './server-context.js';

/** Publishes the drift side of the connection status. */
export class DriftStatus {
  private activeUri: string | null = null;
  /** Bumped by every status publication, so that a slow deploy status never replaces a newer one. */
  private generation = 0;
  private scheduled = false;
  /** The last deploy status shown, kept in the immediate publication until the new one is computed (no flicker). */
  private lastDeploy: { uri: string; text: string } | undefined;

  constructor(
    private readonly ctx: ServerContext,
    private readonly folders: DriftFolders,
    private readonly schemas: DriftClusterSchemas,
  ) {}

  /** The file the editor shows now (`gitops/activeDocument`); its status is published at once. */
  setActive(uri: string | null): void {
    this.activeUri = uri;
    void this.publish();
  }

  /** True when `uri` is the active file. */
  isActive(uri: string): boolean {
    return uri === this.activeUri;
  }

  /** Coalesces bursts (a watch relist, several folders connecting) into one status publication. */
  schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.publish();
    });
  }

  /** Sends the status of the active file's binding; the gate replaces it while untrusted. */
  async publish(): Promise<void> {
    const { ctx, folders } = this;
    if (!ctx.cluster.isTrusted) return;
    const generation = ++this.generation;
    const activeUri = this.activeUri;
    const uri = activeUri && folders.open.has(activeUri) ? activeUri : undefined;
    // The active file's folder; without an active file, the first folder with a service.
    const s = uri ? folders.serviceOf(uri) : (folders.services.get(ctx.workspaceFolders()[0] ?? '') ?? folders.services.values().next().value);
    if (!s) {
      ctx.cluster.publish(ctx.cluster.status);
      return;
    }
    try {
      const status = s.connectionState(uri);
      const params: ConnectionStatusParams = {
        state: status.state,
        schemaSource: this.schemas.sourceOf(status.context),
        ...(status.noAccess.length ? { noAccess: status.noAccess } : {}),
      };
      if (uri) {
        params.uri = uri;
        const binding = s.bindingOf(uri, await ctx.settings.get(uri));
        const info: BindingInfo = {
          context: status.context || binding.context || '(current context)',
          origin: binding.source,
          ...(binding.namespace ? { namespace: binding.namespace } : {}),
        };
        params.binding = info;
        const shown = binding.agent && this.lastDeploy?.uri === uri ? this.lastDeploy.text : undefined;
        ctx.cluster.publish(shown ? { ...params, binding: { ...info, deployStatus: shown } } : params);
        if (binding.agent && status.state.kind === 'connected') {
          const deploy = await s.deployStatus(uri);
          if (deploy && this.activeUri === uri && generation === this.generation) {
            this.lastDeploy = { uri, text: deploy.text };
            ctx.cluster.publish({ ...params, binding: { ...info, deployStatus: deploy.text } });
          }
        }
        return;
      }
      ctx.cluster.publish(params);
    } catch (err) {
      ctx.log.warn(`Could not compute the cluster status${this.activeUri ? ` of ${basename(this.activeUri)}` : ''}: ${String(err)}`);
    }
  }
}
