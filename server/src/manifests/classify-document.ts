/**
 * Decides what each YAML document is, so that only real Kubernetes objects
 * are validated as such: kustomize patches are partial objects, Helm chart
 * files are templates or values, and anything else is left alone. The
 * {@link WorkspaceIndex} learns kustomization files and Helm charts of the
 * workspace to know which files are patches or chart files.
 */
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { KustomizeNamespaces } from './kustomize-namespaces.js';
import type { ManifestDocument } from './parse-manifests.js';

/** What a document is. */
export type DocumentClass = 'kubernetes-object' | 'kustomization' | 'kustomize-patch' | 'helm' | 'ignored';

/** How a patch file is used by a kustomization. */
export type PatchKind = 'strategic-merge' | 'json6902' | 'unknown';

const KUSTOMIZATION_NAMES = new Set(['kustomization.yaml', 'kustomization.yml', 'Kustomization']);

/** The last path normalized: classification asks for the same file once per document. */
let lastNormalized: { from: string; to: string } | undefined;

/** Normalizes a path to forward slashes, for map keys and comparisons. */
export function normalizePath(p: string): string {
  if (lastNormalized?.from === p) return lastNormalized.to;
  const to = path.posix.normalize(p.replace(/\\/g, '/'));
  lastNormalized = { from: p, to };
  return to;
}

/** True for a kustomization file name. */
export function isKustomizationFile(p: string): boolean {
  return KUSTOMIZATION_NAMES.has(path.posix.basename(normalizePath(p)));
}

/** True for Chart.yaml and values files, whatever the folder. */
export function isHelmChartMetadataOrValues(p: string): boolean {
  const base = path.posix.basename(normalizePath(p));
  return /^Chart\.(ya?ml|lock)$/.test(base) || /^values([-_.][^/]*)?\.ya?ml$/i.test(base);
}

interface KustomizationInfo {
  patches: Map<string, PatchKind>;
  dataFiles: Set<string>;
}

/**
 * What the engine knows about the workspace: kustomizations (which files they
 * use as patches or generator inputs) and Helm charts (folders with a
 * Chart.yaml). Fed with every workspace file the editor or CLI sees.
 */
export class WorkspaceIndex {
  private readonly kustomizations = new Map<string, KustomizationInfo>();
  private readonly chartDirs = new Set<string>();
  /** The namespace each kustomize build gives the files it includes (Namespace renames, metadata.namespace). */
  readonly kustomizeNamespaces = new KustomizeNamespaces();
  /** Bumped on every change that can change a classification. */
  generation = 0;

  /** Learns (or forgets, with `text` undefined) one workspace file. */
  updateFile(filePath: string, text: string | undefined): void {
    const p = normalizePath(filePath);
    const base = path.posix.basename(p);
    if (/^Chart\.ya?ml$/.test(base)) {
      const dir = path.posix.dirname(p);
      const had = this.chartDirs.has(dir);
      if (text === undefined) this.chartDirs.delete(dir);
      else this.chartDirs.add(dir);
      if (had !== (text !== undefined)) this.generation++;
      return;
    }
    if (!isKustomizationFile(p)) return;
    this.kustomizeNamespaces.updateFile(p, text);
    if (text === undefined) {
      if (this.kustomizations.delete(p)) this.generation++;
      return;
    }
    this.kustomizations.set(p, readKustomization(p, text));
    this.generation++;
  }

  /** How a file is used as a patch by some kustomization, or undefined. */
  patchKind(filePath: string): PatchKind | undefined {
    const p = normalizePath(filePath);
    for (const info of this.kustomizations.values()) {
      const kind = info.patches.get(p);
      if (kind) return kind;
    }
    return undefined;
  }

  /** True when a kustomization reads the file as generator input (configMapGenerator files, envs). */
  isGeneratorInput(filePath: string): boolean {
    const p = normalizePath(filePath);
    for (const info of this.kustomizations.values()) if (info.dataFiles.has(p)) return true;
    return false;
  }

