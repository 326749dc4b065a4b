/**
 * The drift service: the stateful glue between open manifest files, their
 * bindings, one live cache per cluster context and the pure drift engine.
 * The LSP wiring (server/src/lsp) creates one, feeds it document texts, and
 * publishes what it emits; see ARCHITECTURE.md, "Wiring notes". No `vscode` or LSP
 * import here, so the CLI and tests use it as is.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { uriToPath } from '../util/uri-path.js';
import type { ConnectionState, GroupVersionKind, KubeObject, ManagedFieldsEntry } from '../cluster/cluster-types.js';
import { apiVersionOf, gvkOf } from '../cluster/cluster-types.js';
import type { Finding, Position, Range } from '../findings.js';
import { ClusterClient, isClusterError } from '../cluster/read-only-transport.js';
import { kubeconfigPaths, loadKubeconfig, transportOptionsFor, type LoadedKubeconfig } from '../cluster/kubeconfig.js';
import type { ApproveExec } from '../cluster/exec-credential.js';
import { LiveCache, scopeKey, type WatchScope } from '../cluster/live-cache.js';
import { agentKind, agentSourcesOf, deployStatus, deployStatusOf, resolveBinding, type AgentSource, type Binding, type BindingRule, type DeployStatus } from '../cluster/bindings.js';
import { redact } from '../secrets/mask-secrets.js';
import { computeDrift, mergeDriftReports, OffsetMapper, type DesiredDocument, type DriftReport, type LiveLookup } from './compute-drift.js';
import { desiredDocuments } from './desired-documents.js';
import { RenderCache, withRendered } from './rendered-desired.js';
import { KustomizeNamespaces } from '../manifests/kustomize-namespaces.js';
import { isKustomizationFile, WorkspaceIndex } from '../manifests/classify-document.js';
import { driftHover, driftQuickFixes, type DriftQuickFix } from './drift-hover.js';
import { rulesFromSetting, type IgnoreRule } from '../cluster/ignore-rules.js';

/** The settings drift reads (a structural subset of GitOpsLensSettings). */
export interface DriftSettings {
  kubeconfig: string;
  context: string;
  bindings: BindingRule[];
  ignoreDifferences: Array<{ group?: string; kind: string; name?: string; namespace?: string; jsonPointers: string[] }>;
  drift: { enable: boolean };
}

/** Construction options of {@link DriftService}. */
export interface DriftServiceOptions {
  /** Workspace folder (repo root): bindings are relative to it; git runs there. */
  workspaceRoot: string;
  /** Settings for a resource (pull model). In an untrusted workspace the wiring must pass only user-level values of restricted settings. */
  settings: (uri: string) => DriftSettings | Promise<DriftSettings>;
  /** Workspace trust at start. False: no cluster access at all, no command runs. Update with {@link DriftService.setTrusted}. */
  trusted: boolean;
  /** Approval for kubeconfig exec/auth-provider commands (the client remembers answers in globalState). */
  approve: ApproveExec;
  log?: (message: string) => void;
  /** Merge keys from the schema registry (SchemaRegistry.listMapKeys). */
  listMapKeys?: (apiVersion: string, kind: string, path: Array<string | number>) => string[] | undefined;
  /**
   * Called once per connected context with its OpenAPI v3 documents, for
   * SchemaRegistry.setClusterSchemas; `info` has the server (for the on-disk
   * cache key), its version and the documents keyed by group-version path.
   */
  onClusterSchemas?: (context: string, docs: unknown[], info: ClusterSchemaInfo) => void;
  /** Environment for KUBECONFIG (tests). */
  env?: NodeJS.ProcessEnv;
  /** Time zone for "at HH:MM" in messages. Default UTC. */
  timeZone?: string;
  /** User-Agent sent to the API server (appears in its audit log). Default `gitops-lens/drift`. */
  userAgent?: string;
}

/** What {@link DriftServiceOptions.onClusterSchemas} receives besides the documents. */
export interface ClusterSchemaInfo {
  /** The API server URL of the context (a cache key; not a credential). */
  server?: string;
  /** `GET /version` gitVersion. */
  kubernetesVersion?: string;
  /** The documents keyed by group-version path (`apis/apps/v1`). */
  documents: Record<string, unknown>;
}

