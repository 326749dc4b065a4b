/**
 * Validates one classified YAML document: finds its schema, reports unknown
 * apiVersion/kind (with a did-you-mean) or "not validated" for custom
 * resources without a schema, walks the schema, and checks metadata syntax.
 * Returns findings with offsets relative to the document's own text.
 */
import { isMap, isScalar, isSeq, type Node } from 'yaml';
import type { ManifestDocument } from '../manifests/parse-manifests.js';
import { findPair } from '../manifests/parse-manifests.js';
import type { DocumentClass } from '../manifests/classify-document.js';
import type { FlatSchema, SchemaRegistry } from '../schemas/schema-registry.js';
import { splitApiVersion } from '../schemas/schema-types.js';
import { SchemaWalker, type RawFinding } from './schema-validator.js';
import { deprecationOf, removalOf, type LifecycleFinding } from './api-lifecycle.js';
import { checkLabelValue, checkName, checkQualifiedKey, didYouMean, nameRuleOf, quoteList } from './text-helpers.js';

/**
 * True for groups that Kubernetes itself serves: the core group, groups
 * without a dot (`apps`, `batch`, and typos of them), and known `*.k8s.io`
 * groups. Unknown `*.k8s.io` groups (Gateway API, …) are CRDs.
 */
export function isBuiltinGroup(group: string, registry?: SchemaRegistry): boolean {
  // `builtin` is kustomize's plugin group (PrefixSuffixTransformer, …), not an API group.
  if (group === 'builtin') return false;
  if (group === '' || !group.includes('.')) return true;
  return group.endsWith('.k8s.io') && (registry?.hasGroup(group) ?? false) && group !== 'kustomize.config.k8s.io';
}

function rangeOf(node: Node | null | undefined, fallback: [number, number] = [0, 0]): [number, number] {
  return node?.range ? [node.range[0], node.range[1]] : fallback;
}

/** The root schema for a document class, or undefined. */
export function rootSchemaFor(registry: SchemaRegistry, cls: DocumentClass, doc: Pick<ManifestDocument, 'apiVersion' | 'kind'>): FlatSchema | undefined {
  if (cls === 'kustomization') {
    const kind = doc.kind === 'Component' ? 'Component' : 'Kustomization';
    return registry.lookupKind(kind === 'Component' ? 'kustomize.config.k8s.io/v1alpha1' : 'kustomize.config.k8s.io/v1beta1', kind)?.schema;
  }
  if ((cls === 'kubernetes-object' || cls === 'kustomize-patch') && doc.apiVersion && doc.kind) return registry.lookupKind(doc.apiVersion, doc.kind)?.schema;
  return undefined;
}

/** What the engine knows about a document's file beyond its text. */
export interface DocumentContext {
  /**
   * The namespace each kustomize build that includes the file gives its
   * objects (one entry per chain of kustomizations; undefined for a build
   * that sets none). Empty or absent: no kustomization lists the file.
   * Kustomize renames v1 Namespace objects and sets metadata.namespace to it.
   */
  kustomizeNamespaces?: readonly (string | undefined)[];
}

/** Counts for schema coverage: Kubernetes objects (List items each count) and how many of them had a schema. */
export interface CoverageCounts {
  objects: number;
  withSchema: number;
}

