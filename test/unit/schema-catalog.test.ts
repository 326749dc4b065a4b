/**
 * The CRD catalog (schemas/catalog/): custom resources of the ecosystem validate
 * against their project's CRD, the catalog is read one group/version at a time,
 * workspace and cluster CRDs win over it, hover names the project and version,
 * and the writer's layout (shared subtrees, identical versions, dropped
 * versions) resolves back to the same schemas.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { skippedVersions } from '../../scripts/catalog/collect-crds.js';
import { buildCatalog, shareRepeatedSubtrees } from '../../server/src/schemas/catalog-writer.js';
import { findSchemasDir, readBundleDirectory, SchemaRegistry } from '../../server/src/schemas/schema-registry.js';
import { ValidationEngine, createDefaultEngine } from '../../server/src/validation/validation-engine.js';
import type { Finding } from '../../server/src/findings.js';

const short = (f: Finding) => `${f.range.start.line}:${f.range.start.character}-${f.range.end.line}:${f.range.end.character} ${f.severity} ${f.code} ${f.message}`;

// bjw-s-labs-home-ops kubernetes/apps/security/kanidm/app/certificate.yaml, with the issuer dropped and a typo.
const CERTIFICATE = `apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: idm-bjw-s-dev
spec:
  dnsNames:
    - idm.bjw-s.dev
  duration: 160h
  privateKey:
    algorithm: ECDSA
    size: 256
    rotationPolicy: Alway
  secretName: idm-bjw-s-dev-tls
`;

test('a cert-manager Certificate is validated against the catalog: missing issuerRef and a wrong enum, on the exact keys', () => {
  const engine = createDefaultEngine();
  assert.deepEqual(engine.validate('/w/certificate.yaml', CERTIFICATE).map(short), [
    '4:0-4:4 error missing-required Missing required field "issuerRef" in Certificate.spec.',
    '11:20-11:25 error invalid-enum Invalid value "Alway" at spec.privateKey.rotationPolicy. Allowed: "Never", "Always". Did you mean "Always"?',
  ]);
});

test('real custom resources of the corpora validate cleanly: ExternalSecret, HTTPRoute, CiliumNetworkPolicy, Flux Alert with a Flux Operator kind', () => {
  const engine = createDefaultEngine();
  const docs = [
    // bjw-s-labs-home-ops kubernetes/apps/*/kopiur ExternalSecret
    'apiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata:\n  name: kopiur-nas\nspec:\n  refreshInterval: 12h\n  secretStoreRef:\n    kind: ClusterSecretStore\n    name: onepassword-connect\n  target:\n    name: kopiur-nas-secret\n    creationPolicy: Owner\n  data:\n    - secretKey: KOPIA_PASSWORD\n      remoteRef:\n        key: kopiur\n        property: KOPIA_PASSWORD\n',
    'apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: web\nspec:\n  parentRefs:\n    - name: envoy-external\n      namespace: network\n      sectionName: https\n  hostnames: ["web.example.com"]\n  rules:\n    - backendRefs:\n        - name: web\n          port: 80\n',
    'apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata:\n  name: allow\nspec:\n  endpointSelector: {}\n  ingress:\n    - fromEntities: [cluster]\n',
    // bjw-s-labs-home-ops kubernetes/components/flux-alerts/alert.yaml (Flux Operator adds FluxInstance to the enum).
    'apiVersion: notification.toolkit.fluxcd.io/v1beta3\nkind: Alert\nmetadata:\n  name: flux\nspec:\n  providerRef:\n    name: github\n  eventSources:\n    - kind: FluxInstance\n      name: flux\n',
  ];
  for (const text of docs) assert.deepEqual(engine.validate('/w/cr.yaml', text).map(short), [], text.split('\n')[1]);
});

test('the catalog is read one group/version file at a time, and not at all for built-in kinds', () => {
  const dir = findSchemasDir()!;
  const bundle = readBundleDirectory(dir);
  const reads: string[] = [];
  let indexReads = 0;
  const catalog = bundle.catalog!;
  bundle.catalog = {
    index: () => {
      indexReads++;
      return catalog.index();
    },
    readPackage: (pkg) => {
      const defs = catalog.readPackage(pkg);
      if (defs) reads.push(pkg);
      return defs;
    },
  };
  const engine = new ValidationEngine({ registry: new SchemaRegistry(bundle) });
  assert.deepEqual(engine.validate('/w/svc.yaml', 'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports:\n    - port: 80\n'), []);
  assert.equal(indexReads, 0, 'a Service does not read the catalog index');
  engine.validate('/w/certificate.yaml', CERTIFICATE);
  assert.deepEqual(reads, ['io.cert-manager.v1']);
});

