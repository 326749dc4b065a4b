/**
 * GitOps Lens' VS Code entry point: wiring only. It creates the output
 * channel, the language client, the status bar, the plan view and the
 * commands, and connects them; behaviour lives in the files next to it.
 */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import {
  ActiveDocumentNotification,
  ApproveCredentialsRequest,
  ConnectionStatusNotification,
  PREVIEW_SCHEME,
} from '../../server/src/protocol/protocol.js';
import { followActiveEditor } from './active-document.js';
import { registerCommands } from './commands.js';
import { approveCredentials } from './credential-approval.js';
import { createLanguageClient } from './language-client.js';
import { PlanDocumentProvider } from './plan-documents.js';
import { PlanTreeProvider } from './plan-view.js';
import { ClusterStatusBar } from './status-bar.js';
import { DependencyTreeProvider, OPEN_DEPENDENCY_COMMAND, openDependency, REFRESH_DEPENDENCIES_COMMAND } from './dependency-view.js';
import { registerShowReferences } from './show-references.js';
import { watchWorkspaceTrust } from './workspace-trust.js';
import { lspNotification, lspRequest } from './lsp-messages.js';

let client: LanguageClient | undefined;

/** What `activate` returns; the in-host tests use it to reach the running parts. */
export interface GitOpsLensApi {
  client: () => LanguageClient | undefined;
  statusBarText: () => string;
}

export async function activate(context: vscode.ExtensionContext): Promise<GitOpsLensApi> {
  const output = vscode.window.createOutputChannel('GitOps Lens', { log: true });
  const statusBar = new ClusterStatusBar(vscode.workspace.isTrusted);
  const planDocuments = new PlanDocumentProvider(() => client);
  const planTree = new PlanTreeProvider(planDocuments);
  const planView = vscode.window.createTreeView('gitopsLens.plan', { treeDataProvider: planTree, showCollapseAll: true });
  planTree.attach(planView);
  const dependencyTree = new DependencyTreeProvider(() => client, output);
  const dependencyView = vscode.window.createTreeView('gitopsLens.dependencies', { treeDataProvider: dependencyTree, showCollapseAll: true });
  dependencyTree.attach(dependencyView);
  context.subscriptions.push(
    output,
    statusBar,
    planDocuments,
    planTree,
    vscode.workspace.registerTextDocumentContentProvider(PREVIEW_SCHEME, planDocuments),
    planView,
    dependencyTree,
    dependencyView,
    registerShowReferences(),
    vscode.commands.registerCommand(REFRESH_DEPENDENCIES_COMMAND, () => dependencyTree.refresh(true)),
    vscode.commands.registerCommand(OPEN_DEPENDENCY_COMMAND, openDependency),
  );

  const start = async () => {
    const c = createLanguageClient(context, output);
    c.onNotification(lspNotification(ConnectionStatusNotification), (status) => statusBar.update(status));
    c.onRequest(lspRequest(ApproveCredentialsRequest), (params) => approveCredentials(context, output, params));
    client = c;
    try {
      await c.start();
      dependencyTree.follow(c);
      // The server answers with the status of this file's binding.
      void c.sendNotification(lspNotification(ActiveDocumentNotification), { uri: vscode.window.activeTextEditor?.document.uri.toString() ?? null });
    } catch (err) {
      output.error(`The GitOps Lens server failed to start: ${err instanceof Error ? err.message : String(err)}`);
      void vscode.window.showErrorMessage('The GitOps Lens server failed to start. See "GitOps: Show Output".');
    }
  };
  const restart = async () => {
    const old = client;
    client = undefined;
    if (old) await old.dispose().catch(() => undefined);
    await start();
  };

  context.subscriptions.push(
    ...registerCommands({ client: () => client, restartClient: restart, output, planTree, planDocuments }),
    watchWorkspaceTrust(() => client, output, (trusted) => statusBar.setTrusted(trusted)),
    followActiveEditor(() => client),
    { dispose: () => void client?.stop() },
  );
  await start();
  return { client: () => client, statusBarText: () => statusBar.text };
}

export async function deactivate(): Promise<void> {
  const c = client;
  client = undefined;
  if (c) await c.stop();
}
