/**
 * A real Kubernetes control plane (etcd + kube-apiserver, built from source by
 * scripts/build-control-plane.mjs) for tests that need genuine API server behaviour:
 * server-side apply, defaulting, managedFields, admission, RBAC and watches.
 *
 * Tests normally call {@link testCluster} to get the control plane that `npm test` started
 * for the whole run; the harness' own tests and `npm run cluster:up` call
 * {@link startControlPlane}.
 *
 * What a started control plane provides:
 * - three static-token identities (see {@link TEST_USERS}): `admin` (system:masters),
 *   `gitops-lens-tool` (the identity the extension and CLI use in tests: get/list/watch on
 *   everything, plus patch and create so that server-side apply with dryRun=All works, even
 *   for objects that don't exist yet) and `restricted` (get/list/watch in namespace `team-a`);
 * - a ValidatingAdmissionPolicy that denies every write by `gitops-lens-tool` that is not a
 *   dry run, so a mutating request from our tool fails the test that caused it;
 * - an audit log of every request at Metadata level (JSON lines, requestURI with query);
 * - the Flux and Argo CD CRDs, Established;
 * - a kubeconfig with contexts `admin`, `tool` and `restricted` (current context `tool`).
 *
 * There is no controller-manager or scheduler: nothing reconciles, namespaces that are
 * deleted stay Terminating, Pods are never scheduled, and ServiceAccounts are not created
 * automatically.
 *
 * Environment variables read here:
 * - `GITOPS_LENS_TEST_CLUSTER_STATE`: path of a state file written by the test runner
 *   (see test/support/test-runner-cluster.ts); {@link testCluster} attaches to it.
 * - `GITOPS_LENS_TEST_KUBECONFIG`: a kubeconfig of a cluster the user provides (kind,
 *   minikube, ...); {@link testCluster} returns an `external` control plane for it.
 * - `GITOPS_LENS_KEEP_CLUSTER_DIR=1`: keep the temp dir (logs, audit log) after stop().
 * - `KUBECTL`: kubectl binary (default /usr/bin/kubectl).
 * - `CI`: when set (and not "false"/"0"), a missing control plane is an error, not a skip.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { cacheRoot, ensureControlPlane } from '../../scripts/build-control-plane.mjs';

/** One audit event, flattened for assertions; `raw` is the event as the API server wrote it. */
export interface AuditEvent {
  user: string;
  verb: string;
  requestURI: string;
  code?: number;
  objectRef?: { resource?: string; namespace?: string; name?: string; apiGroup?: string; subresource?: string };
  stage: string;
  /** Milliseconds since the epoch at which the API server received the request. */
  receivedMs: number;
  raw: any;
}

/** Filter for {@link ControlPlane.auditEvents}. */
export interface AuditFilter {
  /** Username as in the audit log, e.g. `cp.users.tool`. */
  user?: string;
  /** Only requests received at or after this time (milliseconds since the epoch). */
  sinceMs?: number;
  /** Audit stage; default "ResponseComplete". Use "any" for every stage. */
  stage?: string;
}

/** The three identities of a test control plane, by role. */
export type Role = 'admin' | 'tool' | 'restricted';

/** Usernames of the identities, as they appear in the audit log and in RBAC bindings. */
export const TEST_USERS: Readonly<Record<Role, string>> = Object.freeze({
  admin: 'admin',
  tool: 'gitops-lens-tool',
  restricted: 'restricted',
});

/** The namespace the `restricted` identity may read. */
export const RESTRICTED_NAMESPACE = 'team-a';

/** Name of the ValidatingAdmissionPolicy (and its binding) that keeps the tool read-only. */
export const DRY_RUN_ONLY_POLICY = 'gitops-lens-tool-dry-run-only';

/** Response of {@link ControlPlane.api}. */
export interface ApiResponse {
  status: number;
  /** The body parsed as JSON, or undefined when it isn't JSON. */
  body: any;
  text: string;
}

/** Options of {@link ControlPlane.api}. */
export interface ApiOptions {
  /** Identity to send the request as; default "admin". */
  as?: Role;
  /** A string is sent as is; anything else as JSON. */
  body?: unknown;
  /** Default: application/json, or application/merge-patch+json for PATCH. */
  contentType?: string;
}

