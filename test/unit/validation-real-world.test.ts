/**
 * Issue 12, items 1-9: false errors and misses seen on real GitOps
 * repositories (../shared/corpora) or faithful reductions of them. Each test
 * holds the reduced case and the exact diagnostics, so it failed before the
 * fix and pins the behaviour after it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Finding } from '../../server/src/findings.js';
import { createDefaultEngine, type ValidationEngine } from '../../server/src/validation/validation-engine.js';

const short = (f: Finding) => `${f.range.start.line}:${f.range.start.character}-${f.range.end.line}:${f.range.end.character} ${f.severity} ${f.code} ${f.message}`;

/** An engine that has seen these workspace files (kustomizations, charts, CRDs). */
function engineWith(files: Record<string, string>): ValidationEngine {
  const engine = createDefaultEngine();
  for (const [p, text] of Object.entries(files)) engine.updateWorkspaceFile(p, text);
  return engine;
}

// --- 1. names kustomize rewrites ------------------------------------------------------------

/** bjw-s-labs/home-ops: kubernetes/components/namespace, included by kubernetes/apps/<ns>/kustomization.yaml. */
const PLACEHOLDER_NAMESPACE = `apiVersion: v1
kind: Namespace
metadata:
  name: _
  annotations:
    kustomize.toolkit.fluxcd.io/prune: disabled
`;
const NAMESPACE_COMPONENT = `apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
resources:
  - ./namespace.yaml
`;
const appsKustomization = (ns: string) => `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: ${ns}
components:
  - ../../components/namespace
resources:
  - ./app/ks.yaml
`;

test('1: a Namespace named "_" that kustomize renames through a Component is not an invalid name', () => {
  const engine = engineWith({
    '/r/kubernetes/components/namespace/kustomization.yaml': NAMESPACE_COMPONENT,
    '/r/kubernetes/apps/ai/kustomization.yaml': appsKustomization('ai'),
    '/r/kubernetes/apps/media/kustomization.yaml': appsKustomization('media'),
  });
  assert.deepEqual(engine.validate('/r/kubernetes/components/namespace/namespace.yaml', PLACEHOLDER_NAMESPACE).map(short), []);
});

test('1: the same Namespace outside any kustomization keeps today\'s invalid-name error', () => {
  assert.deepEqual(createDefaultEngine().validate('/r/namespace.yaml', PLACEHOLDER_NAMESPACE).map(short), [
    '3:8-3:9 error invalid-name Invalid metadata.name "_": a Namespace name must be a DNS-1123 label: lowercase letters, digits and "-", starting and ending with a letter or digit.',
  ]);
});

test('1: the name kustomize produces is checked: a bad namespace: of an including kustomization is reported on the name', () => {
  const engine = engineWith({
    '/r/kubernetes/components/namespace/kustomization.yaml': NAMESPACE_COMPONENT,
    '/r/kubernetes/apps/ai/kustomization.yaml': appsKustomization('ai'),
    '/r/kubernetes/apps/bad/kustomization.yaml': appsKustomization('Media_Apps'),
  });
  assert.deepEqual(engine.validate('/r/kubernetes/components/namespace/namespace.yaml', PLACEHOLDER_NAMESPACE).map(short), [
    '3:8-3:9 error invalid-name Invalid Namespace name "Media_Apps": a kustomization that includes this file sets namespace: "Media_Apps", and kustomize renames this Namespace to it; a Namespace name must be a DNS-1123 label: lowercase letters, digits and "-", starting and ending with a letter or digit. Fix the kustomization\'s namespace.',
  ]);
});

test('1: a build that keeps the written name still checks it; a Flux ${VAR} namespace cannot be known and is not checked', () => {
  const engine = engineWith({ '/r/base/kustomization.yaml': 'resources: [ns.yaml]\n' });
  const invalid = '3:8-3:9 error invalid-name Invalid metadata.name "_": a Namespace name must be a DNS-1123 label: lowercase letters, digits and "-", starting and ending with a letter or digit.';
  assert.deepEqual(engine.validate('/r/base/ns.yaml', PLACEHOLDER_NAMESPACE).map(short), [invalid]);
  engine.updateWorkspaceFile('/r/overlay/kustomization.yaml', 'namespace: ${TENANT}\nresources: [../base]\n');
  assert.deepEqual(engine.validate('/r/base/ns.yaml', PLACEHOLDER_NAMESPACE).map(short), []);
  // A second overlay that sets no namespace builds the Namespace as written.
  engine.updateWorkspaceFile('/r/plain/kustomization.yaml', 'resources: [../base]\n');
  assert.deepEqual(engine.validate('/r/base/ns.yaml', PLACEHOLDER_NAMESPACE).map(short), [invalid]);
});

