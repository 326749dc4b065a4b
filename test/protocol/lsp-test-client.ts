/**
 * A real LSP client for protocol tests: it starts the bundled server
 * (`node dist/server.js --stdio`) as a child process and speaks JSON-RPC to
 * it over its stdin/stdout, answering the server's requests the way VS Code
 * does (workspace/configuration, client/registerCapability,
 * gitops/approveCredentials). Waiting is done by polling for a condition,
 * never by sleeping a fixed time.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  createProtocolConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type ProtocolConnection,
} from 'vscode-languageserver-protocol/node';
import {
  CompletionRequest,
  ConfigurationRequest,
  DidChangeConfigurationNotification,
  DidChangeTextDocumentNotification,
  DidCloseTextDocumentNotification,
  DidOpenTextDocumentNotification,
  ExitNotification,
  HoverRequest,
  InitializedNotification,
  InitializeRequest,
  LogMessageNotification,
  PublishDiagnosticsNotification,
  RegistrationRequest,
  ShutdownRequest,
  type CompletionItem,
  type CompletionList,
  type Diagnostic,
  type Hover,
  type InitializeResult,
  type PublishDiagnosticsParams,
  type Range,
  type TextDocumentContentChangeEvent,
} from 'vscode-languageserver-protocol';
import {
  ApproveCredentialsRequest,
  ConnectionStatusNotification,
  StatsRequest,
  type ConnectionStatusParams,
  type StatsResult,
} from '../../server/src/protocol/protocol.js';
import { lspNotification, lspRequest, lspRequest0 } from '../../server/src/lsp/lsp-messages.js';

/** The repository root: the nearest folder upwards from the working directory whose package.json is this extension's. */
export const repoRoot = findRepoRoot(process.cwd());

function findRepoRoot(start: string): string {
  for (let dir = resolve(start); ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && /"name":\s*"gitops-lens"/.test(readFileSync(manifest, 'utf8'))) return dir;
    if (dirname(dir) === dir) throw new Error(`Run the protocol tests from inside the gitops-lens repository (cwd: ${start}).`);
  }
}
/**
 * The bundled server the tests start. GITOPS_LENS_SERVER_BUNDLE points the
 * tests at another bundle (for example one built with a different engine
 * while developing); it is never set in CI.
 */
export const serverBundle = process.env.GITOPS_LENS_SERVER_BUNDLE ?? join(repoRoot, 'dist', 'server.js');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * Builds dist/ with scripts/build.mjs unless dist/server.js is newer than
 * every server source file (npm test builds once before all tiers). Test
 * files run in parallel processes, so a lock directory makes sure only one
 * of them builds while the others wait for it.
 */
