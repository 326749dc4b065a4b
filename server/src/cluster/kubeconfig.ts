/**
 * Kubeconfig loading and context resolution. @kubernetes/client-node's
 * KubeConfig is used only to parse and normalise the files; it never
 * authenticates, never reads token files on our behalf and never runs exec
 * plugins (those go through exec-credential.ts behind the approval gate).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';
import type { TransportOptions } from './read-only-transport.js';
import {
  type ApproveExec,
  type ExecConfig,
  type ExecCredentialResult,
  ExecCredentialError,
  runAuthProviderCommand,
  runExecPlugin,
} from './exec-credential.js';
import { consentToCredentialFiles } from './credential-files.js';

/** One context, fully resolved: where the server is and how to authenticate. Holds no secret that isn't already in the kubeconfig. */
export interface ResolvedContext {
  context: string;
  /** The kubeconfig file that defined the user (for approvals) or the context. */
  kubeconfigPath: string;
  clusterName: string;
  userName: string;
  server: string;
  /** PEM text of the CA (from certificate-authority-data or -file). */
  ca?: string;
  caFile?: string;
  /** PEM client certificate and key. */
  cert?: string;
  key?: string;
  certFile?: string;
  keyFile?: string;
  token?: string;
  tokenFile?: string;
  insecure: boolean;
  tlsServerName?: string;
  exec?: ExecConfig;
  authProvider?: { name?: string; config?: Record<string, string> };
  /** The context's default namespace, or `default`. */
  namespace: string;
}

/** The merged kubeconfig. */
export interface LoadedKubeconfig {
  /** Files read, in precedence order. */
  files: string[];
  contexts: string[];
  currentContext: string | undefined;
  /** Resolves a context by name (the current one when omitted); throws a clear Error when it can't. */
  resolve(context?: string): ResolvedContext;
}

/**
 * The kubeconfig files to read, like kubectl: an explicit path (the
 * machine-scoped `gitopsLens.kubeconfig` setting or `--kubeconfig`) wins;
 * otherwise every file in KUBECONFIG (path-delimited); otherwise ~/.kube/config.
 */
export function kubeconfigPaths(explicit?: string, env: NodeJS.ProcessEnv = process.env, home = os.homedir()): string[] {
  const expand = (p: string) => (p.startsWith('~') ? path.join(home, p.slice(1)) : p);
  if (explicit && explicit.trim()) return [path.resolve(expand(explicit.trim()))];
  if (env.KUBECONFIG) {
    const list = env.KUBECONFIG.split(path.delimiter).filter(Boolean).map((p) => path.resolve(expand(p)));
    if (list.length) return [...new Set(list)];
  }
  return [path.join(home, '.kube', 'config')];
}

interface RawUserExtras {
  tokenFile?: string;
}

/**
 * Reads and merges kubeconfig files with kubectl's rules: the first file to
 * define a name wins, and the first current-context wins. Missing files in
 * KUBECONFIG are skipped (kubectl does the same); if none can be read the
 * error says which paths were tried.
 */
export function loadKubeconfig(files: string[]): LoadedKubeconfig {
  const clusters = new Map<string, { c: ReturnType<KubeConfig['getClusters']>[number]; file: string }>();
  const users = new Map<string, { u: ReturnType<KubeConfig['getUsers']>[number]; file: string; extra: RawUserExtras }>();
  const contexts = new Map<string, { x: ReturnType<KubeConfig['getContexts']>[number]; file: string }>();
  let current: string | undefined;
  const read: string[] = [];
  const problems: string[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      problems.push(`${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : (e as Error).message}`);
      continue;
    }
    let raw: Record<string, unknown>;
    try {
      raw = (parseYaml(text, { maxAliasCount: 100 }) ?? {}) as Record<string, unknown>;
    } catch (e) {
      problems.push(`${file}: not valid YAML (${(e as Error).message.split('\n')[0]})`);
      continue;
    }
    // token-file is taken out before client-node sees it, because client-node
    // reads it eagerly while parsing; we read it only when connecting.
    const extras = new Map<string, RawUserExtras>();
    const dir = path.dirname(file);
    if (Array.isArray(raw.users)) {
      for (const u of raw.users as Array<{ name?: string; user?: Record<string, unknown> }>) {
        if (u?.user && typeof u.user['token-file'] === 'string') {
          extras.set(String(u.name), { tokenFile: path.resolve(dir, u.user['token-file'] as string) });
          delete u.user['token-file'];
        }
      }
    }
    const kc = new KubeConfig();
    try {
      kc.loadFromString(JSON.stringify(raw), { onInvalidEntry: 'filter' });
      kc.makePathsAbsolute(dir);
    } catch (e) {
      problems.push(`${file}: ${(e as Error).message}`);
      continue;
    }
    read.push(file);
    for (const c of kc.getClusters()) if (!clusters.has(c.name)) clusters.set(c.name, { c, file });
    for (const u of kc.getUsers()) if (!users.has(u.name)) users.set(u.name, { u, file, extra: extras.get(u.name) ?? {} });
    for (const x of kc.getContexts()) if (!contexts.has(x.name)) contexts.set(x.name, { x, file });
    if (!current && typeof raw['current-context'] === 'string' && raw['current-context']) current = raw['current-context'] as string;
  }
  if (!read.length) throw new Error(`No kubeconfig could be read (${problems.join('; ') || files.join(', ')}). Set gitopsLens.kubeconfig or KUBECONFIG.`);
  return {
    files: read,
    contexts: [...contexts.keys()],
    currentContext: current,
    resolve(name?: string): ResolvedContext {
      const ctxName = name || current;
      if (!ctxName) throw new Error('The kubeconfig has no current-context. Pick a context (GitOps Lens: Select Cluster Context) or set gitopsLens.context.');
      const ctx = contexts.get(ctxName);
      if (!ctx) throw new Error(`The kubeconfig has no context named "${ctxName}". Known contexts: ${[...contexts.keys()].join(', ') || 'none'}.`);
      const cl = clusters.get(ctx.x.cluster);
      if (!cl) throw new Error(`Context "${ctxName}" refers to cluster "${ctx.x.cluster}", which the kubeconfig doesn't define.`);
      const us = ctx.x.user ? users.get(ctx.x.user) : undefined;
      const u = us?.u;
      const readPem = (data?: string, file?: string): string | undefined => {
        if (data) return Buffer.from(data, 'base64').toString('utf8');
        if (file) {
          try {
            return fs.readFileSync(file, 'utf8');
          } catch (e) {
            throw new Error(`Cannot read ${file} named in the kubeconfig for context "${ctxName}": ${(e as Error).message}`);
          }
        }
        return undefined;
      };
      return {
        context: ctxName,
        kubeconfigPath: us?.file ?? ctx.file,
        clusterName: cl.c.name,
        userName: u?.name ?? '',
        server: cl.c.server,
        ca: readPem(cl.c.caData, cl.c.caFile),
        caFile: cl.c.caFile,
        cert: readPem(u?.certData ?? undefined, u?.certFile ?? undefined),
        key: readPem(u?.keyData ?? undefined, u?.keyFile ?? undefined),
        certFile: u?.certFile ?? undefined,
        keyFile: u?.keyFile ?? undefined,
        token: u?.token ?? undefined,
        tokenFile: us?.extra.tokenFile,
        insecure: !!cl.c.skipTLSVerify,
        tlsServerName: cl.c.tlsServerName,
        exec: u?.exec ?? undefined,
        authProvider: u?.authProvider ?? undefined,
        namespace: ctx.x.namespace || 'default',
      };
    },
  };
}