/** Connection state of one context, with what the status bar shows. */
export interface ContextStatus {
  context: string;
  state: ConnectionState;
  server?: string;
  /** Kinds the identity cannot list. */
  noAccess: string[];
}

interface Connection {
  context: string;
  client?: ClusterClient;
  cache?: LiveCache;
  state: ConnectionState;
  server?: string;
  ready: Promise<void>;
  /** namespaced flag per apiVersion|kind; undefined = not served. */
  kinds: Map<string, { namespaced: boolean } | null>;
  managed: Map<string, { rv: string; fields: ManagedFieldsEntry[] | undefined; pending?: boolean }>;
  /** When the last connection attempt failed (for retry). */
  failedAt?: number;
  /** Group-version paths (`apis/apps/v1`) of the last OpenAPI v3 fetch; undefined before it. */
  openapiPaths?: Set<string>;
  schemaFetch?: Promise<void>;
}

interface OpenDoc {
  uri: string;
  text: string;
  docs: DesiredDocument[];
  binding: Binding;
  contextName: string;
  namespace: string;
  report?: DriftReport;
  lastPublished?: string;
  settings: DriftSettings;
  mapper?: OffsetMapper;
  /** Documents touched by watch events since the last recomputation; undefined = all. */
  dirty?: Set<number>;
}

type FindingsListener = (uri: string, findings: Finding[]) => void;
type StateListener = (status: ContextStatus) => void;
type DeployListener = (uri: string) => void;

/** The name the agent applies a desired object under: the rendered one (namePrefix/nameSuffix) when known. */
function liveNameOf(doc: DesiredDocument): string | undefined {
  return doc.rendered?.name ?? doc.name;
}

/** Flux's targetNamespace overrides every namespaced object's namespace; Argo CD's destination only defaults it. */
function forcedNamespace(binding: Binding): string | undefined {
  return binding.source === 'flux-kustomization' ? binding.agent?.targetNamespace : undefined;
}

/**
 * Drift for open files. Emits findings through {@link onFindings} whenever
 * they change: after setDocuments, after a watch event touching a bound
 * object, and when a connection changes state (then drift becomes
 * "unknown", never stale).
 */
export class DriftService {
  private readonly docs = new Map<string, OpenDoc>();
  private readonly connections = new Map<string, Connection>();
  private readonly agentsByFile = new Map<string, AgentSource[]>();
  /** Kustomizations and Helm charts of the workspace, so patches and chart files are not compared as objects. */
  private readonly index = new WorkspaceIndex();
  /** The same kustomizations, for the namespace kustomize gives objects that don't set one. */
  private readonly kustomizeNamespaces = new KustomizeNamespaces();
  private reclassifyScheduled = false;
  /** Kustomize renders of open files (desired values after overlays), reused until a file they read changes on disk. */
  private renders: RenderCache | undefined;
  /** Bumped on every kustomization update: a new overlay can change what a file renders to. */
  private kustomizeGeneration = 0;
  private readonly findingsListeners = new Set<FindingsListener>();
  private readonly stateListeners = new Set<StateListener>();
  private readonly deployListeners = new Set<DeployListener>();
  private kubeconfig: { key: string; kc: LoadedKubeconfig } | undefined;
  private disposed = false;
  private pending = new Set<string>();
  /** Files needing a full recomputation (state change, relist) rather than per-document updates. */
  private pendingFull = new Set<string>();
  private flushScheduled = false;

  private trusted: boolean;

  constructor(private readonly opts: DriftServiceOptions) {
    this.trusted = opts.trusted;
  }

  /**
   * Workspace trust changed (ClusterGate / gitops/trustChanged). Becoming
   * untrusted drops every connection at once; becoming trusted reconnects
   * the open files.
   */
  async setTrusted(trusted: boolean): Promise<void> {
    if (this.trusted === trusted) return;
    this.trusted = trusted;
    await this.refresh();
  }

  /** Subscribes to findings per file (source `gitops-lens-drift`). */
  onFindings(listener: FindingsListener): () => void {
    this.findingsListeners.add(listener);
    return () => this.findingsListeners.delete(listener);
  }