test('a cluster and a workspace CRD win over the catalog; hover names the catalog project and version', () => {
  const engine = createDefaultEngine();
  const registry = engine.registry;
  assert.equal(registry.lookupKind('cert-manager.io/v1', 'Certificate')?.origin, 'catalog');
  const hover = engine.hover('/w/certificate.yaml', CERTIFICATE, { line: 1, character: 8 });
  assert.match(hover!.markdown, /_Schema: catalog: cert-manager v1\.21\.2 \(github\.com\/cert-manager\/cert-manager\)_/);
  registry.setClusterSchemas('cluster:test', [{
    paths: { '/apis/cert-manager.io/v1/namespaces/{namespace}/certificates': { get: { 'x-kubernetes-group-version-kind': { group: 'cert-manager.io', version: 'v1', kind: 'Certificate' } } } },
    components: { schemas: { 'io.cert-manager.v1.Certificate': { type: 'object', 'x-kubernetes-group-version-kind': [{ group: 'cert-manager.io', version: 'v1', kind: 'Certificate' }], properties: { apiVersion: { type: 'string' }, spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } } } },
  }]);
  assert.equal(registry.lookupKind('cert-manager.io/v1', 'Certificate')?.origin, 'cluster');
  registry.addCrd('/w/crd.yaml', {
    apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition',
    spec: { group: 'cert-manager.io', names: { kind: 'Certificate' }, versions: [{ name: 'v1', served: true, schema: { openAPIV3Schema: { type: 'object' } } }] },
  });
  assert.equal(registry.lookupKind('cert-manager.io/v1', 'Certificate')?.origin, 'workspace');
  registry.removeSource('/w/crd.yaml');
  registry.removeSource('cluster:test');
  assert.equal(registry.lookupKind('cert-manager.io/v1', 'Certificate')?.origin, 'catalog');
});

test('the catalog writer stores identical versions once, shares repeated subtrees and records unserved versions', () => {
  const big = { type: 'object', description: 'x'.repeat(400), properties: { a: { type: 'string' } } };
  const version = (name: string, served = true) => ({ name, served, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { one: big, two: big } }, status: { type: 'object', properties: { phase: { type: 'string' } } } } } } });
  const { index, definitions } = buildCatalog([{
    project: { id: 'p', name: 'Project', module: 'example.com/p', version: 'v1.2.3' },
    crds: [{ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', spec: { group: 'x.io', names: { kind: 'Thing' }, versions: [version('v1'), version('v1beta1'), version('v1alpha1', false)] } }],
    retired: [{ group: 'x.io', version: 'v0', kind: 'Thing', removedIn: 'Project v1.0', replacement: 'x.io/v1' }],
  }]);
  assert.deepEqual(index.kinds.map((k) => `${k.group}/${k.version}/${k.kind} ${k.project}`), ['x.io/v1/Thing p', 'x.io/v1beta1/Thing p']);
  assert.deepEqual(index.retired.map((r) => `${r.version} ${r.removedIn} ${r.replacement}`), ['v0 Project v1.0 x.io/v1', 'v1alpha1 Project v1.2.3 x.io/v1']);
  assert.deepEqual(definitions['io.x.v1beta1.Thing'], { $ref: 'io.x.v1.Thing' });
  assert.equal(definitions['io.x.v1.Thing'].properties!.status.description, 'Written by the controller; not validated in manifests.');
  const shared = shareRepeatedSubtrees('io.x.v1', { 'io.x.v1.Thing': definitions['io.x.v1.Thing'] });
  assert.deepEqual(shared['io.x.v1.Thing'].properties!.spec.properties, { one: { $ref: 'io.x.v1.~0' }, two: { $ref: 'io.x.v1.~0' } });
  assert.deepEqual(shared['io.x.v1.~0'], big);
});

test('dropped CRD versions are read from +kubebuilder:skipversion markers of the API types', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-lens-api-'));
  try {
    fs.mkdirSync(path.join(dir, 'v1beta2'));
    fs.writeFileSync(path.join(dir, 'v1beta2', 'groupversion_info.go'), 'var (\n\tGroupVersion = schema.GroupVersion{Group: "source.toolkit.fluxcd.io", Version: "v1beta2"}\n)\n');
    fs.writeFileSync(path.join(dir, 'v1beta2', 'ocirepository_types.go'), [
      '// +genclient', '// +kubebuilder:object:root=true', '// +kubebuilder:skipversion', '', '// OCIRepository is the Schema', 'type OCIRepository struct {', '}',
      '// OCIRepositoryList contains a list', '// +kubebuilder:object:root=true', 'type OCIRepositoryList struct {', '}',
      '// +kubebuilder:object:root=true', 'type Served struct {', '}',
    ].join('\n'));
    assert.deepEqual(skippedVersions(dir), [{ group: 'source.toolkit.fluxcd.io', version: 'v1beta2', kind: 'OCIRepository' }]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