test('1: metadata.namespace placeholders that an including kustomization replaces are not checked', () => {
  const engine = engineWith({ '/r/app/kustomization.yaml': 'namespace: media\nresources: [cm.yaml]\n' });
  const cm = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: _\ndata: {a: b}\n';
  assert.deepEqual(engine.validate('/r/app/cm.yaml', cm).map(short), []);
  assert.deepEqual(createDefaultEngine().validate('/r/other/cm.yaml', cm).map(short), [
    '4:13-4:14 error invalid-name Invalid metadata.namespace "_": a namespace must be a DNS-1123 label: lowercase letters, digits and "-", starting and ending with a letter or digit.',
  ]);
});

// --- 2. <Kind>List documents ----------------------------------------------------------------

/** kube-prometheus manifests/prometheus-roleSpecificNamespaces.yaml, reduced to one item. */
const ROLE_LIST = `apiVersion: rbac.authorization.k8s.io/v1
items:
- apiVersion: rbac.authorization.k8s.io/v1
  kind: Role
  metadata:
    name: prometheus-k8s
    namespace: default
  rules:
  - apiGroups:
    - ""
    resources:
    - services
    verbs:
    - get
kind: RoleList
`;

test('2: a RoleList (kube-prometheus) is a list: no unknown-kind, and its items are valid', () => {
  assert.deepEqual(createDefaultEngine().validate('/r/roles.yaml', ROLE_LIST).map(short), []);
});

test('2: each item of a <Kind>List is validated against its own kind, with the exact range', () => {
  const text = ROLE_LIST.replace('    verbs:\n', '    verb:\n');
  assert.deepEqual(createDefaultEngine().validate('/r/roles.yaml', text).map(short), [
    '8:4-14:0 error missing-required Missing required field "verbs" in Role.rules[0].',
    '12:4-12:8 error unknown-field Unknown field "verb" in Role.rules[0]. Did you mean "verbs"?',
  ]);
});

test('2: a ConfigMapList item without apiVersion and kind is a ConfigMap (as kubectl reads typed lists); one with only one of them is an error', () => {
  const list = `apiVersion: v1
kind: ConfigMapList
items:
- metadata:
    name: dashboards
  data:
    a.json: "{}"
- kind: ConfigMap
  metadata:
    name: other
  data:
    replicas: 3
`;
  assert.deepEqual(createDefaultEngine().validate('/r/cms.yaml', list).map(short), [
    '7:2-7:6 error missing-type ConfigMapList item [1] has no apiVersion: kubectl rejects it. Add "apiVersion:".',
  ]);
  const typed = list.replace('- kind: ConfigMap\n', '- kind: ConfigMap\n  apiVersion: v1\n');
  assert.deepEqual(createDefaultEngine().validate('/r/cms.yaml', typed).map(short), [
    '12:14-12:15 error type-mismatch Expected string at data.replicas, got integer 3. Quote the value to make it a string.',
  ]);
});

// --- 8. no noise on files that are not Kubernetes objects -------------------------------------

/** bjw-s-labs/home-ops kubernetes/apps/downloads/recyclarr/app: config/recyclarr.yml is configMapGenerator input. */
const RECYCLARR = `sonarr:
  sonarr:
    base_url: http://sonarr.downloads.svc.cluster.local
    api_key: !env_var SONARR_API_KEY
`;

test('8: an application tag (!env_var) in a configMapGenerator input gets no YAML warning', () => {
  const engine = engineWith({
    '/r/recyclarr/app/kustomization.yaml': 'configMapGenerator:\n  - name: recyclarr-configmap\n    files:\n      - recyclarr.yml=./config/recyclarr.yml\n',
  });
  assert.deepEqual(engine.validate('/r/recyclarr/app/config/recyclarr.yml', RECYCLARR).map(short), []);
  assert.deepEqual(engine.validateOnce('/r/recyclarr/app/config/recyclarr.yml', RECYCLARR).map(short), []);
});

test('8: the same tag in a file that is not a Kubernetes object is not reported either; in an object it is', () => {
  const engine = createDefaultEngine();
  assert.deepEqual(engine.validate('/r/tool-config.yaml', RECYCLARR).map(short), []);
  assert.deepEqual(engine.validateOnce('/r/tool-config.yaml', RECYCLARR).map(short), []);
  const cm = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  key: !env_var X\n';
  assert.deepEqual(engine.validate('/r/cm.yaml', cm).map(short), ['5:7-5:15 warning yaml-warning YAML: Unresolved tag: !env_var']);
});
