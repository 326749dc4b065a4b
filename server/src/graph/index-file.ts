/**
 * Indexes one YAML file for the repository graph: for every document its
 * identity, the ranges of its name and top-level keys (the outline), the
 * values that name other objects (reference sites), and for kustomization
 * files the listed paths, generators and Helm charts. Parsing is the
 * manifests layer's (parseManifests, with its hostile-input limits); the
 * syntax tree is dropped afterwards, and bulky data kinds keep only their
 * identity, so the index of a whole repository stays small.
 */
import { isMap, isScalar, type Node } from 'yaml';
import type { Range } from '../findings.js';
import { isKustomizationFile } from '../manifests/classify-document.js';
import { nodeRange, parseManifests, rangeOfPath, type ManifestDocument, type ParsedManifestFile } from '../manifests/parse-manifests.js';
import type { DocumentSection, GeneratorEntry, HelmChartEntry, NameReferenceRule, PathEntry, RefSite } from './graph-types.js';
import { producedObjects, referenceSites, type ProducedWithoutRange } from './reference-sites.js';

/** One document of an indexed file. */
export interface IndexedDoc {
  index: number;
  apiVersion?: string;
  kind?: string;
  name?: string;
  namespace?: string;
  /**
   * The document as a plain object. ConfigMaps, Secrets and CRDs keep only
   * their identity (metadata, type, the CRD's names and scope): their data is
   * never needed and a Secret's must not be held.
   */
  value?: Record<string, unknown>;
  /** The whole document. */
  range: Range;
  /** The value of `metadata.name`. */
  nameRange?: Range;
  /** The value of `kind`. */
  kindRange?: Range;
  sections: DocumentSection[];
  sites: RefSite[];
  /** Objects a controller creates from this one (see reference-sites.ts `producedObjects`), with the range of the name. */
  produces: Array<ProducedWithoutRange & { range: Range }>;
  /** The items of a `List` kind (`ConfigMapList`, `RoleList`), which kustomize and kubectl expand into objects. */
  items?: Array<{ apiVersion: string; kind: string; name: string; namespace?: string; nameRange: Range }>;
  /** Ranges of a few fields the checks point at (`spec.selector`, `spec.destination.namespace`…), by dotted path. */
  anchors?: Record<string, Range>;
  /** Paths this document points at: a kustomization's entries, a Flux Kustomization's `spec.path` and components, an Argo CD source path. */
  paths: PathEntry[];
  /** Set for a kustomization (or kustomize Component) document. */
  kustomization?: KustomizationInfo;
}

/** What a kustomization document declares besides paths. */
export interface KustomizationInfo {
  component: boolean;
  namespace?: string;
  namePrefix?: string;
  nameSuffix?: string;
  generators: GeneratorEntry[];
  helmCharts: HelmChartEntry[];
  /** `configurations` files (paths as written), read for nameReference rules. */
  configurations: string[];
}

/** One indexed file. */
export interface IndexedFile {
  path: string;
  docs: IndexedDoc[];
  /** `# gitops-lens-ignore <codes>` comments: line → codes ('*' when none is named). */
  ignores: Map<number, Set<string>>;
  /** nameReference rules, when the file is a kustomize transformer configuration. */
  nameReferences?: NameReferenceRule[];
}

/** Documents larger than this keep only their identity (a 4 MB ConfigMap of dashboards has nothing to link). */
const MAX_VALUE_TEXT = 512 * 1024;
const DATA_KINDS = new Set(['ConfigMap', 'Secret', 'CustomResourceDefinition']);
/** The fields checks report on, per kind: the key of a selector, the value of a destination field. */
const ANCHORS: Record<string, Array<[string, 'key' | 'value']>> = {
  Service: [['spec.selector', 'key']],
  PodDisruptionBudget: [['spec.selector', 'key']],
  NetworkPolicy: [['spec.podSelector', 'key']],
  Application: [['spec.destination', 'key'], ['spec.destination.namespace', 'value'], ['spec.destination.server', 'value'], ['spec.destination.name', 'value']],
};
const IGNORE_COMMENT = /#\s*gitops-lens-ignore\b([^\n]*)/g;
const REMOTE = /^[a-z][a-z0-9+.-]*:\/\/|^github\.com\/|^gitlab\.com\/|^bitbucket\.org\/|^git@|^git::|\?ref=|\?version=|^oci:/i;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** True for a path that kustomize fetches from elsewhere (git, http, OCI). */
export function isRemotePath(p: string): boolean {
  return REMOTE.test(p);
}