  /** Subscribes to connection state changes (status bar). */
  onConnectionState(listener: StateListener): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  /**
   * Subscribes to changes of a file's "is my commit deployed?" inputs: the
   * watched Flux Kustomization / Argo CD Application that binds it changed
   * (its status, through the watch) or was (re)listed. Call
   * {@link deployStatus} for the new text.
   */
  onDeployStatusChange(listener: DeployListener): () => void {
    this.deployListeners.add(listener);
    return () => this.deployListeners.delete(listener);
  }

  private log(message: string): void {
    this.opts.log?.(redact(message));
  }

  /**
   * Records Flux Kustomizations / Argo CD Applications of a workspace file
   * (open or not) for binding discovery, and kustomization / Chart.yaml
   * files for the document classification (patches and chart files are not
   * objects). Pass undefined when it is deleted.
   */
  updateWorkspaceFile(uri: string, text: string | undefined): void {
    if (this.indexFile(uri, text)) this.scheduleReclassify(uri);
    this.recordAgents(uri, text);
  }

  /** Kustomization and Chart.yaml files, for the document classification; true when a classification may have changed. */
  private indexFile(uri: string, text: string | undefined): boolean {
    const p = uriToPath(uri);
    if (!isKustomizationFile(p) && !/^Chart\.ya?ml$/.test(path.basename(p))) return false;
    const before = this.index.generation;
    this.index.updateFile(p, text);
    this.kustomizeNamespaces.updateFile(p, text);
    if (isKustomizationFile(p)) this.kustomizeGeneration++;
    return this.index.generation !== before;
  }

  /** A kustomization or chart changed: open files may hold patches or chart files that weren't known as such (or the reverse). */
  private scheduleReclassify(except: string): void {
    if (this.reclassifyScheduled || ![...this.docs.keys()].some((u) => u !== except)) return;
    this.reclassifyScheduled = true;
    setImmediate(() => {
      this.reclassifyScheduled = false;
      for (const d of [...this.docs.values()]) if (d.uri !== except) void this.setDocuments(d.uri, d.text);
    });
  }

  private recordAgents(uri: string, text: string | undefined): void {
    if (text === undefined) {
      this.agentsByFile.delete(uri);
      return;
    }
    if (!/kustomize\.toolkit\.fluxcd\.io|argoproj\.io/.test(text)) {
      this.agentsByFile.delete(uri);
      return;
    }
    const rel = path.relative(this.opts.workspaceRoot, uriToPath(uri)).replace(/\\/g, '/');
    this.agentsByFile.set(uri, agentSourcesOf(desiredDocuments(text).map((d) => ({ file: rel, value: d.value }))));
  }

  /** All agent objects known in the workspace. */
  agents(): AgentSource[] {
    return [...this.agentsByFile.values()].flat();
  }

  /** The binding of a file. */
  bindingOf(uri: string, settings: DriftSettings): Binding {
    const rel = path.relative(this.opts.workspaceRoot, uriToPath(uri)).replace(/\\/g, '/');
    return resolveBinding(rel, { bindings: settings.bindings, context: settings.context }, this.agents());
  }

  /** Opens or updates a file; drift findings follow through onFindings. */
  async setDocuments(uri: string, text: string): Promise<void> {
    if (this.disposed) return;
    this.updateWorkspaceFile(uri, text);
    const settings = await this.opts.settings(uri);
    if (!settings.drift?.enable) {
      this.docs.delete(uri);
      this.publish(uri, []);
      return;
    }
    const docs = desiredDocuments(text, { filePath: uriToPath(uri), index: this.index, patches: true });
    const binding = this.bindingOf(uri, settings);
    if (!this.trusted) {
      // Restricted Mode: no cluster access at all, so no drift findings either.
      this.docs.set(uri, { uri, text, docs, binding, contextName: '', namespace: 'default', settings });
      this.publish(uri, []);
      return;
    }
    let contextName = binding.context;
    // A kustomization's `namespace:` is set on the built objects, so it wins over the binding's default
    // (Argo CD's destination.namespace only fills objects still without one); Flux's targetNamespace wins over both.
    const kustomizeNamespace = this.kustomizeNamespaces.namespaceOf(uriToPath(uri));
    let namespace = kustomizeNamespace ?? binding.namespace ?? 'default';
    try {
      const kc = this.loadKubeconfig(settings);
      const rc = kc.resolve(contextName || undefined);
      contextName = rc.context;
      namespace = kustomizeNamespace ?? binding.namespace ?? rc.namespace;
    } catch (e) {
      this.log(`Drift: ${(e as Error).message}`);
      this.docs.set(uri, { uri, text, docs, binding, contextName: contextName || '(none)', namespace, settings });
      this.publish(uri, docs.length ? this.unknownFindings(uri, text, docs, namespace, (e as Error).message) : []);
      return;
    }
    const doc: OpenDoc = { uri, text, docs, binding, contextName, namespace, settings };
    this.docs.set(uri, doc);
    const conn = this.connection(contextName, settings);
    this.recompute(doc);
    void this.attachRendered(doc);
    await conn.ready;
    // The agent object's kind too: its status ("is my commit deployed?") is followed through the same watch.
    await this.ensureKinds(conn, binding.agent ? [...docs, { apiVersion: binding.agent.apiVersion, kind: agentKind(binding.agent) }] : docs);
    this.updateScopes(conn);
    this.recompute(doc);
  }

