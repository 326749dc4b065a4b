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
import type { ContextStatus, DriftService } from '../drift/drift-service.js';
import { ClusterSchemaCache, defaultClusterSchemaCacheDir } from '../schemas/cluster-schema-cache.js';
import { findingToDiagnostic } from './finding-conversion.js';
import {
  ActiveDocumentNotification,
  ADD_IGNORE_DIFFERENCE_COMMAND,
  DRIFT_SOURCE,
  type BindingInfo,
  type ConnectionStatusParams,
  type SchemaSource,
} from './protocol.js';
import type { ServerContext } from './server-context.js';
import { uriToPath } from './uri-path.js';

/** Files drift indexes for binding discovery (Flux Kustomizations, Argo CD Applications). */
const AGENT_FILE = /kustomize\.toolkit\.fluxcd\.io|argoproj\.io/;
/** Files drift indexes to classify documents like validation does (kustomize patches, Helm charts). */
const CLASSIFYING_FILE = /(^|[\\/])(kustomization\.ya?ml|Kustomization|Chart\.ya?ml)$/;

/** Wires drift into the server; returns a disposer for shutdown. */
export function installDrift(ctx: ServerContext): () => void {
  let service: DriftService | undefined;
  let loading: Promise<DriftService | undefined> | undefined;
  let activeUri: string | null = null;
  const agentFiles = new Map<string, string | undefined>();
  /** Which cluster schemas validation uses per context: fetched live, or loaded from the on-disk cache. */
  const schemaSources = new Map<string, SchemaSource>();
  // The editor's global storage folder when the client passed one; else the user cache folder (CLI, other editors).
  const schemaCache = new ClusterSchemaCache(ctx.storagePath ? join(ctx.storagePath, 'cluster-schemas') : defaultClusterSchemaCacheDir());
  const open = new Set<string>();

  const load = (): Promise<DriftService | undefined> =>
    (loading ??= (async () => {
      try {
        const { DriftService: Service } = await import('../drift/drift-service.js');
        const folders = ctx.workspaceFolders();
        const s = new Service({
          workspaceRoot: folders[0] ? uriToPath(folders[0]) : process.cwd(),
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
                onClusterSchemas: (context: string, docs: unknown[], info?: { server?: string; kubernetesVersion?: string; documents: Record<string, unknown> }) => {
                  ctx.schemas!.setClusterSchemas(`cluster:${context}`, docs);
                  const cachedAt = new Date().toISOString();
                  schemaSources.set(context, { kind: 'cluster', context, ...(info?.kubernetesVersion ? { kubernetesVersion: info.kubernetesVersion } : {}) });
                  ctx.log.info(`Validation now uses the OpenAPI schemas of context ${context}.`);
                  // Persisted so validation keeps this cluster's schemas when it is unreachable later.
                  if (info?.server) {
                    try {
                      schemaCache.write(info.server, { context, kubernetesVersion: info.kubernetesVersion, cachedAt, documents: info.documents });
                    } catch (err) {
                      ctx.log.warn(`Could not cache the schemas of context ${context} in ${schemaCache.dir}: ${err instanceof Error ? err.message : String(err)}`);
                    }
                  }
                  ctx.validation.revalidateAll();
                  void publishStatus();
                },
              }
            : {}),
        });
        for (const [uri, text] of agentFiles) s.updateWorkspaceFile(uri, text);
        agentFiles.clear();
        s.onFindings((uri, findings) => {
          // A file closed meanwhile must not get drift diagnostics back.
          if (open.has(uri) || findings.length === 0) ctx.diagnostics.set(uri, DRIFT_SOURCE, findings.map(findingToDiagnostic));
        });
        s.onConnectionState((status) => {
          loadCachedSchemas(status);
          void publishStatus();
        });
        service = s;
        return s;
      } catch (err) {
        ctx.log.error(`Drift is unavailable: the cluster code could not be loaded (${err instanceof Error ? err.message : String(err)}). It needs Node 22 or later.`);
        return undefined;
      }
    })());

  const follow = (uri: string, text: string) => {
    open.add(uri);
    if (!service && !ctx.cluster.isTrusted) return;
    void load().then((s) => s?.setDocuments(uri, text)).catch((err) => ctx.log.warn(`Drift of ${uri} failed: ${String(err)}`));
  };

  ctx.validation.onDocumentSettled(follow);
  ctx.documents.onDidClose((e) => {
    open.delete(e.document.uri);
    service?.closeDocument(e.document.uri);
    ctx.diagnostics.set(e.document.uri, DRIFT_SOURCE, []);
  });
  ctx.workspace.onWorkspaceFile((uri, text) => {
    const relevant = text !== undefined && (AGENT_FILE.test(text) || CLASSIFYING_FILE.test(uri));
    if (service) service.updateWorkspaceFile(uri, relevant ? text : undefined);
    else if (relevant) agentFiles.set(uri, text);
    else agentFiles.delete(uri);
  });
  ctx.cluster.onTrustChanged((trusted) => {
    if (service) void service.setTrusted(trusted);
    else if (trusted) for (const uri of open) { const d = ctx.documents.get(uri); if (d) follow(uri, d.getText()); }
    if (!trusted) ctx.diagnostics.clearSource(DRIFT_SOURCE);
  });
  ctx.cluster.onContextSelected(() => void service?.refresh());
  ctx.settings.onDidChange(() => void service?.refresh());

  ctx.hover.add(({ uri, document, position }) => service?.hover(uri, document.getText(), position));
  ctx.codeActions.add((params) => {
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
        command: { title: fix.title, command: ADD_IGNORE_DIFFERENCE_COMMAND, arguments: [{ entry: fix.entry }] },
      };
    });
  });

  ctx.connection.onNotification(ActiveDocumentNotification, (params) => {
    activeUri = params.uri;
    void publishStatus();
  });

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
    ctx.schemas.setClusterSchemas(`cluster:${status.context}`, docs);
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
    const s = service;
    if (!s) {
      ctx.cluster.publish(ctx.cluster.status);
      return;
    }
    try {
      const uri = activeUri && open.has(activeUri) ? activeUri : undefined;
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
        ctx.cluster.publish(params);
        if (binding.agent && status.state.kind === 'connected') {
          const deploy = await s.deployStatus(uri);
          if (deploy && activeUri === uri) ctx.cluster.publish({ ...params, binding: { ...info, deployStatus: deploy.text } });
        }
        return;
      }
      ctx.cluster.publish(params);
    } catch (err) {
      ctx.log.warn(`Could not compute the cluster status${activeUri ? ` of ${basename(activeUri)}` : ''}: ${String(err)}`);
    }
  }

  return () => service?.dispose();
}
