/**
 * Answers the server's `gitops/approveCredentials`: before a kubeconfig
 * `exec` or `auth-provider` command runs, the user approves it once per
 * kubeconfig file + context + command line + environment. Approvals live in the
 * extension's global state (not in the workspace, which could be crafted).
 */
import * as vscode from 'vscode';
import {
  credentialApprovalKey,
  type ApproveCredentialsParams,
  type ApproveCredentialsResult,
} from '../../server/src/protocol/protocol.js';
import { approvalPrompt } from './credential-approval-text.js';

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
  const allow = 'Allow and Remember';
  const prompt = approvalPrompt(params);
  const answer = await vscode.window.showWarningMessage(prompt.message, { modal: true, detail: prompt.detail }, allow);
  if (answer !== allow) {
    output.warn(`Credential command for context ${params.context} was not approved; the cluster stays disconnected.`);
    return { approved: false };
  }
  await context.globalState.update(APPROVALS_KEY, [...approvals, key]);
  output.info(`Credential command for context ${params.context} approved: ${params.command}`);
  return { approved: true };
}