/** Parses and indexes a file. Never throws; a file that is not YAML yields no documents. */
export function indexFile(path: string, text: string): IndexedFile {
  const parsed = parseManifests(text);
  const docs: IndexedDoc[] = [];
  const kustomizationFile = isKustomizationFile(path);
  for (const doc of parsed.documents) docs.push(indexDocument(parsed, doc, kustomizationFile));
  const file: IndexedFile = { path, docs, ignores: ignoreComments(text, parsed) };
  const rules = nameReferenceRules(docs);
  if (rules.length) file.nameReferences = rules;
  return file;
}

function ignoreComments(text: string, parsed: ParsedManifestFile): Map<number, Set<string>> {
  const out = new Map<number, Set<string>>();
  if (!text.includes('gitops-lens-ignore')) return out;
  for (const m of text.matchAll(IGNORE_COMMENT)) {
    const line = parsed.lines.positionAt(m.index).line;
    const codes = m[1].split(/[\s,]+/).filter((c) => /^[a-z0-9-]+$/.test(c));
    out.set(line, new Set(codes.length ? codes : ['*']));
  }
  return out;
}

function indexDocument(file: ParsedManifestFile, doc: ManifestDocument, kustomizationFile: boolean): IndexedDoc {
  const raw = doc.value;
  const value = isObj(raw) ? raw : undefined;
  const out: IndexedDoc = {
    index: doc.index,
    ...(doc.apiVersion ? { apiVersion: doc.apiVersion } : {}),
    ...(doc.kind ? { kind: doc.kind } : {}),
    ...(doc.name ? { name: doc.name } : {}),
    ...(doc.namespace ? { namespace: doc.namespace } : {}),
    range: doc.range,
    sections: sectionsOf(file, doc),
    sites: [],
    produces: [],
    paths: [],
  };
  if (!value) return out;
  if (doc.name) out.nameRange = rangeOfPath(file, doc, ['metadata', 'name'], 'value');
  if (doc.kind) out.kindRange = rangeOfPath(file, doc, ['kind'], 'value');
  // As classify-document.ts decides: a kustomization file holding another object (a Flux Kustomization) is that object.
  const isKustomization = doc.apiVersion?.startsWith('kustomize.config.k8s.io/') || (kustomizationFile && !doc.apiVersion);
  const range = (path: Array<string | number>) => rangeOfPath(file, doc, path, 'value');
  if (isKustomization) {
    out.kustomization = kustomizationInfo(value, range, out.paths);
    out.value = value;
    return out;
  }
  for (const s of referenceSites(value)) out.sites.push({ ...s, range: range(s.path) });
  for (const p of producedObjects(value)) out.produces.push({ ...p, range: range(p.path) });
  const anchorPaths = ANCHORS[doc.kind ?? ''];
  if (anchorPaths) {
    const anchors: Record<string, Range> = {};
    for (const [dotted, part] of anchorPaths) {
      const keys = dotted.split('.');
      let v: unknown = value;
      for (const k of keys) v = isObj(v) ? v[k] : undefined;
      if (v !== undefined) anchors[dotted] = rangeOfPath(file, doc, keys, part);
    }
    out.anchors = anchors;
  }
  agentPaths(value, range, out.paths);
  if (!doc.kind) {
    // Not an object: kept only when it is a kustomize transformer configuration (nameReference rules).
    if (isObj(value) && Array.isArray(value.nameReference)) out.value = value;
    return out;
  }
  if (doc.kind.endsWith('List') && Array.isArray(value.items)) {
    out.items = [];
    value.items.forEach((item, i) => {
      if (!isObj(item) || !isObj(item.metadata) || !str(item.apiVersion) || !str(item.kind) || !str(item.metadata.name)) return;
      const ns = str(item.metadata.namespace);
      out.items!.push({ apiVersion: str(item.apiVersion)!, kind: str(item.kind)!, name: str(item.metadata.name)!, ...(ns ? { namespace: ns } : {}), nameRange: range(['items', i, 'metadata', 'name']) });
    });
    out.value = identityOf(value);
    return out;
  }
  out.value = DATA_KINDS.has(doc.kind) || doc.text.length > MAX_VALUE_TEXT ? identityOf(value) : value;
  return out;
}

