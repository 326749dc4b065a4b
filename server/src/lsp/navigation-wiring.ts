/**
 * Plugs the repository graph (server/src/graph) into the server: one
 * reference index per workspace folder, fed by the workspace scan, the file
 * watcher and open documents; the navigation requests (definition, document
 * links, references, CodeLens, symbols, rename); the broken-reference
 * diagnostics; and `gitops/dependencyGraph` with its change notification.
 * Wiring only: each request is answered by its handler file.
 */
import { CodeLensRefreshRequest, type ServerCapabilities } from 'vscode-languageserver/node';
import { codeLenses, references } from './references-handler.js';
import { definition, documentLinks } from './definition-handler.js';
import { dependencyGraphOf } from './dependency-graph-handler.js';
import { DependencyGraphChangedNotification, DependencyGraphRequest, ReferenceStatsRequest } from '../protocol/protocol.js';
import { ReferenceCluster } from './reference-cluster.js';
import { ReferenceDiagnostics } from './reference-diagnostics.js';
import { ReferenceIndexes } from './reference-indexes.js';
import { prepareRename, rename } from './rename-handler.js';
import type { ServerContext } from './server-context.js';
import { documentSymbols, symbols } from './symbol-handlers.js';
import { lspNotification, lspRequest, lspRequest0 } from './lsp-messages.js';

/** The capabilities these features add to `initialize`'s answer. */
export const NAVIGATION_CAPABILITIES: ServerCapabilities = {
  definitionProvider: true,
  referencesProvider: true,
  documentLinkProvider: { resolveProvider: false },
  codeLensProvider: { resolveProvider: false },
  documentSymbolProvider: { label: 'GitOps Lens' },
  workspaceSymbolProvider: true,
  renameProvider: { prepareProvider: true },
};

/** Installs the navigation features; returns a disposer for shutdown. */
export function installNavigation(ctx: ServerContext, clientCapabilities: { renameAnnotations: boolean; codeLensRefresh: boolean }): () => void {
  const { connection, documents } = ctx;
  const indexes = new ReferenceIndexes(ctx.workspaceFolders);
  const cluster = new ReferenceCluster(ctx);
  const diagnostics = new ReferenceDiagnostics(ctx, indexes, cluster);
  // A request failure is logged and answered empty: navigation must never take the server down.
  const safe = <P, R>(name: string, fallback: R, fn: (p: P) => R | Promise<R>) => async (p: P): Promise<R> => {
    try {
      return await fn(p);
    } catch (err) {
      if (err && typeof err === 'object' && 'code' in err && typeof (err as { code: unknown }).code === 'number') throw err;
      ctx.log.error(`${name} failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
      return fallback;
    }
  };

  ctx.workspace.onWorkspaceFile((uri, text) => indexes.fileRead(uri, text));
  ctx.workspace.onScanDone((folders) => indexes.scanDone(folders));
  documents.onDidOpen((e) => indexes.documentChanged(e.document.uri, () => documents.get(e.document.uri)?.getText()));
  documents.onDidChangeContent((e) => indexes.documentChanged(e.document.uri, () => documents.get(e.document.uri)?.getText()));
  ctx.onWorkspaceFoldersChanged(({ removed }) => {
    for (const f of removed) {
      diagnostics.clearFolder(f);
      indexes.removeFolder(f);
    }
  });
  indexes.onChange((folder) => diagnostics.schedule(folder));
  ctx.settings.onDidChange(() => diagnostics.scheduleAll());
  ctx.cluster.onTrustChanged(() => diagnostics.scheduleAll());
  ctx.cluster.onContextSelected(() => diagnostics.scheduleAll());
  // The view and the lenses follow the graph: after each run (which follows every change), tell the client.
  let lastGraph = '';
  diagnostics.onRun(() => {
    const shape = indexes.all().map(({ index }) => index.files.generation).join(',');
    if (shape === lastGraph) return;
    lastGraph = shape;
    void connection.sendNotification(lspNotification(DependencyGraphChangedNotification), {});
    if (clientCapabilities.codeLensRefresh) void connection.sendRequest(CodeLensRefreshRequest.type).catch(() => undefined);
  });

  connection.onDefinition(safe('Go to definition', [], (p) => definition(indexes, p)));
  connection.onDocumentLinks(safe('Document links', [], (p) => documentLinks(indexes, p)));
  connection.onReferences(safe('Find references', [], (p) => references(indexes, p)));
  connection.onCodeLens(safe('CodeLens', [], (p) => codeLenses(indexes, p)));
  connection.onDocumentSymbol(safe('Document symbols', [], (p) => documentSymbols(indexes, p)));
  connection.onWorkspaceSymbol(safe('Workspace symbols', [], (p) => symbols(indexes, p)));
  connection.onPrepareRename(safe('Prepare rename', null, (p) => prepareRename(indexes, p)));
  connection.onRenameRequest(safe('Rename', null, (p) => rename(indexes, p, (uri) => documents.get(uri)?.version ?? null, clientCapabilities.renameAnnotations)));
  connection.onRequest(lspRequest(DependencyGraphRequest), safe('Dependency graph', { nodes: [], cycles: [] }, (p) => {
    if (p?.live && p.refresh) cluster.forgetAnswers();
    return dependencyGraphOf(indexes, cluster, p ?? {}, ctx.cluster.isTrusted);
  }));

  connection.onRequest(lspRequest0(ReferenceStatsRequest), () => ({
    folders: indexes.all().map(({ folder, index }) => {
      // Before the first scan is done the graph is not built for a counter (it would be rebuilt per file read).
      const graph = indexes.isReady(folder) ? index.graph() : { units: [] };
      const counters = diagnostics.counters.get(folder);
      return {
        folder,
        ready: indexes.isReady(folder),
        files: index.files.files.size,
        units: graph.units.length,
        objects: graph.units.reduce((n, u) => n + u.objects.length, 0),
        runs: counters?.runs ?? 0,
        ...(counters ? { lastRunMs: counters.lastRunMs, lastRunCpuMs: counters.lastRunCpuMs } : {}),
      };
    }),
  }));

  return () => {
    diagnostics.dispose();
    cluster.dispose();
  };
}
