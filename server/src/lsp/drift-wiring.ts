/**
 * Plugs the drift service (server/src/drift) into the server: settled
 * document texts in; drift diagnostics (their own source), hovers, quick
 * fixes and the connection status out. The service and the cluster code are
 * loaded only once the folder is trusted and a file is open, so an untrusted
 * workspace never loads, let alone runs, any cluster code, and a server on an
 * older Node still validates.
 */
import { basename, join } from 'node:path';
import { CodeActionKind, type CodeAction } from 'vscode-languageserver/node';
import type { ClusterSchemaInfo, ContextStatus, DriftService } from '../drift/drift-service.js';
import { ClusterSchemaCache, defaultClusterSchemaCacheDir } from '../schemas/cluster-schema-cache.js';
import { findingToDiagnostic } from './finding-conversion.js';
import {
  ActiveDocumentNotification,
  ADD_IGNORE_DIFFERENCE_COMMAND,
  type AddIgnoreDifferenceArgs,
  DRIFT_SOURCE,
  type BindingInfo,
  type ConnectionStatusParams,
  type SchemaSource,
} from './protocol.js';
import type { ServerContext } from './server-context.js';
import { uriToPath } from './uri-path.js';
// Kustomizations and Chart.yaml: drift indexes them to classify documents like validation does (kustomize patches, Helm charts).
import { isClassifyingFile } from './workspace-scanner.js';

/** Files drift indexes for binding discovery (Flux Kustomizations, Argo CD Applications). */
const AGENT_FILE = /kustomize\.toolkit\.fluxcd\.io|argoproj\.io/;

/**
 * The workspace folder (URI) a document belongs to: the innermost folder
 * that contains it; a file outside every folder goes with the first folder,
 * as it did when there was only one; '' when there is no folder at all.
 */
export function folderOfUri(uri: string, folders: readonly string[]): string {
  let best: string | undefined;
  for (const f of folders) if (isInFolder(uri, f) && (best === undefined || uriToPath(f).length > uriToPath(best).length)) best = f;
  return best ?? folders[0] ?? '';
}

/** True when the document `uri` lies in the workspace folder `folder` (both URIs; compared as paths). */
function isInFolder(uri: string, folder: string): boolean {
  const file = uriToPath(uri);
  const dir = uriToPath(folder).replace(/[\\/]+$/, '');
  return file === dir || file.startsWith(`${dir}/`) || file.startsWith(`${dir}\\`);
}

