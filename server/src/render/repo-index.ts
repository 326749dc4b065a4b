/**
 * Indexing a repository (kustomizations and the files their builds read,
 * Flux Kustomization and Argo CD Application bindings, chart folders) and
 * choosing the units to render for a selection of paths.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { KubeObject } from '../cluster/cluster-types.js';
import { mapLimit } from '../util/concurrency.js';
import { argoDirectoryIncludes } from './argo-source.js';
import { bindingLabel, bindingsFromObject, type PreviewBinding } from './binding.js';
import { KUSTOMIZATION_FILE_NAMES } from './flux-build.js';
import { isDir, READ_CONCURRENCY, walkYaml, within, FileTexts } from './repo-files.js';
import type { RenderUnit } from './render-types.js';
import { helmSourceOf } from './render-helm.js';
import { parseSourceDocuments } from './source-documents.js';

export interface KustomizationInfo {
  dir: string;
  file: string;
  /** Referenced folders (other kustomizations). */
  dirs: string[];
  /** Referenced files (resources, patches, generator inputs). */
  files: string[];
  /** The referenced files that are patches (they do not declare objects, they change them). */
  patchFiles: string[];
}

export const isRemote = (ref: string) => /^[a-z]+:\/\/|^github\.com\/|^git@|\?ref=/.test(ref);

export async function readKustomization(dir: string, file: string, texts: FileTexts): Promise<KustomizationInfo> {
  const info: KustomizationInfo = { dir, file, dirs: [], files: [], patchFiles: [] };
  let k: Record<string, unknown>;
  try {
    k = (parseYaml(await texts.read(file)) ?? {}) as Record<string, unknown>;
  } catch {
    return info;
  }
  const refs: string[] = [];
  const pushStrings = (v: unknown) => {
    if (Array.isArray(v)) for (const s of v) if (typeof s === 'string') refs.push(s);
  };
  pushStrings(k.resources);
  pushStrings(k.bases);
  pushStrings(k.components);
  pushStrings(k.crds);
  const patches: string[] = [];
  if (Array.isArray(k.patchesStrategicMerge)) for (const s of k.patchesStrategicMerge) if (typeof s === 'string') patches.push(s);
  for (const key of ['patches', 'patchesJson6902']) {
    const list = k[key];
    if (Array.isArray(list)) for (const p of list) if (p && typeof p === 'object' && typeof (p as { path?: unknown }).path === 'string') patches.push((p as { path: string }).path);
  }
  refs.push(...patches);
  for (const p of patches) if (!p.includes('\n')) info.patchFiles.push(path.resolve(dir, p));
  for (const key of ['configMapGenerator', 'secretGenerator']) {
    const list = k[key];
    if (!Array.isArray(list)) continue;
    for (const g of list) {
      if (!g || typeof g !== 'object') continue;
      const gg = g as Record<string, unknown>;
      for (const f of [...(Array.isArray(gg.files) ? gg.files : []), ...(Array.isArray(gg.envs) ? gg.envs : []), gg.env]) {
        if (typeof f === 'string') refs.push(f.includes('=') ? f.slice(f.indexOf('=') + 1) : f);
      }
    }
  }
  const local = refs.filter((ref) => !isRemote(ref) && !ref.includes('\n')).map((ref) => path.resolve(dir, ref));
  const dirs = await Promise.all(local.map(isDir));
  local.forEach((abs, i) => (dirs[i] ? info.dirs : info.files).push(abs));
  return info;
}

/** An index of a repository: kustomizations and their trees, YAML files, and bindings. */
export interface RepoIndex {
  root: string;
  yamlFiles: string[];
  kustomizations: Map<string, KustomizationInfo>;
  bindings: Array<{ binding: PreviewBinding; file: string; object?: KubeObject }>;
  /** Folders holding a Chart.yaml and no kustomization file: Argo CD renders such a source path with helm even without a `helm` field. */
  charts?: Set<string>;
}

/** Scans `root` once: kustomizations and Flux Kustomization / Argo CD Application bindings. */
export async function indexRepository(root: string, signal?: AbortSignal): Promise<RepoIndex> {
  return indexWith(root, new FileTexts(), signal);
}

