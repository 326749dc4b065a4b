/**
 * What the language server offers to the feature code that plugs into it
 * (drift, preview, cluster schemas). server.ts builds one context and passes
 * it to each feature's installer, so features never reach into the wiring.
 */
import type { Connection, TextDocuments } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { ClusterGate } from './cluster-gate.js';
import type { CodeActionHandler } from './code-actions.js';
import type { DiagnosticsScheduler } from './diagnostics-scheduler.js';
import type { DiagnosticsStore } from './diagnostics-store.js';
import type { HoverHandler } from './hover-handler.js';
import type { PreviewHandlers } from './preview-handlers.js';
import type { SettingsService } from './settings-service.js';
import type { WorkspaceScanner } from './workspace-scanner.js';

/** Logging into the client's "GitOps Lens" output channel. */
export interface ServerLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** The extension points of the running server. */
export interface ServerContext {
  connection: Connection;
  documents: TextDocuments<TextDocument>;
  /** Publish diagnostics of your own source (e.g. `gitops-lens-drift`) per URI; they are merged with schema diagnostics. */
  diagnostics: DiagnosticsStore;
  /** Schema validation of open files; `revalidateAll()` after the schemas in use changed (e.g. cluster OpenAPI). */
  validation: DiagnosticsScheduler;
  /** Trust, selected context, connection status and credential approval. */
  cluster: ClusterGate;
  settings: SettingsService;
  /** Add hover contributors (e.g. live vs desired). */
  hover: HoverHandler;
  /** Add code action contributors (e.g. "Adopt live value"). */
  codeActions: CodeActionHandler;
  /** Register the preview engine. */
  preview: PreviewHandlers;
  log: ServerLog;
  /** Workspace files as the scan and the file watcher read them. */
  workspace: WorkspaceScanner;
  /** The current workspace folder URIs. */
  workspaceFolders: () => string[];
  /**
   * Subscribes to `workspace/didChangeWorkspaceFolders`, called after
   * {@link workspaceFolders} already returns the new list (e.g. one drift
   * service per folder is created or disposed here).
   */
  onWorkspaceFoldersChanged: (listener: (change: { added: string[]; removed: string[] }) => void) => void;
  /** The validation engine's schema registry, when it exposes one (for cluster schemas and list-map keys). */
  schemas?: SchemaRegistryPort;
  /** The client's storage folder for this extension (`initializationOptions.globalStoragePath`), e.g. for cached cluster schemas. */
  storagePath?: string;
}

/** What features use of the schema registry. */
export interface SchemaRegistryPort {
  listMapKeys(apiVersion: string, kind: string, pathInObject: (string | number)[]): string[] | undefined;
  /** `kubernetesVersion` (the server's gitVersion) becomes the target version unless gitopsLens.kubernetesVersion is set. */
  setClusterSchemas(sourceId: string, openapiV3Docs: unknown[], kubernetesVersion?: string): void;
}