  /**
   * Takes desired values from the kustomize render of the file (overlay
   * patches applied) when a kustomization builds it and the open text is the
   * file on disk (the render reads the disk; an unsaved edit keeps today's
   * file-as-written comparison), then recomputes. Render failures keep the
   * file's values.
   */
  private async attachRendered(doc: OpenDoc): Promise<void> {
    const file = uriToPath(doc.uri);
    if (!doc.docs.length || !path.isAbsolute(file) || !this.kustomizeNamespaces.isBuilt(file)) return;
    try {
      if ((await fs.promises.readFile(file, 'utf8')) !== doc.text) return;
      this.renders ??= new RenderCache(this.opts.workspaceRoot);
      const index = await this.renders.get(file, this.kustomizeGeneration);
      if (this.disposed || this.docs.get(doc.uri) !== doc) return;
      withRendered(index, file, doc.docs);
      if (doc.docs.some((d) => d.rendered)) this.recompute(doc);
    } catch (e) {
      this.log(`Drift: kustomize render of ${file} failed, comparing the file as written: ${(e as Error).message}`);
    }
  }

  /** Forgets a closed file and clears its drift findings. */
  closeDocument(uri: string): void {
    const d = this.docs.get(uri);
    this.docs.delete(uri);
    this.renders?.delete(uriToPath(uri));
    this.publish(uri, []);
    if (d) {
      const conn = this.connections.get(d.contextName);
      if (conn) this.updateScopes(conn);
    }
  }

  /** The drift report of an open file (tests, CLI, benchmarks). */
  report(uri: string): DriftReport | undefined {
    return this.docs.get(uri)?.report;
  }

  /** Hover for a position of an open file. `text` must be the text last passed to setDocuments (else undefined). */
  hover(uri: string, text: string, position: Position): { markdown: string; range: Range } | undefined {
    const d = this.docs.get(uri);
    if (!d?.report || d.text !== text) return undefined;
    return driftHover(d.report, position);
  }

  /** Quick-fix data for a range of an open file. */
  codeActions(uri: string, range: Range): DriftQuickFix[] {
    const d = this.docs.get(uri);
    return d?.report ? driftQuickFixes(d.report, range) : [];
  }

  /** Connection state of the context an open file is bound to (or of a context by name). */
  connectionState(uriOrContext?: string): ContextStatus {
    if (!this.trusted) return { context: '', state: { kind: 'disabled', reason: 'Cluster access is off in Restricted Mode. Trust this folder to see drift.' }, noAccess: [] };
    const name = (uriOrContext && this.docs.get(uriOrContext)?.contextName) ?? uriOrContext ?? [...this.connections.keys()][0] ?? '';
    const conn = this.connections.get(name);
    if (!conn) return { context: name, state: { kind: 'disabled', reason: 'No cluster-bound manifest is open.' }, noAccess: [] };
    return { context: name, state: this.stateOf(conn), server: conn.server, noAccess: this.noAccessOf(conn) };
  }

