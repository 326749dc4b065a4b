/**
 * Consent for credential files in unusual places. A kubeconfig can name any
 * file as its `tokenFile`, `client-certificate`, `client-key` or
 * `certificate-authority`; a crafted kubeconfig could point `tokenFile` at
 * some other secret on the machine (a cloud credential, an SSH key) and its
 * server at a host it controls, and every request would then carry that
 * file's content as a bearer token. So when such a path lies outside the
 * places credentials normally live and the server is not on this machine,
 * the user must approve the combination first, through the same approval
 * callback as exec plugins (kind `credential-files`); nothing is sent
 * before that, and nothing at all in an untrusted workspace.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { ExecCredentialError, type ApproveExec } from './exec-credential.js';

/** The parts of a resolved context this check needs. */
export interface CredentialFileRefs {
  context: string;
  kubeconfigPath: string;
  server: string;
  tokenFile?: string;
  caFile?: string;
  certFile?: string;
  keyFile?: string;
}

/** Folders where kubeconfig credentials normally live (besides the kubeconfig's own folder). */
export function usualCredentialFolders(home = os.homedir()): string[] {
  return [
    path.join(home, '.kube'),
    path.join(home, '.minikube'),
    '/etc/kubernetes',
    '/etc/rancher',
    '/var/run/secrets/kubernetes.io',
    '/run/secrets/kubernetes.io',
  ];
}

function inside(file: string, folder: string): boolean {
  const rel = path.relative(path.resolve(folder), path.resolve(file));
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** The credential files of a context that lie outside the kubeconfig's folder and the usual folders. */
export function unusualCredentialFiles(refs: CredentialFileRefs, home = os.homedir()): string[] {
  const folders = [path.dirname(refs.kubeconfigPath), ...usualCredentialFolders(home)];
  const files = [refs.tokenFile, refs.certFile, refs.keyFile, refs.caFile].filter((f): f is string => !!f);
  return [...new Set(files.filter((f) => !folders.some((d) => inside(f, d))))];
}

/** True when the server is on this machine (loopback address or localhost). */
export function isLocalServer(server: string): boolean {
  let host: string;
  try {
    host = new URL(server).hostname.replace(/^\[|\]$/g, '').toLowerCase();
  } catch {
    return false;
  }
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * Resolves when the context's credential files may be used; throws an
 * {@link ExecCredentialError} (`Untrusted` or `NotApproved`) otherwise.
 */
export async function consentToCredentialFiles(refs: CredentialFileRefs, creds: { trusted: boolean; approve: ApproveExec }, home = os.homedir()): Promise<void> {
  if (isLocalServer(refs.server)) return;
  const unusual = unusualCredentialFiles(refs, home);
  if (!unusual.length) return;
  const what = `Context "${refs.context}" sends credentials from ${unusual.join(', ')} to ${refs.server}`;
  if (!creds.trusted) throw new ExecCredentialError('Untrusted', `${what}; that is never done in an untrusted workspace.`);
  let ok = false;
  try {
    ok = await creds.approve({ kubeconfigPath: refs.kubeconfigPath, context: refs.context, command: refs.server, args: unusual, kind: 'credential-files' });
  } catch {
    ok = false;
  }
  if (!ok) throw new ExecCredentialError('NotApproved', `${what}, outside the usual credential folders; it was not approved. Approve it to connect, or move the files next to the kubeconfig.`);
}
