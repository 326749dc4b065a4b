/**
 * Robustness of the cluster layer under network and server faults, against
 * the real control plane behind the fault-injecting proxy
 * (test/support/fault-proxy.ts): connections dropped mid-watch, the API
 * server unreachable while objects are deleted, 410 Gone on a watch, 500s,
 * 429 with Retry-After, a silent server. What is asserted: the live cache
 * never misses a delete that happened while it was disconnected; drift is
 * "unknown" while disconnected and never stale-but-current; 429 is honoured
 * with bounded concurrency and a bounded number of attempts. Figures
 * (recovery times, request counts) are printed with the prefix
 * `[reliability]` for docs/RELIABILITY.md.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { DRY_RUN_ONLY_POLICY, NO_TEST_CLUSTER_REASON, testCluster } from '../support/control-plane.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { ClusterClient } from '../../server/src/cluster/read-only-transport.js';
import { LiveCache, type WatchScope } from '../../server/src/cluster/live-cache.js';
import { DriftService, type DriftSettings } from '../../server/src/drift/drift-service.js';
import type { Finding } from '../../server/src/findings.js';
import { until } from '../support/wait.ts';

const cp = testCluster();
const skip = cp ? false : NO_TEST_CLUSTER_REASON;
const NS = `robust-${randomBytes(3).toString('hex')}`;
const CM = { group: '', version: 'v1', kind: 'ConfigMap' };
const suiteStart = Date.now();

async function kubectl(args: string[], input?: string): Promise<string> {
  const r = await cp!.kubectl(args, { context: 'admin', input });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

function figure(name: string, value: string | number): void {
  console.log(`[reliability] ${name}: ${value}`);
}

describe('cluster layer under injected faults (real control plane behind a fault proxy)', { skip }, () => {
  let proxy: FaultProxy;
  let dir: string;
  let kubeconfig: string;

  before(async () => {
    proxy = await startFaultProxy({ upstream: cp!.server, upstreamCa: cp!.caPem });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-lens-robust-'));
    kubeconfig = proxy.writeKubeconfig(path.join(dir, 'kubeconfig'), cp!.tokens.tool);
    await kubectl(['create', 'namespace', NS]);
    for (const n of ['a', 'b', 'c', 'keep']) await kubectl(['create', 'configmap', n, '-n', NS, `--from-literal=k=${n}`]);
  });

  after(async () => {
    await proxy?.close();
    await cp?.kubectl(['delete', 'namespace', NS, '--wait=false'], { context: 'admin' });
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  function newCache(): { client: ClusterClient; cache: LiveCache; scope: WatchScope; logs: string[] } {
    const client = ClusterClient.create({ server: proxy.url, ca: proxy.caPem, token: cp!.tokens.tool, userAgent: 'gitops-lens-robustness' });
    const logs: string[] = [];
    const cache = new LiveCache(client, { initialBackoffMs: 200, maxBackoffMs: 2000, log: (m) => logs.push(m) });
    const scope = { gvk: CM, namespace: NS };
    cache.setScopes([scope]);
    return { client, cache, scope, logs };
  }

  test('the proxy is transparent when no fault is set', async () => {
    proxy.setRule(undefined);
    const client = ClusterClient.create({ server: proxy.url, ca: proxy.caPem, token: cp!.tokens.tool });
    try {
      assert.match(await client.serverVersion(), /^v1\./);
      assert.ok(await client.get(CM, NS, 'keep'));
    } finally {
      client.dispose();
    }
  });

  test('a delete while the API server is unreachable is not missed: the cache relists on recovery', async () => {
    proxy.setRule(undefined);
    const { client, cache, scope } = newCache();
    try {
      await until('synced', () => cache.scopeState(scope)?.kind === 'synced' && cache.get(CM, NS, 'a'));
      const downAt = Date.now();
      proxy.drop(true); // every connection reset, the watch included, and new ones refused
      await until('scope in error (unreachable)', () => cache.scopeState(scope)?.kind === 'error');
      assert.equal(cache.connectionState.kind, 'unreachable');
      figure('watch drop → scope "error" (unreachable)', `${Date.now() - downAt} ms`);
      // The object is still in the store, but the scope says "error": nobody may treat it as current.
      await kubectl(['delete', 'configmap', 'a', '-n', NS]);
      await kubectl(['create', 'configmap', 'added-while-down', '-n', NS, '--from-literal=k=v']);
      const upAt = Date.now();
      proxy.up();
      await until('relisted without the deleted object', () => cache.scopeState(scope)?.kind === 'synced' && !cache.get(CM, NS, 'a') && cache.get(CM, NS, 'added-while-down'));
      figure('proxy back up → cache synced with the missed delete (backoff ≤ 2 s)', `${Date.now() - upAt} ms`);
      assert.equal(cache.connectionState.kind, 'connected');
      assert.ok(cache.get(CM, NS, 'keep'));
    } finally {
      cache.dispose();
      client.dispose();
    }
  });

  test('a connection dropped mid-watch (flap) is re-watched from its resourceVersion and the delete arrives', async () => {
    proxy.setRule(undefined);
    const { client, cache, scope } = newCache();
    try {
      await until('synced', () => cache.scopeState(scope)?.kind === 'synced' && cache.get(CM, NS, 'b'));
      const before = proxy.requests.length;
      proxy.drop(false);
      await kubectl(['delete', 'configmap', 'b', '-n', NS]);
      const t0 = Date.now();
      await until('delete seen', () => !cache.get(CM, NS, 'b'));
      figure('flap → delete seen', `${Date.now() - t0} ms after the delete`);
      // The drop ends the watch either cleanly (re-watch from the last resourceVersion) or with a
      // socket error (back off, relist, then watch): both open a new watch, the second maybe only
      // after the relist already showed the delete.
      await until('a new watch after the drop', () => proxy.requests.slice(before).some((r) => r.watch));
      const after = proxy.requests.slice(before);
      assert.ok(after.length <= 10, `no reconnect storm after one drop (${after.length} requests)`);
    } finally {
      cache.dispose();
      client.dispose();
    }
  });

  test('410 Gone on a watch makes the cache relist, and it stays correct', async () => {
    const { client, cache, scope, logs } = newCache();
    let gone = 0;
    proxy.setRule((r) => (r.watch && gone++ === 0 ? { kind: 'gone' } : undefined));
    try {
      await until('410 logged and relisted', () => logs.some((l) => /410 Gone/.test(l)) && cache.scopeState(scope)?.kind === 'synced');
      const t = Date.now();
      await kubectl(['delete', 'configmap', 'c', '-n', NS]);
      await until('delete after 410 seen', () => !cache.get(CM, NS, 'c'));
      const lists = proxy.since(t - 60_000, (r) => !r.watch && r.path.includes(`/namespaces/${NS}/configmaps`));
      assert.ok(lists.length >= 2, 'listed again after the 410');
    } finally {
      proxy.setRule(undefined);
      cache.dispose();
      client.dispose();
    }
  });

  test('500 on LIST: the scope is "error" (drift unknown), backs off, then recovers', async () => {
    const start = Date.now();
    let failing = true;
    proxy.setRule((r) => (failing && !r.watch && r.path.includes('/configmaps') ? { kind: 'status', status: 500 } : undefined));
    const { client, cache, scope } = newCache();
    try {
      await until('error state', () => cache.scopeState(scope)?.kind === 'error');
      assert.equal(cache.connectionState.kind, 'unreachable');
      await new Promise((r) => setTimeout(r, 1500));
      const attempts = proxy.since(start, (r) => r.status === 500).length;
      // With 200 ms doubling backoff, 1.5 s allows about 4 attempts; a storm would be hundreds.
      assert.ok(attempts <= 8, `500s are retried with backoff, not in a loop (${attempts} attempts in 1.5 s)`);
      figure('LIST attempts during 1.5 s of 500s (backoff 200 ms doubling)', attempts);
      failing = false;
      await until('recovered', () => cache.scopeState(scope)?.kind === 'synced' && cache.get(CM, NS, 'keep'));
    } finally {
      proxy.setRule(undefined);
      cache.dispose();
      client.dispose();
    }
  });

  test('429 with Retry-After: honoured, concurrency bounded, attempts bounded (no retry storm)', async () => {
    const start = Date.now();
    const throttleUntil = start + 1500;
    proxy.setRule((r) => (!r.watch && r.path.includes('/configmaps/') && Date.now() < throttleUntil ? { kind: 'status', status: 429, retryAfterSeconds: 1 } : undefined));
    proxy.maxInFlight = 0;
    const client = ClusterClient.create({ server: proxy.url, ca: proxy.caPem, token: cp!.tokens.tool });
    try {
      const calls = 40;
      const results = await Promise.allSettled(Array.from({ length: calls }, (_, i) => client.get(CM, NS, i === 0 ? 'keep' : `absent-${i}`)));
      const sent = proxy.since(start, (r) => r.path.includes('/configmaps/'));
      const throttled = sent.filter((r) => r.status === 429).length;
      figure(`429 run: ${calls} GETs, requests at the proxy`, `${sent.length} (${throttled} answered 429), max in flight ${proxy.maxInFlight}`);
      assert.ok(proxy.maxInFlight <= 8, `at most 8 requests in flight (saw ${proxy.maxInFlight})`);
      assert.ok(sent.length <= calls * 4, `each call makes at most 1 + 3 attempts (${sent.length})`);
      // Retry-After: 1 s means nobody is sent again within 1 s of being throttled: per path, consecutive attempts are ≥ ~1 s apart.
      const byPath = new Map<string, number[]>();
      for (const r of sent) byPath.set(r.path, [...(byPath.get(r.path) ?? []), r.at]);
      for (const [p, times] of byPath) for (let i = 1; i < times.length; i++) assert.ok(times[i] - times[i - 1] >= 900, `${p} retried after ${times[i] - times[i - 1]} ms < Retry-After`);
      // The throttle lifts after 1.5 s, so with 3 retries of 1 s every call succeeds.
      assert.equal(results.filter((r) => r.status === 'rejected').length, 0, 'every call succeeded after the throttle lifted');
      assert.ok((results[0] as PromiseFulfilledResult<unknown>).value, 'the existing object was read');
    } finally {
      proxy.setRule(undefined);
      client.dispose();
    }
  });

  test('429 that never ends: the call fails with a clear throttling error after 3 retries', async () => {
    const start = Date.now();
    proxy.setRule((r) => (!r.watch && r.path.includes('/configmaps/keep') ? { kind: 'status', status: 429, retryAfterSeconds: 0 } : undefined));
    const client = ClusterClient.create({ server: proxy.url, ca: proxy.caPem, token: cp!.tokens.tool });
    try {
      await assert.rejects(client.get(CM, NS, 'keep'), (e: Error & { status?: number }) => e.status === 429 && /throttling/.test(e.message));
      assert.equal(proxy.since(start, (r) => r.path.includes('/configmaps/keep')).length, 4);
    } finally {
      proxy.setRule(undefined);
      client.dispose();
    }
  });

  test('a silent server: a request times out with a clear message instead of hanging', async () => {
    proxy.setRule((r) => (r.path === '/version' ? { kind: 'silent' } : undefined));
    const client = ClusterClient.create({ server: proxy.url, ca: proxy.caPem, token: cp!.tokens.tool, timeoutMs: 1000 });
    try {
      await assert.rejects(client.serverVersion(), (e: Error & { reason?: string }) => e.reason === 'Timeout' && /did not answer within/.test(e.message));
    } finally {
      proxy.setRule(undefined);
      client.dispose();
      proxy.drop(false);
    }
  });

  test('a watch that goes silent is treated as a disconnect (idle timeout), not trusted as current', async () => {
    proxy.setRule(undefined);
    const client = ClusterClient.create({ server: proxy.url, ca: proxy.caPem, token: cp!.tokens.tool });
    // A short idle timeout stands in for the default 90 s (kube-apiserver sends a bookmark about every 60 s).
    const cache = new LiveCache(client, { initialBackoffMs: 200, maxBackoffMs: 1000, watchIdleTimeoutMs: 1500 });
    const scope = { gvk: CM, namespace: NS };
    try {
      cache.setScopes([scope]);
      await until('synced', () => cache.scopeState(scope)?.kind === 'synced');
      // From now on the server accepts watches and sends nothing; the open watch is cut so the next one is silent.
      proxy.setRule((r) => (r.watch ? { kind: 'silent' } : undefined));
      proxy.drop(false);
      // The cut itself is an error; the cache relists, is synced, opens a watch that stays silent...
      await until('a silent watch open', () => cache.scopeState(scope)?.kind === 'synced' && proxy.requests.some((r) => r.watch && r.fault === 'silent'), 15_000);
      const t0 = Date.now();
      // ...and must give up on it after the idle timeout rather than stay "synced".
      await until('scope error after the idle timeout', () => {
        const st = cache.scopeState(scope);
        return st?.kind === 'error' && /went silent/.test(st.reason);
      }, 15_000);
      figure('silent watch → scope "error" (idle timeout set to 1.5 s)', `${Date.now() - t0} ms`);
      assert.equal(cache.connectionState.kind, 'unreachable');
      proxy.setRule(undefined);
      proxy.drop(false);
      await until('recovered', () => cache.scopeState(scope)?.kind === 'synced', 15_000);
    } finally {
      proxy.setRule(undefined);
      cache.dispose();
      client.dispose();
    }
  });

  test('added latency (300 ms per request) slows the cache down but it syncs and follows deletes', async () => {
    proxy.setRule(() => ({ kind: 'latency', ms: 300 }));
    const { client, cache, scope } = newCache();
    try {
      await kubectl(['create', 'configmap', 'slow', '-n', NS, '--from-literal=k=v']);
      const t0 = Date.now();
      await until('synced through latency', () => cache.scopeState(scope)?.kind === 'synced' && cache.get(CM, NS, 'slow'));
      figure('sync through 300 ms latency per request (discovery + LIST)', `${Date.now() - t0} ms`);
      await kubectl(['delete', 'configmap', 'slow', '-n', NS]);
      await until('delete seen through latency', () => !cache.get(CM, NS, 'slow'));
      assert.equal(cache.connectionState.kind, 'connected');
    } finally {
      proxy.setRule(undefined);
      cache.dispose();
      client.dispose();
    }
  });

  test('through every fault the tool only read: audit log, and the dry-run-only admission policy is still on', async () => {
    const events = await cp!.auditEvents({ user: cp!.users.tool, sinceMs: suiteStart });
    const mine = events.filter((e) => /gitops-lens/.test(String(e.raw?.userAgent ?? '')) && e.requestURI.includes(NS));
    assert.ok(mine.length > 10, `the audit log has this file's requests (${mine.length})`);
    const writes = mine.filter((e) => !['get', 'list', 'watch'].includes(e.verb) && !(e.verb === 'patch' && /[?&]dryRun=All(&|$)/.test(e.requestURI)));
    assert.deepEqual(writes.map((e) => `${e.verb} ${e.requestURI}`), []);
    if (!cp!.external) {
      const policy = await cp!.kubectl(['get', 'validatingadmissionpolicy', DRY_RUN_ONLY_POLICY, '-o', 'name']);
      assert.equal(policy.code, 0, 'the admission policy is still installed');
      const binding = await cp!.kubectl(['get', 'validatingadmissionpolicybinding', '-o', 'name']);
      assert.match(binding.stdout, /validatingadmissionpolicybinding/);
    }
  });

  test('drift is "unknown" while disconnected, never stale-but-current, and current again after recovery', async () => {
    proxy.setRule(undefined);
    const repo = fs.mkdtempSync(path.join(dir, 'repo-'));
    const file = path.join(repo, 'cm.yaml');
    const text = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: keep\n  namespace: ${NS}\ndata:\n  k: keep\n`;
    fs.writeFileSync(file, text);
    const uri = pathToFileURL(file).href;
    const findings: Finding[][] = [];
    const settings = (): DriftSettings => ({ kubeconfig, context: 'tool', bindings: [], ignoreDifferences: [], drift: { enable: true } });
    const service = new DriftService({ workspaceRoot: repo, settings, trusted: true, approve: async () => false, log: () => {} });
    service.onFindings((u, f) => u === uri && findings.push(f));
    const latest = () => findings.at(-1);
    try {
      await service.setDocuments(uri, text);
      await until('in sync', () => service.report(uri)?.objects.every((o) => o.state === 'present') && latest()?.length === 0);
      const downAt = Date.now();
      proxy.drop(true);
      await until('drift unknown', () => latest()?.some((f) => f.code === 'drift-unknown'));
      figure('disconnect → drift "unknown" published', `${Date.now() - downAt} ms`);
      // A live change while disconnected must not be hidden behind an "in sync" (empty) report.
      await kubectl(['patch', 'configmap', 'keep', '-n', NS, '--type=merge', '-p', '{"data":{"k":"changed-while-down"}}']);
      await new Promise((r) => setTimeout(r, 1000));
      const during = findings.slice(findings.findIndex((f) => f.some((x) => x.code === 'drift-unknown')));
      assert.ok(during.every((f) => f.length > 0 && f.every((x) => x.code === 'drift-unknown')), 'only "unknown" while disconnected');
      assert.match(latest()![0].message, /disconnected|unreachable|connect/i);
      assert.equal(service.connectionState(uri).state.kind === 'connected', false, 'status bar does not say connected');
      const upAt = Date.now();
      proxy.up();
      const drift = await until('drift after recovery', () => latest()?.find((f) => f.code === 'drift-value'));
      figure('reconnect → current drift published', `${Date.now() - upAt} ms`);
      assert.match(drift.message, /changed-while-down/);
    } finally {
      service.dispose();
      await kubectl(['patch', 'configmap', 'keep', '-n', NS, '--type=merge', '-p', '{"data":{"k":"keep"}}']);
    }
  });
});