  /** "Is my commit deployed?" for a file bound through a Flux Kustomization or Argo CD Application. */
  async deployStatus(uri: string, signal?: AbortSignal): Promise<DeployStatus | undefined> {
    const d = this.docs.get(uri);
    if (!d?.binding.agent || !this.trusted) return undefined;
    const conn = this.connections.get(d.contextName);
    if (!conn) return undefined;
    await conn.ready;
    if (!conn.client) return { kind: 'unknown', reason: 'not connected', text: 'deploy status unknown: not connected' };
    // While the agent object is watched, its status is already here; otherwise (no list access, kind not served yet) one GET.
    const scope = this.agentScopeOf(conn, d.binding.agent);
    if (scope && conn.cache?.scopeState(scope)?.kind === 'synced') {
      return deployStatusOf(conn.cache.get(scope.gvk, scope.namespace, d.binding.agent.name), d.binding.agent, this.opts.workspaceRoot);
    }
    return deployStatus(conn.client, d.binding.agent, this.opts.workspaceRoot, signal);
  }

  /** Drops kubeconfig and connections (after a settings or kubeconfig change) and recomputes open files. */
  async refresh(): Promise<void> {
    this.kubeconfig = undefined;
    for (const c of this.connections.values()) this.closeConnection(c);
    this.connections.clear();
    await Promise.all([...this.docs.values()].map((d) => this.setDocuments(d.uri, d.text)));
  }

  dispose(): void {
    this.disposed = true;
    for (const c of this.connections.values()) this.closeConnection(c);
    this.connections.clear();
    this.findingsListeners.clear();
    this.stateListeners.clear();
    this.deployListeners.clear();
  }

  private closeConnection(c: Connection): void {
    c.cache?.dispose();
    c.client?.dispose();
  }

  private loadKubeconfig(settings: DriftSettings): LoadedKubeconfig {
    const files = kubeconfigPaths(settings.kubeconfig, this.opts.env ?? process.env);
    const key = files.join('\n');
    if (this.kubeconfig?.key !== key) this.kubeconfig = { key, kc: loadKubeconfig(files) };
    return this.kubeconfig.kc;
  }

  private connection(context: string, settings: DriftSettings): Connection {
    let c = this.connections.get(context);
    // A failed connection is retried when a file is opened or edited, at most every 10 s.
    if (c && c.failedAt !== undefined && Date.now() - c.failedAt > 10_000) {
      this.closeConnection(c);
      this.connections.delete(context);
      c = undefined;
    }
    if (c) return c;
    const conn: Connection = { context, state: { kind: 'connecting' }, ready: Promise.resolve(), kinds: new Map(), managed: new Map() };
    c = conn;
    this.connections.set(context, conn);
    conn.ready = (async () => {
      try {
        const rc = this.loadKubeconfig(settings).resolve(context);
        conn.server = rc.server;
        const topts = await transportOptionsFor(rc, { trusted: this.trusted, approve: this.opts.approve });
        conn.client = ClusterClient.create({ ...topts, userAgent: this.opts.userAgent ?? 'gitops-lens/drift' });
        const version = await conn.client.serverVersion();
        if (this.disposed || this.connections.get(context) !== conn) {
          // Disposed or refreshed while connecting: don't start watches nobody will stop.
          conn.client.dispose();
          return;
        }
        conn.state = { kind: 'connected', serverVersion: version };
        conn.cache = new LiveCache(conn.client, { log: (m) => this.log(`[${context}] ${m}`) });
        conn.cache.onChange((e) => this.onCacheEvent(conn, e.scope, e.type, e.object));
        this.log(`Connected to context "${context}" (${rc.server}, ${version}).`);
        void this.fetchClusterSchemas(conn, []);
      } catch (e) {
        const err = e as Error & { status?: number; reason?: string };
        const reason = redact(err.message);
        conn.state =
          err.reason === 'NotApproved' || err.reason === 'Untrusted'
            ? { kind: 'needs-approval', reason }
            : err.status === 401
              ? { kind: 'unauthorized', reason }
              : { kind: 'unreachable', reason };
        conn.failedAt = Date.now();
        this.log(`Context "${context}": ${reason}`);
      }
      this.emitState(conn);
    })();
    return conn;
  }

