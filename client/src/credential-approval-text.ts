/**
 * The words of the credential approval dialog, kept apart from the `vscode` glue so tests can
 * check them: who (the kubeconfig user), what runs (program, arguments, and the environment
 * it gets: `LD_PRELOAD` or `PATH` there change what the program does, so the user must see
 * them; values of secret-looking names arrive masked from the server), or, for credential
 * files, which files go to which server.
 */
import type { ApproveCredentialsParams } from '../../server/src/protocol/protocol.js';

/** The dialog's message and detail for an approval request. */
export function approvalPrompt(params: ApproveCredentialsParams): { message: string; detail: string } {
  if (params.kind === 'credential-files') {
    // credential-files: command is the server, args the token/certificate files outside the usual folders.
    return {
      message: `Allow GitOps Lens to send credential files to ${params.command} for context "${params.context}"?`,
      detail:
        `The kubeconfig ${params.kubeconfigPath} uses these files, outside ~/.kube and the kubeconfig's folder, ` +
        `as credentials for the remote server ${params.command}:\n\n${params.args.join('\n')}\n\n` +
        'Only allow it if you trust this kubeconfig. The answer is remembered for this kubeconfig, context, server and files.',
    };
  }
  const who = params.user ? `user "${params.user}"` : `the user of context "${params.context}"`;
  const commandLine = [params.command, ...params.args].join(' ');
  const env = params.env?.length
    ? `\n\nwith this environment:\n${params.env.map((e) => `${e.name}=${e.value}`).join('\n')}`
    : '';
  return {
    message: `Allow GitOps Lens to run a credential command for context "${params.context}"?`,
    detail:
      `The kubeconfig ${params.kubeconfigPath} says that ${who} gets credentials by running ` +
      `(${params.kind}):\n\n${commandLine}${env}\n\nOnly allow it if you trust this kubeconfig. ` +
      `The answer is remembered for this kubeconfig, context, command${env ? ' and environment' : ''}.`,
  };
}
