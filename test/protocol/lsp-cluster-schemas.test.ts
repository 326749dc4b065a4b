/**
 * Schemas from the bound cluster, over a real stdio LSP connection to the
 * bundled server and the real test control plane: a CRD installed only in
 * the cluster validates its custom resources once the binding connects, the
 * cluster's OpenAPI documents are cached in the client's storage folder, and
 * a server started later, with that cluster unreachable at the same address,
 * still validates the custom resource from the cache and says so in the
 * status ("cluster-cache" with the fetch time).
 *
 * The cache is keyed by context + server URL, so the test reaches the API
 * server through a plain TCP relay on a port of its own (TLS passes through
 * untouched) and then closes the relay: same URL, nothing listening.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { ActiveDocumentNotification } from '../../server/src/protocol/protocol.js';
import { NO_TEST_CLUSTER_REASON, testCluster, type ControlPlane } from '../support/control-plane.js';
import { ensureBundle, LspTestClient } from './lsp-test-client.js';
import { integerSizeCrd } from '../support/crd-fixtures.js';
import { lspNotification } from '../../server/src/lsp/lsp-messages.js';

const cluster: ControlPlane | undefined = testCluster();

/** A TCP relay to the API server; `close()` makes its address refuse connections. */
async function startRelay(target: URL): Promise<{ url: string; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => s.destroy());
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `https://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('cluster schemas over LSP, cached for offline use (real control plane)', { skip: cluster ? false : NO_TEST_CLUSTER_REASON }, () => {
  const group = `g${randomBytes(3).toString('hex')}.schemas.example`;
  let workspace: string;
  let storage: string;
  let uri: string;
  let text: string;
  let relay: Awaited<ReturnType<typeof startRelay>> | undefined;
  let settings: Record<string, unknown>;

  before(async () => {
    ensureBundle();
    const cp = cluster!;
    const crd = integerSizeCrd(group, 'Gadget', 'gadgets');
    const applied = await cp.kubectl(['apply', '-f', '-'], { input: crd });
    assert.equal(applied.code, 0, applied.stderr);
    await cp.kubectl(['wait', '--for=condition=Established', `crd/gadgets.${group}`, '--timeout=30s']);
    workspace = mkdtempSync(join(tmpdir(), 'gitops-lens-lsp-schemas-'));
    storage = mkdtempSync(join(tmpdir(), 'gitops-lens-lsp-storage-'));
    const file = join(workspace, 'gadget.yaml');
    // Not in the repo, not bundled: only the cluster knows that size is an integer.
    text = `apiVersion: ${group}/v1\nkind: Gadget\nmetadata:\n  name: g\n  namespace: default\nspec:\n  size: three\n`;
    writeFileSync(file, text);
    uri = pathToFileURL(file).href;
    relay = await startRelay(new URL(cp.server));
    const kubeconfig = join(workspace, '..', `${workspace.split('/').pop()}-kubeconfig.yaml`);
    writeFileSync(kubeconfig, readFileSync(cp.kubeconfigPath, 'utf8').split(cp.server).join(relay.url));
    settings = { kubeconfig, context: 'tool', validation: { debounceMs: 20 } };
  });

  after(async () => {
    await relay?.close();
    await cluster?.kubectl(['delete', `crd/gadgets.${group}`, '--wait=false']);
    for (const dir of [workspace, storage]) if (dir) rmSync(dir, { recursive: true, force: true });
    if (workspace) rmSync(join(workspace, '..', `${workspace.split('/').pop()}-kubeconfig.yaml`), { force: true });
  });

  const sizeError = (client: LspTestClient) =>
    client.diagnostics.get(uri)?.diagnostics.find((d) => d.source === 'gitops-lens' && d.range.start.line === 6 && /integer/i.test(String(d.message)));

  it('validates a cluster-only CRD once connected, then from the disk cache when the cluster is unreachable', async () => {
    const online = (await LspTestClient.start({ folders: [workspace], trusted: true, settings, storagePath: storage })).client;
    try {
      await online.open(uri, text);
      await online.connection.sendNotification(lspNotification(ActiveDocumentNotification), { uri });
      const status = await online.waitFor(
        () => online.statuses.find((s) => s.uri === uri && s.state.kind === 'connected' && s.schemaSource?.kind === 'cluster'),
        'a connected status whose schema source is the cluster',
        30_000,
      );
      assert.equal(status.schemaSource?.kind === 'cluster' && status.schemaSource.context, 'tool');
      const d = await online.waitFor(() => sizeError(online), 'a schema error on spec.size from the cluster CRD', 30_000);
      assert.deepEqual(d.range, { start: { line: 6, character: 8 }, end: { line: 6, character: 13 } });
      await online.waitFor(() => (readdirSync(join(storage, 'cluster-schemas')).some((f) => f.startsWith('tool-') && f.endsWith('.json')) ? true : undefined), 'the cache file', 10_000);
    } finally {
      await online.stop();
    }
    const cached = readdirSync(join(storage, 'cluster-schemas'));
    const body = readFileSync(join(storage, 'cluster-schemas', cached.find((f) => f.endsWith('.json'))!), 'utf8');
    assert.ok(body.includes(`gadgets.${group}`) || body.includes(`${group}`), 'the cluster-only CRD is in the cache');
    assert.ok(!body.includes(new URL(relay!.url).host), 'the server address is not stored');
    for (const token of Object.values(cluster!.tokens)) assert.ok(!token || !body.includes(token), 'no credential is stored');

    await relay!.close();
    const offline = (await LspTestClient.start({ folders: [workspace], trusted: true, settings, storagePath: storage })).client;
    try {
      await offline.open(uri, text);
      await offline.connection.sendNotification(lspNotification(ActiveDocumentNotification), { uri });
      const status = await offline.waitFor(
        () => offline.statuses.find((s) => s.uri === uri && s.state.kind === 'unreachable' && s.schemaSource?.kind === 'cluster-cache'),
        'an unreachable status whose schema source is the cache',
        30_000,
      );
      assert.equal(status.schemaSource?.kind, 'cluster-cache');
      if (status.schemaSource?.kind === 'cluster-cache') {
        assert.equal(status.schemaSource.context, 'tool');
        assert.match(status.schemaSource.cachedAt ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d/);
        assert.match(status.schemaSource.kubernetesVersion ?? '', /^v1\.\d+/);
      }
      const d = await offline.waitFor(() => sizeError(offline), 'the schema error on spec.size, from the cached schemas', 30_000);
      assert.deepEqual(d.range, { start: { line: 6, character: 8 }, end: { line: 6, character: 13 } });
    } finally {
      await offline.stop();
    }
  });
});
