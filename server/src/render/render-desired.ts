/**
 * Renders the desired state of a repository the way the GitOps agent would:
 * folders with a kustomization.yaml are built with kustomize, Flux
 * `postBuild.substitute` variables are applied, plain folders and files are
 * read as they are. Every rendered object remembers the file and range that
 * declares it so the plan can jump back to the source.
 */
import { promises as fs, constants as fsConstants } from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import type { KubeObject } from '../cluster/cluster-types.js';
import type { Range } from '../findings.js';
import { registerSecretValue } from '../secrets/mask-secrets.js';
import { argoDirectoryIncludes, editArgoKustomization } from './argo-source.js';
import { bindingLabel, bindingsFromObject, type PreviewBinding } from './binding.js';
import { KUSTOMIZATION_FILE_NAMES, applyCommonMetadata, existingComponents, fluxKustomizationText, mirrorForBuild, needsFluxBuild, readOwnKustomization } from './flux-build.js';
import { resolveValuesFrom, type ValuesSourceReader } from './helm-values-from.js';
import { helmSourceOf, isHelmObject, renderHelmChart, yamlStreamValues, type HelmRenderedObject, type LocalHelmChart } from './render-helm.js';
import { substituteVariables, substitutionDisabled } from './post-build-substitute.js';
import { parseSourceDocuments, type SourceDocument } from './source-documents.js';
import { stableYaml } from './stable-yaml.js';
import { Limiter, mapLimit } from '../util/concurrency.js';
import { runFile } from '../util/exec-file.js';

/** Where a rendered object came from. */
export interface SourceRef {
  /** Absolute path of the file. */
  file: string;
  range: Range;
  /** The source document, to map a field path to a range; absent when the mapping is unknown. */
  document?: SourceDocument;
  /** True when the object came out of kustomize or helm and was matched back to this file (best effort). */
  mapped?: boolean;
  /** Kustomize patches that target the object: a field they set is reported on the patch. */
  patches?: SourceDocument[];
}

/** One object of the desired state. */
export interface DesiredObject {
  object: KubeObject;
  source?: SourceRef;
  binding?: PreviewBinding;
  /** The folder or file that was rendered to produce it. */
  unit: string;
  /** A note for the plan entry, e.g. that a HelmRelease's chart is not previewed. */
  note?: string;
  /** Values that came from Secrets (HelmRelease `valuesFrom`) and may appear in this object: masked in everything shown. */
  maskValues?: string[];
}

/** Something the preview could not render, for the plan. */
export interface RenderProblem {
  /** The unit (folder or file) that failed. */
  unit: string;
  /** The unit relative to the repository root, for display. */
  label: string;
  /** The file to point at, e.g. the kustomization.yaml. */
  file: string;
  /** The range in `file` to point at (e.g. the binding's document); the start of the file when absent. */
  range?: Range;
  message: string;
  binding?: PreviewBinding;
}

/** What a unit is. */
export interface RenderUnit {
  /** Absolute folder (kustomize, plain or Helm chart) or file. */
  root: string;
  kind: 'kustomize' | 'folder' | 'file' | 'helm';
  binding?: PreviewBinding;
  /** For `helm` units: the chart and how the Argo CD Application renders it. */
  helm?: LocalHelmChart;
  /**
   * The file declaring the unit's binding (Flux Kustomization / Argo CD Application), when found in the repository.
   * Helm errors and unmapped chart objects point there, and so do build errors caused by the binding's own build fields.
   */
  declaredIn?: string;
  /** Every file whose change can change the unit's output. */
  files: Set<string>;
}

/** The result of rendering. */
export interface RenderResult {
  objects: DesiredObject[];
  problems: RenderProblem[];
  /** Informational notes, e.g. "not previewed: needs helm". */
  notes: string[];
  units: RenderUnit[];
  bindings: PreviewBinding[];
  /** Every value read from a Secret for rendering (HelmRelease `valuesFrom`): masked in messages. */
  maskValues: string[];
}

