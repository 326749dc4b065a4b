/**
 * The GitOps Lens language server: wiring only. It creates the connection
 * (IPC when started by the VS Code client, `--stdio` for other editors and
 * the protocol tests), builds the handlers, and connects them to LSP
 * messages. Behaviour lives in the handler files next to this one.
 */
import {
  CodeActionKind,
  DidChangeConfigurationNotification,
  DidChangeWatchedFilesNotification,
  ProposedFeatures,
  TextDocumentSyncKind,
  TextDocuments,
  createConnection,
  type InitializeResult,
} from 'vscode-languageserver/node';
import { isAbsolute } from 'node:path';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { createDefaultEngine } from '../validation/validation-engine.js';
import { ClusterGate } from './cluster-gate.js';
import { CodeActionHandler } from './code-actions.js';
import { CompletionHandler } from './completion-handler.js';
import { listContexts, selectContext } from './context-handlers.js';
import { DiagnosticsScheduler, errorText } from './diagnostics-scheduler.js';
import { DiagnosticsStore } from './diagnostics-store.js';
import type { ValidationEnginePort } from './engine-port.js';
import { HoverHandler, validationHover } from './hover-handler.js';
import { PreviewHandlers } from './preview-handlers.js';
import {
  ListContextsRequest,
  PreviewDocumentRequest,
  PreviewSyncRequest,
  SelectContextRequest,
  StatsRequest,
  TrustChangedNotification,
  type GitOpsInitializationOptions,
} from '../protocol/protocol.js';
import type { SchemaRegistryPort, ServerContext, ServerLog } from './server-context.js';
import { installDrift } from './drift-wiring.js';
import { installPreview } from './preview-wiring.js';
import { installNavigation, NAVIGATION_CAPABILITIES } from './navigation-wiring.js';
import { SETTINGS_SECTION, SettingsService } from './settings-service.js';
import { WorkspaceScanner } from './workspace-scanner.js';
import { lspNotification, lspRequest, lspRequest0 } from './lsp-messages.js';

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);
const log: ServerLog = {
  info: (m) => connection.console.info(m),
  warn: (m) => connection.console.warn(m),
  error: (m) => connection.console.error(m),
};

// A bug in one handler must not take validation down for every file.
process.on('uncaughtException', (err) => log.error(`Uncaught exception: ${errorText(err)}`));
process.on('unhandledRejection', (err) => log.error(`Unhandled rejection: ${errorText(err)}`));

let engine: ValidationEnginePort;
try {
  engine = createDefaultEngine();
} catch (err) {
  // Keep the server up: every document then gets one "validation failed" diagnostic that points at the log.
  const reason = errorText(err);
  connection.console.error(`The validation engine failed to start: ${reason}`);
  const fail = () => {
    throw new Error(`the validation engine failed to start: ${reason}`);
  };
  engine = { updateWorkspaceFile: () => undefined, validate: fail, hover: () => undefined, complete: () => [] };
}

let canPullConfiguration = false;
let canRegisterConfiguration = false;
let canRegisterWatchers = false;
let canWatchFolders = false;
let workspaceFolders: string[] = [];
const folderListeners: Array<(change: { added: string[]; removed: string[] }) => void> = [];
let trustedAtStart = false;

const settings = new SettingsService(connection, () => canPullConfiguration, log.warn);
const store = new DiagnosticsStore(
  (uri, diagnostics, version) => void connection.sendDiagnostics({ uri, diagnostics, ...(version !== undefined ? { version } : {}) }),
  (uri) => documents.get(uri)?.version,
);
const scanner = new WorkspaceScanner(
  engine,
  settings,
  (uri) => documents.get(uri) !== undefined,
  () => scheduler.revalidateAll(),
  log.info,
);
const scheduler = new DiagnosticsScheduler(
  engine,
  (uri) => documents.get(uri),
  store,
  settings,
  log.error,
  (uri, text) => scanner.documentChanged(uri, text),
);
const hover = new HoverHandler((uri) => documents.get(uri), settings, log.warn);
hover.add(validationHover(engine));
const completion = new CompletionHandler(engine, (uri) => documents.get(uri), settings, log.warn);
const codeActions = new CodeActionHandler((uri) => documents.get(uri), log.warn);
let gate: ClusterGate;
let preview: PreviewHandlers;
let disposeDrift: (() => void) | undefined;
let disposeNavigation: (() => void) | undefined;

