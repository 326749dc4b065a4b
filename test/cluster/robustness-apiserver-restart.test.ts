/**
 * The real kube-apiserver is stopped and started again during a watch (etcd
 * keeps running, so objects and resourceVersions survive, as in a control
 * plane upgrade). This file starts its own control plane for that, so the
 * shared one other test files use is never interrupted. Asserted: while the
 * API server is down the live cache's scope is "error" and drift is
 * "unknown"; after the restart the cache recovers by itself (no edit, no
 * refresh) and a delete made right after the restart is seen. Recovery
 * times are printed with the prefix `[reliability]`.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { NO_TEST_CLUSTER_REASON, startControlPlane, testCluster, type ControlPlane } from '../support/control-plane.js';
import { ClusterClient } from '../../server/src/cluster/read-only-transport.js';
import { LiveCache } from '../../server/src/cluster/live-cache.js';
import { DriftService } from '../../server/src/drift/drift-service.js';
import type { Finding } from '../../server/src/findings.js';
import { until as pollUntil } from '../support/wait.ts';

// The binaries exist whenever the run's control plane was built; an external cluster can't be restarted.
const shared = testCluster();
const skip = shared && !shared.external ? false : shared?.external ? 'an external cluster cannot be restarted by the tests' : NO_TEST_CLUSTER_REASON;
const CM = { group: '', version: 'v1', kind: 'ConfigMap' };
const NS = 'restart-test';

let describeState: () => string = () => '';

/** Polls with the restart's longer deadline and the cache state in the timeout message. */
function until<T>(what: string, fn: () => T | undefined | null | false, timeoutMs = 60_000): Promise<T> {
  return pollUntil(what, fn, timeoutMs, { describeState });
}

describe('kube-apiserver restarted during a watch', { skip }, () => {
  let cp: ControlPlane;
  let dir: string;

  before(async () => {
    cp = await startControlPlane();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-lens-restart-'));
    for (const args of [['create', 'namespace', NS], ['create', 'configmap', 'a', '-n', NS, '--from-literal=k=a'], ['create', 'configmap', 'b', '-n', NS, '--from-literal=k=b']]) {
      const r = await cp.kubectl(args);
      assert.equal(r.code, 0, r.stderr);
    }
  });
  after(async () => {
    await cp?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the live cache and drift survive an API server restart without missing a delete', async () => {
    assert.ok(cp.restartApiServer, 'the harness can restart the API server');
    const client = ClusterClient.create({ server: cp.server, ca: cp.caPem, token: cp.tokens.tool });
    const cache = new LiveCache(client, { initialBackoffMs: 200, maxBackoffMs: 1000 });
    const scope = { gvk: CM, namespace: NS };
    const file = path.join(dir, 'a.yaml');
    const text = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: ${NS}\ndata:\n  k: a\n`;
    fs.writeFileSync(file, text);
    const uri = pathToFileURL(file).href;
    const findings: Finding[][] = [];
    const drift = new DriftService({
      workspaceRoot: dir,
      settings: () => ({ kubeconfig: cp.kubeconfigPath, context: 'tool', bindings: [], ignoreDifferences: [], drift: { enable: true } }),
      trusted: true,
      approve: async () => false,
    });
    drift.onFindings((u, f) => u === uri && findings.push(f));
    describeState = () => `scope ${JSON.stringify(cache.scopeState(scope))}, last drift ${JSON.stringify(findings.at(-1)?.map((f) => f.message))}`;
    try {
      cache.setScopes([scope]);
      await drift.setDocuments(uri, text);
      await until('synced', () => cache.scopeState(scope)?.kind === 'synced' && cache.get(CM, NS, 'b'));
      await until('drift in sync', () => findings.at(-1)?.length === 0 && drift.report(uri)?.objects.every((o) => o.state === 'present'));
      const restartAt = Date.now();
      const restarted = cp.restartApiServer!();
      await until('scope error while the API server is down', () => cache.scopeState(scope)?.kind === 'error', 30_000);
      await until('drift unknown while the API server is down', () => findings.at(-1)?.some((f) => f.code === 'drift-unknown'), 30_000);
      const unknownAt = Date.now();
      await restarted;
      const readyAt = Date.now();
      const del = await cp.kubectl(['delete', 'configmap', 'b', '-n', NS]);
      assert.equal(del.code, 0, del.stderr);
      await until('cache recovered and saw the delete', () => cache.scopeState(scope)?.kind === 'synced' && !cache.get(CM, NS, 'b') && cache.get(CM, NS, 'a'));
      const cacheAt = Date.now();
      await until('drift current again', () => findings.at(-1)?.length === 0);
      const driftAt = Date.now();
      console.log(
        `[reliability] API server restart: drift "unknown" ${unknownAt - restartAt} ms after the stop; API server ready again after ${readyAt - restartAt} ms; ` +
          `cache synced (delete seen) ${cacheAt - readyAt} ms and drift current ${driftAt - readyAt} ms after ready`,
      );
    } finally {
      drift.dispose();
      cache.dispose();
      client.dispose();
    }
  });
});
