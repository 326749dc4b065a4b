/**
 * Plugs the preview engine (server/src/preview) into the server. The engine
 * and the cluster code it uses are loaded on the first preview, so a server
 * on an older Node (the extension host of older VS Code versions) still
 * starts and validates; cluster access always goes through the ClusterGate.
 */
import type { CancellationToken } from 'vscode-languageserver/node';
import type { PreviewService } from './preview-handlers.js';
import type { ServerContext } from './server-context.js';

/** Registers a lazily loaded preview service with the preview handlers. */
export function installPreview(ctx: ServerContext): void {
  let loading: Promise<PreviewService> | undefined;
  let clearMemo: (() => void) | undefined;
  // Dry-run results are memoized per context; new kubeconfig or credentials settings invalidate them.
  ctx.settings.onDidChange(() => clearMemo?.());
  const load = (): Promise<PreviewService> =>
    (loading ??= (async () => {
      const [{ PreviewService: Engine, kubeconfigConnector }, { createLspPreviewService }] = await Promise.all([
        import('../preview/preview-service.js'),
        import('./lsp-preview-service.js'),
      ]);
      const engine = new Engine({
        // Trust is read at connection time, so a folder trusted after startup can preview at once.
        connect: (kubeconfig, context) => kubeconfigConnector(ctx.cluster.isTrusted, ctx.cluster.approveExec)(kubeconfig, context),
        log: ctx.log.info,
      });
      clearMemo = () => engine.clearMemo();
      return createLspPreviewService({
        service: engine,
        workspaceFolders: ctx.workspaceFolders,
        settingsFor: (uri) => ctx.settings.get(uri),
        selectedContext: () => ctx.cluster.selectedContext,
        onProgress: (done, total) => ctx.log.info(`Preview: ${done}/${total} objects planned.`),
      });
    })().catch((err: unknown) => {
      loading = undefined;
      throw new Error(`The preview engine could not be loaded (${err instanceof Error ? err.message : String(err)}). It needs Node 22 or later.`);
    }));
  ctx.preview.register({
    previewSync: async (params, token: CancellationToken) => (await load()).previewSync(params, token),
    previewDocument: async (params, token: CancellationToken) => (await load()).previewDocument(params, token),
  });
}