export async function indexWith(root: string, texts: FileTexts, signal?: AbortSignal): Promise<RepoIndex> {
  const charts = new Set<string>();
  const yamlFiles = await walkYaml(root, [], signal, charts);
  const kustomizations = new Map<string, KustomizationInfo>();
  const bindings: RepoIndex['bindings'] = [];
  // Files are read in parallel (the round trips, not the parsing, dominate), then used in walk order.
  const read = await mapLimit(
    yamlFiles,
    READ_CONCURRENCY,
    async (file): Promise<{ kustomization?: KustomizationInfo; text?: string }> => {
      if (KUSTOMIZATION_FILE_NAMES.includes(path.basename(file))) return { kustomization: await readKustomization(path.dirname(file), file, texts) };
      try {
        const st = await fs.stat(file);
        if (st.size > 2 * 1024 * 1024) return {};
        return { text: await texts.read(file) };
      } catch {
        return {};
      }
    },
    signal,
  );
  for (let i = 0; i < yamlFiles.length; i++) {
    signal?.throwIfAborted();
    const file = yamlFiles[i]!;
    const { kustomization, text } = read[i]!;
    if (kustomization) {
      if (!kustomizations.has(kustomization.dir)) kustomizations.set(kustomization.dir, kustomization);
      continue;
    }
    // Cheap pre-filter: only files that can hold a binding are parsed here.
    if (text === undefined || (!text.includes('kustomize.toolkit.fluxcd.io') && !text.includes('argoproj.io'))) continue;
    for (const doc of parseSourceDocuments(file, text)) {
      for (const b of bindingsFromObject(doc.value, root)) bindings.push({ binding: b, file, object: doc.value as KubeObject });
    }
  }
  return { root, yamlFiles, kustomizations, bindings, charts };
}

/** Every file a kustomization folder's build reads, following referenced folders. */
export function kustomizeTree(index: RepoIndex, dir: string, seen = new Set<string>()): Set<string> {
  const files = new Set<string>();
  if (seen.has(dir)) return files;
  seen.add(dir);
  const k = index.kustomizations.get(dir);
  if (!k) {
    // A referenced folder without kustomization.yaml: kustomize reads all of its YAML.
    for (const f of index.yamlFiles) if (path.dirname(f) === dir) files.add(f);
    return files;
  }
  files.add(k.file);
  for (const f of k.files) files.add(f);
  for (const d of k.dirs) for (const f of kustomizeTree(index, d, seen)) files.add(f);
  return files;
}

/** The files a plain folder (Flux generates a kustomization for it) reads: all YAML beneath, through nested kustomizations' trees. */
export function folderTree(index: RepoIndex, dir: string): Set<string> {
  const files = new Set<string>();
  for (const f of index.yamlFiles) {
    if (!within(f, dir)) continue;
    files.add(f);
  }
  for (const [kdir] of index.kustomizations) if (within(kdir, dir)) for (const f of kustomizeTree(index, kdir)) files.add(f);
  return files;
}

/**
 * The selected units plus, for a multi-source Argo CD Application, the
 * units of its other sources: the Application syncs (and prunes) all of them
 * together, so rendering one alone would show the others' objects as pruned.
 */
export function withSiblingSources(candidates: Array<{ unit: RenderUnit; selected: boolean }>): RenderUnit[] {
  const multi = (u: RenderUnit) => u.binding?.agent === 'argo' && u.binding.sourceIndex !== undefined;
  const labels = new Set(candidates.filter((c) => c.selected && multi(c.unit)).map((c) => bindingLabel(c.unit.binding)));
  return candidates.filter((c) => c.selected || (multi(c.unit) && labels.has(bindingLabel(c.unit.binding)))).map((c) => c.unit);
}

/**
 * Decides what to render for a selection: one unit per binding whose folder
 * is selected (or reads a selected file), then unbound root kustomizations
 * (those no other kustomization references), then loose YAML files.
 */
