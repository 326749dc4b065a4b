#!/usr/bin/env node
// Builds the test control plane (kube-apiserver and etcd) from the Go module proxy and
// collects the Flux and Argo CD CRDs, all into a per-version cache outside the clone.
//
// This file is plain Node ESM on purpose: it must run on a fresh clone before anything
// is compiled, and the test runner imports ensureControlPlane() from it.
//
// Usage: node scripts/build-control-plane.mjs [--force]
// Environment:
//   GITOPS_LENS_CACHE_DIR   cache root (default ${XDG_CACHE_HOME:-~/.cache}/gitops-lens)
//   GITOPS_LENS_GO_BUILD_P  value for `go build -p` (default: Go's own, retried with 1 if killed)

import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Folder of the Go module with the two wrapper mains. */
export const controlPlaneModuleDir = path.join(repoRoot, 'test', 'controlplane');

const BUILD_INFO = 'build-info.json';
// Kept next to crds/, not in it: kubectl apply -f crds/ would try to apply any JSON file there.
const CRD_STAMP = 'crds-stamp.json';

/** An error whose message is meant for people; the CLI prints it without a stack. */
export class ControlPlaneBuildError extends Error {
  constructor(message) {
    super(message);
    this.name = 'ControlPlaneBuildError';
  }
}

/** Reads the pinned versions shared by this script and the TypeScript harness. */
export function readVersions() {
  return JSON.parse(fs.readFileSync(path.join(controlPlaneModuleDir, 'versions.json'), 'utf8'));
}

/** Root of everything GitOps Lens caches outside the clone. */
export function cacheRoot() {
  if (process.env.GITOPS_LENS_CACHE_DIR) return path.resolve(process.env.GITOPS_LENS_CACHE_DIR);
  const xdg = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(xdg, 'gitops-lens');
}

/** Folder holding the binaries and CRDs of one pinned version pair. */
export function controlPlaneCacheDir(versions = readVersions()) {
  return path.join(cacheRoot(), 'control-plane', `${versions.kubernetes}-${versions.etcd}`);
}

function log(message) {
  process.stderr.write(`[control-plane] ${message}\n`);
}

