#!/usr/bin/env node
// Builds helm from the Go module proxy into a per-version cache outside the clone, for the
// preview tests that render Helm charts. The product itself uses `helm` from PATH.
//
// Plain Node ESM, like build-control-plane.mjs: it runs on a fresh clone before anything is
// compiled, and tests import helmBinaryPath() from it.
//
// Usage: node scripts/build-helm.mjs [--force]
// Environment:
//   GITOPS_LENS_CACHE_DIR   cache root (default ${XDG_CACHE_HOME:-~/.cache}/gitops-lens)
//   GITOPS_LENS_HELM        a helm binary to use instead of the cached build (tests only)

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheRoot } from './build-control-plane.mjs';

/** The pinned helm version; v3.22.0 builds with Go 1.26. */
export const HELM_VERSION = 'v3.22.0';

/** Where the cached build of the pinned helm lives (under the cache root shared with build-control-plane.mjs). */
function cachedHelmPath() {
  return path.join(cacheRoot(), 'helm', HELM_VERSION, 'helm');
}

/** The helm binary the tests use: GITOPS_LENS_HELM, else the cached build (which may not exist yet). */
export function helmBinaryPath() {
  if (process.env.GITOPS_LENS_HELM) return path.resolve(process.env.GITOPS_LENS_HELM);
  return cachedHelmPath();
}

/** Builds helm into the cache unless it is already there; returns its path. Throws with a message meant for people. */
export function ensureHelm({ force = false } = {}) {
  const target = cachedHelmPath();
  if (!force && fs.existsSync(target)) return target;
  const started = Date.now();
  process.stderr.write(`[helm] building helm ${HELM_VERSION} from the Go module proxy into ${path.dirname(target)} (a minute or two)\n`);
  // Outside any module (tmpdir), with the toolchain as installed: no go.mod or go.sum of the clone is touched.
  const result = spawnSync('go', ['install', `helm.sh/helm/v3/cmd/helm@${HELM_VERSION}`], {
    cwd: os.tmpdir(),
    env: { ...process.env, GOBIN: path.dirname(target), GOTOOLCHAIN: 'local', GOFLAGS: '' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (result.error && result.error.code === 'ENOENT') {
    throw new Error('The Go toolchain (`go`) is not on PATH. helm is built from source for the preview tests and needs Go 1.26 or newer: install it (https://go.dev/dl), then run `node scripts/build-helm.mjs` again.');
  }
  if (result.status !== 0) throw new Error(`go install helm.sh/helm/v3/cmd/helm@${HELM_VERSION} failed (exit ${result.status ?? result.signal}); see the output above.`);
  process.stderr.write(`[helm] built in ${Math.round((Date.now() - started) / 1000)}s: ${target}\n`);
  return target;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    console.log(ensureHelm({ force: process.argv.includes('--force') }));
  } catch (e) {
    process.stderr.write(`[helm] ${e.message}\n`);
    process.exit(1);
  }
}
