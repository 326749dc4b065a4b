/**
 * Issue 18, finding 4 against the real control plane: a real HTTP listener (the "workload", in
 * a network namespace of its own: the API server refuses loopback endpoints) sits behind a
 * Service and an EndpointSlice (there is no controller-manager, so the test writes the
 * EndpointSlice and the Pod status itself). First the test shows the API server
 * does route `services/echo%2Fproxy%2F...` to the listener. Then a repository object named
 * `echo/proxy/admin/delete-all-data` goes through `drift` and `preview`, and a kubeconfig
 * whose server URL has a `.../services/echo/proxy` prefix goes through `drift`: the listener
 * gets nothing, the name is a validation error, the prefix is refused, and the audit log holds
 * no proxy request by the tool. (The test control plane's admission policy denies the tool's
 * CONNECT-type requests, so before the fix the proxy request was stopped there, in the API
 * server; the audit log is what shows that GitOps Lens sent it. A real cluster has no such
 * policy, and the GET reached the workload, as the admin probe below shows.)
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../../server/src/cli/main.js';
import { NO_TEST_CLUSTER_REASON, testCluster } from '../support/control-plane.js';
import { kubectlAsAdmin } from '../support/drift-cli-helpers.js';
import { netnsUnavailable, startNetnsListener } from '../support/netns-listener.js';
import { waitFor } from '../support/wait.js';

const cp = testCluster();
const skip = !cp ? NO_TEST_CLUSTER_REASON : netnsUnavailable() ?? false;

async function cli(args: string[], cwd: string): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await runCli(args, { stdout: (t) => void (out += t), stderr: (t) => void (out += t), cwd, env: { ...process.env, KUBECONFIG: '' } });
  return { code, out };
}

test('an object named "echo/proxy/..." and a proxy server prefix never reach the workload', { skip, timeout: 180_000 }, async () => {
  const NS = `guard-proxy-${randomBytes(3).toString('hex')}`;
  const listener = await startNetnsListener();
  const dir = mkdtempSync(join(tmpdir(), 'gitops-lens-guard-proxy-'));
  const since = Date.now();
  try {
    await kubectlAsAdmin(cp!, ['create', 'namespace', NS]);
    await kubectlAsAdmin(cp!, ['apply', '-f', '-'], `apiVersion: v1
kind: Pod
metadata: { name: echo-pod, namespace: ${NS} }
spec: { containers: [{ name: echo, image: echo:never-scheduled }] }
---
apiVersion: v1
kind: Service
metadata: { name: echo, namespace: ${NS} }
spec: { ports: [{ port: 80, targetPort: ${listener.port} }] }
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: echo-1, namespace: ${NS}, labels: { kubernetes.io/service-name: echo } }
addressType: IPv4
endpoints: [{ addresses: ["${listener.ip}"], targetRef: { kind: Pod, name: echo-pod, namespace: ${NS} } }]
ports: [{ name: "", port: ${listener.port}, protocol: TCP }]
`);
    await kubectlAsAdmin(cp!, ['patch', 'pod', 'echo-pod', '-n', NS, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { podIP: listener.ip, podIPs: [{ ip: listener.ip }] } })]);
    // The finding is real: the API server decodes %2F and proxies the GET to the workload.
    const probe = await waitFor('the service proxy to reach the listener', () => cp!.api('GET', `/api/v1/namespaces/${NS}/services/echo%2Fproxy%2Fadmin%2Fprobe`), (r) => r.status === 200, { timeout: 20_000 });
    assert.match(probe.text, /reached/);
    assert.deepEqual(listener.requests.map((r) => r.url), ['/admin/probe']);
    listener.requests.length = 0;

    // A repository object whose name smuggles a proxy path.
    const repo = join(dir, 'repo');
    mkdirSync(repo);
    writeFileSync(join(repo, 'svc.yaml'), `apiVersion: v1\nkind: Service\nmetadata:\n  name: echo/proxy/admin/delete-all-data\n  namespace: ${NS}\nspec:\n  ports: [{ port: 80 }]\n`);
    const common = ['--kubeconfig', cp!.kubeconfigPath, '--context', 'tool', '--root', repo];
    const drift = await cli(['drift', 'svc.yaml', ...common], repo);
    assert.equal(drift.code, 2, drift.out);
    assert.match(drift.out, /Invalid metadata\.name "echo\/proxy\/admin\/delete-all-data" of Service: a name may not contain "\/"/);
    const preview = await cli(['preview', '.', ...common], repo);
    assert.equal(preview.code, 2, preview.out);
    assert.match(preview.out, /may not contain "\/"/);

    // A kubeconfig whose server URL points into the Service proxy.
    const kc = readFileSync(cp!.kubeconfigPath, 'utf8').replaceAll(cp!.server, `${cp!.server}/api/v1/namespaces/${NS}/services/echo/proxy`);
    const kubeconfig = join(dir, 'prefix-kubeconfig');
    writeFileSync(kubeconfig, kc);
    writeFileSync(join(repo, 'cm.yaml'), `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\n  namespace: ${NS}\n`);
    const prefixed = await cli(['drift', 'cm.yaml', '--kubeconfig', kubeconfig, '--context', 'tool', '--root', repo], repo);
    assert.equal(prefixed.code, 2, prefixed.out);
    assert.match(prefixed.out, /"proxy" opens a channel to a workload/);

    assert.deepEqual(listener.requests, [], 'nothing reached the workload');
    const events = await cp!.auditEvents({ user: cp!.users.tool, sinceMs: since });
    assert.deepEqual(events.filter((e) => e.objectRef?.subresource === 'proxy' || /proxy/.test(e.requestURI)).map((e) => e.requestURI), []);
  } finally {
    await listener.close();
    await cp?.kubectl(['delete', 'namespace', NS, '--wait=false'], { context: 'admin' });
    rmSync(dir, { recursive: true, force: true });
  }
});
