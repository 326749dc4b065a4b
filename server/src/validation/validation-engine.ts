/**
 * The validation engine used by the language server and the CLI: keeps the
 * workspace index and schema registry current, validates files with a cache
 * per YAML document, and answers hover and completion from the same schemas.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, parseAllDocuments, type Node } from 'yaml';
import type { Finding, Position, Range } from '../findings.js';
import { classifyDocument, isHelmTemplate, WorkspaceIndex, type DocumentClass } from '../manifests/classify-document.js';
import { parseManifests, type ManifestDocument, type ParseCache, type ParsedManifestFile, type ParseOptions } from '../manifests/parse-manifests.js';
import { isCrd } from '../schemas/crd-schemas.js';
import { SchemaRegistry, type FlatSchema, type ResolvedKind } from '../schemas/schema-registry.js';
import { joinApiVersion } from '../schemas/schema-types.js';
import { describeType } from './schema-validator.js';
import type { RawFinding } from './schema-validator.js';
import { rootSchemaFor, validateDocument, type CoverageCounts, type DocumentContext } from './validate-document.js';

/** A completion item, protocol-neutral. */
export interface CompletionCandidate {
  label: string;
  kind: 'property' | 'value';
  detail?: string;
  documentation?: string;
  insertText?: string;
}

/** Options of the engine. */
export interface EngineOptions {
  registry: SchemaRegistry;
  index?: WorkspaceIndex;
  /** Parse limits (file size, aliases, document count). */
  limits?: Omit<ParseOptions, 'cache'>;
}

/** The validation of one document: its findings and its share of the schema coverage. */
interface DocumentResult extends CoverageCounts {
  findings: RawFinding[];
}

interface FileCache {
  parse: ParseCache;
  documents: Map<string, DocumentResult>;
  crdKey?: string;
}

const MAX_CACHED_FILES = 500;
const ROOT_KEYS = ['apiVersion', 'kind', 'metadata'];
const SERVER_SET_METADATA = new Set(['creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generation', 'managedFields', 'resourceVersion', 'selfLink', 'uid']);

/** The engine: pure text in, findings out. */
export class ValidationEngine {
  readonly registry: SchemaRegistry;
  readonly index: WorkspaceIndex;
  private readonly limits: Omit<ParseOptions, 'cache'>;
  private readonly files = new Map<string, FileCache>();
  private readonly crdFiles = new Set<string>();
  /** How many documents the last `validate` call actually validated (the rest came from the cache); for tests and benchmarks. */
  lastValidatedDocuments = 0;
  /**
   * Schema coverage summed over every `validate`/`validateOnce` call: the
   * Kubernetes objects seen (each List item counts) and how many had a
   * schema. The CLI reports it; reset it with {@link resetCoverage}.
   */
  readonly coverage: CoverageCounts = { objects: 0, withSchema: 0 };

  constructor(opts: EngineOptions) {
    this.registry = opts.registry;
    this.index = opts.index ?? new WorkspaceIndex();
    this.limits = opts.limits ?? {};
  }

  /**
   * Sets the Kubernetes version built-in kinds are validated for (`1.34`, `v1.34.2`; empty: the
   * bound cluster's, else the newest bundled). Returns the version in effect; a change
   * invalidates the caches through the registry's generation.
   */
  setKubernetesVersion(version: string): string {
    return this.registry.setKubernetesVersion(version);
  }

  /** Sets the schema coverage counters back to zero. */
  resetCoverage(): void {
    this.coverage.objects = 0;
    this.coverage.withSchema = 0;
  }

  /** What the workspace index says about a file that validation of its documents needs. */
  private contextOf(path: string): DocumentContext {
    const kustomizeNamespaces = this.index.kustomizeNamespaces.namespacesOfBuilds(path);
    return kustomizeNamespaces.length ? { kustomizeNamespaces } : {};
  }

  /** Tells the engine about any workspace file (`text` undefined: deleted), keeping classification and CRD schemas current. */
  updateWorkspaceFile(path: string, text: string | undefined): void {
    this.index.updateFile(path, text);
    if (text === undefined) {
      this.files.delete(path);
      if (this.crdFiles.delete(path)) this.registry.removeSource(path);
      return;
    }
    if (text.includes('CustomResourceDefinition') || this.crdFiles.has(path)) this.learnCrds(path, text);
  }

