/**
 * The drift engine: pure functions from desired documents (parsed YAML with
 * source ranges) and live objects to findings with exact ranges, plus the
 * per-field entries that hovers and quick fixes read. No I/O happens here:
 * the caller (DriftService, the CLI, tests) supplies live objects.
 */
import { isMap, isPair, isScalar, isSeq, type Document, type Node as YamlNode } from 'yaml';
import type { Finding, Range } from '../findings.js';
import type { KubeObject, ManagedFieldsEntry } from '../cluster/cluster-types.js';
import { parseApiVersion } from '../cluster/cluster-types.js';
import { isSecret, secretDigest, secretDigests, MASK } from '../secrets/mask-secrets.js';
import { fallbackListMapKeys, isEmptyValue, scalarsEqual, valuesEqual } from './normalize.js';
import { formatManagerTime, ownersOf, type FieldOwner, type FieldPathSegment } from './managed-fields.js';
import { ignoringRule, pointerToken, rulesFor, type IgnoreRule } from '../cluster/ignore-rules.js';
import { sanitizeLive } from '../cluster/sanitize-live.js';
import { DRIFT_SOURCE } from '../protocol/protocol.js';


/** One desired object: compatible with parseManifests()' documents. */
export interface DesiredDocument {
  document: Document;
  value: unknown;
  apiVersion?: string;
  kind?: string;
  name?: string;
  namespace?: string;
  /** Offset of the document in the file when its node ranges are document-relative (parseManifests splits files); default 0. */
  offset?: number;
  /**
   * The object as the agent renders it (kustomize overlay), when the caller
   * could map this document to exactly one rendered object: the value of
   * each field the document declares is then taken from it. See
   * rendered-desired.ts.
   */
  rendered?: RenderedDesired;
  /**
   * A kustomize strategic-merge patch (a file a kustomization lists under
   * `patches:` / `patchesStrategicMerge:`), not a whole object: only the
   * fields it declares are compared, with their rendered values, and only
   * once {@link rendered} maps it to the object it patches (whose identity,
   * namespace and name prefix only the render knows). Object-level findings
   * (missing, no access, unknown) are left to the file that declares the
   * object.
   */
  patch?: boolean;
}

/** The rendered counterpart of a desired document. */
export interface RenderedDesired {
  /** The rendered object. */
  value: unknown;
  /** The rendered folder, relative to the repository root, for messages: `desired 5 (after kustomize overlay apps/production)`. */
  label: string;
  /** The rendered object's name (after namePrefix/nameSuffix), which is the name the agent applies. */
  name?: string;
}

/** What the cluster says about one desired object. `transient` unknowns (connecting, first load) produce no finding. */
export type LiveLookup =
  | { state: 'present'; object: KubeObject; managedFields?: ManagedFieldsEntry[] }
  | { state: 'missing'; reason?: string }
  /** The cluster has no resource for the apiVersion/kind (misspelled kind, CRD not installed): drift is not checked. */
  | { state: 'not-served' }
  | { state: 'no-access'; reason: string }
  | { state: 'unknown'; reason: string; transient?: boolean };

/** Status of one compared field. */
export type FieldStatus = 'same' | 'drift' | 'ignored';

/** One declared field compared with the live object. Values of Secret data are never stored here (they are `***`). */
export interface FieldEntry {
  docIndex: number;
  /** RFC 6901 pointer (desired indices), e.g. `/spec/replicas`. */
  pointer: string;
  /** Path into the desired YAML document (keys and indices). */
  yamlPath: Array<string | number>;
  /** Range of the value in the file. */
  range: Range;
  /** Range of the key (for maps), for hover on the key. */
  keyRange?: Range;
  status: FieldStatus;
  desired: unknown;
  /** undefined when absent in the live object. */
  live: unknown;
  liveAbsent: boolean;
  owner?: FieldOwner;
  ignoredBy?: string;
  /** True for Secret data/stringData values: desired and live hold `***`. */
  masked?: boolean;
  /** Set when the desired value comes from the rendered object and differs from the file's literal: the rendered folder. */
  renderedFrom?: string;
}

/** One desired object and what happened to it. */
export interface ObjectEntry {
  docIndex: number;
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
  /** Range of the whole document, and of the name (or kind) where object-level findings go. */
  range: Range;
  anchorRange: Range;
  state: LiveLookup['state'];
  reason?: string;
  /** The live object, with Secret values masked, managedFields and last-applied stripped. */
  live?: KubeObject;
}

