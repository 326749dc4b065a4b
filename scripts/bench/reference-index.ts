/**
 * The reference index on a real repository (bjw-s-labs-home-ops), run by
 * scripts/bench-validate.ts in its own process:
 *
 *   GITOPS_LENS_SERVER_BUNDLE=<server> node --import tsx scripts/bench/reference-index.ts <config.json>
 *
 * config.json: { mode: 'ours' | 'baseline', corpus, edits, definitions }.
 * Measures, and prints as one JSON line:
 * - the cold build of the index in a fresh process (read + index every YAML
 *   file, build the graph, run the checks; wall and CPU);
 * - in the language server (dist/server.js, debounceMs 0): the first
 *   reference-diagnostics run after the workspace scan; `edits` edits of one
 *   Flux Kustomization's dependsOn, each timed from didChange to the
 *   publishDiagnostics that shows (or clears) the broken dependsOn, and the
 *   server's own compute time of that binding's update; `definitions`
 *   go-to-definition requests on every kind of link, p50/p95;
 * - the server's resident memory with the index; with mode `baseline`, only
 *   the memory of another server (the `main` branch's build, without the
 *   index) on the same workspace with the same file open.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { DefinitionRequest, PublishDiagnosticsNotification, type Position } from 'vscode-languageserver-protocol';
import { loadRepositoryAsync } from '../../server/src/graph/reference-index.js';
import { ReferenceStatsRequest, StatsRequest } from '../../server/src/protocol/protocol.js';
import { LspTestClient } from '../../test/protocol/lsp-test-client.js';
import { lspRequest0 } from '../../server/src/lsp/lsp-messages.js';

interface Config {
  mode: 'ours' | 'baseline';
  corpus: string;
  edits: number;
  definitions: number;
}

const config = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as Config;
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const rssMiB = (pid: number) => {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024;
};

async function startServer(): Promise<LspTestClient> {
  const { client } = await LspTestClient.start({
    folders: [config.corpus],
    trusted: false,
    settings: { validation: { debounceMs: 0 } },
    env: { KUBECONFIG: path.join(config.corpus, 'no-kubeconfig') },
  });
  return client;
}

/** Waits until the workspace scan has fed every file it will feed (the count stops moving). */
async function scanSettled(client: LspTestClient): Promise<void> {
  let last = -1;
  let stable = 0;
  await client.waitFor(async () => {
    const n = (await client.connection.sendRequest(lspRequest0(StatsRequest))).workspaceFiles;
    stable = n === last ? stable + 1 : 0;
    last = n;
    return stable >= 5 ? true : undefined;
  }, 'the workspace scan to settle', 120_000);
}

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};

const edited = path.join(config.corpus, 'kubernetes/apps/ai/open-webui/ks.yaml');
const editedUri = pathToFileURL(edited).href;
const editedText = readFileSync(edited, 'utf8');

/**
 * The same steps for both servers before memory is read: the workspace scan
 * settled, the edited file open with its first diagnostics; then the median
 * of five RSS readings 200 ms apart.
 */
async function settleAndMeasure(client: LspTestClient): Promise<number> {
  await scanSettled(client);
  await client.open(editedUri, editedText);
  await client.diagnosticsFor(editedUri, 1, 60_000);
  const readings: number[] = [];
  for (let i = 0; i < 5; i++) {
    readings.push(rssMiB(client.process.pid!));
    await new Promise((r) => setTimeout(r, 200));
  }
  return percentile(readings, 50);
}

/** The baseline: memory of a server without the index on the same workspace, with the same file open. */
async function baseline(): Promise<void> {
  const b = await startServer();
  const rss = await settleAndMeasure(b);
  await b.stop();
  console.log(JSON.stringify({ rssMiB: rss }));
}

