/**
 * Target Kubernetes version and API lifecycle: built-in schemas of the chosen
 * minor, deprecation warnings with the removing release and the replacement,
 * errors for removed built-in versions and for CRD versions that are no
 * longer served (still validated against the nearest served version), and
 * CRD `deprecated` versions with their `deprecationWarning`.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalizeSettings } from '../../server/src/protocol/settings.js';
import { minorOf } from '../../server/src/schemas/kubernetes-versions.js';
import { createDefaultEngine } from '../../server/src/validation/validation-engine.js';
import type { Finding } from '../../server/src/findings.js';

const short = (f: Finding) => `${f.range.start.line}:${f.range.start.character}-${f.range.end.line}:${f.range.end.character} ${f.severity} ${f.code} ${f.message}`;

// flux2-multi-tenancy infrastructure/kyverno/source.yaml: a true defect of that repository (Flux 2.9 no longer serves v1beta2).
const OCI_V1BETA2 = `apiVersion: source.toolkit.fluxcd.io/v1beta2
kind: OCIRepository
metadata:
  name: kyverno-controller
  namespace: flux-system
spec:
  interval: 120m0s
  provider: generic
  url: oci://ghcr.io/kyverno/manifests/kyverno
  ref:
    tag: "v1.14.4"
  verify:
    provider: cosign
`;

test('a CRD version its project dropped is an error naming the replacement, and the document is checked against it', () => {
  const engine = createDefaultEngine();
  assert.deepEqual(engine.validate('/w/source.yaml', OCI_V1BETA2).map(short), [
    '0:12-0:44 error removed-api-version source.toolkit.fluxcd.io/v1beta2 OCIRepository is no longer served by Flux source-controller v1.9.6. Use apiVersion source.toolkit.fluxcd.io/v1. Checked against source.toolkit.fluxcd.io/v1.',
  ]);
  assert.deepEqual(engine.validate('/w/source.yaml', OCI_V1BETA2.replace('provider: generic', 'provider: gogle')).map((f) => f.code), ['removed-api-version', 'invalid-enum']);
  const [finding] = engine.validate('/w/source.yaml', OCI_V1BETA2);
  assert.deepEqual(finding.data, { suggestion: 'source.toolkit.fluxcd.io/v1' });
});

const INGRESS_V1BETA1 = `apiVersion: extensions/v1beta1
kind: Ingress
metadata:
  name: web
spec:
  rules:
    - host: web.example.com
      http:
        paths:
          - path: /
            backend:
              serviceName: web
              servicePort: 80
`;

test('a removed built-in apiVersion is an error with the removing release and the replacement, in place of "Unknown apiVersion"', () => {
  const engine = createDefaultEngine();
  const findings = engine.validate('/w/ingress.yaml', INGRESS_V1BETA1).map(short);
  assert.equal(findings[0], '0:12-0:30 error removed-api-version extensions/v1beta1 Ingress was removed in Kubernetes 1.22 (target version 1.37). Use networking.k8s.io/v1. Checked against networking.k8s.io/v1.');
  // Checked against networking.k8s.io/v1: the old backend fields are reported there.
  assert.deepEqual(findings.slice(1).map((f) => f.split(' ').slice(1, 3).join(' ')), ['error missing-required', 'error unknown-field', 'error unknown-field']);
});

const FLOW_SCHEMA = 'apiVersion: flowcontrol.apiserver.k8s.io/v1beta3\nkind: FlowSchema\nmetadata:\n  name: fs\nspec:\n  priorityLevelConfiguration:\n    name: workload-low\n';

test('the target version decides: deprecated (warning) in 1.31 is not bundled, so 1.32 reports the removal; setting 1.20 uses the oldest bundled', () => {
  const engine = createDefaultEngine();
  assert.equal(engine.setKubernetesVersion('1.32'), 'v1.32.13');
  assert.deepEqual(engine.validate('/w/fs.yaml', FLOW_SCHEMA).map(short), [
    '0:12-0:48 error removed-api-version flowcontrol.apiserver.k8s.io/v1beta3 FlowSchema was removed in Kubernetes 1.32 (target version 1.32). Use flowcontrol.apiserver.k8s.io/v1. Checked against flowcontrol.apiserver.k8s.io/v1.',
  ]);
  assert.equal(engine.setKubernetesVersion('1.20'), 'v1.32.13');
  assert.equal(engine.setKubernetesVersion(''), 'v1.37.2');
  assert.deepEqual(engine.registry.supportedKubernetesVersions().map((v) => minorOf(v)), ['1.37', '1.36', '1.35', '1.34', '1.33', '1.32']);
});

test('a built-in apiVersion that the target version deprecates gets a warning with its removal release and replacement', () => {
  const engine = createDefaultEngine();
  const vap = 'apiVersion: admissionregistration.k8s.io/v1beta1\nkind: ValidatingAdmissionPolicy\nmetadata:\n  name: p\nspec:\n  validations:\n    - expression: object.spec.replicas <= 5\n';
  engine.setKubernetesVersion('1.32');
  assert.deepEqual(engine.validate('/w/vap.yaml', vap).map(short), [
    '0:12-0:48 warning deprecated-api-version admissionregistration.k8s.io/v1beta1 ValidatingAdmissionPolicy is deprecated since Kubernetes 1.31 and removed in 1.34 (target version 1.32), and not served unless enabled. Checked against admissionregistration.k8s.io/v1.',
  ]);
  engine.setKubernetesVersion('1.35');
  assert.equal(engine.validate('/w/vap.yaml', vap)[0].message, 'admissionregistration.k8s.io/v1beta1 ValidatingAdmissionPolicy was removed in Kubernetes 1.34 (target version 1.35). Checked against admissionregistration.k8s.io/v1.');
  // A cluster that serves it: a deprecation warning for the cluster's version, validated with the cluster's schema.
  engine.setKubernetesVersion('');
  engine.registry.setClusterSchemas('cluster:c', [{
    paths: { '/apis/admissionregistration.k8s.io/v1beta1/validatingadmissionpolicies': { get: { 'x-kubernetes-group-version-kind': { group: 'admissionregistration.k8s.io', version: 'v1beta1', kind: 'ValidatingAdmissionPolicy' } } } },
    components: { schemas: { 'io.k8s.api.admissionregistration.v1beta1.ValidatingAdmissionPolicy': { type: 'object', 'x-kubernetes-group-version-kind': [{ group: 'admissionregistration.k8s.io', version: 'v1beta1', kind: 'ValidatingAdmissionPolicy' }], properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' }, spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } } } },
  }], 'v1.33.2');
  assert.deepEqual(engine.validate('/w/vap.yaml', vap).map(short), [
    '0:12-0:48 warning deprecated-api-version admissionregistration.k8s.io/v1beta1 ValidatingAdmissionPolicy is deprecated since Kubernetes 1.31 and removed in 1.34 (target version 1.33).',
  ]);
});

test('built-in schemas follow the target version: a PodSpec field added after 1.32 is unknown there', () => {
  const engine = createDefaultEngine();
  const pod = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  hostnameOverride: web\n  containers:\n    - name: web\n      image: nginx\n';
  assert.deepEqual(engine.validate('/w/pod.yaml', pod).map(short), []);
  engine.setKubernetesVersion('v1.32');
  assert.deepEqual(engine.validate('/w/pod.yaml', pod).map((f) => `${f.code} ${f.range.start.line}:${f.range.start.character}`), ['unknown-field 5:2']);
  // The bound cluster's version is the default target when no version is set.
  engine.setKubernetesVersion('');
  engine.registry.setClusterSchemas('cluster:c', [{ paths: {}, components: { schemas: {} } }], 'v1.34.1');
  assert.equal(engine.registry.kubernetesVersion, 'v1.34.4');
  engine.registry.removeSource('cluster:c');
  assert.equal(engine.registry.kubernetesVersion, 'v1.37.2');
});

test('CRD versions marked deprecated warn with their deprecationWarning; versions with served: false are errors', () => {
  const engine = createDefaultEngine();
  engine.registry.addCrd('/w/crd.yaml', {
    apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition',
    spec: {
      group: 'example.com', names: { kind: 'Widget' },
      versions: [
        { name: 'v1', served: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } } } } },
        { name: 'v1beta1', served: true, deprecated: true, deprecationWarning: 'example.com/v1beta1 Widget is deprecated; use example.com/v1', schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } },
        { name: 'v1alpha1', served: false, schema: { openAPIV3Schema: { type: 'object' } } },
      ],
    },
  });
  const doc = (v: string) => `apiVersion: example.com/${v}\nkind: Widget\nmetadata:\n  name: w\nspec:\n  size: big\n`;
  assert.deepEqual(engine.validate('/w/w.yaml', doc('v1beta1')).map(short), [
    '0:12-0:31 warning deprecated-api-version example.com/v1beta1 Widget is deprecated; use example.com/v1. Use apiVersion example.com/v1.',
  ]);
  assert.deepEqual(engine.validate('/w/w.yaml', doc('v1alpha1')).map(short), [
    '0:12-0:32 error removed-api-version example.com/v1alpha1 Widget is no longer served by its CustomResourceDefinition. Use apiVersion example.com/v1. Checked against example.com/v1.',
    '5:8-5:11 error type-mismatch Expected integer at spec.size, got string "big".',
  ]);
});

test('gitopsLens.kubernetesVersion is normalized: a version or empty', () => {
  assert.equal(normalizeSettings({ kubernetesVersion: '1.34' }).kubernetesVersion, '1.34');
  assert.equal(normalizeSettings({ kubernetesVersion: 'v1.34.2' }).kubernetesVersion, 'v1.34.2');
  assert.equal(normalizeSettings({ kubernetesVersion: 'latest' }).kubernetesVersion, '');
  assert.equal(normalizeSettings({}).kubernetesVersion, '');
});
