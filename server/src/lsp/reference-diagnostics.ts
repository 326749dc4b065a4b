/**
 * Publishes the broken-reference findings (server/src/graph) as diagnostics
 * in their own slot of the diagnostics store, for every file of a workspace
 * folder that has some, open or not (a kustomization entry that does not
 * exist is worth knowing before the file is opened). A run is scheduled after
 * the folder's files change (debounced like validation) and only once the
 * folder's first scan is complete, so a half-read repository never reports a
 * reference as missing. With a bound cluster each unsatisfied reference is
 * looked up: present → information, absent → error.
 */
import { applyClusterState, lookupsOf } from '../graph/reference-checks.js';
import { clusterAnswers } from '../graph/live-status.js';
import { keyOf } from '../graph/repo-graph.js';
import type { Finding } from '../findings.js';
import { findingToDiagnostic } from './finding-conversion.js';
import { REFERENCES_SLOT } from '../protocol/protocol.js';
import type { ReferenceCluster } from './reference-cluster.js';
import type { ReferenceIndexes } from './reference-indexes.js';
import type { ServerContext } from './server-context.js';
import { pathToUri } from '../util/uri-path.js';

/** Schedules and publishes reference diagnostics per folder. */
export class ReferenceDiagnostics {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** What was last published per URI (JSON), to publish only what changed. */
  private readonly published = new Map<string, string>();
  /** Bumped per run, so an older run that awaited the cluster never overwrites a newer one. */
  private readonly runs = new Map<string, number>();
  private readonly runListeners: Array<(folder: string) => void> = [];
  /** Completed runs and the compute time of the last one, per folder (gitops/referenceStats). */
  readonly counters = new Map<string, { runs: number; lastRunMs: number; lastRunCpuMs: number }>();

  constructor(
    private readonly ctx: ServerContext,
    private readonly indexes: ReferenceIndexes,
    private readonly cluster: ReferenceCluster,
  ) {}

  /** Runs `listener` after each completed run of a folder (the dependency view refreshes then). */
  onRun(listener: (folder: string) => void): void {
    this.runListeners.push(listener);
  }

  /** Schedules a run for a folder after the debounce. */
  schedule(folder: string, delayMs?: number): void {
    clearTimeout(this.timers.get(folder));
    const start = async () => {
      const debounce = delayMs ?? (await this.ctx.settings.get(folder)).validation.debounceMs;
      clearTimeout(this.timers.get(folder));
      this.timers.set(folder, setTimeout(() => {
        this.timers.delete(folder);
        this.run(folder).catch((err) => this.ctx.log.error(`Reference checks failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`));
      }, debounce));
    };
    void start();
  }

  /** Schedules every folder (settings, trust or context changed). */
  scheduleAll(): void {
    for (const { folder } of this.indexes.all()) this.schedule(folder, 0);
  }

  /** Computes and publishes a folder's reference diagnostics now. */
  async run(folder: string): Promise<void> {
    if (!this.indexes.isReady(folder)) return;
    const run = (this.runs.get(folder) ?? 0) + 1;
    this.runs.set(folder, run);
    const settings = await this.ctx.settings.get(folder);
    const computeStart = performance.now();
    const cpuStart = process.cpuUsage();
    const index = this.indexes.forFolder(folder);
    let byFile = settings.references.enable ? index.findings({ checks: settings.references.checks }) : new Map<string, Finding[]>();
    const computeMs = performance.now() - computeStart;
    const cpu = process.cpuUsage(cpuStart);
    const computeCpuMs = (cpu.user + cpu.system) / 1000;
    if (byFile.size && this.ctx.cluster.isTrusted) byFile = await this.withCluster(folder, byFile);
    if (this.runs.get(folder) !== run) return;
    const prefix = folder.endsWith('/') ? folder : `${folder}/`;
    const seen = new Set<string>();
    for (const [file, findings] of byFile) {
      const uri = pathToUri(file);
      seen.add(uri);
      const diagnostics = findings.map(findingToDiagnostic);
      const json = JSON.stringify(diagnostics);
      if (this.published.get(uri) === json) continue;
      this.published.set(uri, json);
      this.ctx.diagnostics.set(uri, REFERENCES_SLOT, diagnostics);
    }
    for (const uri of [...this.published.keys()]) {
      if (!uri.startsWith(prefix) || seen.has(uri)) continue;
      this.published.delete(uri);
      this.ctx.diagnostics.set(uri, REFERENCES_SLOT, []);
    }
    this.counters.set(folder, { runs: (this.counters.get(folder)?.runs ?? 0) + 1, lastRunMs: computeMs, lastRunCpuMs: computeCpuMs });
    for (const l of this.runListeners) l(folder);
  }

  /** Asks the bound cluster about every unsatisfied reference, per file's context. */
  private async withCluster(folder: string, byFile: Map<string, Finding[]>): Promise<Map<string, Finding[]>> {
    const out = new Map<string, Finding[]>();
    for (const [file, findings] of byFile) {
      const lookups = lookupsOf(findings);
      if (!lookups.length) {
        out.set(file, findings);
        continue;
      }
      const bound = await this.cluster.forFile(folder, pathToUri(file));
      if (!bound) {
        out.set(file, findings);
        continue;
      }
      const answers = await clusterAnswers(lookups, bound.get);
      out.set(file, applyClusterState(findings, (l) => answers.get(keyOf(l.kind, l.namespace, l.name)), bound.context));
    }
    return out;
  }

  /** Clears what a removed folder published. */
  clearFolder(folder: string): void {
    const prefix = folder.endsWith('/') ? folder : `${folder}/`;
    for (const uri of [...this.published.keys()]) {
      if (!uri.startsWith(prefix)) continue;
      this.published.delete(uri);
      this.ctx.diagnostics.set(uri, REFERENCES_SLOT, []);
    }
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