/** The identity of a data object: what linking needs, never the data. */
function identityOf(value: Obj): Obj {
  const meta = isObj(value.metadata) ? value.metadata : {};
  const out: Obj = {
    apiVersion: value.apiVersion,
    kind: value.kind,
    metadata: { name: meta.name, namespace: meta.namespace, labels: meta.labels, annotations: meta.annotations },
  };
  if (value.kind === 'Secret' && typeof value.type === 'string') out.type = value.type;
  if (value.kind === 'CustomResourceDefinition' && isObj(value.spec)) {
    out.spec = { group: value.spec.group, scope: value.spec.scope, names: isObj(value.spec.names) ? { kind: value.spec.names.kind } : undefined };
  }
  return out;
}

function sectionsOf(file: ParsedManifestFile, doc: ManifestDocument): DocumentSection[] {
  const contents = doc.document.contents as unknown;
  if (!isMap(contents)) return [];
  const out: DocumentSection[] = [];
  for (const pair of contents.items) {
    if (!isScalar(pair.key)) continue;
    const key = String(pair.key.value);
    const keyRange = nodeRange(file, doc, pair.key as Node);
    const valueNode = pair.value as Node | null;
    const end = valueNode?.range ? file.lines.positionAt(doc.offset + valueNode.range[1]) : keyRange.end;
    // A block value's range ends at the next line's start; keep the section on its own lines.
    const endTrimmed = end.character === 0 && end.line > keyRange.start.line ? file.lines.lineRange(end.line - 1).end : end;
    out.push({ key, range: { start: keyRange.start, end: endTrimmed }, selectionRange: keyRange });
  }
  return out;
}

function kustomizationInfo(value: Obj, range: (path: Array<string | number>) => Range, paths: PathEntry[]): KustomizationInfo {
  const add = (field: string, path: Array<string | number>, raw: unknown, expect: PathEntry['expect']) => {
    const v = str(raw);
    // Inline patches (a YAML document in a string) are not paths.
    if (!v || v.includes('\n')) return;
    paths.push({ field, value: v, range: range(path), expect, base: 'kustomization', ...(isRemotePath(v) ? { remote: true } : {}) });
  };
  for (const key of ['resources', 'bases']) arr(value[key]).forEach((r, i) => add(key, [key, i], r, 'file-or-dir'));
  arr(value.components).forEach((r, i) => add('components', ['components', i], r, 'dir'));
  arr(value.crds).forEach((r, i) => add('crds', ['crds', i], r, 'file'));
  arr(value.patchesStrategicMerge).forEach((r, i) => add('patchesStrategicMerge', ['patchesStrategicMerge', i], r, 'file'));
  for (const key of ['patches', 'patchesJson6902']) arr(value[key]).forEach((p, i) => {
    if (isObj(p)) add(key, [key, i, 'path'], p.path, 'file');
    else add(key, [key, i], p, 'file');
  });
  for (const key of ['configurations', 'transformers', 'generators', 'validators']) arr(value[key]).forEach((r, i) => add(key, [key, i], r, 'file-or-dir'));
  arr(value.replacements).forEach((r, i) => isObj(r) && add('replacements', ['replacements', i, 'path'], r.path, 'file'));
  if (isObj(value.openapi)) add('openapi', ['openapi', 'path'], value.openapi.path, 'file');
  const hashOff = isObj(value.generatorOptions) && value.generatorOptions.disableNameSuffixHash === true;
  const generators: GeneratorEntry[] = [];
  for (const key of ['configMapGenerator', 'secretGenerator'] as const) {
    arr(value[key]).forEach((g, i) => {
      if (!isObj(g)) return;
      const field = `${key}`;
      for (const list of ['files', 'envs'] as const) {
        arr(g[list]).forEach((f, j) => {
          const s = str(f);
          if (!s) return;
          // `files: [key=path]`: the path is what follows the first `=`.
          const eq = list === 'files' ? s.indexOf('=') : -1;
          const p = eq >= 0 ? s.slice(eq + 1) : s;
          const r = range([key, i, list, j]);
          const shifted = eq >= 0 ? subRange(r, s, eq + 1, p.length) : r;
          paths.push({ field: `${field}.${list}`, value: p, range: shifted, expect: 'file', base: 'kustomization' });
        });
      }
      if (str(g.env)) add(`${field}.env`, [key, i, 'env'], g.env, 'file');
      const name = str(g.name);
      if (!name) return;
      const options = isObj(g.options) ? g.options : {};
      const behavior = g.behavior === 'merge' || g.behavior === 'replace' ? g.behavior : 'create';
      generators.push({
        kind: key === 'configMapGenerator' ? 'ConfigMap' : 'Secret',
        name,
        ...(str(g.namespace) ? { namespace: str(g.namespace) } : {}),
        range: range([key, i, 'name']),
        hashed: !(hashOff || options.disableNameSuffixHash === true),
        behavior,
      });
    });
  }
  const helmCharts: HelmChartEntry[] = [];
  arr(value.helmCharts).forEach((c, i) => {
    if (!isObj(c) || !str(c.name)) return;
    if (str(c.valuesFile)) add('helmCharts.valuesFile', ['helmCharts', i, 'valuesFile'], c.valuesFile, 'file');
    // kustomize looks for the chart in <chartHome>/<name> (default charts/) before pulling it from its repository.
    const home = isObj(value.helmGlobals) && str(value.helmGlobals.chartHome) ? str(value.helmGlobals.chartHome)! : 'charts';
    paths.push({ field: 'helmCharts', value: `${home.replace(/\/+$/, '')}/${str(c.name)}`, range: range(['helmCharts', i, 'name']), expect: 'dir', base: 'kustomization', optional: true });
    helmCharts.push({ name: str(c.name)!, ...(str(c.releaseName) ? { releaseName: str(c.releaseName) } : {}), ...(str(c.namespace) ? { namespace: str(c.namespace) } : {}), range: range(['helmCharts', i, 'name']) });
  });
  return {
    component: value.kind === 'Component',
    ...(str(value.namespace) ? { namespace: str(value.namespace) } : {}),
    ...(str(value.namePrefix) ? { namePrefix: str(value.namePrefix) } : {}),
    ...(str(value.nameSuffix) ? { nameSuffix: str(value.nameSuffix) } : {}),
    generators,
    helmCharts,
    configurations: arr(value.configurations).map(str).filter((s): s is string => !!s && !s.includes('\n')),
  };
}