  /**
   * Hands the cluster's OpenAPI v3 documents to the schema registry. When
   * `needed` group-versions are missing from what the server publishes (a
   * CRD installed moments ago: the OpenAPI aggregator lags discovery), it
   * fetches again a few times, 2 s apart.
   */
  private fetchClusterSchemas(conn: Connection, needed: string[]): Promise<void> {
    if (!this.opts.onClusterSchemas || !conn.client) return Promise.resolve();
    if (conn.schemaFetch) return conn.schemaFetch.then(() => (needed.every((n) => conn.openapiPaths?.has(n)) ? undefined : this.fetchClusterSchemas(conn, needed)));
    const client = conn.client;
    conn.schemaFetch = (async () => {
      for (let attempt = 0; attempt < 5 && !this.disposed; attempt++) {
        if (attempt) await new Promise((r) => setTimeout(r, 2000));
        try {
          const docs = await client.openapiV3();
          conn.openapiPaths = new Set(Object.keys(docs));
          const version = conn.state.kind === 'connected' ? conn.state.serverVersion : undefined;
          this.opts.onClusterSchemas?.(conn.context, Object.values(docs), { server: conn.server, kubernetesVersion: version, documents: docs });
        } catch (e) {
          this.log(`Cluster schemas of "${conn.context}" unavailable: ${(e as Error).message}`);
          return;
        }
        if (needed.every((n) => conn.openapiPaths?.has(n))) return;
      }
    })().finally(() => {
      conn.schemaFetch = undefined;
    });
    return conn.schemaFetch;
  }

  private stateOf(conn: Connection): ConnectionState {
    if (conn.state.kind !== 'connected' || !conn.cache) return conn.state;
    const s = conn.cache.connectionState;
    return s.kind === 'connected' ? conn.state : s;
  }

  private noAccessOf(conn: Connection): string[] {
    if (!conn.cache) return [];
    return conn.cache
      .scopes()
      .filter((s) => conn.cache?.scopeState(s)?.kind === 'no-access')
      .map((s) => `${s.gvk.kind}${s.namespace ? ` in ${s.namespace}` : ''}`);
  }

  private emitState(conn: Connection): void {
    const status: ContextStatus = { context: conn.context, state: this.stateOf(conn), server: conn.server, noAccess: this.noAccessOf(conn) };
    for (const l of this.stateListeners) {
      try {
        l(status);
      } catch {
        // A listener's failure must not stop drift.
      }
    }
  }

  private async ensureKinds(conn: Connection, docs: ReadonlyArray<{ apiVersion?: string; kind?: string }>): Promise<void> {
    // After a failed connect the client exists but the server is unreachable or stalled;
    // discovery would only hold back the "drift unknown" report by another request timeout.
    if (!conn.client || conn.state.kind !== 'connected') return;
    const wanted = new Map<string, GroupVersionKind>();
    for (const d of docs) if (d.apiVersion && d.kind) wanted.set(`${d.apiVersion}|${d.kind}`, gvkOf(d.apiVersion, d.kind));
    await Promise.all(
      [...wanted].map(async ([k, gvk]) => {
        if (conn.kinds.has(k)) return;
        try {
          const info = await conn.client!.resourceFor(gvk);
          conn.kinds.set(k, info ? { namespaced: info.namespaced } : null);
          const gvPath = gvk.group ? `apis/${gvk.group}/${gvk.version}` : `api/${gvk.version}`;
          if (info && !conn.openapiPaths?.has(gvPath)) void this.fetchClusterSchemas(conn, [gvPath]);
        } catch (e) {
          // 403 on discovery of a group: treat as not known yet; the list will tell (no-access).
          if (isClusterError(e) && e.status === 403) conn.kinds.set(k, { namespaced: true });
          else this.log(`Discovery of ${k} failed: ${(e as Error).message}`);
        }
      }),
    );
  }

  private scopeOf(conn: Connection, d: DesiredDocument, defaultNs: string, forced?: string): WatchScope | undefined {
    if (!d.apiVersion || !d.kind) return undefined;
    const info = conn.kinds.get(`${d.apiVersion}|${d.kind}`);
    if (!info) return undefined;
    return { gvk: gvkOf(d.apiVersion, d.kind), namespace: info.namespaced ? forced ?? d.namespace ?? defaultNs : '' };
  }

  /** The watch scope of the agent object a binding came from, once discovery knows its kind is served. */
  private agentScopeOf(conn: Connection, agent: AgentSource): WatchScope | undefined {
    const kind = agentKind(agent);
    const info = conn.kinds.get(`${agent.apiVersion}|${kind}`);
    if (!info) return undefined;
    return { gvk: gvkOf(agent.apiVersion, kind), namespace: info.namespaced ? agent.namespace : '' };
  }