/** Everything the engine computed for one file. */
export interface DriftReport {
  findings: Finding[];
  fields: FieldEntry[];
  objects: ObjectEntry[];
}

/** Inputs of {@link computeDrift}. */
export interface DriftInput {
  /** The file's full text (for offset → position). */
  text: string;
  documents: readonly DesiredDocument[];
  /** Namespace for namespaced objects that don't set one (the binding's). */
  defaultNamespace: string;
  /** Namespace that replaces every object's own (Flux `targetNamespace` does this). Cluster-scoped kinds keep none either way (the lookup decides). */
  forceNamespace?: string;
  /** True for a kind the cluster serves cluster-scoped (discovery): its object gets no namespace, in the lookup and the messages. */
  clusterScoped?(apiVersion: string, kind: string): boolean;
  /** Live state of one desired object; namespace is already defaulted. */
  lookup(doc: DesiredDocument, namespace: string): LiveLookup;
  /** Merge keys of the list at a path, from the schema registry; the built-in fallback is used when it returns undefined. */
  listMapKeys?(apiVersion: string, kind: string, path: Array<string | number>): string[] | undefined;
  ignore?: readonly IgnoreRule[];
  /** Time zone for `at HH:MM` in messages (default UTC). */
  timeZone?: string;
  /** Compute only these document indices (incremental updates; see {@link mergeDriftReports}). */
  only?: ReadonlySet<number>;
  /** A mapper for `text`, reused across calls on the same text. */
  mapper?: OffsetMapper;
}

/** Converts offsets to LSP positions (UTF-16, which is what JS string indices are). */
export class OffsetMapper {
  private readonly lineStarts: number[] = [0];
  constructor(text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
  }
  position(offset: number): { line: number; character: number } {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, character: offset - this.lineStarts[lo] };
  }
  range(start: number, end: number): Range {
    return { start: this.position(start), end: this.position(end) };
  }
  offset(pos: { line: number; character: number }): number {
    return (this.lineStarts[pos.line] ?? 0) + pos.character;
  }
}

/** The value node (and key node) at a path of a YAML document. */
export function nodeAtPath(doc: Document, path: ReadonlyArray<string | number>): { key?: YamlNode; value?: YamlNode } | undefined {
  let node: unknown = doc.contents;
  let key: YamlNode | undefined;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && (isScalar(p.key) ? p.key.value : p.key) === seg);
      if (!pair) return undefined;
      key = pair.key as YamlNode;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      key = undefined;
      node = node.items[seg];
    } else return undefined;
  }
  return { key, value: (node ?? undefined) as YamlNode | undefined };
}

function nodeRange(m: OffsetMapper, n: YamlNode | undefined, offset = 0): Range | undefined {
  const r = n?.range;
  if (!r) return undefined;
  // range[1] is the end of the value proper (before trailing comments/space).
  return m.range(offset + r[0], offset + r[1]);
}