/** A running control plane, or an attached / external one. */
export interface ControlPlane {
  /** The Kubernetes release, e.g. "v1.37.2" ("unknown" for an external cluster that didn't answer). */
  version: string;
  /** https://127.0.0.1:PORT */
  server: string;
  /** Kubeconfig with contexts "admin", "tool", "restricted"; current-context "tool". */
  kubeconfigPath: string;
  /** Temp dir with kubeconfig, logs, audit log and etcd data ("" for an external cluster). */
  dir: string;
  /** "team-a", created at start. */
  restrictedNamespace: string;
  /** Usernames as they appear in the audit log. */
  users: { admin: string; tool: string; restricted: string };
  /** Bearer tokens of the identities (empty strings for an external cluster). */
  tokens: { admin: string; tool: string; restricted: string };
  /** PEM of the CA that signed the API server's serving certificate ("" if unknown). */
  caPem: string;
  /** Absolute path of the audit log, undefined when not available (external cluster). */
  auditLogPath?: string;
  /** True for a user-provided cluster: no audit log, no tokens, maybe no restricted user. */
  external: boolean;
  /** Audit events, oldest first; only the ResponseComplete stage unless filter.stage says otherwise. */
  auditEvents(filter?: AuditFilter): Promise<AuditEvent[]>;
  /**
   * Polls the audit log until `predicate` matches at least `minCount` (default 1) events, or
   * the timeout (default 10 s) passes; resolves with the matching events either way. Use it
   * rather than auditEvents() right after a request: an event may land a moment after the
   * client saw the response.
   */
  waitForAuditEvents(
    filter: AuditFilter & { predicate: (event: AuditEvent) => boolean; minCount?: number },
    timeoutMs?: number,
  ): Promise<AuditEvent[]>;
  /** Runs kubectl with this kubeconfig; default context "admin". Never rejects for a non-zero exit. */
  kubectl(args: string[], opts?: { context?: string; input?: string }): Promise<{ stdout: string; stderr: string; code: number }>;
  /** A raw HTTPS request to the API server with one identity's token. */
  api(method: string, urlPath: string, opts?: ApiOptions): Promise<ApiResponse>;
  /** Stops the processes this control plane owns and removes its temp dir; idempotent. No-op for attached ones. */
  stop(): Promise<void>;
  /**
   * Stops only the kube-apiserver and starts it again (same port, etcd, certificates and
   * tokens), resolving when it is ready. Only on control planes this process started with
   * {@link startControlPlane}; undefined on attached or external ones.
   */
  restartApiServer?(): Promise<void>;
}

/** Everything needed to reattach to a running control plane from another process. */
export interface ControlPlaneState {
  version: string;
  server: string;
  kubeconfigPath: string;
  dir: string;
  restrictedNamespace: string;
  users: { admin: string; tool: string; restricted: string };
  tokens: { admin: string; tool: string; restricted: string };
  caPem: string;
  auditLogPath: string;
  /** Process group ids (= pids) of the two server processes. */
  pids: { etcd: number; apiserver: number };
  /** Pid of the process whose exit takes the control plane down, or null when detached. */
  ownerPid: number | null;
  /** Binaries, used to check that a pid still belongs to this control plane. */
  binaries: { apiserver: string; etcd: string };
  startedAt: string;
}

/** Options of {@link startControlPlane}. */
export interface StartOptions {
  /** Working folder (created if missing); default a new temp dir, removed by stop(). */
  dir?: string;
  /**
   * Keep running after this process exits (used by `npm run cluster:up`): no exit handlers,
   * no watchdog. Stop it with {@link stopControlPlaneFromState}.
   */
  detached?: boolean;
  /** Progress messages; default: none. */
  log?: (message: string) => void;
}

const KUBECTL = process.env.KUBECTL || '/usr/bin/kubectl';
const CONTEXT_OF_ROLE: Record<Role, string> = { admin: 'admin', tool: 'tool', restricted: 'restricted' };

/** Message used when no control plane is available; also suitable as a node:test `skip` reason. */
export const NO_TEST_CLUSTER_REASON =
  'no test control plane: run the tests through `npm test` (it starts one), start one with ' +
  '`npm run cluster:up`, or point GITOPS_LENS_TEST_KUBECONFIG at a cluster (see docs/CONTROL-PLANE.md)';

function isCi(): boolean {
  const ci = process.env.CI;
  return !!ci && ci !== 'false' && ci !== '0';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * True when `pid` is alive and runs `binary`; guards every kill of a pid read from a file
 * against the pid having been reused by an unrelated process.
 */
function pidRuns(pid: number, binary: string): boolean {
  if (!pid || !processAlive(pid)) return false;
  try {
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.split('\0')[0] === binary;
  } catch {
    return false;
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

/** Reserves distinct free loopback ports by holding them open until all are chosen. */
async function freePorts(count: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const server = net.createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve());
      });
      ports.push((server.address() as net.AddressInfo).port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}

function tail(file: string, lines = 30): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

interface RawResponse {
  status: number;
  text: string;
}

function httpRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string; ca?: string; insecure?: boolean; timeoutMs?: number } = {},
): Promise<RawResponse> {
  const target = new URL(url);
  const transport = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = transport.request(
      target,
      {
        method: options.method ?? 'GET',
        headers: options.headers,
        ca: options.ca || undefined,
        rejectUnauthorized: !options.insecure,
        timeout: options.timeoutMs ?? 30_000,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error(`request to ${url} timed out`)));
    request.on('error', reject);
    if (options.body !== undefined) request.write(options.body);
    request.end();
  });
}

function runKubectl(
  kubeconfigPath: string,
  args: string[],
  opts: { context?: string; input?: string } = {},
): Promise<{ stdout: string; stderr: string; code: number }> {
  const fullArgs = ['--kubeconfig', kubeconfigPath, ...(opts.context ? ['--context', opts.context] : []), ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(KUBECTL, fullArgs, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ stdout, stderr, code: code ?? -1 }));
    child.stdin.end(opts.input ?? '');
  });
}