  /**
   * Drops the per-file caches of a file that will not be validated again soon
   * (the CLI calls it after each file). What the file taught the engine
   * (kustomization, CRDs) stays.
   */
  releaseFile(path: string): void {
    const c = this.files.get(path);
    if (c) {
      c.parse.clear();
      c.documents.clear();
    }
  }

  private learnCrds(path: string, text: string, parsed?: ParsedManifestFile): void {
    const file = parsed ?? parseManifests(text, this.limits);
    const crdDocs = file.documents.filter((d) => isCrd(d.value));
    const crds = crdDocs.map((d) => d.value);
    // The documents' text identifies the CRDs cheaply; re-reading them only on change keeps typing fast.
    const key = crdDocs.map((d) => d.text).join('\u0000');
    const cache = this.cacheFor(path);
    if (cache.crdKey === key) return;
    cache.crdKey = key;
    if (crds.length) {
      this.crdFiles.add(path);
      this.registry.setWorkspaceCrds(path, crds);
    } else if (this.crdFiles.delete(path)) {
      this.registry.removeSource(path);
    }
  }

  private cacheFor(path: string): FileCache {
    let c = this.files.get(path);
    if (!c) {
      if (this.files.size >= MAX_CACHED_FILES) this.files.delete(this.files.keys().next().value!);
      c = { parse: new Map(), documents: new Map() };
      this.files.set(path, c);
    }
    return c;
  }

  /** Parses a file with this engine's limits and its per-file cache. */
  parse(path: string, text: string): ParsedManifestFile {
    return parseManifests(text, { ...this.limits, cache: this.cacheFor(path).parse });
  }

  /** Classification of each document of a file. */
  classify(path: string, text: string, file = this.parse(path, text)): DocumentClass[] {
    return file.documents.map((d) => classifyDocument(path, d, this.index, text));
  }

  /** All findings for one file, sorted by position. Only documents whose text changed are revalidated. */
  validate(path: string, text: string): Finding[] {
    this.lastValidatedDocuments = 0;
    if (this.isNotParsed(path, text)) return [];
    const file = this.parse(path, text);
    if (text.includes('CustomResourceDefinition') || this.crdFiles.has(path)) this.learnCrds(path, text, file);
    const cache = this.cacheFor(path);
    const generation = `${this.registry.generation}:${this.index.generation}`;
    const next = new Map<string, DocumentResult>();
    const findings: Finding[] = [];
    const quiet: ManifestDocument[] = [];
    const ctx = this.contextOf(path);
    this.lastValidatedDocuments = 0;
    for (const doc of file.documents) {
      const cls = classifyDocument(path, doc, this.index, text);
      if (cls === 'ignored' || cls === 'helm') quiet.push(doc);
      const key = `${generation}|${cls}|${doc.text}`;
      let result = cache.documents.get(key) ?? next.get(key);
      if (!result) {
        result = safeValidate(this.registry, doc, cls, ctx);
        this.lastValidatedDocuments++;
      }
      next.set(key, result);
      this.coverage.objects += result.objects;
      this.coverage.withSchema += result.withSchema;
      pushFindings(findings, file, doc, result.findings);
    }
    cache.documents = next;
    return withoutQuietWarnings(file.findings, quiet).concat(findings).sort(byPosition);
  }

  /**
   * True for files that are not YAML for the cluster, so not even parsed:
   * Helm templates, and kustomize generator inputs (configMapGenerator
   * `files:`/`envs:` are data that kustomize copies as text, whatever their
   * extension).
   */
  private isNotParsed(path: string, text: string): boolean {
    return isHelmTemplate(path, text, this.index) || this.index.isGeneratorInput(path);
  }

  /**
   * The findings of `validate` for a file that will not be validated again
   * (the CLI): nothing is cached, and each document is validated as soon as it
   * is parsed, so its syntax tree is garbage before the next one is built.
   * A file that defines CRDs takes the `validate` path, because its CRDs must
   * be learned before any of its documents is validated.
   */
  validateOnce(path: string, text: string): Finding[] {
    if (text.includes('CustomResourceDefinition') || this.crdFiles.has(path)) {
      const findings = this.validate(path, text);
      this.releaseFile(path);
      return findings;
    }
    this.lastValidatedDocuments = 0;
    if (this.isNotParsed(path, text)) return [];
    const documentFindings: Finding[] = [];
    const quiet: Pick<ManifestDocument, 'range'>[] = [];
    const ctx = this.contextOf(path);
    const file = parseManifests(text, {
      ...this.limits,
      onDocument: (doc, parsed) => {
        const cls = classifyDocument(path, doc, this.index, text);
        if (cls === 'ignored' || cls === 'helm') quiet.push({ range: doc.range });
        const result = safeValidate(this.registry, doc, cls, ctx);
        this.lastValidatedDocuments++;
        this.coverage.objects += result.objects;
        this.coverage.withSchema += result.withSchema;
        pushFindings(documentFindings, parsed, doc, result.findings);
      },
    });
    const findings = withoutQuietWarnings(file.findings, quiet).concat(documentFindings);
    return findings.sort(byPosition);
  }