  private updateScopes(conn: Connection): void {
    if (!conn.cache) return;
    const scopes = new Map<string, WatchScope>();
    for (const d of this.docs.values()) {
      if (d.contextName !== conn.context) continue;
      for (const x of d.docs) {
        const s = this.scopeOf(conn, x, d.namespace, forcedNamespace(d.binding));
        if (s) scopes.set(scopeKey(s), s);
      }
      const a = d.binding.agent && this.agentScopeOf(conn, d.binding.agent);
      if (a) scopes.set(scopeKey(a), a);
    }
    conn.cache.setScopes([...scopes.values()]);
  }

  private onCacheEvent(conn: Connection, scope: WatchScope, type: string, object?: KubeObject): void {
    const key = scopeKey(scope);
    const deployChanged: string[] = [];
    for (const d of this.docs.values()) {
      if (d.contextName !== conn.context) continue;
      const agent = d.binding.agent;
      if (agent && (type !== 'change' || object?.metadata.name === agent.name)) {
        const a = this.agentScopeOf(conn, agent);
        if (a && scopeKey(a) === key) deployChanged.push(d.uri);
      }
      const forced = forcedNamespace(d.binding);
      const hits: number[] = [];
      d.docs.forEach((x, i) => {
        const s = this.scopeOf(conn, x, d.namespace, forced);
        // A change event names one object: only the documents declaring it need recomputing.
        if (s && scopeKey(s) === key && (type !== 'change' || !object || liveNameOf(x) === object.metadata.name)) hits.push(i);
      });
      if (!hits.length) continue;
      this.pending.add(d.uri);
      if (type === 'change' && object && d.report) {
        if (d.dirty) for (const i of hits) d.dirty.add(i);
        else if (!this.pendingFull.has(d.uri)) d.dirty = new Set(hits);
      } else {
        this.pendingFull.add(d.uri);
        d.dirty = undefined;
      }
    }
    if (type === 'state') this.emitState(conn);
    this.scheduleFlush();
    for (const uri of deployChanged) {
      for (const l of this.deployListeners) {
        try {
          l(uri);
        } catch {
          // A listener's failure must not stop drift.
        }
      }
    }
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // Coalesces a burst of watch events into one recomputation per file.
    setImmediate(() => {
      this.flushScheduled = false;
      const uris = [...this.pending];
      this.pending.clear();
      this.pendingFull.clear();
      for (const u of uris) {
        const d = this.docs.get(u);
        if (!d) continue;
        const only = d.dirty;
        d.dirty = undefined;
        this.recompute(d, only);
      }
    });
  }

  private lookupFor(conn: Connection | undefined, d: OpenDoc): (doc: DesiredDocument, namespace: string) => LiveLookup {
    return (doc) => {
      if (!conn) return { state: 'unknown', reason: 'not connected.' };
      const st = this.stateOf(conn);
      if (conn.state.kind !== 'connected' || !conn.cache) {
        const why = 'reason' in conn.state ? conn.state.reason : 'connecting…';
        return conn.state.kind === 'connecting'
          ? { state: 'unknown', reason: `connecting to context "${conn.context}"…`, transient: true }
          : { state: 'unknown', reason: `context "${conn.context}": ${why}` };
      }
      const k = `${doc.apiVersion}|${doc.kind}`;
      if (!conn.kinds.has(k)) return { state: 'unknown', reason: 'discovering the kind…', transient: true };
      const info = conn.kinds.get(k);
      if (info === null) return { state: 'not-served' };
      const scope = this.scopeOf(conn, doc, d.namespace, forcedNamespace(d.binding))!;
      const ss = conn.cache.scopeState(scope);
      if (!ss || ss.kind === 'syncing') return { state: 'unknown', reason: 'loading live objects…', transient: true };
      if (ss.kind === 'no-access') return { state: 'no-access', reason: ss.reason };
      if (ss.kind === 'not-served') return { state: 'not-served' };
      if (ss.kind === 'error') return { state: 'unknown', reason: `disconnected from the cluster (${ss.reason}); drift will update when the connection is back.` };
      if (st.kind !== 'connected' && st.kind !== 'connecting') return { state: 'unknown', reason: 'disconnected from the cluster.' };
      const name = liveNameOf(doc) ?? '';
      const live = conn.cache.get(scope.gvk, scope.namespace, name);
      if (!live) return { state: 'missing' };
      const mk = `${scopeKey(scope)}|${name}`;
      const m = conn.managed.get(mk);
      return { state: 'present', object: live, managedFields: m && m.rv === live.metadata.resourceVersion ? m.fields : undefined };
    };
  }