/** Wires drift into the server; returns a disposer for shutdown. */
export function installDrift(ctx: ServerContext): () => void {
  type Module = typeof import('../drift/drift-service.js');
  /**
   * One drift service per workspace folder (keyed by folder URI; '' when the
   * server has no folder): bindings, Flux/Argo CD paths and git are relative
   * to the folder's root, and each folder reads its own resource-scoped
   * settings. Created when the first file of the folder is followed,
   * disposed when the folder is removed.
   */
  const services = new Map<string, DriftService>();
  let loading: Promise<Module | undefined> | undefined;
  let disposed = false;
  let activeUri: string | null = null;
  /** Agent and kustomization files of folders whose service does not exist yet, by URI. */
  const pendingFiles = new Map<string, string>();
  /** The folder each followed document was given to, so that a folder change can move it. */
  const routed = new Map<string, string>();
  /** Which cluster schemas validation uses per context: fetched live, or loaded from the on-disk cache. */
  const schemaSources = new Map<string, SchemaSource>();
  // The editor's global storage folder when the client passed one; else the user cache folder (CLI, other editors).
  const schemaCache = new ClusterSchemaCache(ctx.storagePath ? join(ctx.storagePath, 'cluster-schemas') : defaultClusterSchemaCacheDir());
  const open = new Set<string>();
  /** Bumped by every status publication, so that a slow deploy status never replaces a newer one. */
  let statusGeneration = 0;
  let statusScheduled = false;
  /** The last deploy status shown, kept in the immediate publication until the new one is computed (no flicker). */
  let lastDeploy: { uri: string; text: string } | undefined;

  const folderOf = (uri: string): string => folderOfUri(uri, ctx.workspaceFolders());
  const serviceOf = (uri: string): DriftService | undefined => services.get(routed.get(uri) ?? folderOf(uri));

  const loadModule = (): Promise<Module | undefined> =>
    (loading ??= import('../drift/drift-service.js').catch((err) => {
      ctx.log.error(`Drift is unavailable: the cluster code could not be loaded (${err instanceof Error ? err.message : String(err)}). It needs Node 22 or later.`);
      return undefined;
    }));

  /** The service of a folder, created on first use with the files the scan already reported for it. */
  const serviceFor = async (folder: string): Promise<DriftService | undefined> => {
    const existing = services.get(folder);
    if (existing) return existing;
    const mod = await loadModule();
    if (!mod || disposed) return undefined;
    // Another caller may have created it while the module loaded.
    const raced = services.get(folder);
    if (raced) return raced;
    const s = createService(mod, folder);
    services.set(folder, s);
    for (const [uri, text] of [...pendingFiles]) {
      if (folderOf(uri) !== folder) continue;
      s.updateWorkspaceFile(uri, text);
      pendingFiles.delete(uri);
    }
    return s;
  };

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
      ...(ctx.schemas
        ? {
            listMapKeys: (apiVersion: string, kind: string, p: Array<string | number>) => ctx.schemas!.listMapKeys(apiVersion, kind, p),
            onClusterSchemas: (context: string, docs: unknown[], info: ClusterSchemaInfo) => {
              ctx.schemas!.setClusterSchemas(`cluster:${context}`, docs, info.kubernetesVersion);
              const cachedAt = new Date().toISOString();
              schemaSources.set(context, { kind: 'cluster', context, ...(info.kubernetesVersion ? { kubernetesVersion: info.kubernetesVersion } : {}) });
              ctx.log.info(`Validation now uses the OpenAPI schemas of context ${context}.`);
              // Persisted so validation keeps this cluster's schemas when it is unreachable later.
              if (info.server) {
                try {
                  schemaCache.write(info.server, { context, kubernetesVersion: info.kubernetesVersion, cachedAt, documents: info.documents });
                } catch (err) {
                  ctx.log.warn(`Could not cache the schemas of context ${context} in ${schemaCache.dir}: ${err instanceof Error ? err.message : String(err)}`);
                }
              }
              ctx.validation.revalidateAll();
              scheduleStatus();
            },
          }
        : {}),
    });
    s.onFindings((uri, findings) => {
      // A file closed meanwhile, or moved to another folder's service, must not get drift diagnostics back from this one.
      const folder = routed.get(uri);
      if ((open.has(uri) && folder !== undefined && services.get(folder) === s) || findings.length === 0) ctx.diagnostics.set(uri, DRIFT_SOURCE, findings.map(findingToDiagnostic));
    });
    s.onConnectionState((status) => {
      loadCachedSchemas(status);
      scheduleStatus();
    });
    // The agent object binding the active file changed in the cluster (watch): "deployed?" is recomputed, no polling.
    s.onDeployStatusChange((uri) => {
      if (uri === activeUri) scheduleStatus();
    });
    return s;
  }

  const follow = (uri: string, text: string) => {
    open.add(uri);
    if (!services.size && !ctx.cluster.isTrusted) return;
    const folder = folderOf(uri);
    const before = routed.get(uri);
    routed.set(uri, folder);
    if (before !== undefined && before !== folder) services.get(before)?.closeDocument(uri);
    void serviceFor(folder)
      .then((s) => (routed.get(uri) === folder ? s?.setDocuments(uri, text) : undefined))
      .catch((err) => ctx.log.warn(`Drift of ${uri} failed: ${String(err)}`));
  };

  ctx.validation.onDocumentSettled(follow);
  ctx.documents.onDidClose((e) => {
    const uri = e.document.uri;
    open.delete(uri);
    serviceOf(uri)?.closeDocument(uri);
    routed.delete(uri);
    ctx.diagnostics.set(uri, DRIFT_SOURCE, []);
  });
  ctx.workspace.onWorkspaceFile((uri, text) => {
    const relevant = text !== undefined && (AGENT_FILE.test(text) || isClassifyingFile(uri));
    const s = services.get(folderOf(uri));
    if (s) s.updateWorkspaceFile(uri, relevant ? text : undefined);
    else if (relevant) pendingFiles.set(uri, text);
    else pendingFiles.delete(uri);
  });
  ctx.onWorkspaceFoldersChanged(({ removed }) => {
    for (const folder of removed) {
      services.get(folder)?.dispose();
      services.delete(folder);
    }
    // Files of a removed folder are no longer the workspace's (a re-added folder is scanned again).
    for (const uri of [...pendingFiles.keys()]) if (removed.some((f) => isInFolder(uri, f))) pendingFiles.delete(uri);
    // Open files now belonging to another folder (added, or the fallback after a removal) move to its service.
    for (const uri of open) {
      const now = folderOf(uri);
      const was = routed.get(uri);
      if (was === undefined || was === now) continue;
      ctx.diagnostics.set(uri, DRIFT_SOURCE, []);
      const d = ctx.documents.get(uri);
      if (d) follow(uri, d.getText());
    }
    scheduleStatus();
  });
  ctx.cluster.onTrustChanged((trusted) => {
    if (services.size) for (const s of services.values()) void s.setTrusted(trusted);
    else if (trusted) for (const uri of open) { const d = ctx.documents.get(uri); if (d) follow(uri, d.getText()); }
    if (!trusted) ctx.diagnostics.clearSource(DRIFT_SOURCE);
  });
  ctx.cluster.onContextSelected(() => {
    for (const s of services.values()) void s.refresh();
  });
  ctx.settings.onDidChange(() => {
    for (const s of services.values()) void s.refresh();
  });

  ctx.hover.add(({ uri, document, position }) => serviceOf(uri)?.hover(uri, document.getText(), position));
  ctx.codeActions.add((params) => {
    const service = serviceOf(params.textDocument.uri);
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

  ctx.connection.onNotification(ActiveDocumentNotification, (params) => {
    activeUri = params.uri;
    void publishStatus();
  });

  /** Coalesces bursts (a watch relist, several folders connecting) into one status publication. */
  function scheduleStatus(): void {
    if (statusScheduled) return;
    statusScheduled = true;
    setImmediate(() => {
      statusScheduled = false;
      void publishStatus();
    });
  }

  /**
   * Until a context's schemas have been fetched live (unreachable, unauthorized,
   * still connecting), validation uses the copy cached on disk by an earlier
   * connection to the same context and server, if any. Trusted folders only:
   * the drift service, which reports these states, runs only there.
   */
  function loadCachedSchemas(status: ContextStatus): void {
    if (!ctx.schemas || !ctx.cluster.isTrusted || !status.context || !status.server || schemaSources.has(status.context)) return;
    const entry = schemaCache.read(status.context, status.server);
    if (!entry) return;
    const docs = Object.values(entry.documents);
    if (!docs.length) return;
    ctx.schemas.setClusterSchemas(`cluster:${status.context}`, docs, entry.kubernetesVersion);
    schemaSources.set(status.context, {
      kind: 'cluster-cache',
      context: status.context,
      cachedAt: entry.cachedAt,
      ...(entry.kubernetesVersion ? { kubernetesVersion: entry.kubernetesVersion } : {}),
    });
    ctx.log.info(`Validation uses the cached OpenAPI schemas of context ${status.context} (fetched ${entry.cachedAt}) until the cluster is reachable.`);
    ctx.validation.revalidateAll();
  }

  /** Sends the status of the active file's binding; the gate replaces it while untrusted. */
  async function publishStatus(): Promise<void> {
    if (!ctx.cluster.isTrusted) return;
    const generation = ++statusGeneration;
    const uri = activeUri && open.has(activeUri) ? activeUri : undefined;
    // The active file's folder; without an active file, the first folder with a service.
    const s = uri ? serviceOf(uri) : (services.get(ctx.workspaceFolders()[0] ?? '') ?? services.values().next().value);
    if (!s) {
      ctx.cluster.publish(ctx.cluster.status);
      return;
    }
    try {
      const status = s.connectionState(uri);
      const params: ConnectionStatusParams = {
        state: status.state,
        schemaSource: schemaSources.get(status.context) ?? { kind: 'bundled' },
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
        const shown = binding.agent && lastDeploy?.uri === uri ? lastDeploy.text : undefined;
        ctx.cluster.publish(shown ? { ...params, binding: { ...info, deployStatus: shown } } : params);
        if (binding.agent && status.state.kind === 'connected') {
          const deploy = await s.deployStatus(uri);
          if (deploy && activeUri === uri && generation === statusGeneration) {
            lastDeploy = { uri, text: deploy.text };
            ctx.cluster.publish({ ...params, binding: { ...info, deployStatus: deploy.text } });
          }
        }
        return;
      }
      ctx.cluster.publish(params);
    } catch (err) {
      ctx.log.warn(`Could not compute the cluster status${activeUri ? ` of ${basename(activeUri)}` : ''}: ${String(err)}`);
    }
  }

  return () => {
    disposed = true;
    for (const s of services.values()) s.dispose();
    services.clear();
  };
}
