// `npm run demo`: the product tour on the demo repository in examples/.
//
//   1. validate  — the CLI finds the repo's deliberate mistakes (exit 1 expected);
//   2. cluster   — start the local control plane (or reuse the one `npm run cluster:up` left running);
//   3. drift     — put the cluster in the state Flux left after the previous commit, edit one field live
//                  as another field manager, and show the drift the CLI finds (exit 1 expected);
//   4. preview   — what Flux would do if this commit were merged (scripts/demo-preview.mjs; exit 2 expected);
//   then stop the control plane if the demo started it.
//
// Each CLI step runs the real CLI from source (tsx) as a child process and prints its output unchanged.
// Plain ESM so it runs before anything is built; npm runs it with Node 24 (the node@24 devDependency).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheRoot, controlPlaneCacheDir } from './build-control-plane.mjs';
import { PREVIOUS_SYNC, previewDemoStep } from './demo-preview.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const examples = path.join(repoRoot, 'examples');
const tsxCli = path.join(repoRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const kubectlBin = process.env.KUBECTL || 'kubectl';
const rel = (p) => path.relative(repoRoot, p) || '.';

if (!fs.existsSync(tsxCli)) {
  console.error('demo: dependencies are missing. Run "npm ci" first.');
  process.exit(2);
}

// Ctrl-C reaches the running child too (same process group). The steps run synchronously, so a SIGINT
// listener cannot run in between; the listener only keeps the demo alive, and a child killed by SIGINT
// marks the run interrupted, so the demo stops after that step and still stops what it started.
let interrupted = false;
process.on('SIGINT', () => {
  interrupted = true;
});
function noteSignal(result) {
  if (result.signal === 'SIGINT' || result.status === 130) interrupted = true;
}

/** The node arguments that run the CLI from source through tsx. */
const cliArgv = (args) => [tsxCli, path.join(repoRoot, 'server', 'src', 'cli', 'main.ts'), ...args];

/** Runs the CLI from source through tsx, so the demo works on a fresh clone without a build. Returns its exit code. */
function runCli(args) {
  const result = spawnSync(process.execPath, cliArgv(args), {
    cwd: repoRoot,
    stdio: 'inherit',
  });
  if (result.error) throw result.error;
  noteSignal(result);
  return result.status ?? 2;
}

/** Like runCli, but also returns what the CLI printed, so a step can check it (it is printed unchanged too). */
function runCliCaptured(args) {
  const result = spawnSync(process.execPath, cliArgv(args), {
    cwd: repoRoot,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (result.error) throw result.error;
  noteSignal(result);
  process.stdout.write(result.stdout);
  process.stderr.write(result.stderr);
  return { code: result.status ?? 2, output: result.stdout + result.stderr };
}

/** `tsx scripts/cluster.ts up|down|status`; its messages go to our stderr, the kubeconfig path is its last stdout line. */
function clusterCommand(command) {
  const r = spawnSync(process.execPath, [tsxCli, path.join(repoRoot, 'scripts', 'cluster.ts'), command], {
    cwd: repoRoot,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', command === 'status' ? 'pipe' : 'inherit'],
  });
  if (r.error) throw r.error;
  noteSignal(r);
  const kubeconfig = (r.stdout ?? '').trim().split('\n').pop();
  return { code: r.status ?? 1, kubeconfig: kubeconfig && fs.existsSync(kubeconfig) ? kubeconfig : undefined };
}

/** kubectl as the admin identity of the local control plane (the demo plays the agent and the person editing live). */
function kubectlAdmin(args, input) {
  const r = spawnSync(kubectlBin, ['--kubeconfig', cluster.kubeconfig, '--context', 'admin', ...args], { input, encoding: 'utf8' });
  if (r.error) throw r.error;
  noteSignal(r);
  if (r.status !== 0) console.error(`kubectl ${args.join(' ')} failed:\n${r.stderr}`);
  return r.status === 0;
}

/**
 * A `cluster:up` interrupted half-way (Ctrl-C) leaves a detached etcd/kube-apiserver that no state file knows
 * and that the harness's reaper skips (detached control planes have no owner process). Stop the ones this
 * run registered, checking that each pid still runs the registered binary before signalling its group.
 */
function stopHalfStartedControlPlanes(since) {
  const registry = path.join(cacheRoot(), 'running');
  let entries = [];
  try {
    entries = fs.readdirSync(registry);
  } catch {
    return;
  }
  for (const entry of entries) {
    const file = path.join(registry, entry);
    let state;
    try {
      if (fs.statSync(file).mtimeMs < since) continue;
      state = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch {
      continue;
    }
    if (state.ownerPid !== null) continue;
    for (const role of ['apiserver', 'etcd']) {
      const pid = state.pids?.[role];
      let cmdline = '';
      try {
        cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      } catch {
        continue;
      }
      if (!cmdline.startsWith(state.binaries?.[role])) continue;
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        process.kill(pid, 'SIGKILL');
      }
    }
    fs.rmSync(file, { force: true });
    if (path.basename(state.dir ?? '').startsWith('gitops-lens-cp-')) fs.rmSync(state.dir, { recursive: true, force: true });
    console.log(`Stopped the half-started control plane in ${state.dir}.`);
  }
}

const cluster = { kubeconfig: undefined, startedByDemo: false };
const kubectlMissing = spawnSync(kubectlBin, ['version', '--client'], { encoding: 'utf8' }).error;

/** A step: a title, what it shows, and a run function returning true when it behaved as expected; `needsCluster` steps are skipped without a control plane. */
const STEPS = [
  {
    title: 'Validate the demo repository',
    explain:
      'gitops-lens validate examples/ checks every manifest against the schema of its apiVersion/kind.\n' +
      'The repo has deliberate mistakes (see examples/README.md): findings and exit code 1 are expected.',
    run: () => {
      const code = runCli(['validate', rel(examples)]);
      console.log(`\n(exit code ${code}, expected 1)`);
      // 1 = findings, which is what the deliberate mistakes should produce; 0 or 2 means something is off.
      return code === 1;
    },
  },
  {
    title: 'Start the local control plane',
    explain:
      'A real kube-apiserver + etcd (built from source by the project, no Docker), the one the cluster tests use.\n' +
      'A control plane left running by `npm run cluster:up` is reused; otherwise the demo starts one and stops it at the end.',
    run: () => {
      if (kubectlMissing) {
        console.error(`demo: "${kubectlBin}" was not found; the drift and preview steps need kubectl on PATH (or KUBECTL=/path/to/kubectl).`);
        return false;
      }
      const running = clusterCommand('status');
      if (running.code === 0 && running.kubeconfig) {
        cluster.kubeconfig = running.kubeconfig;
        console.log(`Reusing the running control plane (kubeconfig ${cluster.kubeconfig}).`);
        return true;
      }
      const cacheDir = controlPlaneCacheDir();
      const built = fs.existsSync(path.join(cacheDir, 'kube-apiserver')) && fs.existsSync(path.join(cacheDir, 'etcd'));
      if (built) console.log(`Starting it from the cached build in ${cacheDir} (about 10 s) ...`);
      else
        console.log(
          'First run: building kube-apiserver and etcd from source with Go. This may take several minutes\n' +
            `(about 6 min with Go modules already downloaded, 20+ min from scratch); later runs reuse ${cacheDir}.`,
        );
      const upStarted = Date.now() - 1000;
      const up = clusterCommand('up');
      if (up.code !== 0 || !up.kubeconfig) {
        stopHalfStartedControlPlanes(upStarted);
        console.error('demo: could not start the local control plane (see the messages above).');
        return false;
      }
      cluster.kubeconfig = up.kubeconfig;
      cluster.startedByDemo = true;
      return true;
    },
  },
  {
    title: 'Drift: the live cluster vs the repo',
    explain:
      'The demo plays Flux: it server-side applies what the previous commit deployed (field manager kustomize-controller,\n' +
      'Flux ownership labels). Then someone edits the ConfigMap live (field manager kubectl-edit). gitops-lens drift,\n' +
      'run as the read-only "tool" identity, reports each declared field whose live value differs, with who changed it,\n' +
      'and each declared object missing from the cluster. Exit code 1 (drift) is expected.',
    needsCluster: true,
    run: () => {
      console.log('$ kubectl apply --server-side --field-manager=kustomize-controller   (the previous commit, as Flux applied it)');
      if (!kubectlAdmin(['apply', '--server-side', '--field-manager=kustomize-controller', '--force-conflicts', '-f', '-'], PREVIOUS_SYNC)) return false;
      console.log('$ kubectl patch configmap podinfo-config --field-manager=kubectl-edit   (live edit: PODINFO_UI_COLOR "#ff0000")\n');
      const patch = JSON.stringify({ data: { PODINFO_UI_COLOR: '#ff0000' } });
      if (!kubectlAdmin(['patch', 'configmap', 'podinfo-config', '-n', 'podinfo', '--type=merge', '--field-manager=kubectl-edit', '-p', patch])) return false;
      const { code, output } = runCliCaptured([
        'drift', rel(path.join(examples, 'apps', 'podinfo')), '--root', rel(examples), '--kubeconfig', cluster.kubeconfig, '--context', 'tool',
      ]);
      const namesEditor = output.includes('changed by "kubectl-edit"');
      console.log(`\n(exit code ${code}, expected 1${namesEditor ? '; the live edit is attributed to kubectl-edit' : '; MISSING: the kubectl-edit live edit'})`);
      return code === 1 && namesEditor;
    },
  },
  {
    ...previewDemoStep,
    title: 'Preview: what Flux will do when this commit is merged',
    explain:
      'gitops-lens preview computes the plan with server-side apply dry-run (read-only, as the "tool" identity):\n' +
      'the ConfigMap update reverts the live edit and ships the new message, the Secret update is masked, the Service\n' +
      'is created, the ConfigMap removed from the repo is pruned, and the API server rejects the deliberate mistakes.\n' +
      'Exit code 2 (errors in the plan) is expected.',
    needsCluster: true,
    run: () => previewDemoStep.run(runCli, { kubeconfig: cluster.kubeconfig, setUp: false }),
  },
];

const started = Date.now();
let failed = 0;
let skipped = 0;
for (const [i, step] of STEPS.entries()) {
  if (interrupted) break;
  console.log(`\n=== Step ${i + 1}/${STEPS.length}: ${step.title} ===`);
  if (step.needsCluster && !cluster.kubeconfig) {
    console.log('(skipped: no control plane)');
    skipped++;
    failed++;
    continue;
  }
  console.log(step.explain + '\n');
  const stepStart = Date.now();
  let ok;
  try {
    ok = step.run();
  } catch (e) {
    console.error(`demo: ${e.message ?? e}`);
    ok = false;
  }
  console.log(`(step ${i + 1}: ${ok ? 'as expected' : 'NOT as expected'}, ${((Date.now() - stepStart) / 1000).toFixed(1)} s)`);
  if (!ok) failed++;
}

console.log('\n=== Clean up ===');
if (cluster.startedByDemo) {
  console.log('The demo started the control plane, so it stops it now.');
  const down = clusterCommand('down');
  if (down.code !== 0) {
    console.error('demo: stopping the control plane failed; run "npm run cluster:down".');
    failed++;
  }
} else if (cluster.kubeconfig) {
  console.log(
    `The control plane was already running, so it keeps running (the demo's objects are in namespace podinfo).\n` +
      `kubeconfig: ${cluster.kubeconfig} (contexts admin, tool, restricted)\n` +
      'Stop it with: npm run cluster:down',
  );
} else {
  console.log('Nothing to clean up.');
}

const took = `${((Date.now() - started) / 1000).toFixed(0)} s`;
if (interrupted) console.log(`\nDemo interrupted after ${took}.`);
else console.log(failed ? `\nDemo finished in ${took} with ${failed} unexpected step result(s)${skipped ? ` (${skipped} skipped)` : ''}.` : `\nDemo finished in ${took}: every step behaved as expected.`);
process.exit(failed || interrupted ? 1 : 0);
