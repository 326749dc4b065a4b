/**
 * `npm run bench:drift` (tsx scripts/bench-drift.ts): figures for the drift
 * engine against the real control plane, printed, never asserted:
 * - cold start of the live cache (list+watch of N ConfigMaps until drift is
 *   computed) next to `kubectl get configmaps -o json` of the same objects,
 *   same identity, same run;
 * - live change → drift findings (a PATCH as "kubectl-edit" until the
 *   DriftService emits the finding for it), p50/p95;
 * - hover p95 with the N objects cached;
 * - heap used by the live cache for M objects.
 * Uses the test control plane when one is running, else starts one.
 * BENCH_DRIFT_OBJECTS (default 5000) and BENCH_DRIFT_MEMORY_OBJECTS (default 10000) size it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { DriftService } from '../server/src/drift/drift-service.js';
import { ClusterClient } from '../server/src/cluster/read-only-transport.js';
import { LiveCache } from '../server/src/cluster/live-cache.js';
import { kubeconfigPaths, loadKubeconfig, transportOptionsFor } from '../server/src/cluster/kubeconfig.js';
import type { Finding } from '../server/src/findings.js';
import { startControlPlane, testCluster, type ControlPlane } from '../test/support/control-plane.js';

const N = Number(process.env.BENCH_DRIFT_OBJECTS ?? 5000);
const M = Number(process.env.BENCH_DRIFT_MEMORY_OBJECTS ?? 10000);
const NS = 'bench-drift';
const NS_MEM = 'bench-drift-memory';
const KUBECTL = process.env.KUBECTL || '/usr/bin/kubectl';

function configMaps(ns: string, count: number, prefix = 'cm'): string {
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push(`apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${prefix}-${i}\n  namespace: ${ns}\ndata:\n  value: "v-${i}"\n  other: x\n`);
  return out.join('---\n');
}

function pct(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

const ms = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e6;

async function applyInBatches(cp: ControlPlane, ns: string, count: number, prefix: string): Promise<void> {
  const batch = 1000;
  for (let start = 0; start < count; start += batch) {
    const docs: string[] = [];
    for (let i = start; i < Math.min(count, start + batch); i++) docs.push(`apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${prefix}-${i}\n  namespace: ${ns}\ndata:\n  value: "v-${i}"\n  other: x\n`);
    const r = await cp.kubectl(['apply', '--server-side', '--field-manager=kustomize-controller', '--force-conflicts', '-f', '-'], { input: docs.join('---\n') });
    if (r.code !== 0) throw new Error(r.stderr);
  }
}

async function main(): Promise<void> {
  let cp: ControlPlane | undefined = testCluster({ forTests: false });
  let owned = false;
  if (!cp) {
    console.error('starting a control plane for the benchmark ...');
    cp = await startControlPlane({ log: (m) => console.error(m) });
    owned = true;
  }
  try {
    for (const ns of [NS, NS_MEM]) if ((await cp.kubectl(['get', 'namespace', ns])).code !== 0) await cp.kubectl(['create', 'namespace', ns]);
    console.error(`applying ${N} + ${M} ConfigMaps ...`);
    await applyInBatches(cp, NS, N, 'cm');
    await applyInBatches(cp, NS_MEM, M, 'mem');

    const repo = mkdtempSync(path.join(os.tmpdir(), 'bench-drift-'));
    const file = path.join(repo, 'configmaps.yaml');
    const text = configMaps(NS, N);
    writeFileSync(file, text);
    const uri = pathToFileURL(file).href;

    console.error('kubectl get ...');
    // kubectl get of the same kind and namespace, as the same identity.
    const k = process.hrtime.bigint();
    const kubectl = spawnSync(KUBECTL, ['--kubeconfig', cp.kubeconfigPath, '--context', 'tool', 'get', 'configmaps', '-n', NS, '-o', 'json'], { maxBuffer: 1 << 30 });
    const kubectlMs = ms(k);
    if (kubectl.status !== 0) throw new Error(String(kubectl.stderr));

    let latest: Finding[] = [];
    let onFindings: (() => void) | undefined;
    const service = new DriftService({
      workspaceRoot: repo,
      settings: () => ({ kubeconfig: cp!.kubeconfigPath, context: 'tool', bindings: [], ignoreDifferences: [], drift: { enable: true } }),
      trusted: true,
      approve: async () => false,
    });
    service.onFindings((u, f) => {
      if (u !== uri) return;
      latest = f;
      onFindings?.();
    });
    console.error('cold start ...');
    const c = process.hrtime.bigint();
    await service.setDocuments(uri, text);
    while (!service.report(uri)?.objects.every((o) => o.state === 'present')) await new Promise((r) => setTimeout(r, 5));
    const coldMs = ms(c);

    console.error('live changes ...');
    // Live change → findings.
    const latencies: number[] = [];
    for (let i = 0; i < 40; i++) {
      const name = `cm-${(i * 97) % N}`;
      const value = `live-${i}`;
      const wait = new Promise<void>((resolve) => {
        onFindings = () => {
          if (latest.some((f) => f.message.startsWith(`live ${value},`))) resolve();
        };
      });
      const t = process.hrtime.bigint();
      const r = await cp.api('PATCH', `/api/v1/namespaces/${NS}/configmaps/${name}?fieldManager=kubectl-edit`, { body: { data: { value } }, contentType: 'application/merge-patch+json' });
      if (r.status !== 200) throw new Error(`patch failed: ${r.status} ${r.text}`);
      await wait;
      latencies.push(ms(t));
      const cleared = new Promise<void>((resolve) => {
        onFindings = () => {
          if (!latest.some((f) => f.code === 'drift-value' && f.message.startsWith(`live ${value},`))) resolve();
        };
      });
      await cp.api('PATCH', `/api/v1/namespaces/${NS}/configmaps/${name}?fieldManager=kubectl-edit`, { body: { data: { value: `v-${(i * 97) % N}` } }, contentType: 'application/merge-patch+json' });
      await cleared;
    }
    onFindings = undefined;

    console.error('hovers ...');
    // Hover over random values of the 5,000-object file.
    const lines = text.split('\n');
    const hovers: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const line = 6 + 9 * Math.floor(Math.random() * N);
      const t = process.hrtime.bigint();
      const h = service.hover(uri, text, { line, character: Math.min(12, lines[line]?.length ?? 0) });
      hovers.push(ms(t));
      if (!h && i === 0) console.error('warning: hover returned nothing at', line);
    }
    service.dispose();

    console.error('memory ...');
    // Memory of the live cache alone, for M objects.
    const rc = loadKubeconfig(kubeconfigPaths(cp.kubeconfigPath)).resolve('tool');
    const client = ClusterClient.create(await transportOptionsFor(rc, { trusted: true, approve: async () => false }));
    globalThis.gc?.();
    const before = process.memoryUsage().heapUsed;
    const cache = new LiveCache(client);
    const scope = { gvk: { group: '', version: 'v1', kind: 'ConfigMap' }, namespace: NS_MEM };
    cache.setScopes([scope]);
    while (cache.scopeState(scope)?.kind !== 'synced') await new Promise((r) => setTimeout(r, 10));
    globalThis.gc?.();
    const heapMb = (process.memoryUsage().heapUsed - before) / 1024 / 1024;
    const cached = cache.size();
    cache.dispose();
    client.dispose();

    const fmt = (n: number) => n.toFixed(1);
    console.log(`drift benchmark — ${new Date().toISOString()} — ${os.cpus()[0]?.model ?? 'cpu'} x${os.cpus().length}, Node ${process.version}, Kubernetes ${cp.version}`);
    console.log(`cold start, ${N} ConfigMaps: live cache + drift ${fmt(coldMs)} ms; kubectl get -o json ${fmt(kubectlMs)} ms; ratio ${(coldMs / kubectlMs).toFixed(2)}x`);
    console.log(`live change → drift findings (${latencies.length} runs, ${N}-object file): p50 ${fmt(pct(latencies, 50))} ms, p95 ${fmt(pct(latencies, 95))} ms (target p95 < 250 ms)`);
    console.log(`hover with ${N} objects cached (1000 runs): p50 ${pct(hovers, 50).toFixed(3)} ms, p95 ${pct(hovers, 95).toFixed(3)} ms (target p95 < 50 ms)`);
    console.log(`live cache memory: ${fmt(heapMb)} MB heap for ${cached} ConfigMaps${globalThis.gc ? '' : ' (run with --expose-gc for a steadier figure)'}`);
  } finally {
    await cp.kubectl(['delete', 'namespace', NS, NS_MEM, '--wait=false']);
    if (owned) await cp.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
