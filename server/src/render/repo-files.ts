/**
 * Reading the repository for one render: YAML files found by walking folders
 * (bounded, chart folders noted), file texts read once per render and shared
 * between indexing and rendering, and source documents parsed from them.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { KubeObject } from '../cluster/cluster-types.js';
import { Limiter, mapLimit } from '../util/concurrency.js';
import { KUSTOMIZATION_FILE_NAMES } from './flux-build.js';
import type { Rendered } from './render-types.js';
import { parseSourceDocuments, type SourceDocument } from './source-documents.js';

export const SKIP_DIRS = new Set(['node_modules', '.git', 'dist', 'out', '.vscode-test']);

export const MAX_SCAN_FILES = 20_000;

/** Files read at once: enough to keep libuv's thread pool busy, far below the open-file limit. */
export const READ_CONCURRENCY = 32;

/** kustomize / helm processes at once: each is CPU-bound for its whole run. */
export const BUILD_CONCURRENCY = 4;

/** Texts kept for the length of one render, so that indexing and rendering read each file once. */
export const TEXT_CACHE_BYTES = 64 * 1024 * 1024;

/**
 * The file texts of one render. Indexing reads every YAML file of the
 * repository anyway (to find bindings), and rendering reads most of them
 * again; keeping them for the length of the render halves the file-system
 * round trips, which dominate the render of many small files. Bounded by
 * {@link TEXT_CACHE_BYTES}: beyond it files are simply read again.
 */
export class FileTexts {
  private readonly texts = new Map<string, Promise<string>>();
  private bytes = 0;
  /** Callers fan out (units × files), so open files are bounded here, once for all of them. */
  private readonly reads = new Limiter(READ_CONCURRENCY);

  /** The file's text; rejects like `fs.readFile`. */
  read(file: string): Promise<string> {
    const cached = this.texts.get(file);
    if (cached) return cached;
    const p = this.reads.run(() => fs.readFile(file, 'utf8'));
    if (this.bytes < TEXT_CACHE_BYTES) {
      this.texts.set(file, p);
      p.then(
        (t) => (this.bytes += t.length),
        () => this.texts.delete(file),
      );
    }
    return p;
  }
}

export async function isFile(p: string): Promise<boolean> {
  try {
    return (await fs.stat(p)).isFile();
  } catch {
    return false;
  }
}

export async function isDir(p: string): Promise<boolean> {
  try {
    return (await fs.stat(p)).isDirectory();
  } catch {
    return false;
  }
}

/** The kustomization file of a folder, if it has one. */
export async function kustomizationFileOf(dir: string): Promise<string | undefined> {
  for (const name of KUSTOMIZATION_FILE_NAMES) {
    const p = path.join(dir, name);
    if (await isFile(p)) return p;
  }
  return undefined;
}

export const isYaml = (f: string) => /\.ya?ml$/i.test(f);

export const within = (child: string, parent: string) => child === parent || child.startsWith(parent.endsWith(path.sep) ? parent : parent + path.sep);

/**
 * All YAML files under `dir` (skipping node_modules, .git, dot folders), bounded.
 * Chart folders (a Chart.yaml and no kustomization file, Argo CD's "Helm" source type) go into `charts`.
 */
export async function walkYaml(dir: string, out: string[] = [], signal?: AbortSignal, charts?: Set<string>): Promise<string[]> {
  if (out.length >= MAX_SCAN_FILES) return out;
  signal?.throwIfAborted();
  let entries: import('node:fs').Dirent[];
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  entries.sort((a, b) => a.name.localeCompare(b.name));
  // A Helm chart's templates and values are not plain objects: a chart is rendered with helm through the unit of the source that names it.
  if (entries.some((e) => e.isFile() && e.name === 'Chart.yaml')) {
    if (!entries.some((e) => KUSTOMIZATION_FILE_NAMES.includes(e.name))) charts?.add(dir);
    return out;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (SKIP_DIRS.has(e.name) || e.name.startsWith('.')) continue;
      await walkYaml(p, out, signal, charts);
    } else if (e.isFile() && !e.name.startsWith('.') && (isYaml(e.name) || e.name === 'Kustomization')) out.push(p);
    if (out.length >= MAX_SCAN_FILES) break;
  }
  return out;
}

export function isKubeObject(v: unknown): v is KubeObject {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return false;
  const o = v as Record<string, unknown>;
  const meta = o.metadata as Record<string, unknown> | undefined;
  if (typeof o.apiVersion !== 'string' || typeof o.kind !== 'string' || !meta || typeof meta.name !== 'string') return false;
  // kustomization.yaml files and kustomize components are build inputs, not objects.
  return !(o.apiVersion.startsWith('kustomize.config.k8s.io/'));
}

export async function readSourceDocs(files: Iterable<string>, texts: FileTexts, signal?: AbortSignal): Promise<SourceDocument[]> {
  return readDocuments([...files].filter((f) => isYaml(f) || path.basename(f) === 'Kustomization'), texts, signal);
}

/** The documents of `files`, in order. */
export async function readDocuments(files: string[], texts: FileTexts, signal?: AbortSignal): Promise<SourceDocument[]> {
  const perFile = await mapLimit(
    files,
    READ_CONCURRENCY,
    async (f) => {
      try {
        return parseSourceDocuments(f, await texts.read(f));
      } catch {
        // Unreadable file: objects from it simply have no source mapping.
        return [];
      }
    },
    signal,
  );
  return perFile.flat();
}

/** The objects of source documents, each mapped to its own document. */
export function asIs(docs: SourceDocument[]): Rendered[] {
  return docs.filter((d) => isKubeObject(d.value)).map((d) => ({ object: d.value as KubeObject, doc: d, mapped: false }));
}