export function ensureBundle(): void {
  if (process.env.GITOPS_LENS_SERVER_BUNDLE) return;
  const fresh = () => existsSync(serverBundle) && statSync(serverBundle).mtimeMs >= newestMtime(join(repoRoot, 'server', 'src'));
  if (fresh()) return;
  const lock = join(repoRoot, 'dist', '.build-lock');
  mkdirSync(join(repoRoot, 'dist'), { recursive: true });
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // Another test process is building; once it is done the bundle is fresh.
      if (Date.now() > deadline) throw new Error(`Timed out waiting for ${lock} (remove it if no build is running).`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
      if (!existsSync(lock) && existsSync(serverBundle)) return;
    }
  }
  try {
    const r = spawnSync(process.execPath, [join(repoRoot, 'scripts', 'build.mjs')], { cwd: repoRoot, encoding: 'utf8' });
    if (r.status !== 0 || !existsSync(serverBundle)) {
      throw new Error(`Building the server bundle failed:\n${r.stdout}\n${r.stderr}`);
    }
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** Options of {@link LspTestClient.start}. */
export interface StartOptions {
  /** Workspace folders (absolute paths). */
  folders?: string[];
  /** Value of `initializationOptions.trusted`. */
  trusted?: boolean;
  /** Value of `initializationOptions.globalStoragePath` (where cluster schemas are cached). */
  storagePath?: string;
  /** The `gitopsLens` section returned for every scope; change it with {@link LspTestClient.setSettings}. */
  settings?: Record<string, unknown>;
  /** Extra environment for the server process (e.g. `KUBECONFIG`), on top of this process's. */
  env?: Record<string, string>;
  /**
   * Resource-scoped settings, like a multi-root workspace's per-folder
   * values: the `gitopsLens` section for a `scopeUri` (undefined: use {@link settings}).
   */
  settingsFor?: (scopeUri: string | undefined) => Record<string, unknown> | undefined;
}

/** A running server plus the client side of the connection. */
export class LspTestClient {
  readonly diagnostics = new Map<string, PublishDiagnosticsParams>();
  readonly logs: string[] = [];
  readonly configurationRequests: Array<{ scopeUri?: string; section?: string }> = [];
  readonly statuses: ConnectionStatusParams[] = [];
  readonly registrations: string[] = [];
  private readonly versions = new Map<string, number>();
  private settings: Record<string, unknown>;
  private stderr = '';

  private constructor(
    readonly process: ChildProcess,
    readonly connection: ProtocolConnection,
    settings: Record<string, unknown>,
  ) {
    this.settings = settings;
  }

  /** Starts `node dist/server.js --stdio` and completes initialize/initialized. */
  static async start(options: StartOptions = {}): Promise<{ client: LspTestClient; init: InitializeResult }> {
    // GITOPS_LENS_SERVER_NODE runs the server on another Node (e.g. the Node 20 of older VS Code extension hosts).
    const node = process.env.GITOPS_LENS_SERVER_NODE ?? process.execPath;
    const child = spawn(node, [serverBundle, '--stdio'], {
      cwd: repoRoot,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...options.env },
    });
    const connection = createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    const client = new LspTestClient(child, connection, options.settings ?? {});
    child.stderr!.on('data', (d: Buffer) => (client.stderr += d.toString()));
    connection.onNotification(PublishDiagnosticsNotification.type, (p) => {
      client.diagnostics.set(p.uri, p);
    });
    connection.onNotification(LogMessageNotification.type, (p) => {
      client.logs.push(p.message);
    });
    connection.onNotification(lspNotification(ConnectionStatusNotification), (p) => {
      client.statuses.push(p);
    });
    connection.onRequest(ConfigurationRequest.type, (params) => {
      client.configurationRequests.push(...params.items);
      return params.items.map((item) => (item.section === 'gitopsLens' ? structuredClone(options.settingsFor?.(item.scopeUri) ?? client.settings) : null));
    });
    connection.onRequest(RegistrationRequest.type, (params) => {
      client.registrations.push(...params.registrations.map((r) => r.method));
    });
    connection.onRequest(lspRequest(ApproveCredentialsRequest), () => ({ approved: false }));
    connection.listen();
    const folders = options.folders ?? [];
    const init = await connection.sendRequest(InitializeRequest.type, {
      processId: process.pid,
      rootUri: folders[0] ? pathToFileURL(folders[0]).href : null,
      workspaceFolders: folders.map((f) => ({ uri: pathToFileURL(f).href, name: f })),
      initializationOptions: { trusted: options.trusted ?? false, ...(options.storagePath ? { globalStoragePath: options.storagePath } : {}) },
      capabilities: {
        workspace: {
          configuration: true,
          didChangeConfiguration: { dynamicRegistration: true },
          didChangeWatchedFiles: { dynamicRegistration: true },
          workspaceFolders: true,
        },
        textDocument: {
          synchronization: { dynamicRegistration: false },
          publishDiagnostics: { versionSupport: true },
          hover: { contentFormat: ['markdown', 'plaintext'] },
          completion: { completionItem: { snippetSupport: true, documentationFormat: ['markdown'] } },
        },
      },
    });
    await connection.sendNotification(InitializedNotification.type, {});
    return { client, init };
  }

  /** Replaces the settings and tells the server they changed. */
  async setSettings(settings: Record<string, unknown>): Promise<void> {
    this.settings = settings;
    await this.connection.sendNotification(DidChangeConfigurationNotification.type, { settings: null });
  }

  async open(uri: string, text: string): Promise<void> {
    this.versions.set(uri, 1);
    this.diagnostics.delete(uri);
    await this.connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri, languageId: 'yaml', version: 1, text },
    });
  }

  /** Sends incremental changes; returns the new version. */
  async change(uri: string, changes: TextDocumentContentChangeEvent[]): Promise<number> {
    const version = (this.versions.get(uri) ?? 1) + 1;
    this.versions.set(uri, version);
    await this.connection.sendNotification(DidChangeTextDocumentNotification.type, {
      textDocument: { uri, version },
      contentChanges: changes,
    });
    return version;
  }

  async close(uri: string): Promise<void> {
    await this.connection.sendNotification(DidCloseTextDocumentNotification.type, { textDocument: { uri } });
  }

  /** Waits for the diagnostics of `uri` published for `version` (or any version when omitted). */
  async diagnosticsFor(uri: string, version?: number, timeoutMs = 10_000): Promise<Diagnostic[]> {
    const p = await this.waitFor(
      () => {
        const d = this.diagnostics.get(uri);
        return d && (version === undefined || d.version === version) ? d : undefined;
      },
      `diagnostics for ${uri}${version !== undefined ? ` version ${version}` : ''}`,
      timeoutMs,
    );
    return p.diagnostics;
  }

  hover(uri: string, line: number, character: number): Promise<Hover | null> {
    return this.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line, character } });
  }

  async completion(uri: string, line: number, character: number): Promise<CompletionItem[]> {
    const r = (await this.connection.sendRequest(CompletionRequest.type, {
      textDocument: { uri },
      position: { line, character },
    })) as CompletionList | CompletionItem[] | null;
    return r === null ? [] : Array.isArray(r) ? r : r.items;
  }

  stats(): Promise<StatsResult> {
    return this.connection.sendRequest(lspRequest0(StatsRequest));
  }

  /** Polls `probe` until it returns a value; fails with `what` and the server's stderr after `timeoutMs`. */
  async waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
      if (this.process.exitCode !== null) throw new Error(`The server exited (${this.process.exitCode}) while waiting for ${what}.\n${this.stderr}`);
      if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}.\nServer log:\n${this.logs.join('\n')}\n${this.stderr}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Waits for a drift diagnostic (source gitops-lens-drift) of `code` in `uri` whose message matches `message`. */
  waitForDrift(uri: string, message: RegExp, what: string, code = 'drift-value', timeoutMs = 30_000): Promise<Diagnostic> {
    return this.waitFor(
      () => this.diagnostics.get(uri)?.diagnostics.find((d) => d.source === 'gitops-lens-drift' && d.code === code && message.test(String(d.message))),
      what,
      timeoutMs,
    );
  }

  /** Shuts the server down cleanly and checks that it exits. */
  async stop(): Promise<number | null> {
    try {
      await this.connection.sendRequest(ShutdownRequest.type);
      await this.connection.sendNotification(ExitNotification.type);
    } catch {
      // Already gone: the exit code below tells the test what happened.
    }
    const exited = new Promise<number | null>((r) => {
      if (this.process.exitCode !== null) r(this.process.exitCode);
      else this.process.once('exit', (code) => r(code));
    });
    const timeout = setTimeout(() => this.process.kill(), 5000);
    const code = await exited;
    clearTimeout(timeout);
    this.connection.dispose();
    return code;
  }
}

/** A zero-based range literal. */
export function range(sl: number, sc: number, el: number, ec: number): Range {
  return { start: { line: sl, character: sc }, end: { line: el, character: ec } };
}