/** Options of {@link renderDesired}. */
export interface RenderOptions {
  /** Files or folders to preview (absolute). Empty means the whole root. */
  paths: string[];
  /** The repository root: agents' source paths are relative to it, and binding discovery scans it. */
  root: string;
  /** Extra bindings (for example from settings), used before discovered ones. */
  bindings?: PreviewBinding[];
  /** Restricts units to those containing one of these files (absolute); see changed-files.ts. */
  onlyFiles?: Set<string>;
  /** Values for Flux `substituteFrom` ConfigMaps, keyed `namespace/name`; resolved by the caller from the cluster. */
  substituteFromValues?: (binding: PreviewBinding) => Promise<Record<string, string>>;
  /**
   * Reads the ConfigMaps and Secrets of Flux HelmRelease `valuesFrom` (GET through the read-only client).
   * Without it (no cluster), HelmReleases are rendered with `spec.values` only and the plan notes say so.
   */
  readValuesSource?: ValuesSourceReader;
  signal?: AbortSignal;
  /** Overrides the PATH lookup of tools, for tests. */
  tools?: Partial<RenderTools>;
}

/** The external tools rendering may use. */
export interface RenderTools {
  /** Command and leading args that build a kustomization dir given as the last argument; undefined when neither kustomize nor kubectl exists. */
  kustomize?: { command: string; args: string[] };
  /** The helm binary (`helm` on PATH; tests inject a built one); undefined means charts are not rendered. */
  helm?: string;
}

const FILE_START: Range = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
const SKIP_DIRS = new Set(['node_modules', '.git', 'dist', 'out', '.vscode-test']);
const MAX_SCAN_FILES = 20_000;
/** Files read at once: enough to keep libuv's thread pool busy, far below the open-file limit. */
const READ_CONCURRENCY = 32;
/** kustomize / helm processes at once: each is CPU-bound for its whole run. */
const BUILD_CONCURRENCY = 4;
/** Texts kept for the length of one render, so that indexing and rendering read each file once. */
const TEXT_CACHE_BYTES = 64 * 1024 * 1024;

/**
 * The file texts of one render. Indexing reads every YAML file of the
 * repository anyway (to find bindings), and rendering reads most of them
 * again; keeping them for the length of the render halves the file-system
 * round trips, which dominate the render of many small files. Bounded by
 * {@link TEXT_CACHE_BYTES}: beyond it files are simply read again.
 */
class FileTexts {
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

/** Finds an executable on PATH without a shell. */
export async function findOnPath(name: string, envPath = process.env.PATH ?? ''): Promise<string | undefined> {
  for (const dir of envPath.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      await fs.access(candidate, fsConstants.X_OK);
      const st = await fs.stat(candidate);
      if (st.isFile()) return candidate;
    } catch {
      // Not here; keep looking.
    }
  }
  return undefined;
}

let toolsCache: { at: number; tools: Promise<RenderTools> } | undefined;

/** Detects kustomize (standalone first, it is usually newer) or `kubectl kustomize`, and helm; remembered for a minute. */
export function detectTools(): Promise<RenderTools> {
  if (!toolsCache || Date.now() - toolsCache.at > 60_000) toolsCache = { at: Date.now(), tools: detectToolsNow() };
  return toolsCache.tools;
}

async function detectToolsNow(): Promise<RenderTools> {
  const kustomize = await findOnPath('kustomize');
  const kubectl = kustomize ? undefined : await findOnPath('kubectl');
  const helm = await findOnPath('helm');
  return {
    kustomize: kustomize
      ? { command: kustomize, args: ['build', '--load-restrictor=LoadRestrictionsNone'] }
      : kubectl
        ? { command: kubectl, args: ['kustomize', '--load-restrictor=LoadRestrictionsNone'] }
        : undefined,
    helm,
  };
}

/** The message shown when a kustomization must be built and no tool exists. */
export const NO_KUSTOMIZE_MESSAGE =
  'Cannot build this kustomization: neither `kustomize` nor `kubectl` was found on PATH. Install kubectl (it includes kustomize) or kustomize, then preview again.';

/** Runs kustomize (execFile, no shell, 120 s); throws with the last lines of its own message. */
function run(command: string, args: string[], cwd: string, signal?: AbortSignal): Promise<string> {
  return runFile(command, args, { cwd, maxBuffer: 256 * 1024 * 1024, timeout: 120_000, signal, env: process.env, errorLines: 5 });
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await fs.stat(p)).isFile();
  } catch {
    return false;
  }
}

