/**
 * A stalled cluster must not block the editor: the real language server is
 * pointed (through a kubeconfig) at the fault proxy in front of the real
 * control plane, and the proxy answers nothing at all. While the server's
 * cluster request hangs, hover, completion and validation of an edit are
 * all answered; when the request times out (the transport's 15 s), the
 * status becomes "unreachable" with a message that says what to check, and
 * drift is "unknown", not "in sync".
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { NO_TEST_CLUSTER_REASON, testCluster } from '../support/control-plane.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { ensureBundle, LspTestClient } from './lsp-test-client.js';

const cluster = testCluster();

describe('a stalled API server does not block the language server', { skip: cluster ? false : NO_TEST_CLUSTER_REASON }, () => {
  let proxy: FaultProxy;
  let dir: string;

  before(async () => {
    ensureBundle();
    proxy = await startFaultProxy({ upstream: cluster!.server, upstreamCa: cluster!.caPem });
    dir = mkdtempSync(join(tmpdir(), 'gitops-lens-stall-'));
  });
  after(async () => {
    await proxy?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('hover, completion and validation answer while every cluster request hangs', async () => {
    const kubeconfig = proxy.writeKubeconfig(join(dir, 'kubeconfig'), cluster!.tokens.tool);
    proxy.setRule(() => ({ kind: 'silent' }));
    const file = join(dir, 'deployment.yaml');
    const text = 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: default\nspec:\n  replicas: 2\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n        - name: web\n          image: nginx\n';
    writeFileSync(file, text);
    const uri = pathToFileURL(file).href;
    const { client } = await LspTestClient.start({ folders: [dir], trusted: true, settings: { kubeconfig, context: 'tool', validation: { debounceMs: 0 } } });
    try {
      await client.open(uri, text);
      await client.diagnosticsFor(uri, 1, 20_000);
      // The server has sent its first cluster request, and the proxy is sitting on it.
      await client.waitFor(() => proxy.requests.some((r) => r.fault === 'silent'), 'a stalled cluster request', 20_000);
      const stalledAt = Date.now();
      const latencies: number[] = [];
      for (let i = 0; i < 10; i++) {
        const t = Date.now();
        const hover = await client.hover(uri, 6, 4);
        latencies.push(Date.now() - t);
        assert.ok(hover && JSON.stringify(hover.contents).includes('replicas'), 'schema hover for replicas');
      }
      const items = await client.completion(uri, 6, 2);
      assert.ok(items.length > 0, 'completion answered');
      const version = await client.change(uri, [{ range: { start: { line: 6, character: 12 }, end: { line: 6, character: 13 } }, text: '"two"' }]);
      const diags = await client.diagnosticsFor(uri, version, 10_000);
      assert.ok(diags.some((d) => /integer/i.test(JSON.stringify(d.message))), `validation of the edit: ${JSON.stringify(diags)}`);
      // All of that happened while the cluster request was still unanswered.
      const answered = Date.now() - stalledAt;
      const pending = proxy.inFlight > 0;
      console.log(`[reliability] stalled cluster: 10 hovers answered in max ${Math.max(...latencies)} ms, completion + re-validation done ${answered} ms into the stall (cluster request still pending: ${pending})`);
      assert.ok(pending, 'the stalled request was still pending while the editor features answered');
      // The stall ends with the transport's timeout: the status says unreachable and why.
      const status = await client.waitFor(
        () => client.statuses.find((s) => JSON.stringify(s).includes('unreachable')),
        'status "unreachable" after the request timeout',
        40_000,
      );
      assert.match(JSON.stringify(status), /did not answer within|unreachable/i);
      const after = await client.waitFor(
        () => client.diagnostics.get(uri)?.diagnostics.find((d) => d.code === 'drift-unknown'),
        'drift "unknown" on the file',
        10_000,
      );
      assert.match(JSON.stringify(after.message), /did not answer|unreachable|disconnected|cluster/i);
      console.log(`[reliability] stalled cluster: status "unreachable" and drift "unknown" ${Date.now() - stalledAt} ms after the stall began`);
    } finally {
      proxy.setRule(undefined);
      proxy.drop(false);
      assert.equal(await client.stop(), 0);
    }
  });
});
