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

/** Validates one document. */
export function validateDocument(registry: SchemaRegistry, doc: ManifestDocument, cls: DocumentClass): RawFinding[] {
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
  if (apiVersion === 'v1' && kind === 'List') {
    validateListItems(registry, doc, contents, out);
    return out;
  }
  const resolved = registry.lookupKind(apiVersion, kind);
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
      walk(registry, doc, removed.validateAs.schema, kind, false, out, kindRange);
      checkMetadata(doc, contents, splitApiVersion(apiVersion).group, kind, out, kindRange);
    }
    return out;
  }
  const deprecated = deprecationOf(registry, apiVersion, kind, resolved);
  if (deprecated) pushLifecycle(deprecated, apiVersionRange, out);
  walk(registry, doc, resolved.schema, kind, false, out, kindRange);
  checkMetadata(doc, contents, splitApiVersion(apiVersion).group, kind, out, kindRange);
  return out;
}

function pushLifecycle(f: LifecycleFinding, range: [number, number], out: RawFinding[]): void {
  out.push({ start: range[0], end: range[1], severity: f.severity, code: f.code, message: f.message, ...(f.replacement ? { data: { suggestion: f.replacement } } : {}) });
}

/** A `v1 List` (as `kubectl get -o yaml` writes): each item is validated as an object of its own kind. */
function validateListItems(registry: SchemaRegistry, doc: ManifestDocument, contents: Node, out: RawFinding[]): void {
  const items = findPair(contents, 'items')?.value;
  if (!items || !('items' in (items as object)) || !Array.isArray((items as any).items)) return;
  for (const item of (items as any).items as Node[]) {
    if (!isMap(item)) continue;
    const av = findPair(item, 'apiVersion')?.value;
    const k = findPair(item, 'kind')?.value;
    if (!isScalar(av) || !isScalar(k) || typeof av.value !== 'string' || typeof k.value !== 'string') continue;
    const kr = rangeOf(k as Node);
    const resolved = registry.lookupKind(av.value, k.value);
    if (!resolved) {
      reportUnknownKind(registry, av.value, k.value, rangeOf(av as Node), kr, out);
      continue;
    }
    const walker = new SchemaWalker({ registry, document: doc.document, kindLabel: k.value, partial: false, out, isSensitive: () => k.value === 'Secret' });
    walker.walk(item, resolved.schema, [], kr);
    checkMetadata(doc, item, splitApiVersion(av.value).group, k.value, out, kr);
  }
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

function checkMetadata(doc: ManifestDocument, contents: Node, group: string, kind: string, out: RawFinding[], kindRange: [number, number]): void {
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
    if (!HAS_TEMPLATE.test(name)) {
      const problem = checkName(name, nameRuleOf(group, kind));
      if (problem) push(namePair.value, 'invalid-name', `Invalid metadata.name ${JSON.stringify(name)}: a ${kind} name ${problem}.`);
    }
  }
  const nsPair = findPair(meta, 'namespace');
  if (nsPair && isScalar(nsPair.value) && typeof nsPair.value.value === 'string' && !HAS_TEMPLATE.test(nsPair.value.value)) {
    const problem = checkName(nsPair.value.value, 'dns1123-label');
    if (problem) push(nsPair.value, 'invalid-name', `Invalid metadata.namespace ${JSON.stringify(nsPair.value.value)}: a namespace ${problem}.`);
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