function toAuditEvent(raw: any): AuditEvent {
  return {
    user: raw.user?.username ?? '',
    verb: raw.verb,
    requestURI: raw.requestURI,
    code: raw.responseStatus?.code,
    objectRef: raw.objectRef,
    stage: raw.stage,
    receivedMs: Date.parse(raw.requestReceivedTimestamp),
    raw,
  };
}

async function readAuditLog(file: string, filter: AuditFilter = {}): Promise<AuditEvent[]> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const stage = filter.stage ?? 'ResponseComplete';
  const events: AuditEvent[] = [];
  for (const line of text.split('\n')) {
    // The last line may be half written while the API server appends to it.
    if (!line.trim()) continue;
    let raw: any;
    try {
      raw = JSON.parse(line);
    } catch {
      continue;
    }
    if (stage !== 'any' && raw.stage !== stage) continue;
    const event = toAuditEvent(raw);
    if (filter.user !== undefined && event.user !== filter.user) continue;
    if (filter.sinceMs !== undefined && !(event.receivedMs >= filter.sinceMs)) continue;
    events.push(event);
  }
  return events;
}

/** Builds the ControlPlane object for a state, owned (with processes) or merely attached. */
function controlPlaneFromState(state: ControlPlaneState, stopImpl: () => Promise<void>): ControlPlane {
  const cp: ControlPlane = {
    version: state.version,
    server: state.server,
    kubeconfigPath: state.kubeconfigPath,
    dir: state.dir,
    restrictedNamespace: state.restrictedNamespace,
    users: { ...state.users },
    tokens: { ...state.tokens },
    caPem: state.caPem,
    auditLogPath: state.auditLogPath,
    external: false,
    auditEvents: (filter) => readAuditLog(state.auditLogPath, filter),
    async waitForAuditEvents(filter, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const matching = (await readAuditLog(state.auditLogPath, filter)).filter(filter.predicate);
        if (matching.length >= (filter.minCount ?? 1) || Date.now() > deadline) return matching;
        await sleep(100);
      }
    },
    kubectl: (args, opts = {}) => runKubectl(state.kubeconfigPath, args, { context: opts.context ?? 'admin', input: opts.input }),
    async api(method, urlPath, opts = {}) {
      const role = opts.as ?? 'admin';
      const headers: Record<string, string> = { Authorization: `Bearer ${state.tokens[role]}`, Accept: 'application/json' };
      let body: string | undefined;
      if (opts.body !== undefined) {
        body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
        headers['Content-Type'] = opts.contentType ?? (method.toUpperCase() === 'PATCH' ? 'application/merge-patch+json' : 'application/json');
      }
      const response = await httpRequest(new URL(urlPath, state.server).href, {
        method: method.toUpperCase(),
        headers,
        body,
        ca: state.caPem,
        insecure: !state.caPem,
      });
      let parsed: any;
      try {
        parsed = JSON.parse(response.text);
      } catch {
        parsed = undefined;
      }
      return { status: response.status, body: parsed, text: response.text };
    },
    stop: stopImpl,
  };
  return cp;
}

/** Where running control planes register themselves, so stale ones can be reaped. */
function registryDir(): string {
  return path.join(cacheRoot(), 'running');
}

/** State file written by `npm run cluster:up`. */
export function clusterUpStatePath(): string {
  return path.join(cacheRoot(), 'cluster-state.json');
}

/**
 * Kills control planes whose owning process died without cleaning up (e.g. SIGKILL of a
 * test process before the watchdog fired), so stray servers don't pile up across runs.
 */
