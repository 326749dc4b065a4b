/**
 * Runs kubeconfig credential commands (`exec` plugins and the legacy
 * `auth-provider` `cmd-path`), which is the only place GitOps Lens starts a
 * program named in a kubeconfig. A command runs only in a trusted workspace
 * and only after the injected approval callback said yes for that exact
 * kubeconfig file, context and command line; it runs without a shell, with a
 * timeout, and its output never reaches an error message unredacted.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isSecretLikeName, MASK, redact } from '../secrets/mask-secrets.js';
import { envDigest } from './approval-key.js';

/** What the user is asked to approve. The client remembers approvals in globalState keyed by {@link approvalKey}. */
export interface ExecApprovalRequest {
  kubeconfigPath: string;
  context: string;
  /** The program, exactly as it will be started (no shell). */
  command: string;
  args: string[];
  /**
   * `exec` plugin or legacy `auth-provider`; or `credential-files`: token or
   * certificate files outside the usual folders sent to a remote server
   * (then `command` is the server URL and `args` the files; see credential-files.ts).
   */
  kind: 'exec' | 'auth-provider' | 'credential-files';
  /** The kubeconfig user whose credentials these are, for the prompt. */
  user?: string;
  /**
   * The environment an `exec` plugin gets on top of ours, for the prompt: names and values,
   * values of secret-looking names (`*TOKEN*`, `*SECRET*`, `*PASSWORD*`, `*KEY*`, …) masked.
   */
  env?: Array<{ name: string; value: string }>;
  /** Digest of the exact environment (approval-key.ts); part of the approval key. */
  envDigest?: string;
}

/** Asks the user (or the CLI's --allow-exec flag) whether a command may run. */
export type ApproveExec = (request: ExecApprovalRequest) => Promise<boolean>;

export { approvalKey } from './approval-key.js';

/** An `exec` stanza of a kubeconfig user. */
export interface ExecConfig {
  apiVersion?: string;
  command: string;
  args?: string[];
  env?: Array<{ name: string; value: string }> | null;
  interactiveMode?: string;
  provideClusterInfo?: boolean;
}

/** A credential obtained from a command. */
export interface ExecCredentialResult {
  token?: string;
  clientCertificateData?: string;
  clientKeyData?: string;
  /** When the credential expires; undefined when the plugin didn't say. */
  expiresAt?: Date;
}

/** Raised when a credential command can't be used; message is safe to show. */
export class ExecCredentialError extends Error {
  constructor(
    readonly reason: 'NotApproved' | 'Untrusted' | 'Timeout' | 'Failed' | 'InvalidOutput',
    message: string,
  ) {
    super(message);
    this.name = 'ExecCredentialError';
  }
}

export interface RunCommandOptions {
  timeoutMs?: number;
  env?: Record<string, string>;
  /** Working directory: the kubeconfig's folder, as kubectl resolves relative commands. */
  cwd?: string;
  signal?: AbortSignal;
  /** Passed to the plugin in KUBERNETES_EXEC_INFO. */
  execInfo?: string;
}

/**
 * Spawns a program without a shell (arguments are passed as an array, so
 * metacharacters stay literal), enforces a timeout (SIGKILL), caps captured
 * output, and returns stdout. Errors carry a redacted stderr.
 */
export function runCredentialCommand(command: string, args: string[], opts: RunCommandOptions = {}): Promise<string> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const limit = 1024 * 1024;
  return new Promise((resolve, reject) => {
    let child;
    try {
      child = spawn(command, args, {
        shell: false,
        cwd: opts.cwd,
        env: { ...process.env, ...(opts.env ?? {}), ...(opts.execInfo ? { KUBERNETES_EXEC_INFO: opts.execInfo } : {}) },
        stdio: ['ignore', 'pipe', 'pipe'],
        windowsHide: true,
        // Its own process group, so a timeout kills whatever the plugin started too
        // (a helper left behind would keep the output pipes, and the server, busy).
        detached: process.platform !== 'win32',
      });
    } catch (e) {
      reject(new ExecCredentialError('Failed', `Could not start credential command "${command}": ${(e as Error).message}`));
      return;
    }
    let stdout = '';
    let stderr = '';
    let done = false;
    const killAll = () => {
      try {
        if (process.platform !== 'win32' && child.pid) process.kill(-child.pid, 'SIGKILL');
        else child.kill('SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
      // A grandchild may still hold the pipes; stop reading them so nothing waits on it.
      child.stdout?.destroy();
      child.stderr?.destroy();
    };
    const finish = (err?: Error, out?: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve(out ?? '');
    };
    const timer = setTimeout(() => {
      killAll();
      finish(new ExecCredentialError('Timeout', `Credential command "${command}" did not finish within ${Math.round(timeoutMs / 1000)} s and was stopped.`));
    }, timeoutMs);
    const onAbort = () => {
      killAll();
      finish(new ExecCredentialError('Failed', `Credential command "${command}" was cancelled.`));
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      if (stdout.length < limit) stdout += d;
    });
    child.stderr.on('data', (d: string) => {
      if (stderr.length < limit) stderr += d;
    });
    child.on('error', (e) => finish(new ExecCredentialError('Failed', `Could not start credential command "${command}": ${e.message}`)));
    child.on('close', (code, sig) => {
      if (code === 0) return finish(undefined, stdout);
      const tail = redact(stderr.trim(), [stdout.trim()]).slice(-500);
      finish(new ExecCredentialError('Failed', `Credential command "${command}" failed (${sig ?? `exit code ${code}`})${tail ? `: ${tail}` : '.'}`));
    });
  });
}

