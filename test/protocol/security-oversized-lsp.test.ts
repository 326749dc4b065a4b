/**
 * Issue 18, finding 6 in the language server: an API server whose LIST answer never ends
 * (700 MiB, over V8's string limit) used to leave the live cache wedged: status "connected",
 * no retry, 1.35 GB resident. Now the answer is cut at the bound, the failure reaches the
 * status (unreachable, with the reason), drift is "unknown", the LIST is retried with backoff,
 * and the server's memory stays bounded. The fake API server (test/support/hostile-api-server.ts)
 * is the attacker here; no control plane is needed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { ensureBundle, LspTestClient } from './lsp-test-client.js';
import { endlessList, startHostileApiServer } from '../support/hostile-api-server.js';

function peakRssMb(pid: number): number {
  try {
    return Math.round(Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024);
  } catch {
    return 0;
  }
}

test('an endless LIST answer: the status says why, drift is unknown, the LIST is retried with backoff, memory stays bounded', async () => {
  ensureBundle();
  const dir = mkdtempSync(join(tmpdir(), 'gitops-lens-oversized-lsp-'));
  const api = await startHostileApiServer();
  api.route((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== '/api/v1/namespaces/default/configmaps' || url.searchParams.get('watch') === 'true') return false;
    endlessList(res, 700 * 1024 * 1024);
  });
  const lists = () => api.requests.filter((r) => r.url.startsWith('/api/v1/namespaces/default/configmaps') && !r.url.includes('watch=true'));
  const kubeconfig = join(dir, 'kubeconfig');
  api.writeKubeconfig(kubeconfig, 'tok-oversized-lsp');
  const file = join(dir, 'cm.yaml');
  const text = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-config\n  namespace: default\ndata:\n  a: b\n';
  writeFileSync(file, text);
  const uri = pathToFileURL(file).href;
  const { client } = await LspTestClient.start({ folders: [dir], trusted: true, settings: { kubeconfig, context: 'hostile', validation: { debounceMs: 0 } }, env: { KUBECONFIG: '' } });
  try {
    await client.open(uri, text);
    const status = await client.waitFor(() => client.statuses.find((s) => /larger than 128 MiB/.test(JSON.stringify(s))), 'a status naming the oversized answer', 60_000);
    assert.equal(status.state.kind, 'unreachable', JSON.stringify(status));
    await client.waitFor(() => client.diagnostics.get(uri)?.diagnostics.find((d) => d.code === 'drift-unknown'), 'drift "unknown"', 30_000);
    await client.waitFor(() => (lists().length >= 2 ? true : undefined), 'the LIST retried', 60_000);
    const [first, second] = lists();
    assert.ok(second.at - first.at >= 400, `retried after ${second.at - first.at} ms: backoff expected`);
    assert.ok(await client.hover(uri, 2, 3), 'the server still answers');
    const peak = peakRssMb(client.process.pid!);
    console.log(`[reliability] LSP against an endless LIST: status "${status.state.kind}", retried after ${second.at - first.at} ms, peak RSS ${peak} MB`);
    assert.ok(peak < 1000, `peak RSS ${peak} MB`);
  } finally {
    await client.stop();
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