/** Validates one document. `counts`, when given, is incremented for each Kubernetes object seen. */
export function validateDocument(registry: SchemaRegistry, doc: ManifestDocument, cls: DocumentClass, ctx: DocumentContext = {}, counts?: CoverageCounts): RawFinding[] {
  const out: RawFinding[] = [];
  const contents = doc.document.contents as Node | null;
  // A document that could not be converted (alias bomb, too deep) already has its finding.
  if (cls === 'helm' || cls === 'ignored' || !contents || doc.valueError) return out;
  const apiVersionPair = findPair(contents, 'apiVersion');
  const kindPair = findPair(contents, 'kind');
  const kindRange = rangeOf((kindPair?.value ?? kindPair?.key) as Node, rangeOf(contents));
  const apiVersionRange = rangeOf((apiVersionPair?.value ?? apiVersionPair?.key) as Node, kindRange);

  if (cls === 'kustomization') {
    const schema = rootSchemaFor(registry, cls, doc);
    if (schema) walk(registry, doc, schema, doc.kind ?? 'Kustomization', false, out, kindRange);
    return out;
  }
  if (cls === 'kustomize-patch') {
    if (isSeq(contents)) checkJsonPatch(doc, out);
    else if (doc.apiVersion && doc.kind) {
      const schema = registry.lookupKind(doc.apiVersion, doc.kind)?.schema;
      if (schema) walk(registry, doc, schema, doc.kind, true, out, kindRange);
    }
    return out;
  }
  const apiVersion = doc.apiVersion!;
  const kind = doc.kind!;
  if (isListDocument(registry, apiVersion, kind, contents)) {
    validateListItems(registry, doc, contents, apiVersion, kind, ctx, out, counts);
    return out;
  }
  const resolved = registry.lookupKind(apiVersion, kind);
  if (counts) {
    counts.objects++;
    if (resolved) counts.withSchema++;
  }
  if (!resolved) {
    // A version that is known but not served (removed, or dropped by its CRD): an error that names the
    // replacement, and the document is still checked against the nearest served version.
    const removed = removalOf(registry, apiVersion, kind);
    if (!removed) {
      reportUnknownKind(registry, apiVersion, kind, apiVersionRange, kindRange, out);
      return out;
    }
    pushLifecycle(removed, apiVersionRange, out);
    if (removed.validateAs) {
      if (counts) counts.withSchema++;
      walk(registry, doc, removed.validateAs.schema, kind, false, out, kindRange);
      checkMetadata(doc, contents, apiVersion, kind, ctx, out, kindRange);
    }
    return out;
  }
  const deprecated = deprecationOf(registry, apiVersion, kind, resolved);
  if (deprecated) pushLifecycle(deprecated, apiVersionRange, out);
  walk(registry, doc, resolved.schema, kind, false, out, kindRange);
  checkMetadata(doc, contents, apiVersion, kind, ctx, out, kindRange);
  return out;
}

function pushLifecycle(f: LifecycleFinding, range: [number, number], out: RawFinding[]): void {
  out.push({ start: range[0], end: range[1], severity: f.severity, code: f.code, message: f.message, ...(f.replacement ? { data: { suggestion: f.replacement } } : {}) });
}

/**
 * True for a list document as `kubectl apply` reads it: `v1 List`, or any
 * `<Kind>List` that no schema defines and that has an `items` sequence
 * (kubectl decodes every kind ending in "List" with items as a list).
 */
export function isListDocument(registry: SchemaRegistry, apiVersion: string, kind: string, contents: Node): boolean {
  if (!kind.endsWith('List')) return false;
  if (apiVersion === 'v1' && kind === 'List') return true;
  return isSeq(findPair(contents, 'items')?.value) && !registry.lookupKind(apiVersion, kind);
}

/**
 * A `v1 List` or `<Kind>List` (as `kubectl get -o yaml` and jsonnet stacks
 * write them): each item is validated as an object of its own
 * apiVersion/kind. As in kubectl, an item with neither takes the list's
 * apiVersion and the kind without "List" (`RoleList` → `Role`); an item
 * with only one of the two is an error.
 */
function validateListItems(registry: SchemaRegistry, doc: ManifestDocument, contents: Node, listApiVersion: string, listKind: string, ctx: DocumentContext, out: RawFinding[], counts?: CoverageCounts): void {
  const items = findPair(contents, 'items')?.value;
  if (!isSeq(items)) return;
  const itemKind = listKind.slice(0, -'List'.length);
  items.items.forEach((item, i) => {
    if (!isMap(item)) {
      const r = rangeOf(item as Node);
      out.push({ start: r[0], end: Math.max(r[1], r[0] + 1), severity: 'error', code: 'invalid-list-item', message: `${listKind} item [${i}] must be an object with apiVersion, kind and metadata.` });
      return;
    }
    const avPair = findPair(item, 'apiVersion');
    const kPair = findPair(item, 'kind');
    const av = avPair?.value;
    const k = kPair?.value;
    const avText = isScalar(av) && typeof av.value === 'string' && av.value ? av.value : undefined;
    const kText = isScalar(k) && typeof k.value === 'string' && k.value ? k.value : undefined;
    let apiVersion = avText;
    let kind = kText;
    if (!avPair && !kPair && itemKind) {
      apiVersion = listApiVersion;
      kind = itemKind;
    } else if (!apiVersion || !kind) {
      const missing = !kind ? 'kind' : 'apiVersion';
      // On the empty value when the key is there, else on the key of the other one.
      const present = !kind ? (kPair?.value ?? kPair?.key ?? avPair?.key) : (avPair?.value ?? avPair?.key ?? kPair?.key);
      const at = rangeOf(present as Node, [rangeOf(item)[0], rangeOf(item)[0] + 1]);
      if (counts) counts.objects++;
      out.push({ start: at[0], end: Math.max(at[1], at[0] + 1), severity: 'error', code: 'missing-type',
        message: `${listKind} item [${i}] has no ${missing}: kubectl rejects it. Add "${missing}:"${missing === 'kind' ? ` (for example "kind: ${itemKind || 'ConfigMap'}")` : ''}.` });
      return;
    }
    const kr = rangeOf((k ?? item) as Node);
    const resolved = registry.lookupKind(apiVersion, kind!);
    if (counts) {
      counts.objects++;
      if (resolved) counts.withSchema++;
    }
    if (!resolved) {
      reportUnknownKind(registry, apiVersion, kind!, rangeOf((av ?? item) as Node), kr, out);
      return;
    }
    const isSecret = kind === 'Secret' && apiVersion === 'v1';
    const walker = new SchemaWalker({ registry, document: doc.document, kindLabel: kind!, partial: false, out,
      isSensitive: (path) => isSecret && (path[0] === 'data' || path[0] === 'stringData' || (path[1] === 'annotations' && path[2] === 'kubectl.kubernetes.io/last-applied-configuration')) });
    walker.walk(item, resolved.schema, [], kr);
    checkMetadata(doc, item, apiVersion, kind!, ctx, out, kr);
  });
}