/** Options for turning a resolved context into transport options. */
export interface CredentialOptions {
  /** Workspace trust: when false no credential command ever runs. */
  trusted: boolean;
  /** Asked before any exec/auth-provider command runs. */
  approve: ApproveExec;
  execTimeoutMs?: number;
}

/**
 * Builds {@link TransportOptions} for a context. Static credentials are used
 * as they are; a token file is re-read when the server answers 401 (it may
 * have been rotated); exec and auth-provider commands run lazily, on the
 * first request, through the approval gate, and their token is cached until
 * it expires or the server rejects it.
 */
export async function transportOptionsFor(rc: ResolvedContext, creds: CredentialOptions): Promise<TransportOptions> {
  // Credential files outside the usual folders, sent to a remote server, need the user's consent first.
  await consentToCredentialFiles(rc, creds);
  const base: TransportOptions = {
    server: rc.server,
    ca: rc.ca,
    cert: rc.cert,
    key: rc.key,
    insecureSkipTlsVerify: rc.insecure,
    tlsServerName: rc.tlsServerName,
  };
  if (rc.token) return { ...base, token: rc.token };
  if (rc.tokenFile) {
    const file = rc.tokenFile;
    const readToken = () => {
      try {
        return fs.readFileSync(file, 'utf8').trim();
      } catch (e) {
        throw new Error(`Cannot read the token file ${file} of context "${rc.context}": ${(e as Error).message}`);
      }
    };
    let cached = readToken();
    return { ...base, token: async (refresh) => (refresh ? (cached = readToken()) : cached) };
  }
  const provider = rc.authProvider?.config;
  if (rc.exec || (provider && provider['cmd-path'])) {
    const ctx = { kubeconfigPath: rc.kubeconfigPath, context: rc.context, trusted: creds.trusted, approve: creds.approve, timeoutMs: creds.execTimeoutMs, server: rc.server, user: rc.userName || undefined };
    let cached: ExecCredentialResult | undefined;
    const obtain = async (): Promise<ExecCredentialResult> =>
      rc.exec ? runExecPlugin(rc.exec, ctx) : runAuthProviderCommand(provider as Record<string, string>, ctx);
    // Client-certificate credentials from a plugin must be known before the TLS agent exists, so they are fetched now; token credentials stay lazy.
    if (!creds.trusted) throw new ExecCredentialError('Untrusted', `Context "${rc.context}" needs a credential command; commands never run in an untrusted workspace.`);
    const token = async (refresh: boolean) => {
      if (!cached || refresh || (cached.expiresAt && cached.expiresAt.getTime() - Date.now() < 30_000)) cached = await obtain();
      if (!cached.token) return undefined;
      return cached.token;
    };
    if (rc.exec && !rc.cert) {
      // Peek once to learn whether the plugin hands out client certificates.
      cached = await obtain();
      if (cached.clientCertificateData && cached.clientKeyData && !cached.token)
        return { ...base, cert: cached.clientCertificateData, key: cached.clientKeyData };
    }
    return { ...base, token };
  }
  if (provider?.['access-token'] || provider?.['id-token']) return { ...base, token: provider['access-token'] ?? provider['id-token'] };
  return base;
}
