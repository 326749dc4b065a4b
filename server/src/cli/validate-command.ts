/**
 * `gitops-lens validate <paths…>`: validates every YAML file under the given
 * files and folders with the same engine as the editor. Kustomizations,
 * Helm charts and CRDs under the paths (and kustomizations in the folders
 * above them) are read first, so patches, chart files and custom resources
 * are judged like the editor judges them.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { Finding } from '../findings.js';
import { DEFAULT_MAX_BYTES } from '../manifests/parse-manifests.js';
import type { CoverageCounts } from '../validation/validate-document.js';
import { createDefaultEngine, type ValidationEngine } from '../validation/validation-engine.js';
import { minorOf } from '../schemas/kubernetes-versions.js';
import { collectYamlFiles } from '../util/collect-files.js';
import { EXIT, parseOptions, UsageError, type CliCommand, type CliIo } from './cli-types.js';
import { formatHuman, formatJson, formatSarif, summarize, type FileReport } from './validation-report.js';
import { referenceFindingsFor } from './reference-report.js';

const SKIPPED_DIRS = new Set(['.git', 'node_modules']);
/** Below this many files, starting workers costs more than it saves. */
const PARALLEL_THRESHOLD = 40;
const WORKER_KIND = 'gitops-lens-validate-worker';

/** What one validation job needs; plain data, so it can be sent to a worker. */
interface ValidationJob {
  files: string[];
  /** Files that classification and schemas depend on; every job learns all of them. */
  contextFiles: string[];
  maxBytes: number;
  schemasDir?: string;
  kubernetesVersion?: string;
}

/** What a worker is started with: enough to load the schemas before the file list is known. */
interface WorkerSetup {
  kind: typeof WORKER_KIND;
  maxBytes: number;
  schemasDir?: string;
  kubernetesVersion?: string;
}

/** The work shared by the main thread and the workers: each claims the next file index from `next`. */
interface SharedJob {
  files: string[];
  contextFiles: string[];
  /** One Int32: the index of the next file to validate, shared by all threads. */
  next: SharedArrayBuffer;
}

/** What one thread (or all of them) found: findings per file, and the schema coverage of the objects. */
interface ValidationResults {
  findings: [string, Finding[]][];
  coverage: CoverageCounts;
}

/** True for files other files' validation depends on: kustomizations, charts, CRDs. */
function isContextFile(file: string, read: () => string): boolean {
  const base = path.basename(file);
  if (base === 'kustomization.yaml' || base === 'kustomization.yml' || base === 'Kustomization' || /^Chart\.ya?ml$/.test(base)) return true;
  return read().includes('CustomResourceDefinition');
}

function engineFor(o: { maxBytes: number; schemasDir?: string; kubernetesVersion?: string }): ValidationEngine {
  const engine = createDefaultEngine({ schemasDir: o.schemasDir, limits: { maxBytes: o.maxBytes } });
  if (o.kubernetesVersion) engine.setKubernetesVersion(o.kubernetesVersion);
  return engine;
}

/**
 * Validates the files of a shared job with one engine that first learns the
 * context files. Files are claimed one at a time from the shared counter, so
 * a thread that started late or got big files simply validates fewer.
 */
function validateShared(engine: ValidationEngine, job: SharedJob): ValidationResults {
  for (const f of job.contextFiles) engine.updateWorkspaceFile(f, fs.readFileSync(f, 'utf8'));
  engine.resetCoverage();
  const next = new Int32Array(job.next);
  const findings: [string, Finding[]][] = [];
  for (let i = Atomics.add(next, 0, 1); i < job.files.length; i = Atomics.add(next, 0, 1)) {
    const f = job.files[i];
    findings.push([f, engine.validateOnce(f, fs.readFileSync(f, 'utf8'))]);
  }
  return { findings, coverage: { ...engine.coverage } };
}