connection.onInitialize((params): InitializeResult => {
  const caps = params.capabilities;
  canPullConfiguration = caps.workspace?.configuration === true;
  canRegisterConfiguration = caps.workspace?.didChangeConfiguration?.dynamicRegistration === true;
  canRegisterWatchers = caps.workspace?.didChangeWatchedFiles?.dynamicRegistration === true;
  canWatchFolders = caps.workspace?.workspaceFolders === true;
  workspaceFolders = params.workspaceFolders?.map((f) => f.uri) ?? (params.rootUri ? [params.rootUri] : []);
  const options = params.initializationOptions as Partial<GitOpsInitializationOptions> | undefined;
  trustedAtStart = options?.trusted === true;
  gate = new ClusterGate(connection, trustedAtStart, log.info);
  preview = new PreviewHandlers(gate);
  const context: ServerContext = {
    connection,
    documents,
    diagnostics: store,
    validation: scheduler,
    cluster: gate,
    settings,
    hover,
    codeActions,
    preview,
    log,
    workspace: scanner,
    workspaceFolders: () => workspaceFolders,
    onWorkspaceFoldersChanged: (listener) => void folderListeners.push(listener),
    ...(schemaRegistryOf(engine) ? { schemas: schemaRegistryOf(engine)! } : {}),
    ...(typeof options?.globalStoragePath === 'string' && isAbsolute(options.globalStoragePath) ? { storagePath: options.globalStoragePath } : {}),
  };
  installFeatures(context);
  disposeNavigation = installNavigation(context, {
    renameAnnotations: caps.workspace?.workspaceEdit?.changeAnnotationSupport !== undefined && caps.workspace?.workspaceEdit?.documentChanges === true,
    codeLensRefresh: caps.workspace?.codeLens?.refreshSupport === true,
  });
  return {
    capabilities: {
      textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
      hoverProvider: true,
      completionProvider: { resolveProvider: false },
      codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
      workspace: { workspaceFolders: { supported: true, changeNotifications: true } },
      ...NAVIGATION_CAPABILITIES,
    },
    serverInfo: { name: 'gitops-lens', version: process.env.GITOPS_LENS_VERSION ?? '0.1.0' },
  };
});

connection.onInitialized(() => {
  if (canRegisterConfiguration) {
    void connection.client.register(DidChangeConfigurationNotification.type, { section: SETTINGS_SECTION });
  }
  if (canRegisterWatchers) {
    void connection.client.register(DidChangeWatchedFilesNotification.type, {
      watchers: [{ globPattern: '**/*.{yaml,yml}' }, { globPattern: '**/Kustomization' }],
    });
  }
  // vscode-languageserver throws here when the client did not announce workspace-folder support.
  if (canWatchFolders) {
    connection.workspace.onDidChangeWorkspaceFolders((event) => {
      workspaceFolders = [...workspaceFolders.filter((f) => !event.removed.some((r) => r.uri === f)), ...event.added.map((f) => f.uri)];
      for (const l of folderListeners) l({ added: event.added.map((f) => f.uri), removed: event.removed.map((f) => f.uri) });
      void scanner.scan(event.added.map((f) => f.uri));
    });
  }
  gate.publish(gate.status);
  log.info(`GitOps Lens server started (workspace ${trustedAtStart ? 'trusted' : 'not trusted'}).`);
  void scanner.scan(workspaceFolders).catch((err) => log.error(`Workspace scan failed: ${errorText(err)}`));
});

connection.onDidChangeConfiguration(() => settings.invalidate());
settings.onDidChange(() => scheduler.revalidateAll());
connection.onDidChangeWatchedFiles((params) => void scanner.filesChanged(params.changes));

const opening = new Set<string>();
documents.onDidOpen((e) => opening.add(e.document.uri));
documents.onDidChangeContent((e) => {
  const uri = e.document.uri;
  // A newly opened file is validated at once; edits wait for the debounce.
  scheduler.schedule(uri, opening.delete(uri) ? 0 : undefined);
});
documents.onDidClose((e) => {
  opening.delete(e.document.uri);
  scheduler.close(e.document.uri);
  settings.forget(e.document.uri);
  void scanner.documentClosed(e.document.uri);
});

connection.onHover((params, token) => hover.handle(params, token));
connection.onCompletion((params, token) => completion.handle(params, token));
connection.onCodeAction((params, token) => codeActions.handle(params, token));

connection.onNotification(lspNotification(TrustChangedNotification), (params) => gate.setTrusted(params.trusted === true));
connection.onRequest(lspRequest0(ListContextsRequest), () => listContexts(gate, settings));
connection.onRequest(lspRequest(SelectContextRequest), (params) => selectContext(gate, params));
connection.onRequest(lspRequest(PreviewSyncRequest), (params, token) => preview.previewSync(params, token));
connection.onRequest(lspRequest(PreviewDocumentRequest), (params, token) => preview.previewDocument(params, token));
connection.onRequest(lspRequest0(StatsRequest), () => ({ documents: scheduler.stats(), workspaceFiles: scanner.fileCount }));

connection.onShutdown(() => {
  scanner.dispose();
  disposeDrift?.();
  disposeNavigation?.();
});

documents.listen(connection);
connection.listen();

/** Installs the cluster-aware features on the server; each gets the same context. */
function installFeatures(context: ServerContext): void {
  installPreview(context);
  disposeDrift = installDrift(context);
}

/** The engine's schema registry, when it has one with the methods features need. */
function schemaRegistryOf(e: ValidationEnginePort): SchemaRegistryPort | undefined {
  const registry = (e as { registry?: Partial<SchemaRegistryPort> }).registry;
  return registry && typeof registry.listMapKeys === 'function' && typeof registry.setClusterSchemas === 'function'
    ? (registry as SchemaRegistryPort)
    : undefined;
}
