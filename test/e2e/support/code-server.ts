/**
 * Starts code-server (the real VS Code workbench, served over HTTP) for one scenario: a fresh
 * user-data dir with our user settings, a fresh extensions dir into which code-server itself
 * installs the extension's .vsix (the file users install), and a folder to open. The process
 * runs in its own process group so teardown also ends the extension host and the language
 * server it spawned.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { extensionManifest, repoRoot } from './prerequisites.js';
import { waitFor } from '../../support/wait.ts';

export interface CodeServerOptions {
  /** The code-server launcher written by scripts/install-code-server.mjs. */
  launcher: string;
  /** Scratch folder for this scenario; user data, extensions and logs go under it. */
  scratch: string;
  /** The folder the workbench opens. */
  folder: string;
  /** When false the folder opens in Restricted Mode (workspace trust enabled, never trusted). */
  trusted: boolean;
  /** User settings (D1/User/settings.json), merged over the defaults below. */
  settings?: Record<string, unknown>;
  /** Extra environment for code-server and everything it spawns. */
  env?: NodeJS.ProcessEnv;
}

export interface CodeServer {
  url: string;
  port: number;
  /** The file code-server's stdout and stderr go to. */
  logFile: string;
  extensionsDir: string;
  userDataDir: string;
  stop(): Promise<void>;
}

/** Settings that keep the workbench quiet and deterministic, so screenshots show the scenario. */
const quietSettings: Record<string, unknown> = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'chat.disableAIFeatures': true,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'git.enabled': false,
  'git.openRepositoryInParentFolders': 'never',
  'files.autoSave': 'off',
  'editor.minimap.enabled': false,
  'editor.hover.delay': 150,
  'window.title': 'GitOps Lens e2e',
  // In an untrusted folder, open straight into Restricted Mode instead of a modal prompt.
  'security.workspace.trust.startupPrompt': 'never',
  'security.workspace.trust.banner': 'always',
};

/** A free TCP port on the loopback interface. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Packages the built extension into a .vsix with vsce, the way `npm run package` does but from
 * the bundles already in dist/. `npm test` packages once per run and passes the file in
 * GITOPS_LENS_E2E_VSIX; a scenario run on its own packages its own.
 */
export function packageVsix(root = process.env.GITOPS_LENS_E2E_EXTENSION_ROOT ?? repoRoot): string {
  const m = extensionManifest(root);
  const out = path.join(os.tmpdir(), `gitops-lens-e2e-${process.pid}`, `${m.name}-${m.version}.vsix`);
  mkdirSync(path.dirname(out), { recursive: true });
  // The packaging process owns the file: it is used while that process runs, then removed.
  process.once('exit', () => rmSync(path.dirname(out), { recursive: true, force: true }));
  const vsce = path.join(repoRoot, 'node_modules', '@vscode', 'vsce', 'vsce');
  const r = spawnSync(process.execPath, [vsce, 'package', '--no-dependencies', '--no-rewrite-relative-links', '--out', out], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0 || !existsSync(out)) throw new Error(`vsce package failed (exit ${r.status}): ${r.stdout}${r.stderr}`);
  return out;
}

/**
 * Installs the extension's .vsix into `extensionsDir` with `code-server --install-extension`, so
 * every scenario runs what a user installs: only the files the .vsix holds, unpacked by VS Code.
 */
export function installExtension(launcher: string, extensionsDir: string): string {
  const vsix = process.env.GITOPS_LENS_E2E_VSIX ?? packageVsix();
  const r = spawnSync(launcher, ['--install-extension', vsix, '--extensions-dir', extensionsDir], { encoding: 'utf8', env: cleanEnv(process.env) });
  if (r.status !== 0 || !/successfully installed/i.test(r.stdout)) {
    throw new Error(`code-server could not install ${vsix} (exit ${r.status}): ${r.stdout}${r.stderr}`);
  }
  const m = extensionManifest();
  const installed = path.join(extensionsDir, `${m.publisher}.${m.name}-${m.version}`);
  if (!existsSync(path.join(installed, 'dist', 'server.js'))) throw new Error(`the installed extension has no dist/server.js under ${installed}`);
  return installed;
}

/** The environment without the variables of a VS Code the tests may themselves run in. */
function cleanEnv(base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env = { ...base };
  for (const k of Object.keys(env)) if (k.startsWith('VSCODE_') || k === 'ELECTRON_RUN_AS_NODE') delete env[k];
  return env;
}

/** Starts code-server and resolves once its HTTP server answers. */
export async function startCodeServer(opts: CodeServerOptions): Promise<CodeServer> {
  const userDataDir = path.join(opts.scratch, 'user-data');
  const extensionsDir = path.join(opts.scratch, 'extensions');
  mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  mkdirSync(extensionsDir, { recursive: true });
  writeFileSync(
    path.join(userDataDir, 'User', 'settings.json'),
    JSON.stringify({ ...quietSettings, ...opts.settings }, null, 2),
  );
  installExtension(opts.launcher, extensionsDir);

  const port = await freePort();
  const args = [
    '--auth', 'none',
    '--bind-addr', `127.0.0.1:${port}`,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-getting-started-override',
    '--user-data-dir', userDataDir,
    '--extensions-dir', extensionsDir,
    ...(opts.trusted ? ['--disable-workspace-trust'] : []),
    opts.folder,
  ];
  const logFile = path.join(opts.scratch, 'code-server.log');
  const log = createWriteStream(logFile);
  // The tests' own process may run inside a VS Code terminal; its variables must not leak in.
  const env = cleanEnv({ ...process.env, ...opts.env });
  const child: ChildProcess = spawn(opts.launcher, args, {
    cwd: opts.scratch,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  let exited: string | undefined;
  // If the test process itself dies (Ctrl+C, a runner timeout), take the group with it.
  const killGroup = () => {
    try {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  };
  process.once('exit', killGroup);
  child.on('exit', (code, signal) => {
    exited = `code-server exited (${code ?? signal}); see ${logFile}`;
    process.removeListener('exit', killGroup);
  });

  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const pid = child.pid;
    if (!pid) return;
    const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      process.kill(-pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, 5_000);
    await done;
    clearTimeout(timer);
    // The extension host and language server share the group; make sure none outlives us.
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* group already empty */
    }
    log.end();
  };

  const url = `http://127.0.0.1:${port}/`;
  try {
    await waitFor(
      `code-server to answer on ${url}`,
      async () => {
        if (exited) throw new Error(exited);
        const res = await fetch(`${url}healthz`);
        return res.ok;
      },
      (ok) => ok,
      { timeout: 60_000, interval: 200 },
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, port, logFile, extensionsDir, userDataDir, stop };
}