/** The range of `length` characters at `offset` inside a one-line scalar `s` whose range is `r` (quotes allowed). */
function subRange(r: Range, s: string, offset: number, length: number): Range {
  if (r.start.line !== r.end.line) return r;
  const quoted = r.end.character - r.start.character === s.length + 2 ? 1 : 0;
  const start = r.start.character + quoted + offset;
  return { start: { line: r.start.line, character: start }, end: { line: r.start.line, character: start + length } };
}

/** Flux Kustomization `spec.path` and `spec.components`; Argo CD Application source paths. */
function agentPaths(value: Obj, range: (path: Array<string | number>) => Range, paths: PathEntry[]): void {
  const apiVersion = str(value.apiVersion) ?? '';
  const spec = isObj(value.spec) ? value.spec : undefined;
  if (!spec) return;
  const add = (field: string, path: Array<string | number>, raw: unknown, expect: PathEntry['expect'], base: PathEntry['base']) => {
    const v = str(raw);
    if (!v || v.includes('\n') || v.includes('{{')) return;
    paths.push({ field, value: v, range: range(path), expect, base, ...(isRemotePath(v) ? { remote: true } : {}) });
  };
  if (value.kind === 'Kustomization' && apiVersion.startsWith('kustomize.toolkit.fluxcd.io/')) {
    add('spec.path', ['spec', 'path'], spec.path, 'dir', 'root');
    arr(spec.components).forEach((c, i) => add('spec.components', ['spec', 'components', i], c, 'dir', 'flux-path'));
  } else if (value.kind === 'Application' && apiVersion.startsWith('argoproj.io/')) {
    if (isObj(spec.source)) add('spec.source.path', ['spec', 'source', 'path'], spec.source.path, 'dir', 'root');
    arr(spec.sources).forEach((s, i) => isObj(s) && add('spec.sources.path', ['spec', 'sources', i, 'path'], s.path, 'dir', 'root'));
  }
}

/** nameReference rules of a kustomize transformer configuration file (`configurations:`). */
function nameReferenceRules(docs: IndexedDoc[]): NameReferenceRule[] {
  const out: NameReferenceRule[] = [];
  for (const d of docs) {
    // Configuration files have no apiVersion/kind; their value is kept only when they are not objects.
    const v = d.value;
    if (!v || d.kind || d.kustomization) continue;
    for (const ref of arr(v.nameReference)) {
      if (!isObj(ref) || !str(ref.kind)) continue;
      for (const fs of arr(ref.fieldSpecs)) {
        if (!isObj(fs) || !str(fs.path)) continue;
        out.push({ targetKind: str(ref.kind)!, ...(str(fs.kind) ? { referrerKind: str(fs.kind) } : {}), path: str(fs.path)! });
      }
    }
  }
  return out;
}
