/**
 * `npm run bench:validate` (tsx scripts/bench-validate.ts): figures for
 * validation, printed and written to docs/BENCHMARKS.md, never asserted.
 *
 * 1. CLI vs kubeconform: a deterministic corpus of BENCH_MANIFESTS (10,000)
 *    manifests in files of 1–150 documents, ~7% with one planted mistake,
 *    validated by `gitops-lens validate -o json` (dist/cli.js) and by
 *    kubeconform v0.7.0 (built from the Go module proxy into
 *    ~/.cache/gitops-lens/bench/) with `-strict` and JSON schemas exported by
 *    `npm run schemas:update -- --kubeconform-out` from the same OpenAPI as
 *    our bundle. Alternating runs (BENCH_RUNS, 3 each), medians of wall time
 *    and peak RSS (`/usr/bin/time -v`), and a per-manifest comparison of
 *    the valid/invalid verdicts.
 * 2. didChange → publishDiagnostics on a 200-document file, p50/p95, for
 *    dist/server.js (gitopsLens.validation.debounceMs = 0) and
 *    yaml-language-server (its fixed 200 ms validation delay subtracted),
 *    both driven by test/protocol/lsp-test-client.ts; yaml-language-server
 *    gets one all-kinds JSON schema built from the same kubeconform export.
 *
 * 3. Schema coverage and wall time on each real repository of ../shared/corpora
 *    (scripts/bench/corpus-coverage.ts): objects with a schema, per corpus.
 *
 * 4. The reference index (issue 15) on ../shared/corpora/bjw-s-labs-home-ops:
 *    cold build, the update of one binding after an edit, go-to-definition
 *    p50/p95 and the language server's memory next to the `main` branch's
 *    server (scripts/bench/reference-index.ts, written to its own section).
 *
 * Options: --no-write (do not touch docs/BENCHMARKS.md), --skip-cli, --skip-lsp, --skip-corpora, --skip-references.
 * Env: BENCH_MANIFESTS, BENCH_RUNS, BENCH_EDITS (50), BENCH_SEED (20261127),
 * BENCH_MAX_LOAD (2) and BENCH_LOAD_WAIT_S (600): how long to wait for the
 * 1-minute load average to drop below BENCH_MAX_LOAD before measuring.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { writeCorpus, prng, generateManifest, renderFile, type CorpusManifest } from './bench/validation-corpus.js';
import { compareVerdicts, kubeconformVerdicts, ourVerdicts } from './bench/verdicts.js';
import { benchReferences, writeReferenceSection } from './bench/reference-bench.js';
import { corpusCoverage, formatCoverage } from './bench/corpus-coverage.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const N = Number(process.env.BENCH_MANIFESTS ?? 10_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const EDITS = Number(process.env.BENCH_EDITS ?? 50);
const SEED = Number(process.env.BENCH_SEED ?? 20261127);
const MAX_LOAD = Number(process.env.BENCH_MAX_LOAD ?? 2);
const LOAD_WAIT_S = Number(process.env.BENCH_LOAD_WAIT_S ?? 600);
const KUBECONFORM_VERSION = 'v0.7.0';
const cacheDir = path.join(os.homedir(), '.cache', 'gitops-lens', 'bench');
/** yaml-language-server waits this long after a change before validating (yamlSettings.validationDelayMs; not a setting). */
const YLS_VALIDATION_DELAY_MS = 200;

const log = (m: string) => console.error(`bench:validate: ${m}`);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};
const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');

// --- tools -----------------------------------------------------------------------------------

/** Builds kubeconform from the Go module proxy once; the binary is cached outside the clone. */
function ensureKubeconform(): string {
  const dir = path.join(cacheDir, `kubeconform-${KUBECONFORM_VERSION}`);
  const bin = path.join(dir, 'kubeconform');
  if (existsSync(bin)) return bin;
  mkdirSync(dir, { recursive: true });
  log(`building kubeconform ${KUBECONFORM_VERSION} with go install (GOBIN=${dir})`);
  const r = spawnSync('go', ['install', `github.com/yannh/kubeconform/cmd/kubeconform@${KUBECONFORM_VERSION}`], {
    env: { ...process.env, GOBIN: dir }, stdio: ['ignore', 'inherit', 'inherit'], cwd: os.tmpdir(),
  });
  if (r.status !== 0 || !existsSync(bin)) throw new Error('go install of kubeconform failed (is Go on PATH and the module proxy reachable?)');
  return bin;
}