  /** Hover: a field's description, type and allowed values. */
  hover(path: string, text: string, position: Position): { markdown: string; range: Range } | undefined {
    const file = this.parse(path, text);
    if (position.line >= file.lines.lineCount) return undefined;
    const offset = file.lines.offsetAt(position);
    const doc = documentAt(file, offset);
    if (!doc) return undefined;
    const cls = classifyDocument(path, doc, this.index, text);
    const root = rootSchemaFor(this.registry, cls, doc);
    if (!root) return undefined;
    const hit = nodePathAt(doc, offset - doc.offset);
    if (!hit || hit.path.length === 0) return undefined;
    const schema = this.registry.descend(root, hit.path);
    if (!schema) return undefined;
    const field = hit.path[hit.path.length - 1];
    const lines: string[] = [];
    const title = typeof field === 'number' ? `item [${field}]` : field;
    lines.push(`**${title}** · \`${describeType(schema)}\``);
    if (hit.path[0] === 'kind' || hit.path[0] === 'apiVersion') {
      const resolved = doc.apiVersion && doc.kind ? this.registry.lookupKind(doc.apiVersion, doc.kind) : undefined;
      if (resolved) {
        lines.push('', `${doc.kind} (${doc.apiVersion}): ${resolved.schema.description ?? ''}`.trim());
        lines.push('', `_Schema: ${schemaSourceLabel(this.registry, resolved)}_`);
      }
    } else if (schema.description) {
      lines.push('', schema.description);
    }
    if (schema.enum?.length) lines.push('', `Allowed values: ${schema.enum.map((e) => `\`${String(e)}\``).join(', ')}`);
    const parent = this.registry.descend(root, hit.path.slice(0, -1));
    if (typeof field === 'string' && parent?.required?.includes(field)) lines.push('', 'Required.');
    const r = hit.range;
    return { markdown: lines.join('\n'), range: file.lines.range(doc.offset + r[0], doc.offset + r[1]) };
  }

  /** Completion: keys of the enclosing object, or values of an enum/boolean/kind field. */
  complete(path: string, text: string, position: Position): CompletionCandidate[] {
    try {
      return this.completeUnsafe(path, text, position);
    } catch {
      return [];
    }
  }

  private completeUnsafe(path: string, text: string, position: Position): CompletionCandidate[] {
    const file = this.parse(path, text);
    const offset = file.lines.offsetAt(position);
    const doc = documentAt(file, offset) ?? file.documents[file.documents.length - 1];
    if (!doc) return /^\s*$/.test(text) ? ROOT_KEYS.map((k) => ({ label: k, kind: 'property', insertText: `${k}: ` })) : [];
    const local = offset - doc.offset;
    const lineStart = doc.text.lastIndexOf('\n', local - 1) + 1;
    let lineEnd = doc.text.indexOf('\n', local);
    if (lineEnd < 0) lineEnd = doc.text.length;
    const before = doc.text.slice(lineStart, local);
    const valueMatch = /^(\s*(?:-\s+)*)([^\s#:'"][^:#]*?):\s+(\S*)$/.exec(before);
    const keyMatch = /^(\s*(?:-\s+)*)([\w.$/-]*)$/.exec(before);
    const MARK = '__gitops_lens_completion__';
    let probe: string;
    if (valueMatch) probe = doc.text.slice(0, lineStart) + `${valueMatch[1]}${valueMatch[2]}: ${MARK}` + doc.text.slice(lineEnd);
    else if (keyMatch) probe = doc.text.slice(0, lineStart) + `${keyMatch[1]}${MARK}: x` + doc.text.slice(lineEnd);
    else return [];
    const [probeDoc] = parseAllDocuments(probe, { prettyErrors: false, uniqueKeys: false, logLevel: 'error' });
    if (!probeDoc || (probeDoc as any).errors === undefined) return [];
    const found = findMarker((probeDoc as any).contents, MARK, []);
    if (!found) return [];
    const value = (probeDoc as any).toJS?.({ maxAliasCount: 100 }) as Record<string, unknown> | null;
    const apiVersion = typeof value?.apiVersion === 'string' ? value.apiVersion : doc.apiVersion;
    const kind = typeof value?.kind === 'string' ? value.kind : doc.kind;
    const cls = classifyDocument(path, { value, apiVersion, kind }, this.index, text);
    if (valueMatch && found.path.length === 1 && found.path[0] === 'kind') return this.kindCandidates(apiVersion);
    if (valueMatch && found.path.length === 1 && found.path[0] === 'apiVersion') return this.apiVersionCandidates(kind);
    const root = rootSchemaFor(this.registry, cls, { apiVersion, kind });
    if (!root) {
      if (keyMatch && found.path.length === 1 && cls !== 'helm') {
        return ROOT_KEYS.filter((k) => !found.siblings.includes(k)).map((k) => ({ label: k, kind: 'property', insertText: `${k}: ` }));
      }
      return [];
    }
    if (valueMatch) {
      const schema = this.registry.descend(root, found.path);
      if (!schema) return [];
      if (schema.enum?.length) return schema.enum.map((e) => ({ label: String(e), kind: 'value', detail: describeType(schema) }));
      if (schema.type === 'boolean') return ['true', 'false'].map((b) => ({ label: b, kind: 'value', detail: 'boolean' }));
      return [];
    }
    const parent = this.registry.descend(root, found.path.slice(0, -1));
    if (!parent?.properties) return [];
    const out: CompletionCandidate[] = [];
    for (const [name, node] of Object.entries(parent.properties)) {
      if (found.siblings.includes(name) || name === 'status') continue;
      // Fields the API server fills in are noise when writing a manifest.
      if (found.path.length === 2 && found.path[0] === 'metadata' && SERVER_SET_METADATA.has(name)) continue;
      const s = this.registry.child(parent, node) as FlatSchema;
      const t = s.type === 'object' || s.properties ? ':\n' : s.type === 'array' ? ':\n- ' : ': ';
      out.push({
        label: name,
        kind: 'property',
        detail: `${describeType(s)}${parent.required?.includes(name) ? ' (required)' : ''}`,
        documentation: s.description,
        insertText: t === ': ' ? `${name}: ` : `${name}:`,
      });
    }
    return out.sort((a, b) => a.label.localeCompare(b.label));
  }

  private kindCandidates(apiVersion: string | undefined): CompletionCandidate[] {
    const kinds = apiVersion ? this.registry.kindsOfApiVersion(apiVersion) : [];
    const list = kinds.length ? kinds : [...new Set(this.registry.allKinds().map((k) => k.kind))].sort();
    return list.map((k) => ({ label: k, kind: 'value', detail: apiVersion && kinds.length ? apiVersion : this.registry.apiVersionsOfKind(k).join(', ') }));
  }

  private apiVersionCandidates(kind: string | undefined): CompletionCandidate[] {
    const versions = kind ? this.registry.apiVersionsOfKind(kind) : [];
    const list = versions.length ? versions : [...new Set(this.registry.allKinds().map((k) => joinApiVersion(k.group, k.version)))].sort();
    return list.map((v) => ({ label: v, kind: 'value' }));
  }
}

/** Where a kind's schema came from, for hover: `bundled, Kubernetes v1.37.2`, `catalog: cert-manager v1.21.2 (module)`. */
export function schemaSourceLabel(registry: SchemaRegistry, resolved: ResolvedKind): string {
  if (resolved.origin === 'bundled') return `bundled, Kubernetes ${registry.kubernetesVersion}`;
  if (resolved.origin === 'catalog' && resolved.project) return `catalog: ${resolved.project.name} ${resolved.project.version} (${resolved.project.module})`;
  return resolved.origin;
}

/** Adds a document's findings (offsets relative to the document) to `out` as findings of the file. */
function pushFindings(out: Finding[], file: ParsedManifestFile, doc: ManifestDocument, raw: RawFinding[]): void {
  for (const r of raw) {
    out.push({ range: file.lines.range(doc.offset + r.start, doc.offset + r.end), severity: r.severity, code: r.code, message: r.message, source: 'gitops-lens', ...(r.data === undefined ? {} : { data: r.data }) });
  }
}

/** Orders findings by their start position. */
function byPosition(a: Finding, b: Finding): number {
  return a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character;
}

function safeValidate(registry: SchemaRegistry, doc: ManifestDocument, cls: DocumentClass, ctx: DocumentContext): DocumentResult {
  const counts: CoverageCounts = { objects: 0, withSchema: 0 };
  try {
    return { findings: validateDocument(registry, doc, cls, ctx, counts), ...counts };
  } catch (err) {
    // A bug must not cost the user their other diagnostics; report it where it happened.
    return { findings: [{ start: 0, end: 1, severity: 'warning', code: 'internal-error', message: `GitOps Lens could not validate this document (${err instanceof Error ? err.message : String(err)}). Please report this.` }], objects: 0, withSchema: 0 };
  }
}

function within(p: Position, r: Range): boolean {
  const afterStart = p.line > r.start.line || (p.line === r.start.line && p.character >= r.start.character);
  const beforeEnd = p.line < r.end.line || (p.line === r.end.line && p.character <= r.end.character);
  return afterStart && beforeEnd;
}

/**
 * The parse findings without YAML warnings (an unresolved application tag
 * such as `!env_var`, …) inside documents that are not validated: such a
 * document is some other tool's YAML, and its tags are that tool's business.
 * Syntax errors stay: no tool can read a broken file.
 */
function withoutQuietWarnings(findings: Finding[], quiet: Pick<ManifestDocument, 'range'>[]): Finding[] {
  if (quiet.length === 0) return findings;
  return findings.filter((f) => f.code !== 'yaml-warning' || !quiet.some((d) => within(f.range.start, d.range)));
}

function documentAt(file: ParsedManifestFile, offset: number): ManifestDocument | undefined {
  let hit: ManifestDocument | undefined;
  for (const d of file.documents) {
    if (d.offset <= offset) hit = d;
    else break;
  }
  return hit;
}

/** The JSON path and range of the key or value under a document-relative offset. */
export function nodePathAt(doc: ManifestDocument, offset: number): { path: (string | number)[]; range: [number, number] } | undefined {
  const path: (string | number)[] = [];
  let node = doc.document.contents as Node | null;
  let range: [number, number] | undefined;
  for (let depth = 0; node && depth < 200; depth++) {
    if (isAlias(node)) return range ? { path, range } : undefined;
    if (isMap(node)) {
      const pair = node.items.find((p) => {
        const k = p.key as Node | null;
        const v = p.value as Node | null;
        const start = k?.range?.[0] ?? v?.range?.[0] ?? Infinity;
        const end = v?.range?.[1] ?? k?.range?.[1] ?? -1;
        return offset >= start && offset <= end;
      });
      if (!pair || !isScalar(pair.key)) break;
      path.push(String(pair.key.value));
      const k = pair.key.range!;
      if (offset <= k[1]) return { path, range: [k[0], k[1]] };
      range = [k[0], k[1]];
      node = pair.value as Node | null;
      if (isScalar(node) && node.range) return { path, range: [node.range[0], node.range[1]] };
    } else if (isSeq(node)) {
      const i = node.items.findIndex((it) => {
        const r = (it as Node | null)?.range;
        return r && offset >= r[0] && offset <= r[1];
      });
      if (i < 0) break;
      path.push(i);
      node = node.items[i] as Node;
      if (isScalar(node) && node.range) return { path, range: [node.range[0], node.range[1]] };
    } else break;
  }
  return range ? { path, range } : undefined;
}

function findMarker(node: unknown, mark: string, path: (string | number)[]): { path: (string | number)[]; siblings: string[] } | undefined {
  if (isMap(node)) {
    const keys = node.items.map((p) => (isScalar(p.key) ? String(p.key.value) : ''));
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const key = isScalar(pair.key) ? String(pair.key.value) : '';
      if (key === mark) return { path: [...path, key], siblings: keys.filter((k) => k !== mark) };
      if (isScalar(pair.value) && pair.value.value === mark) return { path: [...path, key], siblings: [] };
      const inner = findMarker(pair.value, mark, [...path, key]);
      if (inner) return inner;
    }
  } else if (isSeq(node)) {
    for (let i = 0; i < node.items.length; i++) {
      const item = node.items[i];
      if (isScalar(item) && item.value === mark) return { path: [...path, i], siblings: [] };
      const inner = findMarker(item, mark, [...path, i]);
      if (inner) return inner;
    }
  }
  return undefined;
}

/** An engine over the bundled schemas (found next to the bundle or at the repository root). */
export function createDefaultEngine(opts: { schemasDir?: string; limits?: EngineOptions['limits'] } = {}): ValidationEngine {
  return new ValidationEngine({ registry: SchemaRegistry.fromDirectory(opts.schemasDir), limits: opts.limits });
}