  private recompute(d: OpenDoc, only?: ReadonlySet<number>): void {
    if (this.disposed || this.docs.get(d.uri) !== d) return;
    if (only && !d.report) only = undefined;
    d.mapper ??= new OffsetMapper(d.text);
    const conn = this.connections.get(d.contextName);
    const ignore: IgnoreRule[] = [...rulesFromSetting(d.settings.ignoreDifferences ?? []), ...(d.binding.agent?.ignore ?? [])];
    let report: DriftReport;
    try {
      report = computeDrift({
        text: d.text,
        documents: d.docs,
        defaultNamespace: d.namespace,
        forceNamespace: forcedNamespace(d.binding),
        clusterScoped: (apiVersion, kind) => conn?.kinds.get(`${apiVersion}|${kind}`)?.namespaced === false,
        lookup: this.lookupFor(conn, d),
        listMapKeys: this.opts.listMapKeys,
        ignore,
        timeZone: this.opts.timeZone,
        only,
        mapper: d.mapper,
      });
      if (only && d.report) report = mergeDriftReports(d.report, report, only);
    } catch (e) {
      this.log(`Drift computation failed for ${d.uri}: ${(e as Error).message}`);
      return;
    }
    d.report = report;
    this.publish(d.uri, report.findings);
    if (conn) this.fetchManagersForDrift(conn, d, report);
  }

  /** managedFields are fetched on demand, only for objects that drifted, once per resourceVersion. */
  private fetchManagersForDrift(conn: Connection, d: OpenDoc, report: DriftReport): void {
    if (!conn.client || !conn.cache) return;
    const drifted = new Set(report.fields.filter((f) => f.status === 'drift' && !f.owner).map((f) => f.docIndex));
    for (const i of drifted) {
      const doc = d.docs[i];
      const scope = this.scopeOf(conn, doc, d.namespace, forcedNamespace(d.binding));
      const name = liveNameOf(doc);
      if (!scope || !name) continue;
      const live = conn.cache.get(scope.gvk, scope.namespace, name);
      if (!live) continue;
      const mk = `${scopeKey(scope)}|${name}`;
      const rv = live.metadata.resourceVersion ?? '';
      const m = conn.managed.get(mk);
      if (m && (m.rv === rv || m.pending)) continue;
      conn.managed.set(mk, { rv: m?.rv ?? '', fields: m?.fields, pending: true });
      conn.client
        .getWithManagedFields(scope.gvk, scope.namespace || undefined, name)
        .then((obj: KubeObject | undefined) => {
          conn.managed.set(mk, { rv: obj?.metadata.resourceVersion ?? rv, fields: obj?.metadata.managedFields });
          // The fetched object may be newer than the cache; the watch will catch up and recompute again.
          const cur = this.docs.get(d.uri);
          if (cur) this.recompute(cur, cur === d ? new Set([i]) : undefined);
        })
        .catch((e) => {
          conn.managed.set(mk, { rv, fields: undefined });
          this.log(`managedFields of ${apiVersionOf(scope.gvk)} ${doc.kind} ${doc.name}: ${(e as Error).message}`);
        });
    }
  }

  private unknownFindings(uri: string, text: string, docs: DesiredDocument[], namespace: string, reason: string): Finding[] {
    return computeDrift({ text, documents: docs, defaultNamespace: namespace, lookup: () => ({ state: 'unknown', reason: redact(reason) }) }).findings;
  }

  private publish(uri: string, findings: Finding[]): void {
    const d = this.docs.get(uri);
    const key = JSON.stringify(findings);
    if (d) {
      if (d.lastPublished === key) return;
      d.lastPublished = key;
    }
    for (const l of this.findingsListeners) {
      try {
        l(uri, findings);
      } catch (e) {
        this.log(`findings listener failed: ${(e as Error).message}`);
      }
    }
  }
}
