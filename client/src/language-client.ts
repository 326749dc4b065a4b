/**
 * Creates the language client that starts the bundled server (dist/server.js)
 * over IPC. The configuration middleware is the client half of the trust
 * gate: in an untrusted workspace it never hands the server a
 * workspace-level kubeconfig, context or bindings value, even if VS Code's
 * own `restrictedConfigurations` handling were bypassed.
 */
import * as vscode from 'vscode';
import {
  LanguageClient,
  TransportKind,
  type ConfigurationParams,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';
import type { GitOpsInitializationOptions } from '../../server/src/protocol/protocol.js';

/** The client id; VS Code's `gitopsLens.trace.server` setting is derived from it. */
export const CLIENT_ID = 'gitopsLens';
/** Settings whose workspace values are ignored in Restricted Mode (also listed in package.json). */
export const RESTRICTED_KEYS = ['kubeconfig', 'context', 'bindings'] as const;

/** Builds (but does not start) the language client. */
export function createLanguageClient(context: vscode.ExtensionContext, output: vscode.LogOutputChannel): LanguageClient {
  const module = context.asAbsolutePath('dist/server.js');
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6029'] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'yaml' },
      { scheme: 'untitled', language: 'yaml' },
    ],
    outputChannel: output,
    // The global storage folder holds the on-disk cache of cluster schemas (offline validation).
    initializationOptions: (): GitOpsInitializationOptions => ({ trusted: vscode.workspace.isTrusted, globalStoragePath: context.globalStorageUri.fsPath }),
    middleware: {
      workspace: {
        configuration: async (params, token, next) => {
          const result = await next(params, token);
          return Array.isArray(result) ? restrictConfiguration(params, result) : result;
        },
      },
    },
  };
  return new LanguageClient(CLIENT_ID, 'GitOps Lens', serverOptions, clientOptions);
}

/**
 * In an untrusted workspace, replaces the restricted keys of every
 * `gitopsLens` section with their user-level (or default) value.
 */
export function restrictConfiguration(params: ConfigurationParams, result: unknown[]): unknown[] {
  if (vscode.workspace.isTrusted) return result;
  return result.map((value, i) => {
    const item = params.items[i];
    if (item?.section !== CLIENT_ID || value === null || typeof value !== 'object') return value;
    const scope = item.scopeUri ? vscode.Uri.parse(item.scopeUri) : undefined;
    const config = vscode.workspace.getConfiguration(CLIENT_ID, scope);
    const safe: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    for (const key of RESTRICTED_KEYS) {
      const inspected = config.inspect(key);
      safe[key] = inspected?.globalValue ?? inspected?.defaultValue;
    }
    return safe;
  });
}
