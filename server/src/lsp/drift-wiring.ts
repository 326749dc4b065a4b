/**
 * Plugs the drift service (server/src/drift) into the server: settled
 * document texts in; drift diagnostics (their own source), hovers, quick
 * fixes and the connection status out. The service and the cluster code are
 * loaded only once the folder is trusted and a file is open, so an untrusted
 * workspace never loads, let alone runs, any cluster code, and a server on an
 * older Node still validates.
 */
import { CodeActionKind, type CodeAction } from 'vscode-languageserver/node';
import type { DriftService } from '../drift/drift-service.js';
import { ActiveDocumentNotification, ADD_IGNORE_DIFFERENCE_COMMAND, type AddIgnoreDifferenceArgs, DRIFT_SOURCE } from '../protocol/protocol.js';
import { uriToPath } from '../util/uri-path.js';
import { DriftFolders } from './drift-folders.js';
import { DriftClusterSchemas } from './drift-schemas.js';
import { DriftStatus } from './drift-status.js';
import { findingToDiagnostic } from './finding-conversion.js';
import { lspNotification } from './lsp-messages.js';
import type { ServerContext } from './server-context.js';
// Kustomizations and Chart.yaml: drift indexes them to classify documents like validation does (kustomize patches, Helm charts).
import { isClassifyingFile } from './workspace-scanner.js';

export { folderOfUri } from './drift-folders.js';

/** Files drift indexes for binding discovery (Flux Kustomizations, Argo CD Applications). */
const AGENT_FILE = /kustomize\.toolkit\.fluxcd\.io|argoproj\.io/;

/**
 * Wires drift into the server: folder routing (drift-folders.ts), cluster
 * schemas for validation (drift-schemas.ts) and status publishing
 * (drift-status.ts), fed by the server's events. Returns a disposer for shutdown.
 */
export function installDrift(ctx: ServerContext): () => void {
  type Module = typeof import('../drift/drift-service.js');
  let loading: Promise<Module | undefined> | undefined;
  const loadModule = (): Promise<Module | undefined> =>
    (loading ??= import('../drift/drift-service.js').catch((err) => {
      ctx.log.error(`Drift is unavailable: the cluster code could not be loaded (${err instanceof Error ? err.message : String(err)}). It needs Node 22 or later.`);
      return undefined;
    }));

  const folders: DriftFolders = new DriftFolders({
    workspaceFolders: ctx.workspaceFolders,
    loadModule,
    create: (mod, folder) => createService(mod, folder),
    warn: (message) => ctx.log.warn(message),
  });
  const schemas = new DriftClusterSchemas(ctx, () => status.schedule());
  const status: DriftStatus = new DriftStatus(ctx, folders, schemas);
  const follow = (uri: string, text: string) => folders.follow(uri, text, ctx.cluster.isTrusted);

  function createService(mod: Module, folder: string): DriftService {
    const s = new mod.DriftService({
      workspaceRoot: folder ? uriToPath(folder) : process.cwd(),
      // Pulled per document (resource scope), so each folder gets its own values.
      // The context picked with "GitOps: Select Context" wins over the setting until the setting changes.
      settings: async (uri) => {
        const settings = await ctx.settings.get(uri);
        const selected = ctx.cluster.selectedContext;
        return selected ? { ...settings, context: selected } : settings;
      },
      trusted: ctx.cluster.isTrusted,
      approve: ctx.cluster.approveExec,
      log: ctx.log.info,
      ...schemas.serviceOptions(),
    });
    s.onFindings((uri, findings) => {
      // A file closed meanwhile, or moved to another folder's service, must not get drift diagnostics back from this one.
      if (folders.owns(s, uri) || findings.length === 0) ctx.diagnostics.set(uri, DRIFT_SOURCE, findings.map(findingToDiagnostic));
    });
    s.onConnectionState((state) => {
      schemas.loadCached(state);
      status.schedule();
    });
    // The agent object binding the active file changed in the cluster (watch): "deployed?" is recomputed, no polling.
    s.onDeployStatusChange((uri) => {
      if (status.isActive(uri)) status.schedule();
    });
    return s;
  }

  ctx.validation.onDocumentSettled(follow);
  ctx.documents.onDidClose((e) => {
    const uri = e.document.uri;
    folders.close(uri);
    ctx.diagnostics.set(uri, DRIFT_SOURCE, []);
  });
  ctx.workspace.onWorkspaceFile((uri, text) => {
    const relevant = text !== undefined && (AGENT_FILE.test(text) || isClassifyingFile(uri));
    folders.updateWorkspaceFile(uri, relevant ? text : undefined);
  });
  ctx.onWorkspaceFoldersChanged(({ removed }) => {
    // Open files now belonging to another folder (added, or the fallback after a removal) move to its service.
    for (const uri of folders.foldersChanged(removed)) {
      ctx.diagnostics.set(uri, DRIFT_SOURCE, []);
      const d = ctx.documents.get(uri);
      if (d) follow(uri, d.getText());
    }
    status.schedule();
  });
  ctx.cluster.onTrustChanged((trusted) => {
    if (folders.services.size) for (const s of folders.services.values()) void s.setTrusted(trusted);
    else if (trusted) for (const uri of folders.open) { const d = ctx.documents.get(uri); if (d) follow(uri, d.getText()); }
    if (!trusted) ctx.diagnostics.clearSource(DRIFT_SOURCE);
  });
  ctx.cluster.onContextSelected(() => {
    for (const s of folders.services.values()) void s.refresh();
  });
  ctx.settings.onDidChange(() => {
    for (const s of folders.services.values()) void s.refresh();
  });

  ctx.hover.add(({ uri, document, position }) => folders.serviceOf(uri)?.hover(uri, document.getText(), position));
  ctx.codeActions.add((params) => {
    const service = folders.serviceOf(params.textDocument.uri);
    if (!service) return [];
    const drift = params.context.diagnostics.filter((d) => d.source === DRIFT_SOURCE);
    return service.codeActions(params.textDocument.uri, params.range).map((fix): CodeAction => {
      if (fix.kind === 'adopt-live') {
        return {
          title: fix.title,
          kind: CodeActionKind.QuickFix,
          diagnostics: drift,
          isPreferred: true,
          edit: { changes: { [params.textDocument.uri]: [{ range: fix.edit.range, newText: fix.edit.newText }] } },
        };
      }
      return {
        title: fix.title,
        kind: CodeActionKind.QuickFix,
        diagnostics: drift,
        command: { title: fix.title, command: ADD_IGNORE_DIFFERENCE_COMMAND, arguments: [{ entry: fix.entry, uri: params.textDocument.uri } satisfies AddIgnoreDifferenceArgs] },
      };
    });
  });

  ctx.connection.onNotification(lspNotification(ActiveDocumentNotification), (params) => status.setActive(params.uri));

  return () => folders.dispose();
}
