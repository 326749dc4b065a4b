/**
 * Helpers shared by the drift tests that run against the real control plane:
 * setting up live state as the admin identity, and running `gitops-lens drift`
 * in-process with the control plane's kubeconfig.
 */
import { runCli } from '../../server/src/cli/main.js';
import type { ControlPlane } from './control-plane.js';

/** Runs kubectl as the admin identity; throws with kubectl's stderr when it fails, so setup errors are never silent. */
export async function kubectlAsAdmin(cp: ControlPlane, args: string[], input?: string): Promise<void> {
  const r = await cp.kubectl(args, { context: 'admin', input });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
}

/** Runs `gitops-lens drift ARGS` in this process, with KUBECONFIG pointing at the control plane, and captures its output. */
export async function runDriftCli(cp: ControlPlane, args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(['drift', ...args], {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    cwd,
    env: { ...process.env, KUBECONFIG: cp.kubeconfigPath },
  });
  return { code, stdout, stderr };
}