export function resolveUnits(
  index: RepoIndex,
  paths: string[],
  extraBindings: PreviewBinding[] = [],
  opts: { helm?: boolean } = {},
): { units: RenderUnit[]; notes: string[] } {
  const selection = paths.length ? paths.map((p) => path.resolve(p)) : [index.root];
  const selected = (unitRoot: string, files: Set<string>) =>
    selection.some((s) => within(unitRoot, s) || within(s, unitRoot) || [...files].some((f) => within(f, s)));
  const units: RenderUnit[] = [];
  // Binding units, selected or not: all sources of a selected multi-source Application are rendered (see below).
  const bindingUnits: Array<{ unit: RenderUnit; selected: boolean }> = [];
  const notes: string[] = [];
  const covered = new Set<string>();
  const coveredDirs: string[] = [];
  const seenFolders = new Set<string>();
  const allBindings: Array<{ binding: PreviewBinding; file?: string; object?: KubeObject }> = [...extraBindings.map((binding) => ({ binding })), ...index.bindings];
  for (const { binding, file: declaredIn, object } of allBindings) {
    if (seenFolders.has(binding.folder)) continue;
    const kdir = index.kustomizations.get(binding.folder);
    const files = kdir ? kustomizeTree(index, binding.folder) : folderTree(index, binding.folder);
    // Argo CD detects a chart folder as a Helm source even without a `helm` field (explicit kustomize/directory options win).
    const detectedChart = binding.agent === 'argo' && !binding.helm && !binding.argo && !kdir && !!index.charts?.has(binding.folder);
    if (binding.helm || detectedChart) {
      const app = `Argo CD Application ${binding.namespace}/${binding.name}`;
      const source = object && declaredIn ? helmSourceOf(object, index.root, binding.sourceIndex, detectedChart) : undefined;
      if (opts.helm && source?.kind === 'local') {
        // The chart folder itself is not indexed (templates are not objects): the unit is touched by the Application, its values files and anything under the chart.
        const chartFiles = new Set([declaredIn!, ...source.chart.valueFiles]);
        seenFolders.add(binding.folder);
        coveredDirs.push(binding.folder);
        bindingUnits.push({ unit: { root: binding.folder, kind: 'helm', binding, files: chartFiles, helm: source.chart, declaredIn }, selected: selected(binding.folder, chartFiles) });
      } else if (selected(binding.folder, files)) {
        notes.push(
          opts.helm && source?.kind === 'remote'
            ? `not previewed: chart ${source.chart} comes from a remote repository (${app})`
            : `not previewed: needs helm (${app} has a Helm source)`,
        );
      }
      continue;
    }
    // Components a Flux Kustomization or Argo CD kustomize source adds are read by its build too.
    const components = binding.agent === 'flux' ? binding.build?.components : kdir ? binding.argo?.kustomize?.components : undefined;
    for (const c of components ?? []) for (const f of kustomizeTree(index, path.resolve(binding.folder, c))) files.add(f);
    // An Argo CD directory source reads the top level only (unless `recurse`), filtered by include/exclude.
    // With kustomize options the source is a kustomize one whatever its files (the build then fails, as Argo CD's does).
    if (binding.agent === 'argo' && !kdir && !binding.argo?.kustomize) {
      for (const f of files) if (!argoDirectoryIncludes(path.relative(binding.folder, f).split(path.sep).join('/'), binding.argo?.directory)) files.delete(f);
    }
    if (!kdir && files.size === 0) continue;
    seenFolders.add(binding.folder);
    for (const f of files) covered.add(f);
    coveredDirs.push(binding.folder);
    bindingUnits.push({ unit: { root: binding.folder, kind: kdir ? 'kustomize' : 'folder', binding, files, ...(declaredIn ? { declaredIn } : {}) }, selected: selected(binding.folder, files) });
  }
  units.push(...withSiblingSources(bindingUnits));
  // Unbound kustomizations: only roots, so a base is rendered through its overlay, as the agent would.
  const referenced = new Set<string>();
  for (const k of index.kustomizations.values()) for (const d of k.dirs) referenced.add(d);
  for (const [dir] of index.kustomizations) {
    if (referenced.has(dir) || coveredDirs.some((c) => within(dir, c))) continue;
    const files = kustomizeTree(index, dir);
    if ([...files].every((f) => covered.has(f)) && files.size > 1) continue;
    for (const f of files) covered.add(f);
    if (selected(dir, files)) units.push({ root: dir, kind: 'kustomize', files });
  }
  const kustomizeDirs = [...index.kustomizations.keys()];
  for (const file of index.yamlFiles) {
    if (covered.has(file) || coveredDirs.some((c) => within(file, c))) continue;
    if (kustomizeDirs.some((d) => path.dirname(file) === d || within(file, d + path.sep))) continue;
    if (selected(file, new Set([file]))) units.push({ root: file, kind: 'file', files: new Set([file]) });
  }
  return { units, notes };
}