function reapStaleControlPlanes(log: (message: string) => void): void {
  let entries: string[];
  try {
    entries = fs.readdirSync(registryDir());
  } catch {
    return;
  }
  for (const entry of entries) {
    const file = path.join(registryDir(), entry);
    let state: ControlPlaneState;
    try {
      state = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch {
      fs.rmSync(file, { force: true });
      continue;
    }
    const apiserverAlive = pidRuns(state.pids.apiserver, state.binaries.apiserver);
    const etcdAlive = pidRuns(state.pids.etcd, state.binaries.etcd);
    const ownerGone = state.ownerPid !== null && !processAlive(state.ownerPid);
    if (ownerGone && (apiserverAlive || etcdAlive)) {
      log(`stopping a stale control plane left by process ${state.ownerPid} (${state.dir})`);
      if (apiserverAlive) killGroup(state.pids.apiserver, 'SIGKILL');
      if (etcdAlive) killGroup(state.pids.etcd, 'SIGKILL');
    }
    if (ownerGone || (!apiserverAlive && !etcdAlive)) {
      fs.rmSync(file, { force: true });
      if (ownerGone && state.dir.startsWith(os.tmpdir() + path.sep)) fs.rmSync(state.dir, { recursive: true, force: true });
    }
  }
}

/**
 * Control planes owned by this process, each with a synchronous cleanup (registry entry and
 * temp dir) run after the kill on exit and on fatal signals.
 */
const owned = new Map<ControlPlaneState, () => void>();

function killOwnedNow(): void {
  for (const [state, cleanup] of owned) {
    killGroup(state.pids.apiserver, 'SIGKILL');
    killGroup(state.pids.etcd, 'SIGKILL');
    try {
      cleanup();
    } catch {
      // Best effort: the next start reaps what is left.
    }
  }
  owned.clear();
}
let exitHandlersInstalled = false;

function installExitHandlers(): void {
  if (exitHandlersInstalled) return;
  exitHandlersInstalled = true;
  // 'exit' handlers must be synchronous, so they can only signal; SIGKILL leaves nothing behind.
  process.on('exit', killOwnedNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const handler = () => {
      killOwnedNow();
      // Restore the default behaviour unless someone else handles the signal too.
      process.removeListener(signal, handler);
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.on(signal, handler);
  }
}

/**
 * A tiny shell process that outlives a SIGKILLed owner: when the owner disappears it stops
 * both process groups. The exit handlers cover every other way a test process ends.
 */
function spawnWatchdog(ownerPid: number, pids: number[]): ChildProcess {
  const script =
    'owner=$1; shift; while kill -0 "$owner" 2>/dev/null; do sleep 1; done; ' +
    'for g in "$@"; do kill -TERM -"$g" 2>/dev/null; done; sleep 5; ' +
    'for g in "$@"; do kill -KILL -"$g" 2>/dev/null; done';
  const watchdog = spawn('/bin/sh', ['-c', script, 'gitops-lens-watchdog', String(ownerPid), ...pids.map(String)], {
    detached: true,
    stdio: 'ignore',
  });
  watchdog.unref();
  return watchdog;
}

async function waitForExit(pid: number, binary: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!pidRuns(pid, binary)) return true;
    await sleep(100);
  }
  return !pidRuns(pid, binary);
}

/** Stops both processes of a state: SIGTERM, then SIGKILL after a grace period. */
async function stopProcesses(state: ControlPlaneState): Promise<void> {
  // The API server goes first so it doesn't log a storm of etcd connection errors.
  for (const [pid, binary] of [
    [state.pids.apiserver, state.binaries.apiserver],
    [state.pids.etcd, state.binaries.etcd],
  ] as const) {
    if (!pidRuns(pid, binary)) {
      killGroup(pid, 'SIGKILL');
      continue;
    }
    killGroup(pid, 'SIGTERM');
    if (!(await waitForExit(pid, binary, 10_000))) killGroup(pid, 'SIGKILL');
    await waitForExit(pid, binary, 5_000);
  }
}

