// The preview step of `npm run demo`: "what will Flux do if I commit this?" for examples/,
// against the local control plane (started with `npm run cluster:up` if none is running).
//
// It first puts the cluster in the state the *previous* commit left it in, as Flux would
// have applied it (field manager kustomize-controller, Flux ownership labels): an older
// ConfigMap message, an older Secret value, an object since removed from the repo. Then it
// runs `gitops-lens preview examples/apps/podinfo` and prints the plan unchanged. The
// examples' deliberate mistakes are rejected by the API server too, so the expected exit
// code is 2 (errors), with creates/updates/prunes shown alongside.
//
// Run alone: `node scripts/demo-preview.mjs`; demo.mjs can chain it (see previewDemoStep).
// GITOPS_LENS_DEMO_KUBECONFIG points it at another kubeconfig with contexts admin and tool.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const examples = path.join(repoRoot, 'examples');
const tsxCli = path.join(repoRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs');

const FLUX_LABELS = `
    kustomize.toolkit.fluxcd.io/name: podinfo
    kustomize.toolkit.fluxcd.io/namespace: flux-system`;

/** What the previous commit's sync left in the cluster (demo.mjs applies it before its drift step). */
export const PREVIOUS_SYNC = `apiVersion: v1
kind: Namespace
metadata:
  name: podinfo
  labels:${FLUX_LABELS}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: podinfo-config
  namespace: podinfo
  labels:
    app.kubernetes.io/name: podinfo${FLUX_LABELS}
data:
  PODINFO_UI_MESSAGE: "Hello from the previous commit"
  PODINFO_UI_COLOR: "#34577c"
---
apiVersion: v1
kind: Secret
metadata:
  name: podinfo-token
  namespace: podinfo
  labels:${FLUX_LABELS}
type: Opaque
stringData:
  token: previous-demo-placeholder
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: podinfo-legacy-settings
  namespace: podinfo
  labels:${FLUX_LABELS}
data:
  removed: "in this commit"
`;

/** The kubeconfig of the local control plane: the override, or `npm run cluster:up` (starts one or reuses it). */
function kubeconfig() {
  if (process.env.GITOPS_LENS_DEMO_KUBECONFIG) return process.env.GITOPS_LENS_DEMO_KUBECONFIG;
  console.log('Starting (or reusing) the local control plane: npm run cluster:up ...');
  const r = spawnSync(process.execPath, [tsxCli, path.join(repoRoot, 'scripts', 'cluster.ts'), 'up'], {
    cwd: repoRoot,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const file = r.stdout.trim().split('\n').pop();
  if (r.status !== 0 || !file || !fs.existsSync(file)) {
    console.error('demo-preview: could not start the local control plane (see the messages above).');
    return undefined;
  }
  return file;
}

function kubectl(kc, args, input) {
  const kubectlBin = process.env.KUBECTL || 'kubectl';
  const r = spawnSync(kubectlBin, ['--kubeconfig', kc, '--context', 'admin', ...args], { input, encoding: 'utf8' });
  if (r.error) throw r.error;
  return r;
}

/** The demo step; `runCli(args)` runs the gitops-lens CLI and returns its exit code. */
export const previewDemoStep = {
  title: 'Preview the sync of the demo repository',
  explain:
    'gitops-lens preview examples/apps/podinfo, against the local control plane. The cluster holds what the ' +
    'previous commit deployed; the plan shows what Flux would create, update (with diffs, the Secret masked) and ' +
    'prune, and the API server rejects the deliberate mistakes, so exit code 2 (errors) is expected. Nothing in the ' +
    'cluster changes: the preview only reads and dry-runs.',
  // `options.kubeconfig` reuses a control plane the caller already has; `options.setUp: false` skips applying
  // PREVIOUS_SYNC because the caller did it (demo.mjs does, then edits live, and the plan must keep that edit).
  run: (runCli, options = {}) => {
    const kc = options.kubeconfig ?? kubeconfig();
    if (!kc) return false;
    if (options.setUp !== false) {
      const applied = kubectl(kc, ['apply', '--server-side', '--field-manager=kustomize-controller', '--force-conflicts', '-f', '-'], PREVIOUS_SYNC);
      if (applied.status !== 0) {
        console.error(`demo-preview: setting up the previous sync failed: ${applied.stderr}`);
        return false;
      }
      console.log('The cluster now holds the previous commit\'s sync. Preview as the read-only identity (context "tool"):\n');
    }
    const code = runCli(['preview', path.relative(repoRoot, path.join(examples, 'apps', 'podinfo')), '--root', path.relative(repoRoot, examples), '--kubeconfig', kc, '--context', 'tool']);
    console.log(options.kubeconfig ? `\n(exit code ${code})` : `\n(exit code ${code}; the control plane keeps running: npm run cluster:down stops it)`);
    return code === 2;
  },
};

function runCliFromSource(args) {
  if (!fs.existsSync(tsxCli)) {
    console.error('demo: dependencies are missing. Run "npm ci" first.');
    process.exit(2);
  }
  const r = spawnSync(process.execPath, [tsxCli, path.join(repoRoot, 'server', 'src', 'cli', 'main.ts'), ...args], { cwd: repoRoot, stdio: 'inherit' });
  if (r.error) throw r.error;
  return r.status ?? 2;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(`\n=== ${previewDemoStep.title} ===\n${previewDemoStep.explain}\n`);
  const ok = previewDemoStep.run(runCliFromSource);
  process.exit(ok ? 0 : 1);
}