/** Parses the ExecCredential JSON a plugin prints. */
export function parseExecCredential(stdout: string, command: string): ExecCredentialResult {
  let cred: { kind?: string; status?: { token?: string; clientCertificateData?: string; clientKeyData?: string; expirationTimestamp?: string } };
  try {
    cred = JSON.parse(stdout);
  } catch {
    throw new ExecCredentialError('InvalidOutput', `Credential command "${command}" did not print an ExecCredential JSON object.`);
  }
  const st = cred?.status;
  if (!st || (!st.token && !(st.clientCertificateData && st.clientKeyData)))
    throw new ExecCredentialError('InvalidOutput', `Credential command "${command}" printed an ExecCredential without status.token or a client certificate.`);
  return {
    token: st.token,
    clientCertificateData: st.clientCertificateData,
    clientKeyData: st.clientKeyData,
    expiresAt: st.expirationTimestamp ? new Date(st.expirationTimestamp) : undefined,
  };
}

/** Everything needed to decide whether and how to run a credential command. */
export interface CredentialContext {
  kubeconfigPath: string;
  context: string;
  trusted: boolean;
  approve: ApproveExec;
  timeoutMs?: number;
  /** Cluster info for `provideClusterInfo`. */
  server?: string;
  /** The kubeconfig user's name, shown in the approval prompt. */
  user?: string;
}

async function gate(ctx: CredentialContext, request: ExecApprovalRequest): Promise<void> {
  if (!ctx.trusted)
    throw new ExecCredentialError('Untrusted', `The kubeconfig user of context "${ctx.context}" needs to run "${request.command}"; commands never run in an untrusted workspace.`);
  let ok = false;
  try {
    ok = await ctx.approve(request);
  } catch {
    ok = false;
  }
  if (!ok)
    throw new ExecCredentialError(
      'NotApproved',
      `The kubeconfig user of context "${ctx.context}" runs "${request.command}" to get credentials; it was not approved. Approve it to connect.`,
    );
}

/** Runs an approved `exec` plugin and returns its credential. */
export async function runExecPlugin(exec: ExecConfig, ctx: CredentialContext, signal?: AbortSignal): Promise<ExecCredentialResult> {
  if (!exec?.command) throw new ExecCredentialError('Failed', `The exec section of context "${ctx.context}" has no command.`);
  const args = Array.isArray(exec.args) ? exec.args.map(String) : [];
  const envList = (exec.env ?? []).filter((e) => e?.name).map((e) => ({ name: String(e.name), value: String(e.value ?? '') }));
  await gate(ctx, {
    kubeconfigPath: ctx.kubeconfigPath,
    context: ctx.context,
    command: exec.command,
    args,
    kind: 'exec',
    ...(ctx.user ? { user: ctx.user } : {}),
    ...(envList.length
      ? { env: envList.map((e) => ({ name: e.name, value: isSecretLikeName(e.name) ? MASK : e.value })), envDigest: envDigest(envList) }
      : {}),
  });
  const env: Record<string, string> = {};
  for (const e of envList) env[e.name] = e.value;
  const apiVersion = exec.apiVersion ?? 'client.authentication.k8s.io/v1';
  const execInfo = JSON.stringify({
    apiVersion,
    kind: 'ExecCredential',
    spec: { interactive: false, ...(exec.provideClusterInfo && ctx.server ? { cluster: { server: ctx.server } } : {}) },
  });
  // kubectl resolves a relative command against the kubeconfig's folder; a folder that no longer exists would make spawn fail with ENOENT.
  const dir = ctx.kubeconfigPath ? path.dirname(ctx.kubeconfigPath) : undefined;
  const cwd = dir && fs.existsSync(dir) ? dir : undefined;
  const out = await runCredentialCommand(exec.command, args, { timeoutMs: ctx.timeoutMs, env, execInfo, signal, cwd });
  return parseExecCredential(out, exec.command);
}

/**
 * Runs a legacy auth-provider's `cmd-path` with `cmd-args` (split on
 * whitespace, as kubectl does, but never given to a shell) and reads the
 * token at `token-key` (a `{.path.to.token}` JSONPath-like key).
 */
export async function runAuthProviderCommand(config: Record<string, string>, ctx: CredentialContext, signal?: AbortSignal): Promise<ExecCredentialResult> {
  const command = config['cmd-path'];
  if (!command) throw new ExecCredentialError('Failed', `The auth-provider of context "${ctx.context}" has no cmd-path and no usable token.`);
  const args = (config['cmd-args'] ?? '').split(/\s+/).filter(Boolean);
  await gate(ctx, { kubeconfigPath: ctx.kubeconfigPath, context: ctx.context, command, args, kind: 'auth-provider', ...(ctx.user ? { user: ctx.user } : {}) });
  const out = await runCredentialCommand(command, args, { timeoutMs: ctx.timeoutMs, signal });
  let parsed: unknown;
  try {
    parsed = JSON.parse(out);
  } catch {
    throw new ExecCredentialError('InvalidOutput', `auth-provider command "${command}" did not print JSON.`);
  }
  const key = (config['token-key'] ?? '{.access_token}').replace(/^\{\.?|\}$/g, '');
  let v: unknown = parsed;
  for (const part of key.split('.').filter(Boolean)) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined;
  if (typeof v !== 'string' || !v) throw new ExecCredentialError('InvalidOutput', `auth-provider command "${command}" printed no token at ${config['token-key'] ?? '{.access_token}'}.`);
  const expiryKey = (config['expiry-key'] ?? '').replace(/^\{\.?|\}$/g, '');
  let exp: unknown = parsed;
  for (const part of expiryKey.split('.').filter(Boolean)) exp = exp && typeof exp === 'object' ? (exp as Record<string, unknown>)[part] : undefined;
  return { token: v, expiresAt: typeof exp === 'string' ? new Date(exp) : undefined };
}