function walk(registry: SchemaRegistry, doc: ManifestDocument, schema: FlatSchema, kindLabel: string, partial: boolean, out: RawFinding[], rootRange: [number, number]): void {
  const isSecret = kindLabel === 'Secret' && (doc.apiVersion === 'v1' || doc.apiVersion === undefined);
  const walker = new SchemaWalker({
    registry,
    document: doc.document,
    kindLabel,
    partial,
    out,
    isSensitive: (path) => isSecret && (path[0] === 'data' || path[0] === 'stringData' || (path[1] === 'annotations' && path[2] === 'kubectl.kubernetes.io/last-applied-configuration')),
  });
  walker.walk(doc.document.contents as Node, schema, [], rootRange);
}

function reportUnknownKind(registry: SchemaRegistry, apiVersion: string, kind: string, apiVersionRange: [number, number], kindRange: [number, number], out: RawFinding[]): void {
  const { group, version } = splitApiVersion(apiVersion);
  const builtin = isBuiltinGroup(group, registry);
  const kindsHere = registry.kindsOfApiVersion(apiVersion);
  const versionsOfKind = registry.apiVersionsOfKind(kind);
  const push = (r: [number, number], severity: RawFinding['severity'], code: string, message: string, data?: unknown) =>
    out.push({ start: r[0], end: r[1], severity, code, message, ...(data === undefined ? {} : { data }) });
  if (kindsHere.length > 0) {
    // The group/version exists: the kind is wrong, or lives in another version.
    const sameGroup = versionsOfKind.filter((v) => splitApiVersion(v).group === group);
    if (sameGroup.length > 0 || versionsOfKind.length > 0) {
      const use = sameGroup[0] ?? versionsOfKind[0];
      push(apiVersionRange, builtin ? 'error' : 'warning', 'unknown-api-version', `${kind} is not served by ${apiVersion}. Use apiVersion ${quoteList(sameGroup.length ? sameGroup : versionsOfKind, 4)}.`, { suggestion: use });
      return;
    }
    const suggestion = didYouMean(kind, kindsHere);
    push(kindRange, builtin ? 'error' : 'warning', 'unknown-kind',
      `Unknown kind ${JSON.stringify(kind)} for apiVersion ${apiVersion}.${suggestion ? ` Did you mean ${JSON.stringify(suggestion)}?` : ` Known kinds: ${quoteList(kindsHere, 10)}.`}`, { suggestion });
    return;
  }
  if (registry.hasGroup(group) || (builtin && versionsOfKind.length > 0)) {
    // Known group (or a built-in kind), unknown version.
    const candidates = versionsOfKind.length ? versionsOfKind : [];
    if (candidates.length) {
      push(apiVersionRange, builtin ? 'error' : 'warning', 'unknown-api-version',
        `Unknown apiVersion ${JSON.stringify(apiVersion)} for ${kind}. Use ${quoteList(candidates, 4)}.${builtin ? '' : ' Not validated.'}`, { suggestion: candidates[0] });
      return;
    }
    if (!builtin) {
      push(kindRange, 'information', 'no-schema', `Not validated: no schema for ${group}/${version}/${kind}. The known CRDs of ${group} do not serve this version or kind.`);
      return;
    }
  }
  if (builtin) {
    // A built-in looking group that does not exist: a typo in apiVersion or kind.
    const allApiVersions = new Set(registry.allKinds().filter((k) => isBuiltinGroup(k.group, registry)).map((k) => (k.group ? `${k.group}/${k.version}` : k.version)));
    const kindSuggestion = didYouMean(kind, new Set(registry.allKinds().map((k) => k.kind)));
    if (versionsOfKind.length === 0 && kindSuggestion) {
      push(kindRange, 'error', 'unknown-kind', `Unknown kind ${JSON.stringify(kind)}. Did you mean ${JSON.stringify(kindSuggestion)} (${quoteList(registry.apiVersionsOfKind(kindSuggestion), 3)})?`, { suggestion: kindSuggestion });
      return;
    }
    const avSuggestion = didYouMean(apiVersion, allApiVersions);
    push(apiVersionRange, 'error', 'unknown-api-version',
      `Unknown apiVersion ${JSON.stringify(apiVersion)}.${avSuggestion ? ` Did you mean ${JSON.stringify(avSuggestion)}?` : versionsOfKind.length ? ` ${kind} is served by ${quoteList(versionsOfKind, 4)}.` : ''}`, { suggestion: avSuggestion });
    return;
  }
  push(kindRange, 'information', 'no-schema',
    `Not validated: no schema for ${group}/${version}/${kind}. Add its CustomResourceDefinition to the workspace or connect to a cluster that has it.`, { group, version, kind });
}

