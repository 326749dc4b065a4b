/**
 * `npm run bench:preview` (tsx scripts/bench-preview.ts): wall time of a preview of 100
 * objects (ConfigMaps, Secrets, Services, Deployments; 20 changed, 10 missing, the rest
 * identical) against `kubectl diff --server-side -f` on the same objects, in the same run, on
 * the same control plane and identity; then a second preview with nothing changed, which must
 * send no dry-run. Prints figures and ratios (never asserts times). Uses the test control
 * plane when one is running (npm run cluster:up / npm test), else starts one.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PreviewService, kubeconfigConnector } from '../server/src/preview/preview-service.js';
import { startControlPlane, testCluster, type ControlPlane } from '../test/support/control-plane.js';

const NS = 'bench-preview';
const KUBECTL = process.env.KUBECTL || '/usr/bin/kubectl';

function objects(variant: 'desired' | 'live'): string[] {
  const out: string[] = [];
  const changed = (i: number) => variant === 'live' && i % 5 === 0;
  for (let i = 0; i < 40; i++) out.push(`apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm-${i}, namespace: ${NS}}\ndata: {value: "${changed(i) ? 'old' : 'v'}-${i}", other: "x"}\n`);
  for (let i = 0; i < 20; i++) out.push(`apiVersion: v1\nkind: Secret\nmetadata: {name: secret-${i}, namespace: ${NS}}\nstringData: {token: "${changed(i) ? 'old' : 'new'}-token-${i}"}\n`);
  for (let i = 0; i < 20; i++) out.push(`apiVersion: v1\nkind: Service\nmetadata: {name: svc-${i}, namespace: ${NS}}\nspec: {selector: {app: a${i}}, ports: [{port: ${changed(i) ? 81 : 80}, targetPort: 8080}]}\n`);
  for (let i = 0; i < 20; i++)
    out.push(
      `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: dep-${i}, namespace: ${NS}}\nspec:\n  replicas: ${changed(i) ? 3 : 1}\n  selector: {matchLabels: {app: d${i}}}\n  template:\n    metadata: {labels: {app: d${i}}}\n    spec: {containers: [{name: c, image: "registry.example/d:${i}"}]}\n`,
    );
  return out;
}

function time<T>(fn: () => T): { ms: number; value: T } {
  const t = process.hrtime.bigint();
  const value = fn();
  return { ms: Number(process.hrtime.bigint() - t) / 1e6, value };
}

async function timeAsync<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t = process.hrtime.bigint();
  const value = await fn();
  return { ms: Number(process.hrtime.bigint() - t) / 1e6, value };
}

async function main(): Promise<void> {
  let cp: ControlPlane | undefined = testCluster({ forTests: false });
  let owned = false;
  if (!cp) {
    console.error('starting a control plane for the benchmark ...');
    cp = await startControlPlane({ log: (m) => console.error(m) });
    owned = true;
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-preview-'));
  try {
    if ((await cp.kubectl(['get', 'namespace', NS])).code !== 0) await cp.kubectl(['create', 'namespace', NS]);
    await cp.kubectl(['-n', NS, 'delete', 'configmap,secret,service,deployment', '--all', '--wait=false']);
    // The live state: 90 objects applied as the agent, 20 of them with an older value; 10 missing.
    const live = objects('live').filter((_, i) => i % 10 !== 9);
    const applied = await cp.kubectl(['apply', '--server-side', '--field-manager=kustomize-controller', '--force-conflicts', '-f', '-'], { input: live.join('---\n') });
    if (applied.code !== 0) throw new Error(applied.stderr);
    const desired = objects('desired');
    desired.forEach((text, i) => writeFileSync(path.join(dir, `obj-${String(i).padStart(3, '0')}.yaml`), text));

    // Alternate the tools over a few rounds and report medians: one run is at the mercy of the machine's load.
    const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
    const kubectlMs: number[] = [];
    const firstMs: number[] = [];
    const secondMs: number[] = [];
    let first: Awaited<ReturnType<PreviewService['preview']>> | undefined;
    let second: typeof first;
    for (let r = 0; r < rounds; r++) {
      const kubectlDiff = time(() =>
        spawnSync(KUBECTL, ['--kubeconfig', cp!.kubeconfigPath, '--context', 'tool', 'diff', '--server-side', '--force-conflicts', '--field-manager=kustomize-controller', '-f', dir], { encoding: 'utf8' }),
      );
      if ((kubectlDiff.value.status ?? 2) > 1) throw new Error(`kubectl diff failed: ${kubectlDiff.value.stderr}`);
      kubectlMs.push(kubectlDiff.ms);
      // A new service per round: an empty dry-run memo, as in a fresh editor session.
      const service = new PreviewService({ connect: (k, c) => kubeconfigConnector(true, async () => false)(k ?? cp!.kubeconfigPath, c ?? 'tool') });
      const a = await timeAsync(() => service.preview({ paths: [dir], root: dir }));
      const b = await timeAsync(() => service.preview({ paths: [dir], root: dir }));
      service.dispose();
      firstMs.push(a.ms);
      secondMs.push(b.ms);
      first = a.value;
      second = b.value;
    }
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
    const k = median(kubectlMs);
    const f = median(firstMs);
    const n = median(secondMs);
    const c = first!.counts;
    const lines = [
      `machine: ${os.cpus()[0]?.model ?? 'unknown cpu'} x${os.cpus().length}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}, node ${process.version}; load average at end ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`,
      `date: ${new Date().toISOString()}; medians of ${rounds} alternating rounds`,
      `control plane: ${cp.version}; objects: ${desired.length} (plan: ${c.create} create, ${c.update} update, ${c.unchanged} unchanged, ${c.prune} prune, ${c.error} error)`,
      `kubectl diff --server-side -f (100 objects):  ${k.toFixed(0)} ms   (runs: ${kubectlMs.map((x) => x.toFixed(0)).join(', ')})`,
      `gitops-lens preview, first run:               ${f.toFixed(0)} ms   (runs: ${firstMs.map((x) => x.toFixed(0)).join(', ')}; ${first!.stats.dryRuns} dry-runs, ${first!.stats.provenUnchanged} proven unchanged without one)`,
      `  ratio kubectl diff / preview:               ${(k / f).toFixed(1)}×  (target ≥ 3×)`,
      `gitops-lens preview, nothing changed:         ${n.toFixed(0)} ms   (runs: ${secondMs.map((x) => x.toFixed(0)).join(', ')}; ${second!.stats.dryRuns} dry-runs, ${second!.stats.memoHits} memoized)`,
    ];
    console.log(lines.join('\n'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
    if (owned) await cp.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