function hashDir(dir: string): string {
  const h = createHash('sha256');
  for (const f of readdirSync(dir).sort()) h.update(f).update(readFileSync(path.join(dir, f)));
  return h.digest('hex');
}

/**
 * JSON schemas in kubeconform's layout, exported by `npm run schemas:update` from the
 * OpenAPI served by the project's kube-apiserver, cached per content of the committed
 * bundle. The export's trimmed definitions must equal schemas/definitions, which proves
 * both tools validate against the same OpenAPI.
 */
function ensureKubeconformSchemas(): { dir: string; sameAsBundle: boolean; kubernetesVersion: string } {
  const bundleHash = hashDir(path.join(repoRoot, 'schemas', 'definitions')).slice(0, 16);
  const base = path.join(cacheDir, `schemas-${bundleHash}`);
  const kcDir = path.join(base, 'kubeconform');
  if (!existsSync(path.join(kcDir, 'deployment-apps-v1.json'))) {
    log('exporting schemas from the control plane\'s OpenAPI (npm run schemas:update -- --out <cache> --kubeconform-out <cache>)');
    rmSync(base, { recursive: true, force: true });
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'scripts', 'update-schemas.ts'), '--only', 'bundle', '--out', path.join(base, 'bundle'), '--kubeconform-out', kcDir], {
      cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit'],
    });
    if (r.status !== 0) throw new Error('schema export failed');
  }
  const sameAsBundle = hashDir(path.join(base, 'bundle', 'definitions')).slice(0, 16) === bundleHash;
  const kubernetesVersion = JSON.parse(readFileSync(path.join(base, 'bundle', 'index.json'), 'utf8')).kubernetesVersion as string;
  return { dir: kcDir, sameAsBundle, kubernetesVersion };
}