/** Merges the results of several threads. */
function mergeResults(parts: ValidationResults[]): { findings: Map<string, Finding[]>; coverage: CoverageCounts } {
  const coverage: CoverageCounts = { objects: 0, withSchema: 0 };
  for (const p of parts) {
    coverage.objects += p.coverage.objects;
    coverage.withSchema += p.coverage.withSchema;
  }
  return { findings: new Map(parts.flatMap((p) => p.findings)), coverage };
}

/** Validates files with one engine that first learns the context files. */
export function validateFiles(job: ValidationJob): { findings: Map<string, Finding[]>; coverage: CoverageCounts } {
  const next = new SharedArrayBuffer(4);
  return mergeResults([validateShared(engineFor(job), { files: job.files, contextFiles: job.contextFiles, next })]);
}

/**
 * Worker threads that load the bundle and the schemas as soon as they are
 * started (while the main thread is still reading the files), then validate
 * their claims of the job they are given.
 */
class ValidationWorkers {
  private readonly workers: Worker[];
  private readonly results: Promise<ValidationResults>[];

  constructor(count: number, setup: Omit<WorkerSetup, 'kind'>) {
    this.workers = Array.from({ length: count }, () => new Worker(__filename, { workerData: { ...setup, kind: WORKER_KIND } satisfies WorkerSetup }));
    this.results = this.workers.map((worker) => new Promise<ValidationResults>((resolve, reject) => {
      worker.once('message', (m: ValidationResults) => resolve(m));
      worker.once('error', reject);
      worker.once('exit', (code) => {
        if (code !== 0) reject(new Error(`validation worker exited with code ${code}`));
      });
    }));
    // A worker that fails before it gets its job is reported by run(), not as an unhandled rejection.
    for (const r of this.results) r.catch(() => undefined);
  }

  /** Hands the job to every worker, validates a share on this thread too, and merges all results. */
  async run(job: ValidationJob): Promise<{ findings: Map<string, Finding[]>; coverage: CoverageCounts }> {
    const shared: SharedJob = { files: job.files, contextFiles: job.contextFiles, next: new SharedArrayBuffer(4) };
    for (const w of this.workers) w.postMessage(shared);
    const own = validateShared(engineFor(job), shared);
    const parts = await Promise.all(this.results);
    return mergeResults([own, ...parts]);
  }

  /** Stops workers that will not be given a job. */
  stop(): void {
    for (const w of this.workers) void w.terminate();
  }
}

// Inside a worker started by ValidationWorkers: load the schemas now, then run the job when it arrives.
if (!isMainThread && parentPort && (workerData as { kind?: string } | null)?.kind === WORKER_KIND) {
  const port = parentPort;
  const engine = engineFor(workerData as WorkerSetup);
  port.once('message', (job: SharedJob) => port.postMessage(validateShared(engine, job)));
}
/** Lists YAML files under a path, sorted; a file given explicitly is always included. */
export function collectFiles(target: string): string[] {
  return collectYamlFiles(target, SKIPPED_DIRS);
}

/** Kustomization and Chart files in the folders above `dir`, up to the repository root. */
function contextFilesAbove(dir: string): string[] {
  const out: string[] = [];
  let current = path.dirname(dir);
  for (let i = 0; i < 12; i++) {
    for (const name of ['kustomization.yaml', 'kustomization.yml', 'Kustomization', 'Chart.yaml']) {
      const f = path.join(current, name);
      if (fs.existsSync(f)) out.push(f);
    }
    if (fs.existsSync(path.join(current, '.git'))) break;
    const parent = path.dirname(current);
    if (parent === current) break;
    current = parent;
  }
  return out;
}

function display(file: string, cwd: string): string {
  const rel = path.relative(cwd, file);
  return (rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file).split(path.sep).join('/');
}