/** Renders a value for a message: scalars plainly, collections as compact JSON, long values shortened. */
export function showValue(v: unknown): string {
  if (v === undefined) return '(absent)';
  let s = typeof v === 'string' ? (/^[\w.:/@%+-]+$/.test(v) && v !== '' ? v : JSON.stringify(v)) : JSON.stringify(v);
  if (s === undefined) s = String(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** Fields of a desired object that are identity or server-owned, never compared. */
const SKIP_TOP = new Set(['apiVersion', 'kind', 'status']);
const SKIP_META = new Set(['name', 'namespace', 'managedFields', 'resourceVersion', 'uid', 'generation', 'creationTimestamp', 'selfLink']);

/** Values rendered by the agent at apply time (Flux post-build substitution); comparing them as written would be a false drift. */
const SUBSTITUTION = /\$\{[^}]+\}/;

interface WalkCtx {
  input: DriftInput;
  mapper: OffsetMapper;
  doc: DesiredDocument;
  docIndex: number;
  apiVersion: string;
  kind: string;
  managedFields?: ManagedFieldsEntry[];
  rules: IgnoreRule[];
  report: DriftReport;
  liveSecret?: Map<string, string>;
}

/**
 * Compares every desired document of a file with its live object and
 * returns findings (source `gitops-lens-drift`) and per-field entries.
 * Documents without apiVersion/kind/name are skipped (the validator reports
 * them); kustomization.yaml and Helm templates are not objects.
 */
export function computeDrift(input: DriftInput): DriftReport {
  const mapper = input.mapper ?? new OffsetMapper(input.text);
  const report: DriftReport = { findings: [], fields: [], objects: [] };
  input.documents.forEach((doc, docIndex) => {
    if (input.only && !input.only.has(docIndex)) return;
    const v = doc.value as Record<string, unknown> | undefined;
    const apiVersion = doc.apiVersion ?? (v?.apiVersion as string | undefined);
    const kind = doc.kind ?? (v?.kind as string | undefined);
    const meta = (v?.metadata ?? {}) as Record<string, unknown>;
    const name = doc.name ?? (meta.name as string | undefined);
    if (!v || typeof v !== 'object' || !apiVersion || !kind || !name) return;
    if (kind === 'Kustomization' && apiVersion.startsWith('kustomize.config.k8s.io')) return;
    // A patch is compared only through the object it patches, as rendered.
    if (doc.patch && !doc.rendered) return;
    const namespace = input.clusterScoped?.(apiVersion, kind) ? '' : (input.forceNamespace ?? doc.namespace ?? (meta.namespace as string | undefined) ?? input.defaultNamespace);
    const contents = doc.document.contents as YamlNode | null;
    const off = doc.offset ?? 0;
    const range = nodeRange(mapper, contents ?? undefined, off) ?? mapper.range(off, off);
    const anchor = nodeRange(mapper, nodeAtPath(doc.document, ['metadata', 'name'])?.value, off) ?? nodeRange(mapper, nodeAtPath(doc.document, ['kind'])?.value, off) ?? range;
    const kindRange = nodeRange(mapper, nodeAtPath(doc.document, ['kind'])?.value, off) ?? anchor;
    const live = input.lookup(doc, namespace);
    const entry: ObjectEntry = { docIndex, apiVersion, kind, name, namespace, range, anchorRange: anchor, state: live.state };
    report.objects.push(entry);
    if (doc.patch && live.state !== 'present') {
      entry.reason = 'reason' in live ? live.reason : undefined;
      return;
    }
    const what = `${kind} ${namespace ? `${namespace}/` : ''}${name}`;
    if (live.state === 'missing') {
      entry.reason = live.reason;
      report.findings.push({
        range: anchor,
        severity: 'warning',
        code: 'drift-missing',
        source: DRIFT_SOURCE,
        message: `${what} is declared here but missing from the cluster${live.reason ? ` (${live.reason})` : ''}. Check the agent's reconcile status, or remove it from the repo if it was deleted on purpose.`,
        data: { kind: 'missing', docIndex },
      });
      return;
    }
    if (live.state === 'not-served') {
      // A kind the cluster does not serve is a question about the manifest (or a missing CRD), not drift.
      const gvk = `${apiVersion}/${kind}`;
      entry.reason = `the cluster does not serve ${gvk}`;
      report.findings.push({
        range: kindRange,
        severity: 'information',
        code: 'drift-not-served',
        source: DRIFT_SOURCE,
        message: `Drift not checked: the cluster does not serve ${gvk}. Check the kind and apiVersion, or install its CRD.`,
        data: { kind: 'not-served', docIndex },
      });
      return;
    }
    if (live.state === 'no-access') {
      entry.reason = live.reason;
      report.findings.push({
        range: kindRange,
        severity: 'information',
        code: 'drift-no-access',
        source: DRIFT_SOURCE,
        message: `Drift unknown for ${what}: no access (${live.reason}). Ask for get/list/watch on ${kind} or bind this folder to another context.`,
        data: { kind: 'no-access', docIndex },
      });
      return;
    }
    if (live.state === 'unknown') {
      entry.reason = live.reason;
      // While connecting or loading, say nothing rather than flash a notice; the real state follows in moments.
      if (live.transient) return;
      report.findings.push({
        range: kindRange,
        severity: 'information',
        code: 'drift-unknown',
        source: DRIFT_SOURCE,
        message: `Drift unknown for ${what}: ${live.reason}`,
        data: { kind: 'unknown', docIndex },
      });
      return;
    }
    entry.live = sanitizeLive(live.object);
    const { group } = parseApiVersion(apiVersion);
    const ctx: WalkCtx = {
      input,
      mapper,
      doc,
      docIndex,
      apiVersion,
      kind,
      managedFields: live.managedFields ?? live.object.metadata.managedFields,
      rules: rulesFor(input.ignore ?? [], { group, kind, name, namespace }),
      report,
      liveSecret: isSecret(live.object) ? secretDigests(live.object as Record<string, unknown>) : undefined,
    };
    const liveObj = live.object as Record<string, unknown>;
    // The agent applies the rendered object: each declared field takes its rendered value (the file's ranges stay).
    const keysAt = (p: Array<string | number>) => input.listMapKeys?.(apiVersion, kind, p) ?? fallbackListMapKeys(schemaPath(p));
    const effective = doc.rendered ? (declaredFromRendered(v, doc.rendered.value, keysAt) as Record<string, unknown>) : v;
    const effectiveMeta = (effective.metadata ?? {}) as Record<string, unknown>;
    for (const [k, dv] of Object.entries(effective)) {
      if (SKIP_TOP.has(k) || k.startsWith('$')) continue;
      if (k === 'metadata') {
        for (const [mk, mv] of Object.entries(effectiveMeta)) {
          if (SKIP_META.has(mk)) continue;
          const liveMeta = (live.object.metadata ?? {}) as Record<string, unknown>;
          walk(ctx, mv, liveMeta[mk], ['metadata', mk], [{ key: 'metadata' }, { key: mk }], mk in liveMeta);
        }
        continue;
      }
      if (ctx.liveSecret && (k === 'data' || k === 'stringData')) {
        compareSecretData(ctx, k, dv);
        continue;
      }
      walk(ctx, dv, liveObj[k], [k], [{ key: k }], k in liveObj);
    }
  });
  return report;
}

function pointerOf(path: ReadonlyArray<string | number>): string {
  return path.map((p) => `/${pointerToken(String(p))}`).join('');
}

function schemaPath(path: ReadonlyArray<string | number>): string[] {
  return path.filter((p): p is string => typeof p === 'string');
}

/** Records a compared leaf (or atomic value) and, when it drifted, emits the finding. */
function record(ctx: WalkCtx, yamlPath: Array<string | number>, fieldPath: FieldPathSegment[], desired: unknown, live: unknown, liveAbsent: boolean, equal: boolean, masked = false, alsoOwnedAt?: FieldPathSegment[]): void {
  const nodes = nodeAtPath(ctx.doc.document, yamlPath);
  const off = ctx.doc.offset ?? 0;
  const range = nodeRange(ctx.mapper, nodes?.value, off) ?? nodeRange(ctx.mapper, nodes?.key, off);
  if (!range) return;
  const pointer = pointerOf(yamlPath);
  // A stable sort: on equal times the owners of fieldPath come first.
  const owners = alsoOwnedAt ? [...ownersOf(ctx.managedFields, fieldPath), ...ownersOf(ctx.managedFields, alsoOwnedAt)].sort((a, b) => (b.time ?? '').localeCompare(a.time ?? '')) : ownersOf(ctx.managedFields, fieldPath);
  const owner = owners[0];
  const renderedFrom = !masked && ctx.doc.rendered && !valuesEqual(valueAtPath(ctx.doc.value, yamlPath), desired, schemaPath(yamlPath)) ? ctx.doc.rendered.label : undefined;
  const rule = ignoringRule(ctx.rules, pointer, owners.map((o) => o.manager));
  const status: FieldStatus = equal ? 'same' : rule ? 'ignored' : 'drift';
  const entry: FieldEntry = {
    docIndex: ctx.docIndex,
    pointer,
    yamlPath,
    range,
    keyRange: nodeRange(ctx.mapper, nodes?.key, off),
    status,
    desired: masked ? MASK : desired,
    live: masked ? (liveAbsent ? undefined : MASK) : live,
    liveAbsent,
    owner,
    ignoredBy: rule && !equal ? rule.origin : undefined,
    masked,
    ...(renderedFrom !== undefined ? { renderedFrom } : {}),
  };
  ctx.report.fields.push(entry);
  if (status !== 'drift') return;
  const by = owner ? ` — changed by "${owner.manager}"${formatManagerTime(owner.time, ctx.input.timeZone) ? ` at ${formatManagerTime(owner.time, ctx.input.timeZone)}` : ''}` : liveAbsent ? ' — removed live' : '';
  const values = masked ? `live ${liveAbsent ? '(absent)' : `${MASK} (differs)`}, desired ${MASK}` : `live ${showValue(live)}, desired ${showValue(desired)}${renderedFrom !== undefined ? ` (after kustomize overlay ${renderedFrom})` : ''}`;
  ctx.report.findings.push({
    range,
    severity: 'warning',
    code: 'drift-value',
    source: DRIFT_SOURCE,
    message: `${values}${by}. Adopt the live value in the repo, or let the agent revert it.`,
    data: { kind: 'value', docIndex: ctx.docIndex, pointer, secret: masked },
  });
}

/** The plain value at a path of a parsed object, or undefined. */
function valueAtPath(value: unknown, path: ReadonlyArray<string | number>): unknown {
  let v: unknown = value;
  for (const seg of path) {
    if (!v || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}

/**
 * The source value with each declared field replaced by its rendered value,
 * keeping the source's shape (same keys, same list indices) so that paths
 * still point into the file. Elements of lists with merge keys (`keysAt`:
 * containers by name, ports, env, …) are matched by key, so an overlay that
 * adds or removes other elements (a patch adding a sidecar) still gives each
 * declared element its rendered values; a declared element the render no
 * longer has keeps the file's value. A list without keys whose length the
 * render changed is desired as rendered, as a whole (kustomize replaced it).
 * A field the render dropped, or a value with a Flux `${var}` (substituted
 * by the agent at apply time, not by kustomize), keeps the file's value.
 * Fields only the overlay adds are not declared here and stay out of the
 * comparison (the patch file that adds them declares them).
 */
export function declaredFromRendered(source: unknown, rendered: unknown, keysAt?: (path: Array<string | number>) => string[] | undefined, at: Array<string | number> = []): unknown {
  if (source && typeof source === 'object' && !Array.isArray(source)) {
    if (!rendered || typeof rendered !== 'object' || Array.isArray(rendered)) return source;
    const out: Record<string, unknown> = {};
    for (const [k, sv] of Object.entries(source as Record<string, unknown>)) {
      const r = rendered as Record<string, unknown>;
      out[k] = k in r ? declaredFromRendered(sv, r[k], keysAt, [...at, k]) : sv;
    }
    return out;
  }
  if (Array.isArray(source)) {
    if (!Array.isArray(rendered)) return source;
    const keys = keysAt?.(at);
    const isObj = (e: unknown): e is Record<string, unknown> => !!e && typeof e === 'object' && !Array.isArray(e);
    if (keys?.length && source.every(isObj) && rendered.every(isObj)) {
      return source.map((sv, i) => {
        // A key the source leaves out (e.g. protocol) does not constrain the match, as in the comparison.
        const declared = keys.filter((k) => sv[k] !== undefined);
        const matches = declared.length ? rendered.filter((rv) => declared.every((k) => scalarsEqual(sv[k], rv[k], [...schemaPath(at), k]))) : [];
        return matches.length === 1 ? declaredFromRendered(sv, matches[0], keysAt, [...at, i]) : sv;
      });
    }
    if (rendered.length !== source.length) return SUBSTITUTION.test(JSON.stringify(source)) ? source : rendered;
    return source.map((sv, i) => declaredFromRendered(sv, rendered[i], keysAt, [...at, i]));
  }
  if (typeof source === 'string' && SUBSTITUTION.test(source)) return source;
  if (rendered === undefined || (rendered !== null && typeof rendered === 'object')) return source;
  return rendered;
}

function compareSecretData(ctx: WalkCtx, field: 'data' | 'stringData', dv: unknown): void {
  if (!dv || typeof dv !== 'object') return;
  for (const [k, raw] of Object.entries(dv as Record<string, unknown>)) {
    const desired = secretDigest(field === 'data' ? (typeof raw === 'string' ? Buffer.from(raw, 'base64').toString('utf8') : '') : raw == null ? '' : String(raw));
    const live = ctx.liveSecret?.get(k);
    // The manager is not secret, so the message keeps it. An apply of stringData is recorded under
    // f:stringData and an edit of the same key under f:data: the latest of both owns the value, and
    // on a tie (managedFields times have second precision) f:data, which holds the live value itself.
    record(ctx, [field, k], [{ key: 'data' }, { key: k }], desired, live, live === undefined, live !== undefined && live === desired, true, [{ key: 'stringData' }, { key: k }]);
  }
}

function walk(ctx: WalkCtx, d: unknown, l: unknown, yamlPath: Array<string | number>, fieldPath: FieldPathSegment[], liveHas: boolean): void {
  const sp = schemaPath(yamlPath);
  if (typeof d === 'string' && SUBSTITUTION.test(d)) return;
  if (d && typeof d === 'object' && !Array.isArray(d)) {
    // Strategic-merge directives of a patch: `$patch: delete` removes what it names, so it is not desired.
    if ((d as Record<string, unknown>).$patch === 'delete') return;
    if (!l || typeof l !== 'object' || Array.isArray(l)) {
      record(ctx, yamlPath, fieldPath, d, l, !liveHas || l == null, isEmptyValue(d) && isEmptyValue(l));
      return;
    }
    for (const [k, dv] of Object.entries(d as Record<string, unknown>)) {
      // `$patch`, `$setElementOrder/…`, `$retainKeys`, `$deleteFromPrimitiveList/…` direct kustomize, they are not fields.
      if (k.startsWith('$')) continue;
      const lo = l as Record<string, unknown>;
      walk(ctx, dv, lo[k], [...yamlPath, k], [...fieldPath, { key: k }], k in lo);
    }
    return;
  }
  if (Array.isArray(d)) {
    if (!Array.isArray(l)) {
      record(ctx, yamlPath, fieldPath, d, l, !liveHas || l == null, isEmptyValue(d) && isEmptyValue(l));
      return;
    }
    const keys = ctx.input.listMapKeys?.(ctx.apiVersion, ctx.kind, yamlPath) ?? fallbackListMapKeys(sp);
    if (keys && d.every((e) => e && typeof e === 'object' && !Array.isArray(e))) {
      d.forEach((de, i) => {
        const dObj = de as Record<string, unknown>;
        const match = (l as unknown[]).find((le) => {
          if (!le || typeof le !== 'object') return false;
          const lObj = le as Record<string, unknown>;
          // A key the manifest leaves out (e.g. protocol) takes the server default, so it doesn't constrain the match.
          return keys.every((k) => dObj[k] === undefined || scalarsEqual(dObj[k], lObj[k], [...sp, k]));
        }) as Record<string, unknown> | undefined;
        const listKeys: Record<string, unknown> = {};
        for (const k of keys) {
          const val = match?.[k] ?? dObj[k];
          if (val !== undefined) listKeys[k] = val;
        }
        if (!match) {
          record(ctx, [...yamlPath, i], [...fieldPath, { listKeys }], de, undefined, true, false);
          return;
        }
        walk(ctx, de, match, [...yamlPath, i], [...fieldPath, { listKeys }], true);
      });
      return;
    }
    // Atomic list: objects are compared position by position (servers default their fields); scalar lists as a whole.
    if (d.length === l.length && d.every((e) => e && typeof e === 'object' && !Array.isArray(e))) {
      d.forEach((de, i) => walk(ctx, de, l[i], [...yamlPath, i], [...fieldPath, { index: i }], true));
      return;
    }
    record(ctx, yamlPath, fieldPath, d, l, false, valuesEqual(d, l, sp));
    return;
  }
  record(ctx, yamlPath, fieldPath, d, l, !liveHas || l === undefined, scalarsEqual(d, l, sp));
}

function docIndexOf(f: Finding): number | undefined {
  const d = f.data as { docIndex?: number } | undefined;
  return typeof d?.docIndex === 'number' ? d.docIndex : undefined;
}

function byRange(a: { range: Range }, b: { range: Range }): number {
  return a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character;
}

/**
 * Replaces the entries of the documents in `only` in `previous` with those
 * of `partial` (computed with the same `only`), so one watch event costs one
 * document, not the whole file. Findings stay in document order.
 */
export function mergeDriftReports(previous: DriftReport, partial: DriftReport, only: ReadonlySet<number>): DriftReport {
  const keep = <T>(xs: T[], idx: (x: T) => number | undefined) => xs.filter((x) => !only.has(idx(x) ?? -1));
  return {
    findings: [...keep(previous.findings, docIndexOf), ...partial.findings].sort(byRange),
    fields: [...keep(previous.fields, (f) => f.docIndex), ...partial.fields],
    objects: [...keep(previous.objects, (o) => o.docIndex), ...partial.objects].sort((a, b) => a.docIndex - b.docIndex),
  };
}