function bootstrapManifests(): string {
  const docs: unknown[] = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: RESTRICTED_NAMESPACE } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'gitops-lens-tool' },
      rules: [
        // create is needed too: a server-side apply of an object that doesn't exist yet is
        // authorized as create, even with dryRun=All. The admission policy below keeps
        // every non-dry-run write out.
        { apiGroups: ['*'], resources: ['*'], verbs: ['get', 'list', 'watch', 'patch', 'create'] },
        { nonResourceURLs: ['*'], verbs: ['get'] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'gitops-lens-tool' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'gitops-lens-tool' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: TEST_USERS.tool }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'read-only', namespace: RESTRICTED_NAMESPACE },
      rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['get', 'list', 'watch'] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'restricted-read-only', namespace: RESTRICTED_NAMESPACE },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'read-only' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: TEST_USERS.restricted }],
    },
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name: DRY_RUN_ONLY_POLICY },
      spec: {
        failurePolicy: 'Fail',
        matchConstraints: {
          resourceRules: [
            { apiGroups: ['*'], apiVersions: ['*'], operations: ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'], resources: ['*/*'] },
          ],
          // Access and token reviews are how a client asks "may I?"; they change nothing.
          excludeResourceRules: [
            { apiGroups: ['authorization.k8s.io', 'authentication.k8s.io'], apiVersions: ['*'], operations: ['*'], resources: ['*'] },
          ],
        },
        matchConditions: [{ name: 'only-gitops-lens-tool', expression: `request.userInfo.username == '${TEST_USERS.tool}'` }],
        validations: [
          {
            expression: 'has(request.dryRun) && request.dryRun == true',
            message: `${TEST_USERS.tool} must only send dry-run requests (dryRun=All): GitOps Lens never writes to a cluster`,
            reason: 'Forbidden',
          },
        ],
      },
    },
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicyBinding',
      metadata: { name: DRY_RUN_ONLY_POLICY },
      spec: { policyName: DRY_RUN_ONLY_POLICY, validationActions: ['Deny'] },
    },
  ];
  return docs.map((doc) => toYaml(doc)).join('---\n');
}

function kubeconfigYaml(server: string, caPem: string, tokens: Record<Role, string>): string {
  const cluster = 'gitops-lens-test';
  return toYaml({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: cluster,
        cluster: caPem
          ? { server, 'certificate-authority-data': Buffer.from(caPem).toString('base64') }
          : { server, 'insecure-skip-tls-verify': true },
      },
    ],
    users: (Object.keys(tokens) as Role[]).map((role) => ({ name: TEST_USERS[role], user: { token: tokens[role] } })),
    contexts: (Object.keys(tokens) as Role[]).map((role) => ({
      name: CONTEXT_OF_ROLE[role],
      context: {
        cluster,
        user: TEST_USERS[role],
        ...(role === 'restricted' ? { namespace: RESTRICTED_NAMESPACE } : {}),
      },
    })),
    'current-context': CONTEXT_OF_ROLE.tool,
  });
}

/** Starts a server process in its own process group, output to a log file in the temp dir. */
function startProcess(binary: string, args: string[], logFile: string, detached: boolean): ChildProcess {
  const out = fs.openSync(logFile, 'a');
  try {
    const child = spawn(binary, args, { detached: true, stdio: ['ignore', out, out] });
    // A detached control plane must not keep `npm run cluster:up` waiting for it.
    if (detached) child.unref();
    return child;
  } finally {
    fs.closeSync(out);
  }
}

async function waitUntil<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
  failFast: () => string | undefined,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  for (;;) {
    const failure = failFast();
    if (failure) throw new Error(`${what}: ${failure}`);
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = String((error as Error).message ?? error);
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (${lastError})` : ''}`);
    await sleep(200);
  }
}

/**
 * Builds the control plane if needed (see scripts/build-control-plane.mjs), then starts etcd
 * and kube-apiserver on free loopback ports, provisions identities, RBAC, the dry-run-only
 * admission policy and the Flux / Argo CD CRDs, and resolves once everything is ready.
 * On failure, whatever was started is stopped again before the promise rejects.
 */
export async function startControlPlane(opts: StartOptions = {}): Promise<ControlPlane> {
  const log = opts.log ?? (() => {});
  const started = Date.now();
  const binaries = await ensureControlPlane();
  reapStaleControlPlanes(log);

  const ownsDir = !opts.dir;
  const dir = opts.dir ? path.resolve(opts.dir) : await fsp.mkdtemp(path.join(os.tmpdir(), 'gitops-lens-cp-'));
  await fsp.mkdir(dir, { recursive: true });
  const [etcdClientPort, etcdPeerPort, apiserverPort] = await freePorts(3);

  const tokens: Record<Role, string> = {
    admin: randomBytes(24).toString('hex'),
    tool: randomBytes(24).toString('hex'),
    restricted: randomBytes(24).toString('hex'),
  };
  // Static token file format: token,user,uid,"group1,group2".
  await fsp.writeFile(
    path.join(dir, 'tokens.csv'),
    [
      `${tokens.admin},${TEST_USERS.admin},${TEST_USERS.admin},"system:masters"`,
      `${tokens.tool},${TEST_USERS.tool},${TEST_USERS.tool}`,
      `${tokens.restricted},${TEST_USERS.restricted},${TEST_USERS.restricted}`,
    ].join('\n') + '\n',
    { mode: 0o600 },
  );
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  await fsp.writeFile(path.join(dir, 'sa.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  await fsp.writeFile(path.join(dir, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
  // Metadata level for everything: user, verb, requestURI (with query) and status, no bodies.
  await fsp.writeFile(
    path.join(dir, 'audit-policy.yaml'),
    toYaml({ apiVersion: 'audit.k8s.io/v1', kind: 'Policy', omitStages: ['RequestReceived'], rules: [{ level: 'Metadata' }] }),
  );

  const server = `https://127.0.0.1:${apiserverPort}`;
  const kubeconfigPath = path.join(dir, 'kubeconfig');
  const auditLogPath = path.join(dir, 'audit.log');
  const state: ControlPlaneState = {
    version: binaries.version,
    server,
    kubeconfigPath,
    dir,
    restrictedNamespace: RESTRICTED_NAMESPACE,
    users: { ...TEST_USERS },
    tokens,
    caPem: '',
    auditLogPath,
    pids: { etcd: 0, apiserver: 0 },
    ownerPid: opts.detached ? null : process.pid,
    binaries: { apiserver: binaries.apiserver, etcd: binaries.etcd },
    startedAt: new Date().toISOString(),
  };
  const registryFile = path.join(registryDir(), `${path.basename(dir)}-${apiserverPort}.json`);
  const register = () => {
    fs.mkdirSync(registryDir(), { recursive: true });
    fs.writeFileSync(registryFile, JSON.stringify(state, null, 2));
  };
  let watchdog: ChildProcess | undefined;
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      if (watchdog?.pid) killGroup(watchdog.pid, 'SIGKILL');
      await stopProcesses(state);
      owned.delete(state);
      fs.rmSync(registryFile, { force: true });
      if (ownsDir && process.env.GITOPS_LENS_KEEP_CLUSTER_DIR !== '1') await fsp.rm(dir, { recursive: true, force: true });
    })();
    return stopping;
  };
  if (!opts.detached) {
    installExitHandlers();
    owned.set(state, () => {
      if (watchdog?.pid) killGroup(watchdog.pid, 'SIGKILL');
      fs.rmSync(registryFile, { force: true });
      if (ownsDir && process.env.GITOPS_LENS_KEEP_CLUSTER_DIR !== '1') fs.rmSync(dir, { recursive: true, force: true });
    });
  }

  try {
    const etcdLog = path.join(dir, 'etcd.log');
    const etcdProcess = startProcess(
      binaries.etcd,
      [
        '--name=default',
        `--data-dir=${path.join(dir, 'etcd')}`,
        `--listen-client-urls=http://127.0.0.1:${etcdClientPort}`,
        `--advertise-client-urls=http://127.0.0.1:${etcdClientPort}`,
        `--listen-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
        `--initial-cluster=default=http://127.0.0.1:${etcdPeerPort}`,
        // Test data is thrown away, so durability buys nothing and fsync costs seconds.
        '--unsafe-no-fsync=true',
        '--log-level=warn',
      ],
      etcdLog,
      !!opts.detached,
    );
    state.pids.etcd = etcdProcess.pid ?? 0;
    register();
    const etcdExited = () => (etcdProcess.exitCode !== null || etcdProcess.signalCode ? `etcd exited:\n${tail(etcdLog)}` : undefined);
    await waitUntil(
      'etcd /health',
      30_000,
      async () => {
        const response = await httpRequest(`http://127.0.0.1:${etcdClientPort}/health`, { timeoutMs: 2000 });
        return response.status === 200 && /"health":\s*"true"/.test(response.text) ? true : undefined;
      },
      etcdExited,
    );
    log(`etcd ready on 127.0.0.1:${etcdClientPort}`);

    const apiserverLog = path.join(dir, 'kube-apiserver.log');
    const certDir = path.join(dir, 'certs');
    const apiserverArgs = [
        `--etcd-servers=http://127.0.0.1:${etcdClientPort}`,
        `--cert-dir=${certDir}`,
        `--secure-port=${apiserverPort}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        // No kubelets or endpoints controller: don't maintain the kubernetes Service endpoints.
        '--endpoint-reconciler-type=none',
        '--service-cluster-ip-range=10.0.0.0/24',
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        `--service-account-key-file=${path.join(dir, 'sa.pub')}`,
        `--service-account-signing-key-file=${path.join(dir, 'sa.key')}`,
        '--authorization-mode=RBAC',
        `--token-auth-file=${path.join(dir, 'tokens.csv')}`,
        // Without a controller-manager no ServiceAccount "default" would ever appear.
        '--disable-admission-plugins=ServiceAccount',
        `--audit-policy-file=${path.join(dir, 'audit-policy.yaml')}`,
        `--audit-log-path=${auditLogPath}`,
        '--audit-log-format=json',
        // Blocking mode writes each event before the response completes, so tests see it promptly.
        '--audit-log-mode=blocking',
        '--allow-privileged=true',
        '--profiling=false',
      ];
    let apiserverProcess = startProcess(binaries.apiserver, apiserverArgs, apiserverLog, !!opts.detached);
    state.pids.apiserver = apiserverProcess.pid ?? 0;
    register();
    if (!opts.detached) watchdog = spawnWatchdog(process.pid, [state.pids.apiserver, state.pids.etcd]);
    const apiserverExited = () =>
      apiserverProcess.exitCode !== null || apiserverProcess.signalCode
        ? `kube-apiserver exited:\n${tail(apiserverLog)}`
        : etcdExited();

    await waitUntil(
      'kube-apiserver /readyz',
      90_000,
      async () => {
        const response = await httpRequest(`${server}/readyz`, {
          headers: { Authorization: `Bearer ${tokens.admin}` },
          insecure: true,
          timeoutMs: 5000,
        });
        return response.status === 200 ? true : undefined;
      },
      apiserverExited,
    );
    // The API server writes its self-signed serving certificate followed by the CA that signed it.
    const bundle = await fsp.readFile(path.join(certDir, 'apiserver.crt'), 'utf8');
    try {
      await httpRequest(`${server}/readyz`, { headers: { Authorization: `Bearer ${tokens.admin}` }, ca: bundle });
      state.caPem = bundle;
    } catch (error) {
      log(`the serving certificate does not verify (${(error as Error).message}); the kubeconfig skips TLS verification`);
    }
    await fsp.writeFile(kubeconfigPath, kubeconfigYaml(server, state.caPem, tokens), { mode: 0o600 });
    register();
    log(`kube-apiserver ready on ${server} after ${Date.now() - started} ms`);

    const kubectl = (args: string[], input?: string) => runKubectl(kubeconfigPath, args, { context: 'admin', input });
    const mustSucceed = async (what: string, args: string[], input?: string) => {
      const result = await kubectl(args, input);
      if (result.code !== 0) throw new Error(`${what} failed (kubectl ${args.join(' ')}):\n${result.stderr || result.stdout}`);
      return result;
    };
    await mustSucceed('provisioning identities and admission policy', ['apply', '-f', '-'], bootstrapManifests());
    // Server-side apply: the Argo CD CRDs are too large for the last-applied annotation.
    await mustSucceed('installing CRDs', ['apply', '--server-side', '--force-conflicts', '-f', binaries.crdDir]);

    const cp = controlPlaneFromState(state, stop);
    // Robustness tests stop the API server during a watch and start it again on the same
    // port, etcd and certificates, so objects and resourceVersions survive the restart.
    cp.restartApiServer = async () => {
      killGroup(state.pids.apiserver, 'SIGTERM');
      if (!(await waitForExit(state.pids.apiserver, binaries.apiserver, 10_000))) killGroup(state.pids.apiserver, 'SIGKILL');
      await waitForExit(state.pids.apiserver, binaries.apiserver, 5_000);
      const downMs = Date.now();
      apiserverProcess = startProcess(binaries.apiserver, apiserverArgs, apiserverLog, !!opts.detached);
      state.pids.apiserver = apiserverProcess.pid ?? 0;
      register();
      if (watchdog?.pid) {
        killGroup(watchdog.pid, 'SIGKILL');
        watchdog = spawnWatchdog(process.pid, [state.pids.apiserver, state.pids.etcd]);
      }
      await waitUntil(
        'kube-apiserver /readyz after restart',
        90_000,
        async () => {
          const response = await httpRequest(`${server}/readyz`, { headers: { Authorization: `Bearer ${tokens.admin}` }, insecure: true, timeoutMs: 5000 });
          return response.status === 200 ? true : undefined;
        },
        apiserverExited,
      );
      log(`kube-apiserver restarted in ${Date.now() - downMs} ms`);
    };
    await waitForCrds(cp, binaries.crdDir);
    await waitForPolicy(cp);
    log(`control plane ${binaries.version} ready in ${Date.now() - started} ms (${dir})`);
    return cp;
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Waits until every CRD in `crdDir` (one file per CRD, named after it) is Established.
 * Polled here rather than with `kubectl wait`, which fails instead of waiting when a new
 * CRD has no status.conditions yet.
 */
async function waitForCrds(cp: ControlPlane, crdDir: string): Promise<void> {
  const names = (await fsp.readdir(crdDir)).filter((file) => file.endsWith('.yaml')).map((file) => file.slice(0, -'.yaml'.length));
  for (const name of names) {
    await waitUntil(
      `CRD ${name} to be Established`,
      60_000,
      async () => {
        const response = await cp.api('GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`);
        const conditions: any[] = response.body?.status?.conditions ?? [];
        return conditions.some((c) => c.type === 'Established' && c.status === 'True') ? true : undefined;
      },
      () => undefined,
    );
  }
}

