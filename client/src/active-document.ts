/**
 * Tells the server which file is in the active editor, so the status bar
 * shows that file's binding (context, namespace, deploy status).
 */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { ActiveDocumentNotification } from '../../server/src/protocol/protocol.js';
import { lspNotification } from './lsp-messages.js';

/** Sends the active editor's URI now and on every change. */
export function followActiveEditor(client: () => LanguageClient | undefined): vscode.Disposable {
  const send = (editor: vscode.TextEditor | undefined) => {
    const c = client();
    if (!c?.isRunning()) return;
    void c.sendNotification(lspNotification(ActiveDocumentNotification), { uri: editor ? editor.document.uri.toString() : null });
  };
  send(vscode.window.activeTextEditor);
  return vscode.window.onDidChangeActiveTextEditor(send);
}