export const validateCommand: CliCommand = {
  name: 'validate',
  summary: 'Validate Kubernetes manifests, kustomizations and patches against their schemas',
  help: `Usage: gitops-lens validate [options] <paths...>

Validates every YAML file under the given files and folders (.git and
node_modules are skipped) against the schemas of their apiVersion/kind:
the bundled Kubernetes schemas of the target version, the CRD catalog (Flux,
Argo CD, cert-manager, Gateway API, ...) with the CRDs' CEL rules, and
CustomResourceDefinitions found under the paths. Kustomize patches are checked as partial objects; Helm
chart templates and values files are not checked as Kubernetes objects.

Options:
  -o, --output <format>   human (default): file:line:col: severity: message [code]
                          json: one JSON document with all findings
                          sarif: SARIF 2.1.0, for code scanning
      --kubernetes-version <v>  validate built-in kinds for this Kubernetes minor (e.g. 1.34;
                          default: the newest bundled); deprecated and removed
                          apiVersions are reported for it
      --schemas <dir>     use schemas from this folder instead of the bundled ones
      --max-file-size <kb>  skip files larger than this (default ${DEFAULT_MAX_BYTES / 1024})
      --no-references     skip the broken-reference checks (kustomization entries, Flux
                          sources and dependsOn, pod template references, selectors,
                          backends, Argo CD projects; see the README)
      --root <dir>        the repository root for the reference checks (default: the
                          nearest folder above the first path with a .git, else that path)
  -j, --jobs <n>          validate in n threads: this one and n-1 workers (default:
                          cores, at most 4; workers from ${PARALLEL_THRESHOLD} files on)
  -h, --help              show this help

Exit codes: 0 no errors, 1 errors found, 2 usage or internal error.
Warnings and information (such as "not validated: no schema") do not fail.
`,
  async run(args: string[], io: CliIo): Promise<number> {
    const { options, positionals } = parseOptions(args, {
      values: ['output', 'schemas', 'max-file-size', 'jobs', 'kubernetes-version', 'root'],
      flags: ['help', 'no-references'],
      aliases: { '-o': 'output', '-h': 'help', '-j': 'jobs' },
    });
    if (options.help) {
      io.stdout(this.help);
      return EXIT.ok;
    }
    const output = (options.output as string | undefined) ?? 'human';
    if (!['human', 'json', 'sarif'].includes(output)) throw new UsageError(`--output must be human, json or sarif (got "${output}")`);
    if (positionals.length === 0) throw new UsageError('no paths given: pass the files or folders to validate');
    let maxBytes = DEFAULT_MAX_BYTES;
    if (options['max-file-size'] !== undefined) {
      const kb = Number(options['max-file-size']);
      if (!Number.isFinite(kb) || kb <= 0) throw new UsageError('--max-file-size must be a positive number of kilobytes');
      maxBytes = Math.round(kb * 1024);
    }
    const schemasDir = options.schemas ? path.resolve(io.cwd, options.schemas as string) : undefined;
    if (schemasDir && !fs.existsSync(path.join(schemasDir, 'index.json'))) throw new UsageError(`--schemas ${options.schemas}: no index.json there`);

    let kubernetesVersion = options['kubernetes-version'] as string | undefined;
    if (kubernetesVersion !== undefined) {
      if (!minorOf(kubernetesVersion)) throw new UsageError(`--kubernetes-version must look like 1.34 or v1.34.2 (got "${kubernetesVersion}")`);
      const probe = createDefaultEngine({ schemasDir });
      const effective = probe.setKubernetesVersion(kubernetesVersion);
      if (minorOf(effective) !== minorOf(kubernetesVersion)) {
        const bundled = probe.registry.supportedKubernetesVersions().map((v) => minorOf(v)).join(', ');
        io.stderr(`gitops-lens: Kubernetes ${minorOf(kubernetesVersion)} is not bundled (bundled: ${bundled}); validating for ${minorOf(effective)}.\n`);
      }
      kubernetesVersion = effective;
    }

    const targets = positionals.map((p) => path.resolve(io.cwd, p));
    for (const [i, t] of targets.entries()) if (!fs.existsSync(t)) throw new UsageError(`${positionals[i]}: no such file or folder`);
    const files = [...new Set(targets.flatMap(collectFiles))];
    let jobs = Math.min(os.availableParallelism(), 4);
    if (options.jobs !== undefined) {
      jobs = Number(options.jobs);
      if (!Number.isInteger(jobs) || jobs < 1) throw new UsageError('--jobs must be a positive integer');
    }

    // Workers start now, so loading their bundle and schemas overlaps with the first pass
    // below; the main thread validates a share too, so `jobs` threads work in all.
    const workers = jobs > 1 && files.length >= PARALLEL_THRESHOLD ? new ValidationWorkers(jobs - 1, { maxBytes, schemasDir, kubernetesVersion }) : undefined;

    // First pass: find what classification depends on (kustomizations, charts, CRDs, also in
    // folders above the paths), so results do not depend on file order or on how files are
    // split between workers. Texts are not kept: reading twice costs less than holding a repo.
    const contextFiles = new Set<string>();
    for (const t of targets) for (const f of contextFilesAbove(fs.statSync(t).isDirectory() ? path.join(t, 'x') : t)) contextFiles.add(f);
    const tooLarge = new Map<string, number>();
    const toValidate: string[] = [];
    for (const f of files) {
      const size = fs.statSync(f).size;
      if (size > maxBytes) {
        tooLarge.set(f, size);
        continue;
      }
      toValidate.push(f);
      if (isContextFile(f, () => fs.readFileSync(f, 'utf8'))) contextFiles.add(f);
    }
    const job: ValidationJob = { files: toValidate, contextFiles: [...contextFiles], maxBytes, schemasDir, kubernetesVersion };
    let results: Map<string, Finding[]>;
    let coverage: CoverageCounts;
    if (workers && toValidate.length >= PARALLEL_THRESHOLD) {
      ({ findings: results, coverage } = await workers.run(job));
    } else {
      workers?.stop();
      ({ findings: results, coverage } = validateFiles(job));
    }
    // The broken-reference checks see the whole repository; their findings join the schema findings of each file.
    if (!options['no-references']) {
      const references = referenceFindingsFor(targets, toValidate, options.root ? path.resolve(io.cwd, options.root as string) : undefined);
      for (const [f, list] of references) results.set(f, [...(results.get(f) ?? []), ...list].sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character));
    }
    const reports: FileReport[] = files.map((f) => {
      const size = tooLarge.get(f);
      const findings: Finding[] = size !== undefined
        ? [{
          range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
          severity: 'warning', code: 'file-too-large', source: 'gitops-lens',
          message: `File is ${(size / 1024 / 1024).toFixed(1)} MB, over the ${(maxBytes / 1024 / 1024).toFixed(1)} MB limit: not validated. Split it into smaller files or pass --max-file-size.`,
        }]
        : results.get(f) ?? [];
      return { path: display(f, io.cwd), findings };
    });
    const summary = summarize(reports, coverage);
    if (output === 'json') io.stdout(formatJson(reports, summary));
    else if (output === 'sarif') io.stdout(formatSarif(reports, toolVersion()));
    else io.stdout(formatHuman(reports.filter((r) => r.findings.length > 0).concat([]), { ...summary }));
    return summary.errors > 0 ? EXIT.findings : EXIT.ok;
  },
};

function toolVersion(): string {
  let dir = typeof __dirname === 'string' ? __dirname : process.cwd();
  for (let i = 0; i < 6; i++) {
    const p = path.join(dir, 'package.json');
    if (fs.existsSync(p)) {
      try {
        const pkg = JSON.parse(fs.readFileSync(p, 'utf8'));
        if (pkg.name === 'gitops-lens') return String(pkg.version);
      } catch {
        // Not ours; keep looking upwards.
      }
    }
    dir = path.dirname(dir);
  }
  return '0.0.0';
}
