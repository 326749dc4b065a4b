import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crdDefinitionName, crdToSchemas } from '../../server/src/schemas/crd-schemas.js';
import { goTypeToDefinition, readGoOpenApiEnums } from '../../server/src/schemas/go-openapi-enums.js';
import { collectOpenApi, shortenDescription, trimSchema } from '../../server/src/schemas/openapi-bundle.js';
import { SchemaRegistry } from '../../server/src/schemas/schema-registry.js';

test('trimSchema keeps what validation needs and collapses allOf-wrapped references', () => {
  const raw = {
    description: 'd', type: 'object', default: {}, 'x-kubernetes-validations': [{ rule: 'x', message: 'm', extra: 1 }, { nope: 1 }],
    properties: { a: { allOf: [{ $ref: '#/components/schemas/io.x.v1.A' }], description: 'a', default: {} } },
    additionalProperties: false, 'x-kubernetes-preserve-unknown-fields': true,
  };
  assert.deepEqual(trimSchema(raw), {
    description: 'd', type: 'object', 'x-kubernetes-validations': [{ rule: 'x', message: 'm' }], properties: { a: { $ref: 'io.x.v1.A', description: 'a' } },
    additionalProperties: false, 'x-kubernetes-preserve-unknown-fields': true,
  });
  // CRDs keep their defaults: the API server applies them before it evaluates CEL rules.
  assert.deepEqual(trimSchema(raw, { keepDefaults: true }).default, {});
  assert.equal(shortenDescription('One. Two. Three three three.', 12), 'One. Two. …');
});

test('collectOpenApi finds kinds and whether they are namespaced', () => {
  const { kinds, definitions } = collectOpenApi([{
    paths: {
      '/apis/x.io/v1/namespaces/{namespace}/as': { get: { 'x-kubernetes-group-version-kind': { group: 'x.io', version: 'v1', kind: 'A' } } },
      '/apis/x.io/v1/bs': { get: { 'x-kubernetes-group-version-kind': { group: 'x.io', version: 'v1', kind: 'B' } } },
    },
    components: { schemas: {
      'io.x.v1.A': { 'x-kubernetes-group-version-kind': [{ group: 'x.io', version: 'v1', kind: 'A' }], properties: { apiVersion: { type: 'string' } } },
      'io.x.v1.B': { 'x-kubernetes-group-version-kind': [{ group: 'x.io', version: 'v1', kind: 'B' }], properties: { apiVersion: { type: 'string' } } },
      'io.x.v1.BList': { 'x-kubernetes-group-version-kind': [{ group: 'x.io', version: 'v1', kind: 'BList' }], properties: { apiVersion: { type: 'string' } } },
    } },
  }]);
  assert.deepEqual(kinds, [
    { group: 'x.io', version: 'v1', kind: 'A', definition: 'io.x.v1.A', namespaced: true },
    { group: 'x.io', version: 'v1', kind: 'B', definition: 'io.x.v1.B', namespaced: false },
  ]);
  assert.ok(definitions['io.x.v1.BList']);
});

