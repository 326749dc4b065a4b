/**
 * `npm test`: builds the bundles, type-checks, prepares the real parts the
 * tests need (a control plane built from source, code-server), starts ONE
 * control plane for the whole run, and runs every test tier in a single
 * node:test invocation so the run ends with one summary.
 *
 * Usage: `npm test` (all tiers) or `npm test -- --tier unit,protocol`.
 * `--skip-typecheck` skips `tsc --noEmit` for quick local iterations (never in CI).
 * Tiers: unit, protocol, cli, cluster, e2e.
 *
 * In CI (CI=true) a missing prerequisite fails the run. Outside CI it is
 * reported, and the tests that need it skip with the reason printed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const inCI = process.env.CI === 'true' || process.env.CI === '1';
const allTiers = ['unit', 'protocol', 'cli', 'cluster', 'e2e'];

function parseTiers(argv: string[]): string[] {
  const i = argv.indexOf('--tier');
  if (i < 0) return allTiers;
  const tiers = (argv[i + 1] ?? '').split(',').filter(Boolean);
  for (const t of tiers) {
    if (!allTiers.includes(t)) {
      console.error(`Unknown tier "${t}". Known tiers: ${allTiers.join(', ')}.`);
      process.exit(2);
    }
  }
  return tiers;
}

function step(title: string): void {
  console.log(`\n=== ${title}`);
}

function run(cmd: string, args: string[], what: string): void {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`${what} failed (exit ${r.status ?? r.signal}).`);
    process.exit(1);
  }
}

function testFiles(tier: string): string[] {
  const dir = path.join(root, 'test', tier);
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      if (name === 'node_modules' || name.startsWith('.')) continue;
      const p = path.join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.test.ts')) out.push(path.relative(root, p));
    }
  };
  walk(dir);
  return out.sort();
}

/** Fails in CI, warns elsewhere: the tests that need the missing part skip with a reason. */
function missing(what: string, detail: string): void {
  if (inCI) {
    console.error(`CI: ${what} is required and not available: ${detail}`);
    process.exit(1);
  }
  console.warn(`Note: ${what} is not available (${detail}); tests that need it will skip.`);
}

async function main(): Promise<void> {
  const tiers = parseTiers(process.argv.slice(2));
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 22) {
    console.error(`Node ${process.versions.node} is too old: run the tests with "npm test", which puts the project's Node 24 first on PATH.`);
    process.exit(2);
  }

  step('Build bundles (esbuild)');
  run(process.execPath, ['scripts/build.mjs'], 'The build');

  if (process.argv.includes('--skip-typecheck') && !inCI) {
    step('Type-check skipped (--skip-typecheck)');
  } else {
    step('Type-check (tsc --noEmit)');
    run(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', '.'], 'The type-check');
  }

  const env: NodeJS.ProcessEnv = { ...process.env };
  const needsCluster = tiers.some((t) => t === 'cluster' || t === 'e2e' || t === 'cli');
  let stopCluster: (() => Promise<void>) | undefined;
  if (needsCluster) {
    step('Control plane (kube-apiserver + etcd built from source)');
    const { startRunControlPlane } = await import('../test/support/test-run-cluster.ts');
    try {
      const started = await startRunControlPlane();
      Object.assign(env, started.env);
      stopCluster = started.stop;
    } catch (err) {
      missing('the test control plane', (err as Error).message);
    }
  }

  if (tiers.includes('e2e')) {
    step('code-server for the end-to-end tier');
    const installer = path.join(root, 'scripts/install-code-server.mjs');
    const r = spawnSync(process.execPath, [installer, ...(inCI ? [] : ['--check'])], { cwd: root, stdio: 'inherit' });
    if (r.status !== 0) missing('code-server', `"node scripts/install-code-server.mjs" exited ${r.status}`);
    // Every scenario installs this .vsix with code-server, as a user would; package it once.
    step('Package the extension (.vsix) for the end-to-end tier');
    const { packageVsix } = await import('../test/e2e/support/code-server.ts');
    try {
      env.GITOPS_LENS_E2E_VSIX = packageVsix();
      console.log(`packaged ${env.GITOPS_LENS_E2E_VSIX}`);
    } catch (err) {
      missing('the .vsix', (err as Error).message);
    }
  }

  const files = tiers.flatMap(testFiles);
  step(`Run ${files.length} test files (${tiers.join(', ')})`);
  const code = await new Promise<number>((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...files],
      { cwd: root, env, stdio: 'inherit' },
    );
    const forward = (sig: NodeJS.Signals) => () => child.kill(sig);
    process.once('SIGINT', forward('SIGINT'));
    process.once('SIGTERM', forward('SIGTERM'));
    child.on('exit', (c, s) => resolve(c ?? (s ? 1 : 0)));
  });

  if (stopCluster) {
    step('Stop the control plane');
    await stopCluster();
  }
  process.exit(code);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
