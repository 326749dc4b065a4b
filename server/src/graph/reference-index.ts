/**
 * The reference index of one repository: its indexed files, the graph built
 * from them (rebuilt lazily after a change) and the broken-reference
 * findings. The language server keeps one per workspace folder and feeds it
 * file by file; the CLI loads a folder with {@link loadRepository}. Both get
 * the same findings from the same code.
 */
import { promises as fs, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import type { Finding } from '../findings.js';
import { referenceFindings, type ReferenceCheckOptions } from './reference-checks.js';
import { buildRepoGraph, type RepoGraph } from './repo-graph.js';
import { DiskProbe, repoProbe, RepoFiles, type PathProbe } from './indexed-files.js';
import { KustomizeModel } from './kustomize-identities.js';

/** Folders never read: dependencies, VCS data, build output. */
const SKIPPED_DIRS = new Set(['node_modules', '.git', '.hg', '.svn', '.vscode-test']);
const YAML_FILE = /\.ya?ml$/i;
/** Files larger than this are not indexed (a generated multi-megabyte bundle links to nothing useful). */
export const MAX_INDEXED_BYTES = 2 * 1024 * 1024;

/** True for a file the index reads: YAML, or an extensionless `Kustomization`. */
export function isIndexedFile(p: string): boolean {
  return YAML_FILE.test(p) || path.basename(p) === 'Kustomization';
}

/** The files, graph and findings of one repository. */
export class ReferenceIndex {
  readonly files: RepoFiles;
  readonly disk = new DiskProbe();
  private readonly probe: PathProbe;
  private readonly model: KustomizeModel;
  private cachedGraph: { generation: number; graph: RepoGraph } | undefined;
  private cachedFindings: { generation: number; checks: string; findings: Map<string, Finding[]> } | undefined;

  constructor(readonly root: string) {
    this.files = new RepoFiles(path.resolve(root));
    this.probe = repoProbe(this.files, this.disk);
    this.model = new KustomizeModel(this.files, this.probe);
  }

  /** Learns a file's text (or its deletion, with undefined); returns whether the index changed. */
  update(filePath: string, text: string | undefined): boolean {
    const p = path.resolve(filePath);
    this.disk.forget(p);
    return this.files.update(p, text);
  }

  /** A file was created or deleted outside the index (a non-YAML generator input): forget what the probe knew. */
  pathChanged(filePath: string): void {
    this.disk.forget(path.resolve(filePath));
    this.files.bump(path.resolve(filePath), false, true);
  }

  /** The graph of the current files (rebuilt when they changed). */
  graph(): RepoGraph {
    const generation = this.files.generation;
    if (this.cachedGraph?.generation === generation) return this.cachedGraph.graph;
    const graph = buildRepoGraph(this.files, this.probe, this.model);
    this.cachedGraph = { generation, graph };
    return graph;
  }

  /** Broken-reference findings of the current files, by absolute path. */
  findings(options: ReferenceCheckOptions = {}): Map<string, Finding[]> {
    const generation = this.files.generation;
    const checks = JSON.stringify(options.checks ?? {});
    if (this.cachedFindings?.generation === generation && this.cachedFindings.checks === checks) return this.cachedFindings.findings;
    const findings = referenceFindings(this.graph(), options);
    this.cachedFindings = { generation, checks, findings };
    return findings;
  }
}

/** Every indexed file under a folder (sorted; skipped folders and symbolic links not followed), at most `maxFiles`. */
export function listRepositoryFiles(root: string, maxFiles = 50_000): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (out.length >= maxFiles) return;
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (!SKIPPED_DIRS.has(e.name)) walk(p);
      } else if (e.isFile() && isIndexedFile(e.name)) out.push(p);
    }
  };
  walk(path.resolve(root));
  return out;
}

/** Loads a repository folder into a new index (synchronously; for the CLI and tests). */
export function loadRepository(root: string): ReferenceIndex {
  const index = new ReferenceIndex(root);
  for (const f of listRepositoryFiles(root)) {
    try {
      if (statSync(f).size > MAX_INDEXED_BYTES) continue;
      index.update(f, readFileSync(f, 'utf8'));
    } catch {
      // Unreadable or gone: not indexed.
    }
  }
  return index;
}

/** Like {@link loadRepository}, reading files concurrently (for benchmarks and the editor's first scan). */
export async function loadRepositoryAsync(root: string): Promise<ReferenceIndex> {
  const index = new ReferenceIndex(root);
  const files = listRepositoryFiles(root);
  const texts = await Promise.all(files.map((f) => fs.stat(f).then((st) => (st.size > MAX_INDEXED_BYTES ? undefined : fs.readFile(f, 'utf8')), () => undefined)));
  files.forEach((f, i) => texts[i] !== undefined && index.update(f, texts[i]));
  return index;
}

/** The repository root for a path: the nearest folder above with a `.git`, else the path itself (its folder, for a file). */
export function repositoryRootOf(target: string): string {
  const start = path.resolve(target);
  let dir = statSync(start).isDirectory() ? start : path.dirname(start);
  for (let d = dir; ; d = path.dirname(d)) {
    try {
      if (statSync(path.join(d, '.git'))) return d;
    } catch {
      // Not here; keep looking upwards.
    }
    if (path.dirname(d) === d) break;
  }
  return dir;
}