test('crdToSchemas names definitions like kube-apiserver and adds ObjectMeta', () => {
  assert.equal(crdDefinitionName('source.toolkit.fluxcd.io', 'v1', 'GitRepository'), 'io.fluxcd.toolkit.source.v1.GitRepository');
  const { kinds, definitions } = crdToSchemas({
    apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition',
    spec: { group: 'x.io', scope: 'Cluster', names: { kind: 'Thing' }, versions: [
      { name: 'v1', served: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object' } } } } },
      { name: 'v0', served: false, schema: { openAPIV3Schema: { type: 'object' } } },
    ] },
  });
  assert.deepEqual(kinds, [{ group: 'x.io', version: 'v1', kind: 'Thing', definition: 'io.x.v1.Thing', namespaced: false }]);
  assert.equal(definitions['io.x.v1.Thing'].properties?.metadata?.$ref, 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta');
  assert.deepEqual(crdToSchemas({ kind: 'ConfigMap' }), { definitions: {}, kinds: [], retired: [] });
});

test('enums are read from generated Go OpenAPI definitions', () => {
  const src = [
    'import (',
    '\tcorev1 "k8s.io/api/core/v1"',
    ')',
    'func GetOpenAPIDefinitions(ref common.ReferenceCallback) map[string]common.OpenAPIDefinition {',
    '\treturn map[string]common.OpenAPIDefinition{',
    '\t\tcorev1.Container{}.OpenAPIModelName(): schema_k8sio_api_core_v1_Container(ref),',
    '\t}',
    '}',
    'func schema_k8sio_api_core_v1_Container(ref common.ReferenceCallback) common.OpenAPIDefinition {',
    '\treturn common.OpenAPIDefinition{',
    '\t\tSchema: spec.Schema{',
    '\t\t\tSchemaProps: spec.SchemaProps{',
    '\t\t\t\tProperties: map[string]spec.Schema{',
    '\t\t\t\t\t"imagePullPolicy": {',
    '\t\t\t\t\t\tSchemaProps: spec.SchemaProps{',
    '\t\t\t\t\t\t\tEnum:        []interface{}{"Always", "IfNotPresent", "Never"},',
  ].join('\n');
  assert.deepEqual(readGoOpenApiEnums(src), { 'io.k8s.api.core.v1.Container': { imagePullPolicy: ['Always', 'IfNotPresent', 'Never'] } });
  assert.equal(goTypeToDefinition('k8s.io/apimachinery/pkg/apis/meta/v1.ObjectMeta'), 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta');
});

test('the bundle holds the control plane version with Flux and Argo CD CRDs', () => {
  const registry = SchemaRegistry.fromDirectory();
  assert.equal(registry.bundleInfo.source, 'kube-apiserver');
  assert.match(registry.bundleInfo.kubernetesVersion, /^v1\.\d+\.\d+$/);
  for (const [av, kind] of [['source.toolkit.fluxcd.io/v1', 'GitRepository'], ['kustomize.toolkit.fluxcd.io/v1', 'Kustomization'], ['helm.toolkit.fluxcd.io/v2', 'HelmRelease'], ['argoproj.io/v1alpha1', 'Application'], ['argoproj.io/v1alpha1', 'AppProject'], ['apps/v1', 'Deployment'], ['kustomize.config.k8s.io/v1beta1', 'Kustomization']]) {
    assert.ok(registry.lookupKind(av, kind), `${av} ${kind} is bundled`);
  }
  assert.equal(registry.lookupKind('apps/v1', 'Deployment')?.entry.namespaced, true);
  assert.equal(registry.lookupKind('v1', 'Namespace')?.entry.namespaced, false);
});

test('workspace CRDs take precedence over the catalog, and removing them restores it', () => {
  const registry = SchemaRegistry.fromDirectory();
  const generation = registry.generation;
  registry.addCrd('/w/crd.yaml', {
    apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition',
    spec: { group: 'source.toolkit.fluxcd.io', names: { kind: 'GitRepository' }, versions: [{ name: 'v1', served: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { only: { type: 'string' } } } } } } }] },
  });
  assert.ok(registry.generation > generation);
  assert.equal(registry.lookupKind('source.toolkit.fluxcd.io/v1', 'GitRepository')?.origin, 'workspace');
  assert.deepEqual(Object.keys(registry.schemaAt('source.toolkit.fluxcd.io/v1', 'GitRepository', ['spec'])?.properties ?? {}), ['only']);
  // ObjectMeta of a workspace CRD resolves from the bundle.
  assert.ok(registry.schemaAt('source.toolkit.fluxcd.io/v1', 'GitRepository', ['metadata', 'labels']));
  registry.removeSource('/w/crd.yaml');
  assert.equal(registry.lookupKind('source.toolkit.fluxcd.io/v1', 'GitRepository')?.origin, 'catalog');
});