/** One all-kinds JSON schema for yaml-language-server: if apiVersion/kind match, then that kind's kubeconform schema. */
function writeAllKindsSchema(kcDir: string, out: string): void {
  const index = JSON.parse(readFileSync(path.join(repoRoot, 'schemas', 'index.json'), 'utf8')) as { kinds: Array<{ group: string; version: string; kind: string }> };
  const definitions: Record<string, unknown> = {};
  const allOf: unknown[] = [];
  for (const k of index.kinds) {
    const file = `${k.kind}${k.group ? `-${k.group.split('.')[0]}` : ''}-${k.version}`.toLowerCase();
    const p = path.join(kcDir, `${file}.json`);
    if (!existsSync(p)) continue;
    definitions[file] = JSON.parse(readFileSync(p, 'utf8'));
    const apiVersion = k.group ? `${k.group}/${k.version}` : k.version;
    allOf.push({
      if: { properties: { apiVersion: { const: apiVersion }, kind: { const: k.kind } }, required: ['apiVersion', 'kind'] },
      then: { $ref: `#/definitions/${file}` },
    });
  }
  writeFileSync(out, JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', title: 'Kubernetes (all kinds)', definitions, allOf }));
}

// --- CLI runs --------------------------------------------------------------------------------

interface Run { wallMs: number; cpuMs: number; maxRssKB: number; exit: number; stdout: string }

/** Runs a command under /usr/bin/time -v with stdout to a file; wall time measured here. */
function timed(cmd: string, argv: string[], cwd: string): Run {
  const outFile = path.join(os.tmpdir(), `bench-validate-${process.pid}.out`);
  const errFile = path.join(os.tmpdir(), `bench-validate-${process.pid}.err`);
  const outFd = openSync(outFile, 'w');
  const errFd = openSync(errFile, 'w');
  const start = performance.now();
  const r = spawnSync('/usr/bin/time', ['-v', cmd, ...argv], { cwd, stdio: ['ignore', outFd, errFd] });
  const wallMs = performance.now() - start;
  closeSync(outFd);
  closeSync(errFd);
  const err = readFileSync(errFile, 'utf8');
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(err);
  if (!rss) throw new Error(`no "Maximum resident set size" from /usr/bin/time for ${cmd}:\n${err.slice(-2000)}`);
  const seconds = (label: string) => Number(new RegExp(`${label} \\(seconds\\): ([\\d.]+)`).exec(err)?.[1] ?? NaN);
  const cpuMs = (seconds('User time') + seconds('System time')) * 1000;
  const stdout = readFileSync(outFile, 'utf8');
  rmSync(outFile, { force: true });
  rmSync(errFile, { force: true });
  return { wallMs, cpuMs, maxRssKB: Number(rss[1]), exit: r.status ?? -1, stdout };
}

/** Waits (up to BENCH_LOAD_WAIT_S) for the 1-minute load average to drop below BENCH_MAX_LOAD. */
async function waitForQuietMachine(): Promise<boolean> {
  const deadline = Date.now() + LOAD_WAIT_S * 1000;
  let said = false;
  while (os.loadavg()[0]! >= MAX_LOAD) {
    if (Date.now() >= deadline) {
      log(`load average still ${load()} (≥ ${MAX_LOAD}); measuring anyway`);
      return false;
    }
    if (!said) log(`load average ${load()} ≥ ${MAX_LOAD}: waiting up to ${LOAD_WAIT_S} s for it to drop`);
    said = true;
    await new Promise((r) => setTimeout(r, 10_000));
  }
  return true;
}

// --- LSP latency -----------------------------------------------------------------------------

interface LspResult { server: string; openMs: number; samples: number[]; initialDiagnostics: Array<{ line: number; message: string }>; finalDiagnostics: number }

/** Writes the 200-document file: valid manifests, each with an annotation the edits change, plus two planted errors. */
function writeLspFile(dir: string): { file: string; plantedLines: number[]; editLines: number[]; documents: number } {
  const r = prng(SEED + 1);
  const objects = Array.from({ length: 200 }, (_, i) => {
    const { object } = generateManifest(r, 50_000 + i, false);
    object.metadata.annotations = { ...(object.metadata.annotations ?? {}), 'acme.io/bench-rev': '0' };
    return object;
  });
  // Planted errors yaml-language-server and we must both report: an unknown field and a bad enum.
  const d1 = objects.findIndex((o) => o.kind === 'Service');
  objects[d1]!.spec.type = 'Bogus';
  const d2 = objects.findIndex((o, i) => i > 100 && o.spec && typeof o.spec === 'object');
  objects[d2]!.spec.replicaz = 3;
  const { text } = renderFile(objects);
  const lines = text.split('\n');
  const file = path.join(dir, 'two-hundred-documents.yaml');
  writeFileSync(file, text);
  const editLines = lines.flatMap((l, i) => (l.includes('acme.io/bench-rev:') ? [i] : []));
  const plantedLines = [lines.findIndex((l) => l.includes('type: Bogus')), lines.findIndex((l) => l.includes('replicaz:'))];
  return { file, plantedLines, editLines, documents: objects.length };
}

function runLsp(serverMain: string, config: Record<string, unknown>, dir: string): Promise<LspResult> {
  const cfgFile = path.join(dir, `${config.server}.json`);
  writeFileSync(cfgFile, JSON.stringify(config));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'scripts', 'bench', 'lsp-latency.ts'), cfgFile], {
      cwd: repoRoot, env: { ...process.env, GITOPS_LENS_SERVER_BUNDLE: serverMain }, stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => {
      const line = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0 || !line.startsWith('{')) reject(new Error(`LSP latency run for ${config.server} failed (exit ${code}):\n${out}`));
      else resolve(JSON.parse(line) as LspResult);
    });
  });
}

// --- report ----------------------------------------------------------------------------------

function machine(): string {
  const cpu = (() => {
    try {
      return /Model name:\s*(.+)/.exec(execFileSync('lscpu', { encoding: 'utf8' }))?.[1]?.trim() ?? os.cpus()[0]?.model;
    } catch {
      return os.cpus()[0]?.model;
    }
  })();
  const nproc = execFileSync('nproc', { encoding: 'utf8' }).trim();
  return `${cpu}, nproc ${nproc}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${os.release()}, Node ${process.version}`;
}

