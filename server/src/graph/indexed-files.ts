/**
 * The indexed YAML files of one repository (a workspace folder or the CLI's
 * root), kept up to date file by file: the language server feeds it the
 * workspace scan, file-watcher events and open documents' texts; the CLI
 * feeds it a walk of the folder. Every change bumps {@link RepoFiles.generation},
 * which is what the graph built on top memoizes on.
 *
 * Whether a path exists on disk (kustomization entries may name non-YAML
 * files and folders) is asked through {@link PathProbe}, so tests and the
 * editor can answer from memory.
 */
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import * as path from 'node:path';
import { isKustomizationFile, looksTemplated } from '../manifests/classify-document.js';
import { indexFile, type IndexedFile } from './index-file.js';

/** What is at a path: a file, a folder, or nothing. */
export type PathKind = 'file' | 'dir' | undefined;

/** Answers whether a path exists; the repository's own files are known without asking. */
export interface PathProbe {
  kindOf(absolutePath: string): PathKind;
}

/** A {@link PathProbe} over the file system, with a cache cleared by {@link DiskProbe.forget}. */
export class DiskProbe implements PathProbe {
  private readonly cache = new Map<string, PathKind>();

  kindOf(p: string): PathKind {
    if (this.cache.has(p)) return this.cache.get(p);
    let kind: PathKind;
    try {
      const st = statSync(p);
      kind = st.isDirectory() ? 'dir' : st.isFile() ? 'file' : undefined;
    } catch {
      kind = undefined;
    }
    if (this.cache.size > 50_000) this.cache.clear();
    this.cache.set(p, kind);
    return kind;
  }

  /** Forgets what is known about a path and its folders (a file was created or deleted). */
  forget(p: string): void {
    this.cache.delete(p);
    for (let dir = path.dirname(p); dir !== path.dirname(dir); dir = path.dirname(dir)) this.cache.delete(dir);
  }

  clear(): void {
    this.cache.clear();
  }
}

/** The indexed files of a repository. */
export class RepoFiles {
  readonly files = new Map<string, IndexedFile>();
  /** Folders holding a Chart.yaml: their files are Helm chart sources, not objects. */
  readonly chartDirs = new Set<string>();
  /** Folders holding a kustomization file, → that file. */
  readonly kustomizationDirs = new Map<string, string>();
  private readonly hashes = new Map<string, string>();
  /** Bumped on every change. */
  generation = 0;
  /** Bumped when the set of kustomization or chart folders changes (every build may change then). */
  structure = 0;
  /** Bumped when a file appears or disappears (what is where, not what files say). */
  membership = 0;
  /** The paths changed at each generation, oldest first (bounded), so caches can forget only what changed. */
  private readonly log: Array<{ generation: number; path: string }> = [];

  /** @param root the repository root (absolute); Flux and Argo CD paths are relative to it. */
  constructor(readonly root: string) {}

  /**
   * Learns (or, with `text` undefined, forgets) one file. Returns whether
   * anything changed. Helm templates are remembered as chart files only.
   */
  update(filePath: string, text: string | undefined): boolean {
    const p = path.resolve(filePath);
    const base = path.basename(p);
    if (/^Chart\.ya?ml$/.test(base)) {
      const dir = path.dirname(p);
      const had = this.chartDirs.has(dir);
      if (text === undefined) this.chartDirs.delete(dir);
      else this.chartDirs.add(dir);
      if (had === (text !== undefined)) return false;
      this.bump(p, true, true);
      return true;
    }
    if (text === undefined) {
      this.hashes.delete(p);
      const wasKustomization = this.kustomizationDirs.get(path.dirname(p)) === p;
      if (wasKustomization) this.kustomizationDirs.delete(path.dirname(p));
      if (!this.files.delete(p)) return false;
      this.bump(p, wasKustomization, true);
      return true;
    }
    const hash = createHash('sha1').update(text).digest('base64');
    if (this.hashes.get(p) === hash) return false;
    this.hashes.set(p, hash);
    // Go templates are not YAML until Helm renders them.
    if (/(^|[\\/])templates[\\/]/.test(p) && looksTemplated(text)) {
      const existed = this.files.delete(p);
      if (existed) this.bump(p, false, true);
      return existed;
    }
    const isNew = !this.files.has(p);
    this.files.set(p, indexFile(p, text));
    let structural = false;
    if (isKustomizationFile(p)) {
      const dir = path.dirname(p);
      const current = this.kustomizationDirs.get(dir);
      // kustomize's order of preference when a folder has more than one.
      if (!current || rank(p) < rank(current)) {
        this.kustomizationDirs.set(dir, p);
        structural = current !== p;
      }
    }
    this.bump(p, structural || (isNew && isKustomizationFile(p)), isNew);
    return true;
  }

  /** Records a change of `p` (a file created or deleted outside the index too). */
  bump(p: string, structural: boolean, membership: boolean): void {
    this.generation++;
    if (structural) this.structure++;
    if (membership) this.membership++;
    this.log.push({ generation: this.generation, path: p });
    if (this.log.length > 1000) this.log.splice(0, this.log.length - 500);
  }

  /** The paths changed after `generation`; undefined when the log no longer reaches back that far. */
  changedSince(generation: number): string[] | undefined {
    if (generation === this.generation) return [];
    const first = this.log[0];
    if (!first || first.generation > generation + 1) return undefined;
    return this.log.filter((e) => e.generation > generation).map((e) => e.path);
  }

  /** True when the file lies inside a Helm chart folder. */
  isInChart(filePath: string): boolean {
    if (this.chartDirs.size === 0) return false;
    for (let dir = path.dirname(filePath); ; dir = path.dirname(dir)) {
      if (this.chartDirs.has(dir)) return true;
      if (path.dirname(dir) === dir || dir.length < this.root.length) return false;
    }
  }
}

function rank(p: string): number {
  const base = path.basename(p);
  return base === 'kustomization.yaml' ? 0 : base === 'kustomization.yml' ? 1 : 2;
}

/** A {@link PathProbe} that knows the repository's indexed files and folders and asks `fallback` for the rest. */
export function repoProbe(files: RepoFiles, fallback: PathProbe): PathProbe {
  return {
    kindOf(p: string): PathKind {
      if (files.files.has(p)) return 'file';
      if (files.kustomizationDirs.has(p) || files.chartDirs.has(p)) return 'dir';
      return fallback.kindOf(p);
    },
  };
}