async function isDir(p: string): Promise<boolean> {
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

const isYaml = (f: string) => /\.ya?ml$/i.test(f);
const within = (child: string, parent: string) => child === parent || child.startsWith(parent.endsWith(path.sep) ? parent : parent + path.sep);

/**
 * All YAML files under `dir` (skipping node_modules, .git, dot folders), bounded.
 * Chart folders (a Chart.yaml and no kustomization file, Argo CD's "Helm" source type) go into `charts`.
 */
async function walkYaml(dir: string, out: string[] = [], signal?: AbortSignal, charts?: Set<string>): Promise<string[]> {
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

interface KustomizationInfo {
  dir: string;
  file: string;
  /** Referenced folders (other kustomizations). */
  dirs: string[];
  /** Referenced files (resources, patches, generator inputs). */
  files: string[];
  /** The referenced files that are patches (they do not declare objects, they change them). */
  patchFiles: string[];
}

const isRemote = (ref: string) => /^[a-z]+:\/\/|^github\.com\/|^git@|\?ref=/.test(ref);

async function readKustomization(dir: string, file: string, texts: FileTexts): Promise<KustomizationInfo> {
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

async function indexWith(root: string, texts: FileTexts, signal?: AbortSignal): Promise<RepoIndex> {
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
function kustomizeTree(index: RepoIndex, dir: string, seen = new Set<string>()): Set<string> {
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
function folderTree(index: RepoIndex, dir: string): Set<string> {
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
function withSiblingSources(candidates: Array<{ unit: RenderUnit; selected: boolean }>): RenderUnit[] {
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

function isKubeObject(v: unknown): v is KubeObject {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return false;
  const o = v as Record<string, unknown>;
  const meta = o.metadata as Record<string, unknown> | undefined;
  if (typeof o.apiVersion !== 'string' || typeof o.kind !== 'string' || !meta || typeof meta.name !== 'string') return false;
  // kustomization.yaml files and kustomize components are build inputs, not objects.
  return !(o.apiVersion.startsWith('kustomize.config.k8s.io/'));
}

/** Matches a rendered object back to the source document that declares it (best effort). */
function matchSource(object: KubeObject, docs: SourceDocument[]): SourceDocument | undefined {
  const name = object.metadata.name ?? '';
  const ns = object.metadata.namespace;
  const sameKind = docs.filter((d) => d.kind === object.kind && d.name);
  return (
    sameKind.find((d) => d.apiVersion === object.apiVersion && d.name === name && d.namespace === ns) ??
    sameKind.find((d) => d.name === name) ??
    // namePrefix / nameSuffix: the longest source name contained in the rendered name.
    sameKind.filter((d) => name.includes(d.name!)).sort((a, b) => b.name!.length - a.name!.length)[0]
  );
}

async function readSourceDocs(files: Iterable<string>, texts: FileTexts, signal?: AbortSignal): Promise<SourceDocument[]> {
  return readDocuments([...files].filter((f) => isYaml(f) || path.basename(f) === 'Kustomization'), texts, signal);
}

/** The documents of `files`, in order. */
async function readDocuments(files: string[], texts: FileTexts, signal?: AbortSignal): Promise<SourceDocument[]> {
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

/** Says what of a HelmRelease / Argo CD Helm source is not previewed; undefined when its local chart(s) are rendered. */
function helmNote(object: KubeObject, tools: RenderTools, root: string): string | undefined {
  if (!isHelmObject(object)) return undefined;
  if (!tools.helm) return 'chart contents not previewed: needs helm';
  const sources = (object.spec as { sources?: unknown[]; source?: unknown } | undefined)?.sources;
  const indexes = object.kind === 'Application' && Array.isArray(sources) && !(object.spec as { source?: unknown }).source ? sources.map((_, i) => i) : [undefined];
  for (const i of indexes) {
    const source = helmSourceOf(object, root, i);
    if (source?.kind === 'remote') return `chart contents not previewed: chart ${source.chart} comes from a remote repository`;
    if (source?.kind === 'invalid') return `chart contents not previewed: ${source.message}`;
  }
  return undefined;
}

/** The document of `file` that declares the binding (Flux Kustomization or Argo CD Application of that name and namespace). */
async function bindingDocument(file: string, binding: PreviewBinding, texts: FileTexts, signal?: AbortSignal): Promise<SourceDocument | undefined> {
  const kind = binding.agent === 'flux' ? 'Kustomization' : 'Application';
  const docs = await readSourceDocs([file], texts, signal);
  const named = docs.filter((d) => d.kind === kind && d.name === binding.name && !d.apiVersion?.startsWith('kustomize.config.k8s.io/'));
  return named.find((d) => (d.namespace ?? (binding.agent === 'flux' ? 'flux-system' : 'argocd')) === binding.namespace) ?? named[0];
}

/** Parses kustomize output (a multi-document YAML stream) into objects. */
function parseStream(text: string): KubeObject[] {
  return yamlStreamValues(text).filter(isKubeObject);
}

/** Applies a Flux binding's postBuild substitution to one object, as kustomize-controller does on its YAML. */
function substituteObject(object: KubeObject, vars: Record<string, string>): { object: KubeObject; unset: string[] } {
  if (substitutionDisabled(object)) return { object, unset: [] };
  const text = stableYaml(object);
  if (!text.includes('${')) return { object, unset: [] };
  const r = substituteVariables(text, vars);
  try {
    const parsed = parseYaml(r.text) as unknown;
    return isKubeObject(parsed) ? { object: parsed, unset: r.unset } : { object, unset: r.unset };
  } catch {
    return { object, unset: r.unset };
  }
}

type Rendered = { object: KubeObject; doc?: SourceDocument; mapped: boolean; patches?: SourceDocument[]; file?: string };

/** The objects of source documents, each mapped to its own document. */
function asIs(docs: SourceDocument[]): Rendered[] {
  return docs.filter((d) => isKubeObject(d.value)).map((d) => ({ object: d.value as KubeObject, doc: d, mapped: false }));
}

/** Helm output mapped to its template file (start of file: templates are not YAML), else to the declaring document. */
function fromHelm(rendered: HelmRenderedObject[], declaring: SourceDocument | undefined): Rendered[] {
  return rendered.map(({ object, templateFile }) =>
    templateFile ? { object, mapped: true, file: templateFile } : { object, doc: declaring, mapped: true },
  );
}

/** What rendering a unit needs besides the unit: shared by all units of one render. */
interface UnitContext {
  tools: RenderTools;
  /** Files that kustomizations use as patches. */
  patchFiles: Set<string>;
  texts: FileTexts;
  /** Bounds the kustomize / helm processes running at once. */
  builds: Limiter;
  /** The repository root: the build mirror of a Flux Kustomization's path starts there (flux-build.ts). */
  root: string;
  /** Notes found while rendering a unit, keyed by the unit's root, added to the plan's notes in unit order. */
  unitNotes: Map<string, string[]>;
  signal?: AbortSignal;
}

/**
 * kustomize build of a Flux Kustomization's path with the Kustomization's own
 * build settings written into (a mirror of) its kustomization.yaml, as
 * kustomize-controller does.
 */
async function fluxBuild(unit: RenderUnit, kustomize: NonNullable<RenderTools['kustomize']>, ctx: UnitContext): Promise<string> {
  return buildInMirror(unit, await fluxKustomizationText(unit.root, unit.binding!, ctx.signal), kustomize, ctx);
}

/**
 * kustomize build of the unit's path with `kustomizationText` as its
 * kustomization, in a mirror of the path (flux-build.ts) so the repository is
 * not written; paths of the mirror in kustomize's messages are given back as the repository's.
 */
async function buildInMirror(unit: RenderUnit, kustomizationText: string, kustomize: NonNullable<RenderTools['kustomize']>, ctx: UnitContext): Promise<string> {
  const mirror = await mirrorForBuild(ctx.root, unit.root, kustomizationText, ctx.signal);
  try {
    return await run(kustomize.command, [...kustomize.args, mirror.dir], mirror.dir, ctx.signal);
  } catch (e) {
    throw new Error((e as Error).message.split(mirror.root).join(mirror.base));
  } finally {
    await mirror.dispose();
  }
}

/** True when an Argo CD Application's kustomize options change the build of its path (argo-source.ts). */
export function needsArgoBuild(binding: PreviewBinding | undefined): boolean {
  return binding?.agent === 'argo' && !!binding.argo?.kustomize;
}

/**
 * kustomize build of an Argo CD Application's path after the `kustomize edit`
 * commands the repo-server runs for `spec.source.kustomize`, in a mirror of
 * the path (flux-build.ts) so the repository is not written. Like Argo CD, it
 * fails when the path has no kustomization file to edit.
 */
async function argoBuild(unit: RenderUnit, kustomize: NonNullable<RenderTools['kustomize']>, ctx: UnitContext): Promise<string> {
  const binding = unit.binding!;
  const own = await readOwnKustomization(unit.root);
  if (!own) throw new Error(`kustomization file not found in the path: Argo CD applies spec.source.kustomize with \`kustomize edit\`, which needs a kustomization.yaml in ${unit.root}`);
  const options = binding.argo!.kustomize!;
  const existing = await existingComponents(unit.root, options.components);
  const edited = editArgoKustomization(own, options, binding.argo!.env, (c) => existing.has(c));
  return buildInMirror(unit, stringifyYaml(edited, { lineWidth: 0 }), kustomize, ctx);
}

/** Directories an Argo CD directory source never descends into. */
const ARGO_SKIP_DIRS = new Set(['.git']);

/**
 * An Argo CD directory source (a folder without kustomization or chart), as
 * the repo-server reads it: top-level manifests only unless `recurse`,
 * filtered by include/exclude, YAML and JSON parsed, Jsonnet noted as not previewed.
 */
async function renderArgoDirectory(unit: RenderUnit, ctx: UnitContext): Promise<Rendered[]> {
  const options = unit.binding?.argo?.directory;
  const files: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    ctx.signal?.throwIfAborted();
    const entries = (await fs.readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      const p = path.join(dir, e.name);
      const rel = path.relative(unit.root, p).split(path.sep).join('/');
      if (e.isDirectory()) {
        if (options?.recurse && !ARGO_SKIP_DIRS.has(e.name)) await walk(p);
      } else if (e.isFile() && argoDirectoryIncludes(rel, options)) files.push(p);
    }
  };
  await walk(unit.root);
  const jsonnet = files.filter((f) => f.endsWith('.jsonnet'));
  if (jsonnet.length) {
    ctx.unitNotes.set(unit.root, [
      `${bindingLabel(unit.binding)}: Jsonnet files not previewed (${jsonnet.map((f) => path.relative(ctx.root, f)).join(', ')})`,
    ]);
  }
  const docs = await readDocuments(files.filter((f) => !f.endsWith('.jsonnet')), ctx.texts, ctx.signal);
  return asIs(docs);
}

async function renderUnit(unit: RenderUnit, ctx: UnitContext): Promise<Rendered[]> {
  const { tools, patchFiles, texts, signal } = ctx;
  if (unit.kind === 'file') {
    const docs = await readSourceDocs([unit.root], texts, signal);
    return asIs(docs);
  }
  if (unit.kind === 'helm') {
    if (!tools.helm || !unit.helm) return [];
    const helm = tools.helm;
    const chart = unit.helm;
    const [rendered, declaring] = await Promise.all([
      ctx.builds.run(() => renderHelmChart(helm, chart, signal)),
      unit.declaredIn && unit.binding ? bindingDocument(unit.declaredIn, unit.binding, texts, signal) : undefined,
    ]);
    return fromHelm(rendered, declaring);
  }
  // A Flux Kustomization with build settings of its own: built like the controller does, plain folder or not.
  const flux = (unit.kind === 'kustomize' || unit.kind === 'folder') && needsFluxBuild(unit.binding);
  const argo = (unit.kind === 'kustomize' || unit.kind === 'folder') && needsArgoBuild(unit.binding);
  if (unit.kind === 'folder' && unit.binding?.agent === 'argo' && !argo) return renderArgoDirectory(unit, ctx);
  if (unit.kind === 'kustomize' || flux || argo) {
    if (!tools.kustomize) throw new Error(NO_KUSTOMIZE_MESSAGE);
    const kustomize = tools.kustomize;
    // The build and the reading of its sources (for the source mapping) are independent: overlap them.
    const [out, all] = await Promise.all([
      ctx.builds.run(() =>
        flux ? fluxBuild(unit, kustomize, ctx) : argo ? argoBuild(unit, kustomize, ctx) : run(kustomize.command, [...kustomize.args, unit.root], unit.root, signal),
      ),
      readSourceDocs(unit.files, texts, signal),
    ]);
    const isPatch = (d: SourceDocument) => patchFiles.has(d.file);
    const declarations = all.filter((d) => !isPatch(d));
    const patchDocs = all.filter(isPatch);
    return parseStream(out).map((object) => {
      const doc = matchSource(object, declarations) ?? matchSource(object, patchDocs);
      const patches = patchDocs.filter((p) => p.kind === object.kind && p.name && (object.metadata.name ?? '').includes(p.name));
      return { object, doc, mapped: true, patches };
    });
  }
  // A plain folder: Flux generates a kustomization over it; nested kustomizations are built, other YAML read as is.
  // The folder is walked first (in name order) and its parts rendered in parallel; results keep the walk order.
  const parts: RenderUnit[] = [];
  const visit = async (dir: string): Promise<void> => {
    signal?.throwIfAborted();
    if (dir !== unit.root && (await kustomizationFileOf(dir))) {
      const files = [...unit.files].filter((f) => within(f, dir));
      parts.push({ root: dir, kind: 'kustomize', files: new Set(files) });
      return;
    }
    const entries = (await fs.readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory() && !SKIP_DIRS.has(e.name) && !e.name.startsWith('.')) await visit(p);
      else if (e.isFile() && isYaml(e.name)) parts.push({ root: p, kind: 'file', files: new Set([p]) });
    }
  };
  await visit(unit.root);
  return (await mapLimit(parts, READ_CONCURRENCY, (part) => renderUnit(part, ctx), signal)).flat();
}

/**
 * Renders the desired state of the selected paths. Rendering failures
 * (kustomize errors, no kustomize) become {@link RenderProblem}s, never exceptions;
 * only cancellation throws.
 */
export async function renderDesired(opts: RenderOptions): Promise<RenderResult> {
  const texts = new FileTexts();
  const [detected, index] = await Promise.all([detectTools(), indexWith(opts.root, texts, opts.signal)]);
  const tools: RenderTools = { ...detected, ...(opts.tools ?? {}) };
  const { units: allUnits, notes } = resolveUnits(index, opts.paths, opts.bindings, { helm: !!tools.helm });
  // A folder unit is also touched by a file deleted from it (the index no longer lists that file).
  const touched = (u: RenderUnit) =>
    [...u.files].some((f) => opts.onlyFiles!.has(f)) || (u.kind !== 'file' && [...opts.onlyFiles!].some((f) => within(f, u.root)));
  const units = opts.onlyFiles ? withSiblingSources(allUnits.map((unit) => ({ unit, selected: touched(unit) }))) : allUnits;
  const objects: DesiredObject[] = [];
  const problems: RenderProblem[] = [];
  const maskValues = new Set<string>();
  const patchFiles = new Set([...index.kustomizations.values()].flatMap((k) => k.patchFiles));
  const ctx: UnitContext = { tools, patchFiles, texts, builds: new Limiter(BUILD_CONCURRENCY), root: opts.root, unitNotes: new Map(), signal: opts.signal };
  // Units are rendered concurrently (file reads and kustomize builds overlap); their results are used in unit order.
  const settled = await mapLimit(
    units,
    READ_CONCURRENCY,
    (unit) => renderUnit(unit, ctx).then(
      (rendered) => ({ rendered }),
      (error: unknown) => {
        if (opts.signal?.aborted) throw error;
        return { error };
      },
    ),
    opts.signal,
  );
  for (const [i, unit] of units.entries()) {
    opts.signal?.throwIfAborted();
    const result = settled[i]!;
    for (const n of ctx.unitNotes.get(unit.root) ?? []) if (!notes.includes(n)) notes.push(n);
    let rendered: Rendered[];
    if ('rendered' in result) rendered = result.rendered;
    else {
      const e = result.error;
      // A build that applies the binding's own fields (Flux build fields, Argo CD kustomize options) may fail because of
      // them, and the agent reports it on the binding: point at its document.
      const bindingDoc =
        unit.declaredIn && (unit.kind === 'helm' || needsFluxBuild(unit.binding) || needsArgoBuild(unit.binding))
          ? await bindingDocument(unit.declaredIn, unit.binding!, texts, opts.signal)
          : undefined;
      const file = bindingDoc
        ? bindingDoc.file
        : unit.kind === 'file' ? unit.root : unit.kind === 'helm' ? (unit.declaredIn ?? unit.root) : ((await kustomizationFileOf(unit.root)) ?? unit.root);
      problems.push({
        unit: unit.root,
        label: path.relative(opts.root, unit.root) || '.',
        file,
        ...(bindingDoc ? { range: bindingDoc.range } : {}),
        message: `${unit.kind === 'helm' ? 'helm template failed' : 'kustomize build failed'}: ${(e as Error).message}`,
        binding: unit.binding,
      });
      continue;
    }
    let vars: Record<string, string> | undefined;
    if (unit.binding?.agent === 'flux' && (unit.binding.substitute || unit.binding.substituteFrom?.length)) {
      vars = { ...(opts.substituteFromValues ? await opts.substituteFromValues(unit.binding) : {}), ...(unit.binding.substitute ?? {}) };
    }
    const unsetAll = new Set<string>();
    const common = unit.binding?.agent === 'flux' ? unit.binding.build?.commonMetadata : undefined;
    for (const r of rendered) {
      let object = r.object;
      if (vars) {
        const s = substituteObject(object, vars);
        object = s.object;
        for (const u of s.unset) unsetAll.add(u);
      }
      // kustomize-controller sets commonMetadata after the substitution (so it is not substituted itself).
      if (common) object = applyCommonMetadata(object, common);
      // For plain files the document is the exact source; with onlyFiles, loose files keep only their own objects.
      if (opts.onlyFiles && unit.kind === 'file' && !opts.onlyFiles.has(unit.root)) continue;
      objects.push({
        object,
        binding: unit.binding,
        unit: unit.root,
        source: r.doc
          ? { file: r.doc.file, range: r.doc.range, document: r.doc, mapped: r.mapped, ...(r.patches?.length ? { patches: r.patches } : {}) }
          : r.file
            ? { file: r.file, range: FILE_START, mapped: true }
            : undefined,
        note: helmNote(object, tools, opts.root),
      });
      // A Flux HelmRelease of a chart in this repository: helm-controller renders it; so does the preview.
      if (tools.helm && object.kind === 'HelmRelease' && isHelmObject(object)) {
        const source = helmSourceOf(object, opts.root);
        if (source?.kind !== 'local') continue;
        const release = `HelmRelease ${object.metadata.namespace ? `${object.metadata.namespace}/` : ''}${object.metadata.name}`;
        let chart = source.chart;
        let secretValues: string[] = [];
        // Reported on the HelmRelease's document.
        const helmProblem = (message: string) =>
          problems.push({
            unit: unit.root,
            label: path.relative(opts.root, source.chart.chartDir) || '.',
            file: r.doc?.file ?? unit.root,
            ...(r.doc ? { range: r.doc.range } : {}),
            message,
            binding: unit.binding,
          });
        if (chart.valuesFrom?.length) {
          if (!opts.readValuesSource) {
            notes.push(`${release}: valuesFrom not applied (no cluster access): rendered with spec.values only`);
          } else {
            try {
              // A HelmRelease's inline values are always a map (render-helm.ts reads nothing else).
              const inline = chart.values as Record<string, unknown> | undefined;
              const resolved = await resolveValuesFrom(chart.valuesFrom, chart.valuesFromNamespace ?? 'default', opts.readValuesSource, inline);
              chart = { ...chart, values: resolved.values };
              secretValues = resolved.secretValues;
              for (const v of secretValues) {
                registerSecretValue(v);
                maskValues.add(v);
              }
              for (const n of resolved.notes) notes.push(`${release}: ${n}`);
            } catch (e) {
              if (opts.signal?.aborted) throw e;
              helmProblem(`${release} cannot be rendered: ${(e as Error).message}`);
              continue;
            }
          }
        }
        try {
          for (const h of fromHelm(await renderHelmChart(tools.helm, chart, opts.signal), r.doc)) {
            objects.push({
              object: h.object,
              unit: unit.root,
              source: h.doc ? { file: h.doc.file, range: h.doc.range, document: h.doc, mapped: true } : h.file ? { file: h.file, range: FILE_START, mapped: true } : undefined,
              ...(secretValues.length ? { maskValues: secretValues } : {}),
            });
          }
        } catch (e) {
          if (opts.signal?.aborted) throw e;
          helmProblem(`helm template failed for HelmRelease ${object.metadata.name}: ${(e as Error).message}`);
        }
      }
    }
    for (const o of objects) {
      if (o.unit !== unit.root || !o.note) continue;
      const n = `${o.object.kind} ${o.object.metadata.namespace ? `${o.object.metadata.namespace}/` : ''}${o.object.metadata.name}: ${o.note}`;
      if (!notes.includes(n)) notes.push(n);
    }
    if (unsetAll.size) {
      notes.push(`${unit.root}: postBuild variables without a value were replaced by empty strings, as Flux does: ${[...unsetAll].sort().join(', ')}`);
    }
  }
  return { objects, problems, notes, units, bindings: index.bindings.map((b) => b.binding), maskValues: [...maskValues] };
}
