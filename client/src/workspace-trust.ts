/**
 * Tells the server when the workspace becomes trusted. The server starts
 * with the trust state from `initializationOptions` and treats anything but
 * an explicit `trusted: true` as untrusted; VS Code only ever grants trust
 * during a session, so one listener is enough.
 */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { TrustChangedNotification } from '../../server/src/protocol/protocol.js';
import { lspNotification } from './lsp-messages.js';

/** Forwards trust grants to the server and to `onChange` (the status bar). */
export function watchWorkspaceTrust(
  client: () => LanguageClient | undefined,
  output: vscode.LogOutputChannel,
  onChange: (trusted: boolean) => void,
): vscode.Disposable {
  return vscode.workspace.onDidGrantWorkspaceTrust(() => {
    output.info('Workspace trusted: enabling cluster features.');
    onChange(true);
    const c = client();
    // A client that is not running yet gets the trust state in its initializationOptions when it starts.
    if (c?.isRunning()) void c.sendNotification(lspNotification(TrustChangedNotification), { trusted: true });
  });
}