const HAS_TEMPLATE = /\$\{|\{\{/;

/**
 * The values a kustomize build gives a name it rewrites: one per build that
 * includes the file (the file's own value for a build that keeps it),
 * without placeholders (`${VAR}`) that only Flux fills in. Returns the
 * written value alone when no kustomization lists the file.
 */
function namesAfterKustomize(written: string, ctx: DocumentContext): { value: string; from?: string }[] {
  const builds = ctx.kustomizeNamespaces ?? [];
  if (builds.length === 0) return [{ value: written }];
  const out = new Map<string, { value: string; from?: string }>();
  for (const ns of builds) {
    if (ns === undefined) out.set(written, { value: written });
    else if (!HAS_TEMPLATE.test(ns)) out.set(ns, { value: ns, from: ns });
  }
  return [...out.values()];
}

function checkMetadata(doc: ManifestDocument, contents: Node, apiVersion: string, kind: string, ctx: DocumentContext, out: RawFinding[], kindRange: [number, number]): void {
  const group = splitApiVersion(apiVersion).group;
  const metaPair = findPair(contents, 'metadata');
  const meta = metaPair?.value;
  const push = (node: Node | null | undefined, code: string, message: string) => {
    const r = rangeOf(node, kindRange);
    out.push({ start: r[0], end: r[1], severity: 'error', code, message });
  };
  if (!isMap(meta)) {
    if (!metaPair && !kind.endsWith('List')) push(undefined, 'missing-required', `Missing required field "metadata" in ${kind}: every object needs metadata.name.`);
    return;
  }
  const namePair = findPair(meta, 'name');
  if (!namePair && !findPair(meta, 'generateName') && !kind.endsWith('List')) {
    push(metaPair!.key as Node, 'missing-required', `Missing required field "name" in ${kind}.metadata.`);
  }
  if (namePair && isScalar(namePair.value) && typeof namePair.value.value === 'string') {
    const name = namePair.value.value;
    // kustomize's namespace transformer renames v1 Namespace objects to its namespace.
    const names = kind === 'Namespace' && apiVersion === 'v1' ? namesAfterKustomize(name, ctx) : [{ value: name }];
    for (const n of names) {
      if (HAS_TEMPLATE.test(n.value)) continue;
      const problem = checkName(n.value, nameRuleOf(group, kind));
      if (!problem) continue;
      if (n.from === undefined) push(namePair.value, 'invalid-name', `Invalid metadata.name ${JSON.stringify(name)}: a ${kind} name ${problem}.`);
      else push(namePair.value, 'invalid-name', `Invalid Namespace name ${JSON.stringify(n.value)}: a kustomization that includes this file sets namespace: ${JSON.stringify(n.value)}, and kustomize renames this Namespace to it; a ${kind} name ${problem}. Fix the kustomization's namespace.`);
    }
  }
  const nsPair = findPair(meta, 'namespace');
  if (nsPair && isScalar(nsPair.value) && typeof nsPair.value.value === 'string') {
    const written = nsPair.value.value;
    // kustomize's `namespace:` replaces what the file says.
    for (const n of namesAfterKustomize(written, ctx)) {
      if (HAS_TEMPLATE.test(n.value)) continue;
      const problem = checkName(n.value, 'dns1123-label');
      if (!problem) continue;
      if (n.from === undefined) push(nsPair.value, 'invalid-name', `Invalid metadata.namespace ${JSON.stringify(written)}: a namespace ${problem}.`);
      else push(nsPair.value, 'invalid-name', `Invalid namespace ${JSON.stringify(n.value)}: a kustomization that includes this file sets namespace: ${JSON.stringify(n.value)}, which kustomize writes here; a namespace ${problem}. Fix the kustomization's namespace.`);
    }
  }
  const labels = findPair(meta, 'labels')?.value;
  if (isMap(labels)) {
    for (const pair of labels.items) {
      if (!isScalar(pair.key)) continue;
      const key = String(pair.key.value);
      if (HAS_TEMPLATE.test(key)) continue;
      const keyProblem = checkQualifiedKey(key);
      if (keyProblem) push(pair.key as Node, 'invalid-label', `Invalid label key ${JSON.stringify(key)}: ${keyProblem}.`);
      if (isScalar(pair.value) && typeof pair.value.value === 'string' && !HAS_TEMPLATE.test(pair.value.value)) {
        const valueProblem = checkLabelValue(pair.value.value);
        if (valueProblem) push(pair.value as Node, 'invalid-label', `Invalid value for label ${JSON.stringify(key)}: a label value ${valueProblem}.`);
      }
    }
  }
  const annotations = findPair(meta, 'annotations')?.value;
  if (isMap(annotations)) {
    for (const pair of annotations.items) {
      if (!isScalar(pair.key)) continue;
      const key = String(pair.key.value);
      if (HAS_TEMPLATE.test(key)) continue;
      const keyProblem = checkQualifiedKey(key);
      if (keyProblem) push(pair.key as Node, 'invalid-annotation', `Invalid annotation key ${JSON.stringify(key)}: ${keyProblem}.`);
    }
  }
}

const JSON_PATCH_OPS = ['add', 'remove', 'replace', 'move', 'copy', 'test'];

/** Checks a JSON 6902 patch file: a list of operations with op, path and the fields each op needs. */
function checkJsonPatch(doc: ManifestDocument, out: RawFinding[]): void {
  const seq = doc.document.contents as any;
  if (!seq?.items) return;
  seq.items.forEach((item: Node, i: number) => {
    const r = rangeOf(item);
    if (!isMap(item)) {
      out.push({ start: r[0], end: r[1], severity: 'error', code: 'invalid-json-patch', message: `JSON patch operation [${i}] must be an object with op and path.` });
      return;
    }
    const op = findPair(item, 'op');
    const opValue = isScalar(op?.value) ? op!.value.value : undefined;
    if (!op) out.push({ start: r[0], end: r[0] + 1, severity: 'error', code: 'invalid-json-patch', message: `JSON patch operation [${i}] needs "op" (one of ${quoteList(JSON_PATCH_OPS)}).` });
    else if (typeof opValue !== 'string' || !JSON_PATCH_OPS.includes(opValue)) {
      const vr = rangeOf(op.value as Node, r);
      const s = typeof opValue === 'string' ? didYouMean(opValue, JSON_PATCH_OPS) : undefined;
      out.push({ start: vr[0], end: vr[1], severity: 'error', code: 'invalid-json-patch', message: `Invalid JSON patch op ${JSON.stringify(opValue)}. Allowed: ${quoteList(JSON_PATCH_OPS)}.${s ? ` Did you mean ${JSON.stringify(s)}?` : ''}` });
    }
    if (!findPair(item, 'path')) out.push({ start: r[0], end: r[0] + 1, severity: 'error', code: 'invalid-json-patch', message: `JSON patch operation [${i}] needs "path", a JSON pointer such as /spec/replicas.` });
    if ((opValue === 'add' || opValue === 'replace' || opValue === 'test') && !findPair(item, 'value')) {
      out.push({ start: r[0], end: r[0] + 1, severity: 'error', code: 'invalid-json-patch', message: `JSON patch "${opValue}" operation [${i}] needs "value".` });
    }
    if ((opValue === 'move' || opValue === 'copy') && !findPair(item, 'from')) {
      out.push({ start: r[0], end: r[0] + 1, severity: 'error', code: 'invalid-json-patch', message: `JSON patch "${opValue}" operation [${i}] needs "from".` });
    }
  });
}