async function main(): Promise<void> {
  if (config.mode === 'baseline') return baseline();
  // 1. Cold build in this fresh process.
  const t0 = performance.now();
  const c0 = cpu();
  const index = await loadRepositoryAsync(config.corpus);
  const tLoaded = performance.now();
  const graph = index.graph();
  const tGraph = performance.now();
  const findings = index.findings();
  const tDone = performance.now();
  const cold = {
    files: index.files.files.size,
    units: graph.units.length,
    objects: graph.units.reduce((n, u) => n + u.objects.length, 0),
    findings: [...findings.values()].flat().length,
    readAndIndexMs: tLoaded - t0,
    graphMs: tGraph - tLoaded,
    checksMs: tDone - tGraph,
    totalMs: tDone - t0,
    cpuMs: cpu() - c0,
  };

  // Positions of every kind of link, for go-to-definition.
  const positions: Array<{ uri: string; position: Position; what: string }> = [];
  for (const [file, f] of index.files.files) {
    for (const d of f.docs) {
      for (const s of d.sites) positions.push({ uri: pathToFileURL(file).href, position: s.range.start, what: s.kind });
      for (const p of d.paths) if (!p.remote) positions.push({ uri: pathToFileURL(file).href, position: p.range.start, what: p.field });
    }
  }

  // 2. The language server.
  const client = await startServer();
  const started = performance.now();
  for (const deadline = Date.now() + 180_000; ; ) {
    const s = await client.connection.sendRequest(lspRequest0(ReferenceStatsRequest));
    if (s.folders.length && s.folders.every((f) => f.ready && f.runs > 0)) break;
    if (Date.now() > deadline) throw new Error('timed out waiting for the first reference run');
    await new Promise((r) => setTimeout(r, 100));
  }
  const firstRunMs = performance.now() - started;
  const firstCompute = (await client.connection.sendRequest(lspRequest0(ReferenceStatsRequest))).folders[0]?.lastRunMs;

  // An edit of one Flux Kustomization: break its dependsOn, then repair it.
  const uri = editedUri;
  const text = editedText;
  const line = text.split('\n').findIndex((l) => l.includes('- name: kopiur'));
  const col = text.split('\n')[line]!.indexOf('kopiur');
  // Comparable with the baseline: the same steps, nothing else asked yet.
  const rssAfterOpenMiB = await settleAndMeasure(client);
  const editSamples: number[] = [];
  const computeSamples: number[] = [];
  const cpuSamples: number[] = [];
  const broken = () => client.diagnostics.get(uri)?.diagnostics.some((d: { code?: unknown }) => d.code === 'depends-on-not-found');
  for (let i = 0; i < config.edits; i++) {
    const breakIt = i % 2 === 0;
    const t = performance.now();
    await client.change(uri, [{ range: { start: { line, character: col }, end: { line, character: col + (breakIt ? 6 : 7) } }, text: breakIt ? 'kopiurx' : 'kopiur' }]);
    await client.waitFor(() => (broken() === breakIt ? true : undefined), `the dependsOn diagnostic to ${breakIt ? 'appear' : 'go'}`, 60_000);
    editSamples.push(performance.now() - t);
    const folder = (await client.connection.sendRequest(lspRequest0(ReferenceStatsRequest))).folders[0];
    computeSamples.push(folder?.lastRunMs ?? NaN);
    cpuSamples.push(folder?.lastRunCpuMs ?? NaN);
  }

  // Go to definition on every kind of link, round robin.
  const definitionSamples: number[] = [];
  const kinds: Record<string, number> = {};
  for (let i = 0; i < config.definitions && positions.length; i++) {
    const p = positions[(i * 7919) % positions.length]!;
    kinds[p.what] = (kinds[p.what] ?? 0) + 1;
    const t = performance.now();
    await client.connection.sendRequest(DefinitionRequest.type, { textDocument: { uri: p.uri }, position: p.position });
    definitionSamples.push(performance.now() - t);
  }
  const ours = { rssMiB: rssMiB(client.process.pid!), pid: client.process.pid };
  await client.stop();

  console.log(JSON.stringify({
    cold,
    lsp: {
      firstRunMs,
      firstComputeMs: firstCompute,
      edit: { samples: editSamples, p50: percentile(editSamples, 50), p95: percentile(editSamples, 95), computeP50: percentile(computeSamples, 50), computeP95: percentile(computeSamples, 95), cpuP50: percentile(cpuSamples, 50), cpuP95: percentile(cpuSamples, 95) },
      definition: { count: definitionSamples.length, kinds, p50: percentile(definitionSamples, 50), p95: percentile(definitionSamples, 95), max: Math.max(...definitionSamples) },
      rssMiB: rssAfterOpenMiB,
      rssAfterRequestsMiB: ours.rssMiB,
    },
  }));
}

main().catch((err) => {
  console.error(err instanceof Error ? err.stack ?? err.message : String(err));
  process.exit(1);
});