  /** True when the file lies inside a known Helm chart folder (its templates, charts, values). */
  isInChart(filePath: string): boolean {
    let dir = path.posix.dirname(normalizePath(filePath));
    for (let i = 0; i < 30; i++) {
      if (this.chartDirs.has(dir)) return true;
      const parent = path.posix.dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
    return false;
  }
}

function readKustomization(p: string, text: string): KustomizationInfo {
  const info: KustomizationInfo = { patches: new Map(), dataFiles: new Set() };
  const dir = path.posix.dirname(p);
  let value: any;
  try {
    const [doc] = parseAllDocuments(text, { prettyErrors: false, logLevel: 'error' });
    value = (doc as any)?.toJS?.({ maxAliasCount: 100 });
  } catch {
    return info;
  }
  if (!value || typeof value !== 'object') return info;
  const local = (ref: unknown): string | undefined => {
    if (typeof ref !== 'string' || ref.includes('\n') || /^[a-z]+:\/\//i.test(ref)) return undefined;
    return path.posix.join(dir, ref.replace(/\\/g, '/'));
  };
  const add = (ref: unknown, kind: PatchKind) => {
    const file = local(ref);
    if (file) info.patches.set(file, kind);
  };
  for (const entry of asArray(value.patchesStrategicMerge)) add(entry, 'strategic-merge');
  for (const entry of asArray(value.patchesJson6902)) add(entry?.path, 'json6902');
  for (const entry of asArray(value.patches)) {
    if (typeof entry === 'string') add(entry, 'unknown');
    else add(entry?.path, 'unknown');
  }
  for (const gen of [...asArray(value.configMapGenerator), ...asArray(value.secretGenerator)]) {
    for (const f of [...asArray(gen?.files), ...asArray(gen?.envs), gen?.env]) {
      if (typeof f !== 'string') continue;
      const file = local(f.includes('=') ? f.slice(f.indexOf('=') + 1) : f);
      if (file) info.dataFiles.add(file);
    }
  }
  // Plugin and transformer configuration files are kustomize inputs, not objects for the cluster.
  for (const f of [...asArray(value.transformers), ...asArray(value.generators), ...asArray(value.validators), ...asArray(value.configurations), ...asArray(value.replacements).map((r: any) => r?.path), value.openapi?.path]) {
    const file = local(f);
    if (file && /\.ya?ml$/i.test(file)) info.dataFiles.add(file);
  }
  for (const f of asArray(value.helmCharts).map((c: any) => c?.valuesFile)) {
    const file = local(f);
    if (file) info.dataFiles.add(file);
  }
  return info;
}

function asArray(v: unknown): any[] {
  return Array.isArray(v) ? v : [];
}

/** True when text looks like a Go template (Helm). */
export function looksTemplated(text: string): boolean {
  return text.includes('{{');
}

/**
 * True for a Helm template: a file under `templates/` of a chart, or any
 * chart file with Go template syntax. Such files are not YAML until Helm
 * renders them, so they are not even parsed.
 */
export function isHelmTemplate(filePath: string, text: string, index?: WorkspaceIndex): boolean {
  const p = normalizePath(filePath);
  const inTemplates = /(^|\/)templates\//.test(p);
  const inChart = index?.isInChart(p) ?? false;
  return (inTemplates && (inChart || looksTemplated(text))) || (inChart && looksTemplated(text));
}

/**
 * Classifies one document of a file. File-level facts come first: Helm chart
 * files are never objects, kustomization files are kustomizations, patch
 * files are partial objects.
 */
export function classifyDocument(filePath: string, doc: Pick<ManifestDocument, 'value' | 'apiVersion' | 'kind'>, index?: WorkspaceIndex, fileText?: string): DocumentClass {
  const p = normalizePath(filePath);
  if (isHelmChartMetadataOrValues(p)) return 'helm';
  if (index?.isInChart(p) || (/(^|\/)templates\//.test(p) && fileText !== undefined && looksTemplated(fileText))) return 'helm';
  // A kustomization file holding some other object (say a Flux Kustomization) is that object.
  const otherApi = doc.apiVersion !== undefined && !doc.apiVersion.startsWith('kustomize.config.k8s.io/');
  if ((isKustomizationFile(p) && !otherApi) || doc.apiVersion?.startsWith('kustomize.config.k8s.io/')) {
    return doc.value && typeof doc.value === 'object' && !Array.isArray(doc.value) ? 'kustomization' : 'ignored';
  }
  if (index?.patchKind(p)) return 'kustomize-patch';
  if (index?.isGeneratorInput(p)) return 'ignored';
  if (doc.apiVersion !== undefined && doc.kind !== undefined) return 'kubernetes-object';
  return 'ignored';
}
