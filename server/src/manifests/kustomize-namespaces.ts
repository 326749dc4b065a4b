/**
 * The namespace kustomize gives to objects of a file: a file that a
 * kustomization.yaml lists (directly, or through a chain of folder resources
 * such as `resources: [../base]` or `components:`) is built with the
 * `namespace:` of that chain, and the outermost overlay that sets one wins
 * over its bases. Drift compares files as written, so without this an object
 * without metadata.namespace would be looked up in the binding's or
 * context's namespace instead of the one the agent applies it to; validation
 * checks the Namespace names and metadata.namespace values kustomize
 * produces, not the placeholders written in the file.
 */
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { isKustomizationFile, normalizePath } from './classify-document.js';

interface KustomizationRefs {
  /** `namespace:` of the kustomization, when set. */
  namespace?: string;
  /** Local files and folders it builds from (resources, bases, components), normalized. */
  refs: string[];
  /** Local strategic-merge patch files it applies (`patches:` paths, `patchesStrategicMerge:`), normalized. */
  patches: string[];
}

/** How deep an overlay chain is followed; real repos nest a few levels, a cycle never ends. */
const MAX_DEPTH = 20;

/**
 * Kustomization files of the workspace, reduced to what decides the namespace
 * of the objects they build. Fed with the same files as the WorkspaceIndex.
 */
export class KustomizeNamespaces {
  /** By kustomization folder. */
  private readonly byDir = new Map<string, KustomizationRefs>();
  /** File or folder → folders of the kustomizations that list it; rebuilt lazily after a change. */
  private parents: Map<string, string[]> | undefined;

  /** Learns (or forgets, with `text` undefined) one workspace file; other files than kustomizations are ignored. */
  updateFile(filePath: string, text: string | undefined): void {
    const p = normalizePath(filePath);
    if (!isKustomizationFile(p)) return;
    const dir = path.posix.dirname(p);
    if (text === undefined) this.byDir.delete(dir);
    else this.byDir.set(dir, readRefs(dir, text));
    this.parents = undefined;
  }

  /**
   * The namespace kustomize sets on objects of `filePath` that don't set
   * one, or undefined when no kustomization listing the file sets a
   * namespace. When overlays that disagree build the same base, the nearest
   * kustomization's own namespace is used (undefined if it sets none).
   */
  namespaceOf(filePath: string): string | undefined {
    const p = normalizePath(filePath);
    // A patch's objects are those of the kustomization that applies it.
    const direct = [...new Set([...this.parentsOf(p), ...this.patchersOf(p)])];
    if (!direct.length) return undefined;
    const found = new Set<string | undefined>();
    for (const dir of direct) for (const ns of this.outermost(dir, new Set(), 0)) found.add(ns);
    if (found.size === 1) return [...found][0];
    const own = new Set(direct.map((d) => this.byDir.get(d)?.namespace));
    return own.size === 1 ? [...own][0] : undefined;
  }

  /**
   * The namespace each kustomize build that includes `filePath` as a resource
   * gives it, one entry per chain of kustomizations up to a root overlay
   * (undefined for a chain where none sets `namespace:`). Empty when no
   * kustomization lists the file. Validation uses it for the names that
   * kustomize's namespace transformer rewrites.
   */
  namespacesOfBuilds(filePath: string): Array<string | undefined> {
    const out = new Set<string | undefined>();
    for (const dir of this.parentsOf(normalizePath(filePath))) for (const ns of this.outermost(dir, new Set(), 0)) out.add(ns);
    return [...out];
  }

  /**
   * True when a kustomization lists `filePath` (directly or through a folder
   * resource) or applies it as a patch, i.e. drift should render it.
   */
  isBuilt(filePath: string): boolean {
    const p = normalizePath(filePath);
    return this.parentsOf(p).length > 0 || this.parentsOf(path.posix.dirname(p)).length > 0 || this.isPatch(p);
  }

  /** True when a kustomization applies `filePath` as a strategic-merge patch. */
  isPatch(filePath: string): boolean {
    return this.patchersOf(normalizePath(filePath)).length > 0;
  }

  /** Folders of the kustomizations that apply the (normalized) file `p` as a patch. */
  private patchersOf(p: string): string[] {
    return [...this.byDir].filter(([, k]) => k.patches.includes(p)).map(([dir]) => dir);
  }

  /** Namespaces that the chains from `dir` up to each root overlay give, outermost setting first. */
  private outermost(dir: string, seen: Set<string>, depth: number): Array<string | undefined> {
    const own = this.byDir.get(dir)?.namespace;
    if (seen.has(dir) || depth > MAX_DEPTH) return [own];
    seen.add(dir);
    const ups = this.parentsOf(dir);
    if (!ups.length) return [own];
    const out: Array<string | undefined> = [];
    for (const up of ups) for (const ns of this.outermost(up, new Set(seen), depth + 1)) out.push(ns ?? own);
    return out;
  }

  private parentsOf(p: string): string[] {
    if (!this.parents) {
      this.parents = new Map();
      for (const [dir, k] of this.byDir) {
        for (const ref of k.refs) {
          const list = this.parents.get(ref) ?? [];
          list.push(dir);
          this.parents.set(ref, list);
        }
      }
    }
    return this.parents.get(p) ?? [];
  }
}

function readRefs(dir: string, text: string): KustomizationRefs {
  let value: any;
  try {
    const [doc] = parseAllDocuments(text, { prettyErrors: false, logLevel: 'error' });
    value = (doc as any)?.toJS?.({ maxAliasCount: 100 });
  } catch {
    return { refs: [], patches: [] };
  }
  if (!value || typeof value !== 'object') return { refs: [], patches: [] };
  const refs: string[] = [];
  for (const ref of [value.resources, value.bases, value.components].flatMap((v) => (Array.isArray(v) ? v : []))) {
    // Remote bases (URLs, git refs) are not in the workspace.
    if (typeof ref !== 'string' || ref.includes('\n') || /^[a-z]+:\/\/|^github\.com\/|\?ref=/i.test(ref)) continue;
    refs.push(normalizePath(path.posix.join(dir, ref.replace(/\\/g, '/'))).replace(/\/+$/, ''));
  }
  const patches: string[] = [];
  const patchPaths = [
    ...(Array.isArray(value.patchesStrategicMerge) ? value.patchesStrategicMerge : []),
    ...(Array.isArray(value.patches) ? value.patches.map((p: unknown) => (p && typeof p === 'object' ? (p as { path?: unknown }).path : undefined)) : []),
  ];
  for (const ref of patchPaths) {
    // Inline patches (YAML text with newlines) are not files.
    if (typeof ref !== 'string' || ref.includes('\n') || /^[a-z]+:\/\//i.test(ref)) continue;
    patches.push(normalizePath(path.posix.join(dir, ref.replace(/\\/g, '/'))));
  }
  const namespace = typeof value.namespace === 'string' && value.namespace ? value.namespace : undefined;
  return { namespace, refs, patches };
}
