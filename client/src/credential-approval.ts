/**
 * Answers the server's `gitops/approveCredentials`: before a kubeconfig
 * `exec` or `auth-provider` command runs, the user approves it once per
 * kubeconfig file + context + command line. Approvals live in the
 * extension's global state (not in the workspace, which could be crafted).
 */
import * as vscode from 'vscode';
import {
  credentialApprovalKey,
  type ApproveCredentialsParams,
  type ApproveCredentialsResult,
} from '../../server/src/protocol/protocol.js';

const APPROVALS_KEY = 'gitopsLens.approvedCredentialCommands';

/** Asks (or remembers) whether a credential command may run. */
export async function approveCredentials(
  context: vscode.ExtensionContext,
  output: vscode.LogOutputChannel,
  params: ApproveCredentialsParams,
): Promise<ApproveCredentialsResult> {
  if (!vscode.workspace.isTrusted) return { approved: false };
  const key = credentialApprovalKey(params);
  const approvals = context.globalState.get<string[]>(APPROVALS_KEY, []);
  if (approvals.includes(key)) return { approved: true };
  const commandLine = [params.command, ...params.args].join(' ');
  const allow = 'Allow and Remember';
  // credential-files: command is the server, args the token/certificate files outside the usual folders.
  const files = params.kind === 'credential-files';
  const answer = await vscode.window.showWarningMessage(
    files
      ? `Allow GitOps Lens to send credential files to ${params.command} for context "${params.context}"?`
      : `Allow GitOps Lens to run a credential command for context "${params.context}"?`,
    {
      modal: true,
      detail: files
        ? `The kubeconfig ${params.kubeconfigPath} uses these files, outside ~/.kube and the kubeconfig's folder, ` +
          `as credentials for the remote server ${params.command}:\n\n${params.args.join('\n')}\n\n` +
          'Only allow it if you trust this kubeconfig. The answer is remembered for this kubeconfig, context, server and files.'
        : `The kubeconfig ${params.kubeconfigPath} says that user ${params.user ?? ''} gets credentials by running ` +
          `(${params.kind}):\n\n${commandLine}\n\nOnly allow it if you trust this kubeconfig. ` +
          'The answer is remembered for this kubeconfig, context and command.',
    },
    allow,
  );
  if (answer !== allow) {
    output.warn(`Credential command for context ${params.context} was not approved; the cluster stays disconnected.`);
    return { approved: false };
  }
  await context.globalState.update(APPROVALS_KEY, [...approvals, key]);
  output.info(`Credential command for context ${params.context} approved: ${params.command}`);
  return { approved: true };
}
