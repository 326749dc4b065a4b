/**
 * `npm run cluster:up` / `npm run cluster:down` / `npm run cluster:status`-style helper for
 * people: a control plane that keeps running in the background between test runs, so
 * single test files (`npx tsx --test test/...`) and manual kubectl sessions can use it.
 *
 * Usage: tsx scripts/cluster.ts up|down|status
 *
 * The state lives in ${XDG_CACHE_HOME:-~/.cache}/gitops-lens/cluster-state.json; testCluster()
 * in test/support/control-plane.ts attaches to it when no test runner control plane exists.
 */
import fs from 'node:fs';
import {
  attachControlPlane,
  clusterUpStatePath,
  controlPlaneAlive,
  readControlPlaneState,
  startControlPlane,
  stopControlPlaneFromState,
  writeControlPlaneState,
} from '../test/support/control-plane.js';

function say(message: string): void {
  process.stderr.write(`[cluster] ${message}\n`);
}

function runningState() {
  const file = clusterUpStatePath();
  if (!fs.existsSync(file)) return undefined;
  const state = readControlPlaneState(file);
  return { state, alive: controlPlaneAlive(state) };
}

function printUsage(kubeconfigPath: string): void {
  // The kubeconfig path alone on stdout, so `KUBECONFIG=$(npm run -s cluster:up)` works.
  process.stdout.write(`${kubeconfigPath}\n`);
  say(`kubeconfig: ${kubeconfigPath} (contexts admin, tool, restricted; current: tool)`);
  say(`try: kubectl --kubeconfig ${kubeconfigPath} --context admin get crds`);
  say('stop it with: npm run cluster:down');
}

async function up(): Promise<void> {
  const existing = runningState();
  if (existing?.alive) {
    say(`already running: ${existing.state.server} (${existing.state.version})`);
    printUsage(existing.state.kubeconfigPath);
    return;
  }
  if (existing) {
    // A leftover of a crashed or rebooted session: clean what remains before starting anew.
    await stopControlPlaneFromState(existing.state);
    fs.rmSync(clusterUpStatePath(), { force: true });
  }
  const started = Date.now();
  const cp = await startControlPlane({ detached: true, log: say });
  await writeControlPlaneState(cp, clusterUpStatePath());
  say(`control plane ${cp.version} running at ${cp.server} (started in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  say(`files (logs, audit.log): ${cp.dir}`);
  printUsage(cp.kubeconfigPath);
}

async function down(): Promise<void> {
  const existing = runningState();
  if (!existing) {
    say('no control plane started by cluster:up is known; nothing to stop');
    return;
  }
  await stopControlPlaneFromState(existing.state);
  fs.rmSync(clusterUpStatePath(), { force: true });
  say(`stopped the control plane at ${existing.state.server}`);
}

async function status(): Promise<void> {
  const existing = runningState();
  if (!existing) {
    say('not running');
    process.exitCode = 1;
    return;
  }
  if (!existing.alive) {
    say(`not running (stale state in ${clusterUpStatePath()}; npm run cluster:down cleans it)`);
    process.exitCode = 1;
    return;
  }
  const cp = attachControlPlane(existing.state);
  const version = await cp.api('GET', '/version');
  say(`running at ${cp.server}, /version says ${version.body?.gitVersion}`);
  printUsage(cp.kubeconfigPath);
}

async function main(): Promise<void> {
  const command = process.argv[2];
  const commands: Record<string, () => Promise<void>> = { up, down, status };
  const action = command ? commands[command] : undefined;
  if (!action) {
    say('usage: tsx scripts/cluster.ts up|down|status');
    process.exit(2);
  }
  await action();
}

// Exit explicitly: keep-alive sockets to the API server would otherwise hold the process for seconds.
main().then(
  () => process.exit(process.exitCode ?? 0),
  (error) => {
    say(`ERROR: ${(error as Error).message ?? error}`);
    process.exit(1);
  },
);
