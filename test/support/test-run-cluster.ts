/**
 * One control plane for a whole `npm test` run: scripts/run-tests.ts starts it before the
 * test processes and stops it after them; the test processes find it through environment
 * variables and call `testCluster()` from ./control-plane.ts.
 *
 * Environment handed to the test processes (see {@link RunControlPlane.env}):
 * - `GITOPS_LENS_TEST_CLUSTER_STATE`: JSON state file (server, kubeconfig, tokens, CA, audit
 *   log path, pids) that `testCluster()` attaches to;
 * - `GITOPS_LENS_TEST_KUBECONFIG`: the kubeconfig (contexts admin, tool, restricted);
 * - `KUBECONFIG`: the same kubeconfig, so that nothing a test spawns without an explicit
 *   kubeconfig can reach the developer's own clusters.
 *
 * When the developer already set `GITOPS_LENS_TEST_KUBECONFIG` (their own kind/minikube
 * cluster), nothing is started and the tests use that cluster.
 */
import path from 'node:path';
import { startControlPlane, testCluster, writeControlPlaneState, type ControlPlane } from './control-plane.js';

/** A control plane for the run, and how to pass it on and tear it down. */
export interface RunControlPlane {
  /** The control plane (an external one when GITOPS_LENS_TEST_KUBECONFIG was given). */
  cp: ControlPlane;
  /** Variables to add to the environment of the test processes. */
  env: Record<string, string>;
  /** Stops what this call started; idempotent; does nothing for an external cluster. */
  stop(): Promise<void>;
}

/**
 * Builds the control plane if needed, starts it and returns its environment variables.
 * Rejects (with a message for people) when Go is missing, the build fails or the control
 * plane doesn't come up; the caller decides whether that fails the run (CI) or only makes
 * the cluster tests skip.
 */
export async function startRunControlPlane(opts: { log?: (message: string) => void } = {}): Promise<RunControlPlane> {
  const log = opts.log ?? ((message: string) => process.stderr.write(`[control-plane] ${message}\n`));
  if (process.env.GITOPS_LENS_TEST_KUBECONFIG && !process.env.GITOPS_LENS_TEST_CLUSTER_STATE) {
    const cp = testCluster();
    if (!cp) throw new Error('GITOPS_LENS_TEST_KUBECONFIG is set but unusable');
    log(`using the existing cluster of GITOPS_LENS_TEST_KUBECONFIG=${cp.kubeconfigPath} (${cp.version}); nothing started`);
    return { cp, env: {}, stop: async () => {} };
  }
  const cp = await startControlPlane({ log });
  const stateFile = path.join(cp.dir, 'state.json');
  await writeControlPlaneState(cp, stateFile);
  log(`kubeconfig: ${cp.kubeconfigPath}`);
  return {
    cp,
    env: {
      GITOPS_LENS_TEST_CLUSTER_STATE: stateFile,
      GITOPS_LENS_TEST_KUBECONFIG: cp.kubeconfigPath,
      KUBECONFIG: cp.kubeconfigPath,
    },
    stop: () => cp.stop(),
  };
}

/**
 * Runs `fn` with a control plane for the run and its environment, and stops the control
 * plane afterwards even when `fn` throws. The environment is also set on `process.env`
 * while `fn` runs, so in-process code and child processes see it.
 */
export async function withTestControlPlane<T>(fn: (cp: ControlPlane, env: Record<string, string>) => Promise<T>): Promise<T> {
  const run = await startRunControlPlane();
  const previous: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(run.env)) {
    previous[key] = process.env[key];
    process.env[key] = value;
  }
  try {
    return await fn(run.cp, run.env);
  } finally {
    for (const [key, value] of Object.entries(previous)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    await run.stop();
  }
}