/**
 * A freshly created admission policy takes effect a moment later; until it does, a test
 * could wrongly pass. Probe with a real create as the tool until the policy denies it.
 */
async function waitForPolicy(cp: ControlPlane): Promise<void> {
  const name = 'gitops-lens-policy-probe';
  const collection = `/api/v1/namespaces/${RESTRICTED_NAMESPACE}/configmaps`;
  await waitUntil(
    `the ${DRY_RUN_ONLY_POLICY} admission policy`,
    30_000,
    async () => {
      const response = await cp.api('POST', collection, {
        as: 'tool',
        body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } },
      });
      if (response.status === 403 && response.text.includes(DRY_RUN_ONLY_POLICY)) return true;
      // Created before the policy was active: remove the probe and try again.
      if (response.status === 201) await cp.api('DELETE', `${collection}/${name}`);
      return undefined;
    },
    () => undefined,
  );
}

/** Reads a state file written by {@link writeControlPlaneState}. */
export function readControlPlaneState(file: string): ControlPlaneState {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/** Writes what another process needs to attach to this control plane (see {@link attachControlPlane}). */
export async function writeControlPlaneState(cp: ControlPlane, file: string): Promise<void> {
  const state = stateOf(cp);
  await fsp.mkdir(path.dirname(file), { recursive: true });
  await fsp.writeFile(file, JSON.stringify(state, null, 2), { mode: 0o600 });
}

function stateOf(cp: ControlPlane): ControlPlaneState {
  for (const state of owned.keys()) if (state.server === cp.server) return state;
  // Detached control planes are not in `owned`; their registry entry has the full state.
  for (const entry of safeReaddir(registryDir())) {
    try {
      const state = JSON.parse(fs.readFileSync(path.join(registryDir(), entry), 'utf8')) as ControlPlaneState;
      if (state.server === cp.server) return state;
    } catch {
      // Skip unreadable entries.
    }
  }
  throw new Error(`no state known for the control plane at ${cp.server}`);
}

function safeReaddir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

/** True when both processes of a state are still running. */
export function controlPlaneAlive(state: ControlPlaneState): boolean {
  return pidRuns(state.pids.apiserver, state.binaries.apiserver) && pidRuns(state.pids.etcd, state.binaries.etcd);
}

/** A ControlPlane for a state another process owns; its stop() does nothing. */
export function attachControlPlane(state: ControlPlaneState): ControlPlane {
  return controlPlaneFromState(state, async () => {});
}

/** Stops a control plane described by a state file (used by `npm run cluster:down`). */
export async function stopControlPlaneFromState(state: ControlPlaneState): Promise<void> {
  await stopProcesses(state);
  for (const entry of safeReaddir(registryDir())) {
    const file = path.join(registryDir(), entry);
    try {
      if (JSON.parse(fs.readFileSync(file, 'utf8')).server === state.server) fs.rmSync(file, { force: true });
    } catch {
      // Skip unreadable entries.
    }
  }
  if (state.dir.startsWith(os.tmpdir() + path.sep) && process.env.GITOPS_LENS_KEEP_CLUSTER_DIR !== '1') {
    await fsp.rm(state.dir, { recursive: true, force: true });
  }
}

/**
 * A ControlPlane for a user's own cluster. The kubeconfig should have contexts named
 * "admin", "tool" and "restricted"; a missing one falls back to the current context.
 * There is no audit log and no token, so api() and auditEvents() reject; tests that need
 * them check `external` and skip.
 */
function externalControlPlane(kubeconfigPath: string): ControlPlane {
  const resolved = path.resolve(kubeconfigPath);
  if (!fs.existsSync(resolved)) throw new Error(`GITOPS_LENS_TEST_KUBECONFIG=${kubeconfigPath}: no such file`);
  const config = parseYaml(fs.readFileSync(resolved, 'utf8')) ?? {};
  const contexts = new Set<string>((config.contexts ?? []).map((c: any) => c?.name));
  const current: string | undefined = config['current-context'];
  const contextFor = (name: string) => (contexts.has(name) ? name : current);
  const clusterName = (config.contexts ?? []).find((c: any) => c?.name === contextFor('admin'))?.context?.cluster;
  const server: string = (config.clusters ?? []).find((c: any) => c?.name === clusterName)?.cluster?.server ?? '';
  const versionResult = spawnSync(KUBECTL, ['--kubeconfig', resolved, '--context', contextFor('admin') ?? '', 'get', '--raw', '/version'], {
    encoding: 'utf8',
    timeout: 15_000,
  });
  let version = 'unknown';
  try {
    version = JSON.parse(versionResult.stdout).gitVersion ?? 'unknown';
  } catch {
    // Leave "unknown"; tests comparing versions skip external clusters anyway.
  }
  const unavailable = (what: string) => Promise.reject(new Error(`${what} is not available for an external cluster (GITOPS_LENS_TEST_KUBECONFIG)`));
  return {
    version,
    server,
    kubeconfigPath: resolved,
    dir: '',
    restrictedNamespace: process.env.GITOPS_LENS_TEST_RESTRICTED_NAMESPACE || RESTRICTED_NAMESPACE,
    users: { ...TEST_USERS },
    tokens: { admin: '', tool: '', restricted: '' },
    caPem: '',
    auditLogPath: undefined,
    external: true,
    auditEvents: () => unavailable('the audit log'),
    waitForAuditEvents: () => unavailable('the audit log'),
    kubectl: (args, opts = {}) => runKubectl(resolved, args, { context: contextFor(opts.context ?? 'admin'), input: opts.input }),
    api: () => unavailable('api()'),
    stop: async () => {},
  };
}

let cachedTestCluster: ControlPlane | undefined;

/**
 * The control plane tests should use, in this order:
 * 1. `GITOPS_LENS_TEST_CLUSTER_STATE`: the one `npm test` started (see test-runner-cluster.ts);
 * 2. `GITOPS_LENS_TEST_KUBECONFIG` alone: a user-provided cluster (`external: true`);
 * 3. a running `npm run cluster:up` control plane (its state file in the cache).
 *
 * When none is available: with `CI` set it throws (a CI run must never silently skip
 * cluster tests); otherwise it prints {@link NO_TEST_CLUSTER_REASON} once and returns
 * undefined, and the test should skip, e.g.
 * `test('drift', { skip: testCluster() ? false : NO_TEST_CLUSTER_REASON }, ...)`.
 * The returned object is shared; its stop() does nothing (the runner owns the processes).
 * A caller that starts its own control plane when there is none (the benchmarks) passes
 * `{ forTests: false }`: no skip notice and no CI failure.
 */
export function testCluster({ forTests = true }: { forTests?: boolean } = {}): ControlPlane | undefined {
  if (cachedTestCluster) return cachedTestCluster;
  const stateFile = process.env.GITOPS_LENS_TEST_CLUSTER_STATE;
  if (stateFile) {
    const state = readControlPlaneState(stateFile);
    if (!controlPlaneAlive(state)) {
      throw new Error(`GITOPS_LENS_TEST_CLUSTER_STATE=${stateFile} describes a control plane that is no longer running`);
    }
    return (cachedTestCluster = attachControlPlane(state));
  }
  if (process.env.GITOPS_LENS_TEST_KUBECONFIG) {
    return (cachedTestCluster = externalControlPlane(process.env.GITOPS_LENS_TEST_KUBECONFIG));
  }
  const upState = clusterUpStatePath();
  if (fs.existsSync(upState)) {
    const state = readControlPlaneState(upState);
    if (controlPlaneAlive(state)) return (cachedTestCluster = attachControlPlane(state));
  }
  if (!forTests) return undefined;
  if (isCi()) throw new Error(`CI is set but there is ${NO_TEST_CLUSTER_REASON}`);
  if (!warnedNoCluster) {
    warnedNoCluster = true;
    process.stderr.write(`[control-plane] skipping cluster tests: ${NO_TEST_CLUSTER_REASON}\n`);
  }
  return undefined;
}
let warnedNoCluster = false;