function replaceSection(doc: string, body: string): string {
  const start = '<!-- bench:validate:start -->';
  const end = '<!-- bench:validate:end -->';
  const block = `${start}\n${body.trimEnd()}\n${end}`;
  if (doc.includes(start) && doc.includes(end)) return doc.slice(0, doc.indexOf(start)) + block + doc.slice(doc.indexOf(end) + end.length);
  const heading = '## Validation';
  if (doc.includes(heading)) {
    const at = doc.indexOf(heading);
    const next = doc.indexOf('\n## ', at + heading.length);
    const insertAt = next === -1 ? doc.length : next + 1;
    return `${doc.slice(0, insertAt).trimEnd()}\n\n${block}\n\n${doc.slice(insertAt)}`.trimEnd() + '\n';
  }
  // No Validation section yet: add one right after the file's introduction, before the other sections.
  const firstSection = doc.indexOf('\n## ');
  const section = `## Validation (issue 3): \`npm run bench:validate\`\n\n${block}\n`;
  if (firstSection === -1) return `${doc.trimEnd()}\n\n${section}`;
  return `${doc.slice(0, firstSection + 1)}${section}\n${doc.slice(firstSection + 1)}`;
}

async function main(): Promise<void> {
  const started = new Date();
  const node = process.execPath;
  // Only the kubeconform comparison and the LSP latency need kubeconform and its schemas.
  const kubeconformNeeded = !args.has('--skip-cli') || !args.has('--skip-lsp');
  const kubeconform = kubeconformNeeded ? ensureKubeconform() : '';
  const schemas = kubeconformNeeded ? ensureKubeconformSchemas() : { dir: '', sameAsBundle: true, kubernetesVersion: '' };
  if (kubeconformNeeded) log(`kubeconform schemas: ${schemas.dir} (same OpenAPI as schemas/: ${schemas.sameAsBundle})`);
  log('building dist/ (node scripts/build.mjs)');
  execFileSync(node, [path.join(repoRoot, 'scripts', 'build.mjs')], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'inherit'] });
  const work = mkdtempSync(path.join(os.tmpdir(), 'bench-validate-'));
  const corpusDir = path.join(work, 'corpus');
  const t0 = performance.now();
  const corpus = writeCorpus(corpusDir, N, SEED);
  const files = new Set(corpus.map((m) => m.file)).size;
  const planted = corpus.filter((m) => m.mutation).length;
  const bytes = [...new Set(corpus.map((m) => m.file))].reduce((s, f) => s + statSync(f).size, 0);
  const kinds = new Map<string, number>();
  for (const m of corpus) kinds.set(m.kind, (kinds.get(m.kind) ?? 0) + 1);
  log(`corpus: ${N} manifests in ${files} files (${(bytes / 2 ** 20).toFixed(1)} MiB), ${planted} with a planted mistake, in ${((performance.now() - t0) / 1000).toFixed(1)} s -> ${corpusDir}`);

  const lines: string[] = [];
  const out = (s = '') => {
    lines.push(s);
    console.log(s);
  };
  let quiet = true;
  const loads: string[] = [];
  const kcArgs = ['-strict', '-summary', '-output', 'json', '-verbose', '-schema-location', `${schemas.dir}/{{ .ResourceKind }}{{ .KindSuffix }}.json`, corpusDir];
  const ourArgs = [path.join(repoRoot, 'dist', 'cli.js'), 'validate', '-o', 'json', corpusDir];

  out(`machine: ${machine()}`);
  out(`date: ${started.toISOString()}; seed ${SEED}`);
  out(`corpus: ${N} manifests (${[...kinds].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ')})`);
  out(`        in ${files} files of 1–150 documents, ${(bytes / 2 ** 20).toFixed(1)} MiB; ${planted} (${((100 * planted) / N).toFixed(1)}%) with one planted mistake`);

  if (!args.has('--skip-cli')) {
    quiet = (await waitForQuietMachine()) && quiet;
    loads.push(load());
    const kc: Run[] = [];
    const ours: Run[] = [];
    for (let i = 0; i < RUNS; i++) {
      log(`round ${i + 1}/${RUNS} (load ${load()})`);
      kc.push(timed(kubeconform, kcArgs, work));
      ours.push(timed(node, ourArgs, work));
    }
    loads.push(load());
    const kcWall = median(kc.map((r) => r.wallMs));
    const ourWall = median(ours.map((r) => r.wallMs));
    const kcCpu = median(kc.map((r) => r.cpuMs));
    const ourCpu = median(ours.map((r) => r.cpuMs));
    const kcRss = median(kc.map((r) => r.maxRssKB)) / 1024;
    const ourRss = median(ours.map((r) => r.maxRssKB)) / 1024;
    const runsOf = (rs: Run[]) => rs.map((r) => (r.wallMs / 1000).toFixed(2)).join(', ');
    out();
    out(`load average (1/5/15 min) before/after the CLI runs: ${loads[0]} / ${loads[1]}`);
    out(`medians of ${RUNS} alternating runs; wall time measured around the process; peak RSS and CPU time (user+sys, all threads) from /usr/bin/time -v`);
    out(`kubeconform ${KUBECONFORM_VERSION} -strict (default -n 4):  ${(kcWall / 1000).toFixed(2)} s  ${Math.round(N / (kcWall / 1000))} manifests/s  ${kcRss.toFixed(0)} MiB peak RSS  ${(kcCpu / 1000).toFixed(2)} s CPU  (runs: ${runsOf(kc)} s; exit ${kc[0]!.exit})`);
    out(`gitops-lens validate -o json (default -j ${Math.min(os.availableParallelism(), 4)}):  ${(ourWall / 1000).toFixed(2)} s  ${Math.round(N / (ourWall / 1000))} manifests/s  ${ourRss.toFixed(0)} MiB peak RSS  ${(ourCpu / 1000).toFixed(2)} s CPU  (runs: ${runsOf(ours)} s; exit ${ours[0]!.exit})`);
    out(`ratio kubeconform / gitops-lens: wall ${(kcWall / ourWall).toFixed(2)}× (>1: we are faster), peak RSS ${(ourRss / kcRss).toFixed(2)}× and CPU time (user+sys) ${(ourCpu / kcCpu).toFixed(2)}× ours/theirs`);

    // Verdicts, from the last run of each (outputs are identical across runs).
    const kcV = kubeconformVerdicts(kc.at(-1)!.stdout, corpus);
    const ourV = ourVerdicts(ours.at(-1)!.stdout, corpus, work);
    const cmp = compareVerdicts(corpus, ourV.verdicts, kcV.verdicts);
    out();
    out(`verdicts: kubeconform invalid ${cmp.invalidKc}, gitops-lens invalid ${cmp.invalidOurs}; planted ${cmp.planted}: caught by kubeconform ${cmp.plantedCaughtKc}, by gitops-lens ${cmp.plantedCaughtOurs}`);
    out(`same valid/invalid verdict on ${N - cmp.mismatches.length} of ${N} manifests; ${cmp.mismatches.length} mismatches`);
    if (ourV.nonErrors.size) out(`gitops-lens non-error findings (do not change the verdict): ${[...ourV.nonErrors].map(([k, n]) => `${k} ×${n}`).join(', ')}`);
    if (kcV.unmatched.length) out(`kubeconform results not matched to a manifest: ${kcV.unmatched.slice(0, 5).join('; ')}`);
    const byPlant = new Map<string, typeof cmp.mismatches>();
    for (const m of cmp.mismatches) {
      const key = `${m.manifest.mutation ?? 'nothing planted'} (ours ${m.ours.invalid ? 'invalid' : 'valid'}, kubeconform ${m.kubeconform ? (m.kubeconform.invalid ? 'invalid' : 'valid') : 'no result'})`;
      byPlant.set(key, [...(byPlant.get(key) ?? []), m]);
    }
    for (const [key, ms] of byPlant) {
      const ex = ms[0]!;
      out(`  ${ms.length} × ${key}; e.g. ${path.relative(work, ex.manifest.file)}:${ex.manifest.startLine + 1} ${ex.manifest.kind} ${ex.manifest.name}`);
      out(`      ours: ${ex.ours.messages.slice(0, 2).join(' | ') || '(no error)'}`);
      out(`      kubeconform: ${ex.kubeconform?.messages.slice(0, 2).join(' | ') || '(no error)'}`);
    }
    writeFileSync(path.join(work, 'mismatches.json'), JSON.stringify(cmp.mismatches, null, 2));
  }

  if (!args.has('--skip-lsp')) {
    quiet = (await waitForQuietMachine()) && quiet;
    const lspLoadBefore = load();
    const lspFile = writeLspFile(work);
    const schemaFile = path.join(work, 'kubernetes-all-kinds.schema.json');
    writeAllKindsSchema(schemas.dir, schemaFile);
    const common = { file: lspFile.file, edits: EDITS, warmup: 5, plantedLines: lspFile.plantedLines, editLines: lspFile.editLines };
    const ylsMain = path.join(repoRoot, 'node_modules', 'yaml-language-server', 'bin', 'yaml-language-server');
    const ylsVersion = JSON.parse(readFileSync(path.join(repoRoot, 'node_modules', 'yaml-language-server', 'package.json'), 'utf8')).version as string;
    log('LSP latency: gitops-lens');
    const ours = await runLsp(path.join(repoRoot, 'dist', 'server.js'), { ...common, server: 'gitops-lens', debounceMs: 0 }, work);
    log('LSP latency: yaml-language-server');
    const yls = await runLsp(ylsMain, { ...common, server: 'yaml-language-server', debounceMs: YLS_VALIDATION_DELAY_MS, schemaUri: pathToFileURL(schemaFile).href }, work);
    const fmt = (r: LspResult) => `p50 ${percentile(r.samples, 50).toFixed(1)} ms, p95 ${percentile(r.samples, 95).toFixed(1)} ms, max ${Math.max(...r.samples).toFixed(1)} ms; open → first diagnostics ${r.openMs.toFixed(0)} ms; ${r.initialDiagnostics.length} diagnostics on open`;
    out();
    out(`didChange → publishDiagnostics, ${lspFile.documents}-document file (${(statSync(lspFile.file).size / 1024).toFixed(0)} KiB), ${EDITS} edits after 5 warm-up edits, one at a time; load before: ${lspLoadBefore}, after: ${load()}`);
    out(`gitops-lens (dist/server.js, debounceMs 0):            ${fmt(ours)}`);
    out(`yaml-language-server ${ylsVersion} (−${YLS_VALIDATION_DELAY_MS} ms fixed delay):  ${fmt(yls)}`);
    out(`ratio yaml-language-server / gitops-lens: p50 ${(percentile(yls.samples, 50) / percentile(ours.samples, 50)).toFixed(1)}×, p95 ${(percentile(yls.samples, 95) / percentile(ours.samples, 95)).toFixed(1)}×`);
    out(`both report the planted errors (lines ${lspFile.plantedLines.map((l) => l + 1).join(', ')}): yaml-language-server said "${yls.initialDiagnostics.map((d) => d.message.split('\n')[0]).slice(0, 2).join('" / "')}"`);
  }
  if (!args.has('--skip-corpora')) {
    quiet = (await waitForQuietMachine()) && quiet;
    const rows = corpusCoverage(path.resolve(repoRoot, '..', 'shared', 'corpora'), path.join(repoRoot, 'dist', 'cli.js'), node, RUNS);
    if (rows.length) {
      out();
      for (const line of formatCoverage(rows)) out(line);
    } else log('../shared/corpora not found: corpus coverage skipped');
  }
  out();
  out(quiet ? `each part started with the 1-minute load average below ${MAX_LOAD} (machine shared with other builds; loads during the runs above)` : `NOTE: a part started with the 1-minute load average at or above ${MAX_LOAD} (machine shared with other builds): figures are noisy`);

  if (!args.has('--skip-references')) {
    quiet = (await waitForQuietMachine()) && quiet;
    const refLines = await benchReferences({ repoRoot, node, machine: machine(), date: new Date().toISOString(), log });
    for (const l of refLines) console.log(l);
    if (!args.has('--no-write')) writeReferenceSection(path.join(repoRoot, 'docs', 'BENCHMARKS.md'), refLines);
  }

  if (!args.has('--no-write') && !args.has('--skip-cli') && !args.has('--skip-lsp')) {
    const docPath = path.join(repoRoot, 'docs', 'BENCHMARKS.md');
    const doc = existsSync(docPath) ? readFileSync(docPath, 'utf8') : '# Benchmarks\n\nFigures printed by the `npm run bench:*` scripts, with machine and date.\n';
    writeFileSync(docPath, replaceSection(doc, `Last run (written by the script):\n\n\`\`\`\n${lines.join('\n').trim()}\n\`\`\``));
    log(`figures written to ${path.relative(process.cwd(), docPath)}`);
  }
  log(`corpus and outputs kept in ${work}`);
}

main().catch((err) => {
  console.error(`bench:validate: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  process.exit(1);
});