function formatDuration(ms) {
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/**
 * The inputs that decide what the binaries contain. A change to go.mod, go.sum, the
 * wrapper mains or the pinned versions invalidates a cached build even when the
 * version pair, and therefore the folder name, stays the same.
 */
function buildKey(versions) {
  const hash = createHash('sha256');
  for (const file of ['go.mod', 'go.sum', 'cmd/kube-apiserver/main.go', 'cmd/etcd/main.go']) {
    hash.update(file).update(fs.readFileSync(path.join(controlPlaneModuleDir, file)));
  }
  hash.update(JSON.stringify([versions.kubernetes, versions.etcd]));
  return hash.digest('hex').slice(0, 16);
}

function crdKey(versions) {
  return createHash('sha256')
    .update(JSON.stringify([versions.crdModules, versions.requiredCrds, versions.controllerTools]))
    .digest('hex')
    .slice(0, 16);
}

function readJsonIfExists(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

function isExecutable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Runs a command to completion, capturing output; never throws for a non-zero exit. */
function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
  return result;
}

/** Environment for every go invocation: never switch toolchains behind the user's back. */
function goEnv(extra = {}) {
  return { ...process.env, GOTOOLCHAIN: 'local', ...extra };
}

function checkGo() {
  const result = run('go', ['env', 'GOVERSION'], { env: goEnv() });
  if (result.error && result.error.code === 'ENOENT') {
    throw new ControlPlaneBuildError(
      'The Go toolchain (`go`) is not on PATH. The test control plane (kube-apiserver and etcd) is built ' +
        'from source and needs Go 1.26 or newer: install it (e.g. from https://go.dev/dl or your package ' +
        'manager), or point the tests at an existing cluster with GITOPS_LENS_TEST_KUBECONFIG (see docs/CONTROL-PLANE.md).',
    );
  }
  if (result.status !== 0) {
    throw new ControlPlaneBuildError(`\`go env GOVERSION\` failed:\n${result.stderr}`);
  }
  const goVersion = result.stdout.trim();
  const goMod = fs.readFileSync(path.join(controlPlaneModuleDir, 'go.mod'), 'utf8');
  const wanted = /^go\s+(\S+)/m.exec(goMod)?.[1] ?? '0';
  if (compareGoVersions(goVersion.replace(/^go/, ''), wanted) < 0) {
    throw new ControlPlaneBuildError(
      `${goVersion} is too old: test/controlplane/go.mod (and k8s.io/kubernetes) need go ${wanted} or newer.`,
    );
  }
  return goVersion;
}

function compareGoVersions(a, b) {
  const pa = a.split(/[.a-z]/).map((n) => Number(n) || 0);
  const pb = b.split(/[.a-z]/).map((n) => Number(n) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Catches an edit of versions.json that forgot go.mod (or the reverse) before a long build. */
function checkGoModMatchesVersions(versions) {
  const goMod = fs.readFileSync(path.join(controlPlaneModuleDir, 'go.mod'), 'utf8');
  const expectations = [
    ['k8s.io/kubernetes', versions.kubernetes],
    ['go.etcd.io/etcd/server/v3', versions.etcd],
  ];
  for (const [module, version] of expectations) {
    const found = new RegExp(`^\\s*${module.replace(/[./]/g, '\\$&')}\\s+(\\S+)`, 'm').exec(goMod)?.[1];
    if (found !== version) {
      throw new ControlPlaneBuildError(
        `test/controlplane/go.mod requires ${module} ${found ?? '(nothing)'} but versions.json pins ${version}; make them agree.`,
      );
    }
  }
}

/** Serialises concurrent builds (e.g. `npm test` in two terminals) on one cache folder. */
async function withLock(dir, fn) {
  fs.mkdirSync(dir, { recursive: true });
  const lockFile = path.join(dir, '.lock');
  let announced = false;
  for (;;) {
    try {
      fs.writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
      break;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      const owner = Number(fs.readFileSync(lockFile, 'utf8')) || 0;
      if (!owner || !processAlive(owner)) {
        fs.rmSync(lockFile, { force: true });
        continue;
      }
      if (!announced) log(`waiting for process ${owner}, which is building into ${dir}`);
      announced = true;
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lockFile, { force: true });
  }
}

function processAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

/** Runs `go build`, forwarding its output and printing a heartbeat so a long build doesn't look hung. */
function goBuild(args, env) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn('go', args, { cwd: controlPlaneModuleDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk) => {
      output += chunk;
      process.stderr.write(chunk);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const heartbeat = setInterval(() => log(`  still building, ${formatDuration(Date.now() - started)} elapsed`), 30_000);
    child.on('error', (error) => {
      clearInterval(heartbeat);
      resolve({ code: -1, signal: null, output: String(error) });
    });
    child.on('close', (code, signal) => {
      clearInterval(heartbeat);
      resolve({ code, signal, output });
    });
  });
}

async function buildBinaries(versions, dir) {
  const goVersion = checkGo();
  checkGoModMatchesVersions(versions);
  const info = run('go', ['list', '-m', '-json', 'k8s.io/kubernetes'], { cwd: controlPlaneModuleDir, env: goEnv() });
  if (info.status !== 0) throw new ControlPlaneBuildError(`\`go list -m k8s.io/kubernetes\` failed:\n${info.stderr}`);
  // The release's tag time stands in for the build date so that two builds of one pin are identical.
  const buildDate = JSON.parse(info.stdout).Time ?? '1970-01-01T00:00:00Z';
  const [, major, minor] = /^v(\d+)\.(\d+)\./.exec(versions.kubernetes) ?? [];
  const versionPackage = 'k8s.io/component-base/version';
  const ldflags = [
    '-s',
    '-w',
    `-X ${versionPackage}.gitVersion=${versions.kubernetes}`,
    `-X ${versionPackage}.gitMajor=${major}`,
    `-X ${versionPackage}.gitMinor=${minor}`,
    `-X ${versionPackage}.gitTreeState=clean`,
    `-X ${versionPackage}.buildDate=${buildDate}`,
  ].join(' ');
  const outDir = path.join(dir, `.build-${process.pid}`);
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(outDir, { recursive: true });

  const parallelism = process.env.GITOPS_LENS_GO_BUILD_P;
  const attempts = parallelism ? [parallelism] : [undefined, '1'];
  const started = Date.now();
  let result;
  for (const p of attempts) {
    const args = ['build', '-mod=readonly', '-trimpath', '-buildvcs=false', ...(p ? ['-p', p] : []), '-ldflags', ldflags];
    args.push('-o', outDir + path.sep, './cmd/kube-apiserver', './cmd/etcd');
    log(
      `building kube-apiserver ${versions.kubernetes} and etcd ${versions.etcd} with ${goVersion}` +
        `${p ? ` (-p ${p})` : ''}; a cold build takes 6 to 25 minutes on 2 cores (longer when the machine is busy), later runs reuse ${dir}`,
    );
    result = await goBuild(args, goEnv());
    if (result.code === 0) break;
    // The linker of kube-apiserver needs a few GB; when the kernel kills it, one job at a time usually fits.
    const killed = result.signal === 'SIGKILL' || /signal: killed|out of memory/i.test(result.output);
    if (!killed || p === attempts[attempts.length - 1]) break;
    log('the build was killed (probably out of memory); retrying with -p 1');
  }
  if (result.code !== 0) {
    fs.rmSync(outDir, { recursive: true, force: true });
    throw new ControlPlaneBuildError(
      `go build of the control plane failed (exit ${result.code ?? result.signal}); see the output above. ` +
        'Set GITOPS_LENS_GO_BUILD_P=1 if the machine is short of memory.',
    );
  }
  for (const binary of ['kube-apiserver', 'etcd']) {
    fs.renameSync(path.join(outDir, binary), path.join(dir, binary));
  }
  fs.rmSync(outDir, { recursive: true, force: true });
  log(`built both binaries in ${formatDuration(Date.now() - started)}`);

  const apiserverVersion = run(path.join(dir, 'kube-apiserver'), ['--version']).stdout.trim();
  if (apiserverVersion !== `Kubernetes ${versions.kubernetes}`) {
    throw new ControlPlaneBuildError(`kube-apiserver --version printed "${apiserverVersion}", expected "Kubernetes ${versions.kubernetes}"`);
  }
  const etcdVersion = run(path.join(dir, 'etcd'), ['--version']).stdout;
  if (!etcdVersion.includes(`etcd Version: ${versions.etcd.replace(/^v/, '')}`)) {
    throw new ControlPlaneBuildError(`etcd --version printed "${etcdVersion.trim()}", expected ${versions.etcd}`);
  }
  return { goVersion, buildDate };
}

/** `go mod download -json` outside any module, so no go.mod or go.sum in the clone is touched. */
export function downloadModule(module, version) {
  const result = run('go', ['mod', 'download', '-json', `${module}@${version}`], { cwd: os.tmpdir(), env: goEnv({ GOFLAGS: '' }) });
  let parsed;
  try {
    parsed = JSON.parse(result.stdout);
  } catch {
    parsed = undefined;
  }
  if (result.status !== 0 || !parsed?.Dir) {
    throw new ControlPlaneBuildError(
      `go mod download ${module}@${version} failed: ${parsed?.Error ?? result.stderr.trim() ?? 'no output'}`,
    );
  }
  return parsed.Dir;
}

function crdNameOf(text) {
  if (!/^kind:\s*CustomResourceDefinition\s*$/m.test(text)) return undefined;
  return /^metadata:[ \t]*\n(?:[ \t]+.*\n|\s*\n)*?[ \t]{2}name:[ \t]*["']?([^\s"']+)/m.exec(text)?.[1];
}

function copyCrds(fromDir, toDir, label) {
  const names = [];
  for (const entry of fs.readdirSync(fromDir).sort()) {
    if (!/\.ya?ml$/.test(entry) || entry === 'kustomization.yaml') continue;
    const text = fs.readFileSync(path.join(fromDir, entry), 'utf8');
    const name = crdNameOf(text);
    if (!name) continue;
    const target = path.join(toDir, `${name}.yaml`);
    if (fs.existsSync(target)) throw new ControlPlaneBuildError(`two CRD files define ${name} (second one in ${label})`);
    // Module cache files are read-only; writing a copy gives the cache normal permissions.
    fs.writeFileSync(target, text);
    names.push(name);
  }
  log(`  ${label}: ${names.length ? names.join(', ') : 'no CRDs found'}`);
  return names;
}

/** Builds controller-gen once per version into the cache, from the Go module proxy. */
export function ensureControllerGen(version) {
  const binDir = path.join(cacheRoot(), 'tools', `controller-tools-${version}`);
  const binary = path.join(binDir, 'controller-gen');
  if (isExecutable(binary)) return binary;
  log(`building controller-gen ${version} (used for the HelmRelease CRD)`);
  const result = run('go', ['install', `sigs.k8s.io/controller-tools/cmd/controller-gen@${version}`], {
    cwd: os.tmpdir(),
    env: goEnv({ GOBIN: binDir, GOFLAGS: '' }),
    stdio: ['ignore', 'inherit', 'pipe'],
  });
  if (result.status !== 0) throw new ControlPlaneBuildError(`go install controller-gen@${version} failed:\n${result.stderr}`);
  return binary;
}

/**
 * Produces the CRDs of an API module whose repository is not served by the proxy, by running
 * controller-gen on its types, as the controller's own `make manifests` does.
 */
function generateCrds(module, version, controllerToolsVersion, toDir, scratch) {
  const controllerGen = ensureControllerGen(controllerToolsVersion);
  const source = downloadModule(module, version);
  const work = path.join(scratch, module.replace(/[^\w.-]+/g, '_'));
  fs.cpSync(source, work, { recursive: true });
  // The copy keeps the module cache's read-only modes, but go may need to touch go.sum.
  for (const entry of fs.readdirSync(work, { recursive: true })) {
    fs.chmodSync(path.join(work, entry), fs.statSync(path.join(work, entry)).isDirectory() ? 0o755 : 0o644);
  }
  fs.chmodSync(work, 0o755);
  const outDir = path.join(scratch, 'generated');
  fs.mkdirSync(outDir, { recursive: true });
  const result = run(controllerGen, ['crd:crdVersions=v1', 'paths=./...', `output:crd:artifacts:config=${outDir}`], {
    cwd: work,
    env: goEnv({ GOFLAGS: '-mod=mod' }),
  });
  if (result.status !== 0) {
    throw new ControlPlaneBuildError(`controller-gen on ${module}@${version} failed:\n${result.stderr}${result.stdout}`);
  }
  return copyCrds(outDir, toDir, `${module}@${version} (generated by controller-gen ${controllerToolsVersion})`);
}

function collectCrds(versions, dir) {
  checkGo();
  log('collecting Flux and Argo CD CRDs from their Go modules');
  const crdDir = path.join(dir, 'crds');
  const tmpDir = path.join(dir, `.crds-${process.pid}`);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-lens-crdgen-'));
  fs.rmSync(tmpDir, { recursive: true, force: true });
  fs.mkdirSync(tmpDir, { recursive: true });
  try {
    const found = [];
    for (const entry of versions.crdModules) {
      if (entry.generate) {
        found.push(...generateCrds(entry.module, entry.version, versions.controllerTools, tmpDir, scratch));
      } else {
        const moduleDir = downloadModule(entry.module, entry.version);
        found.push(...copyCrds(path.join(moduleDir, entry.dir), tmpDir, `${entry.module}@${entry.version}`));
      }
    }
    const missing = versions.requiredCrds.filter((name) => !found.includes(name));
    if (missing.length) throw new ControlPlaneBuildError(`these CRDs were not found in the pinned modules: ${missing.join(', ')}`);
    fs.rmSync(path.join(dir, CRD_STAMP), { force: true });
    fs.rmSync(crdDir, { recursive: true, force: true });
    fs.renameSync(tmpDir, crdDir);
    fs.writeFileSync(path.join(dir, CRD_STAMP), JSON.stringify({ key: crdKey(versions), crds: found }, null, 2));
    return crdDir;
  } finally {
    fs.rmSync(tmpDir, { recursive: true, force: true });
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * Makes sure the pinned kube-apiserver, etcd and CRDs are in the cache, building what is
 * missing. When everything is cached it only reads a few small files, so it returns in
 * milliseconds. Throws ControlPlaneBuildError (with a message for people) when Go is
 * missing or the build fails.
 *
 * @param {{ force?: boolean }} [options] force: rebuild even when the cache looks complete.
 * @returns {Promise<{ apiserver: string, etcd: string, crdDir: string, version: string, etcdVersion: string, dir: string }>}
 */
export async function ensureControlPlane(options = {}) {
  const versions = readVersions();
  const dir = controlPlaneCacheDir(versions);
  const result = {
    apiserver: path.join(dir, 'kube-apiserver'),
    etcd: path.join(dir, 'etcd'),
    crdDir: path.join(dir, 'crds'),
    version: versions.kubernetes,
    etcdVersion: versions.etcd,
    dir,
  };
  const key = buildKey(versions);
  const binariesReady = () =>
    !options.force &&
    readJsonIfExists(path.join(dir, BUILD_INFO))?.key === key &&
    isExecutable(result.apiserver) &&
    isExecutable(result.etcd);
  const crdsReady = () => !options.force && readJsonIfExists(path.join(dir, CRD_STAMP))?.key === crdKey(versions);
  if (binariesReady() && crdsReady()) return result;

  return withLock(dir, async () => {
    const started = Date.now();
    // Another process may have finished the work while this one waited for the lock.
    if (!binariesReady()) {
      fs.rmSync(path.join(dir, BUILD_INFO), { force: true });
      const { goVersion, buildDate } = await buildBinaries(versions, dir);
      const info = { key, kubernetes: versions.kubernetes, etcd: versions.etcd, goVersion, buildDate, builtAt: new Date().toISOString() };
      fs.writeFileSync(path.join(dir, BUILD_INFO), JSON.stringify(info, null, 2));
    }
    if (!crdsReady()) collectCrds(versions, dir);
    log(`control plane ready in ${dir} (${formatDuration(Date.now() - started)})`);
    return result;
  });
}

const invokedDirectly = process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href;
// No top-level await: CommonJS TypeScript (run through tsx) require()s this module.
if (invokedDirectly) {
  const started = Date.now();
  ensureControlPlane({ force: process.argv.includes('--force') }).then(
    (result) => {
      log(`kube-apiserver: ${result.apiserver}`);
      log(`etcd:           ${result.etcd}`);
      log(`CRDs:           ${result.crdDir}`);
      log(`done in ${formatDuration(Date.now() - started)}`);
    },
    (error) => {
      process.stderr.write(`\n[control-plane] ERROR: ${error instanceof ControlPlaneBuildError ? error.message : error?.stack ?? error}\n`);
      process.exitCode = 1;
    },
  );
}
