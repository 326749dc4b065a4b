/**
 * Broken references with a bound cluster, against the real test control
 * plane, over the real LSP: a reference the repository does not satisfy is
 * information ("not in the repo; exists in the cluster") when the cluster
 * has the object and an error when it does not (a ConfigMap of a pod
 * template and a Flux dependsOn); the "GitOps Dependencies" graph carries the
 * live Ready state and revision; `gitops-lens graph --live` prints them; and
 * the tool identity only read.
 *
 * Skips outside CI without a control plane (npm test starts one).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { Diagnostic } from 'vscode-languageserver-protocol';
import { runCli, type CliIo } from '../../server/src/cli/main.js';
import { DependencyGraphRequest } from '../../server/src/protocol/protocol.js';
import { NO_TEST_CLUSTER_REASON, testCluster } from '../support/control-plane.js';
import { lspRequest } from '../../server/src/lsp/lsp-messages.js';
import { ensureBundle, LspTestClient } from '../protocol/lsp-test-client.js';

const cluster = testCluster();

describe('broken references with a bound cluster (real control plane)', { skip: cluster ? false : NO_TEST_CLUSTER_REASON }, () => {
  const ns = `refs-${Date.now().toString(36)}`;
  let workspace: string;
  let client: LspTestClient;
  const sinceMs = Date.now();
  const deploymentUri = () => pathToFileURL(join(workspace, 'apps', 'deployment.yaml')).href;
  const fluxUri = () => pathToFileURL(join(workspace, 'clusters', 'live', 'flux.yaml')).href;
  const ours = (uri: string): Diagnostic[] => (client.diagnostics.get(uri)?.diagnostics ?? []).filter((d) => /not-found/.test(String(d.code)));

  before(async () => {
    ensureBundle();
    const cp = cluster!;
    workspace = mkdtempSync(join(tmpdir(), 'gitops-lens-references-live-'));
    mkdirSync(join(workspace, 'apps'), { recursive: true });
    mkdirSync(join(workspace, 'clusters', 'live'), { recursive: true });
    writeFileSync(join(workspace, 'apps', 'kustomization.yaml'), `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: ${ns}\nresources:\n  - deployment.yaml\n`);
    writeFileSync(join(workspace, 'apps', 'deployment.yaml'), `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web
          image: nginx:1.27
          envFrom:
            - configMapRef:
                name: live-only
            - configMapRef:
                name: nowhere
`);
    writeFileSync(join(workspace, 'clusters', 'live', 'flux.yaml'), `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
  namespace: ${ns}
spec:
  dependsOn:
    - name: deployed-elsewhere
    - name: never-deployed
  interval: 10m
  path: ./apps
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
    namespace: flux-system
`);
    // The live state: the ConfigMap and the other Kustomization exist only in the cluster; apps is Ready at a revision.
    const kustomization = (name: string) => `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: ${name}
  namespace: ${ns}
spec:
  interval: 10m
  path: ./${name}
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
    namespace: flux-system
`;
    for (const args of [
      ['create', 'namespace', ns],
      ['create', 'configmap', 'live-only', '-n', ns, '--from-literal=MODE=live'],
    ]) {
      const r = await cp.kubectl(args);
      assert.equal(r.code, 0, r.stderr);
    }
    for (const name of ['deployed-elsewhere', 'apps']) {
      const r = await cp.kubectl(['apply', '-f', '-'], { input: kustomization(name) });
      assert.equal(r.code, 0, r.stderr);
    }
    const status = { status: { lastAppliedRevision: 'main@sha1:0123456789abcdef0123456789abcdef01234567', conditions: [{ type: 'Ready', status: 'True', reason: 'ReconciliationSucceeded', message: 'Applied revision: main@sha1:0123456', lastTransitionTime: new Date().toISOString() }] } };
    const patched = await cp.kubectl(['patch', 'kustomizations.kustomize.toolkit.fluxcd.io', 'apps', '-n', ns, '--subresource=status', '--type=merge', '-p', JSON.stringify(status)]);
    assert.equal(patched.code, 0, patched.stderr);
    const started = await LspTestClient.start({
      folders: [workspace],
      trusted: true,
      settings: { kubeconfig: cp.kubeconfigPath, context: 'tool', validation: { debounceMs: 0 }, drift: { enable: false } },
      env: { KUBECONFIG: cp.kubeconfigPath },
    });
    client = started.client;
  });

  after(async () => {
    await client?.stop();
    await cluster?.kubectl(['delete', 'namespace', ns, '--wait=false']);
    if (workspace) rmSync(workspace, { recursive: true, force: true });
  });

  it('reports a pod template reference as information when the cluster has the object, as an error when it does not', async () => {
    const diagnostics = await client.waitFor(() => {
      const d = ours(deploymentUri());
      return d.length === 2 && d.every((x) => x.severity !== 2) ? d : undefined;
    }, 'both ConfigMap references judged against the cluster', 30_000);
    const [live, nowhere] = diagnostics;
    assert.equal(live.code, 'workload-ref-not-found');
    assert.equal(live.severity, 3, 'information');
    assert.equal(live.message, `ConfigMap "live-only" is not in the repo; exists in the cluster (context "tool" in namespace "${ns}"). Add it to the repository to manage it with GitOps.`);
    assert.deepEqual(live.range, { start: { line: 18, character: 22 }, end: { line: 18, character: 31 } });
    assert.equal(nowhere.severity, 1, 'error');
    assert.match(String(nowhere.message), new RegExp(`^ConfigMap "nowhere" in namespace "${ns}" is neither rendered nor produced by the repository .* It is not in the cluster either \\(context "tool"\\)\\.$`));
    assert.deepEqual(nowhere.range, { start: { line: 20, character: 22 }, end: { line: 20, character: 29 } });
  });

  it('judges a Flux dependsOn the same way', async () => {
    const diagnostics = await client.waitFor(() => {
      const d = ours(fluxUri());
      return d.length === 2 && d.every((x) => x.severity !== 2) ? d : undefined;
    }, 'both dependsOn entries judged against the cluster', 30_000);
    assert.deepEqual(diagnostics.map((d) => [d.code, d.severity, d.range.start.line]), [
      ['depends-on-not-found', 3, 7],
      ['depends-on-not-found', 1, 8],
    ]);
    assert.match(String(diagnostics[0].message), /^Kustomization "deployed-elsewhere" is not in the repo; exists in the cluster/);
  });

  it('shows the live Ready state and revision in the dependency graph', async () => {
    const graph = await client.connection.sendRequest(lspRequest(DependencyGraphRequest), { live: true });
    const apps = graph.nodes.find((n) => n.name === 'apps');
    assert.deepEqual(apps?.status, { ready: 'True', reason: 'ReconciliationSucceeded', message: 'Applied revision: main@sha1:0123456', revision: 'main@sha1:0123456' });
    assert.equal(graph.live?.context, 'tool');
    assert.deepEqual(apps?.dependsOn.map((e) => [e.name, !!e.missing]), [['deployed-elsewhere', true], ['never-deployed', true]]);
  });

  it('prints the same live state with gitops-lens graph --live', async () => {
    let out = '';
    const io: CliIo = { stdout: (t) => (out += t), stderr: (t) => (out += t), cwd: workspace, env: { ...process.env, KUBECONFIG: cluster!.kubeconfigPath } };
    const code = await runCli(['graph', '--root', workspace, '--live', '--kubeconfig', cluster!.kubeconfigPath, '--context', 'tool', workspace], io);
    assert.equal(code, 0, out);
    assert.match(out, new RegExp(`Kustomization ${ns}/apps → apps  \\(clusters/live/flux.yaml:4\\)  \\[Ready=True main@sha1:0123456\\]`));
  });

  it('only read from the cluster', async () => {
    const cp = cluster!;
    if (cp.external) return;
    const events = await cp.waitForAuditEvents({ user: cp.users.tool, sinceMs, predicate: () => true }, 2_000);
    const writes = events.filter((e) => !['get', 'list', 'watch'].includes(e.verb));
    assert.deepEqual(writes.map((e) => `${e.verb} ${e.requestURI}`), []);
    assert.ok(events.some((e) => e.verb === 'get' && e.requestURI.includes(`/namespaces/${ns}/configmaps/live-only`)), 'the ConfigMap was looked up');
  });
});
