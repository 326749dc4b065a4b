/**
 * CRD CEL rules (x-kubernetes-validations) evaluated offline: findings on the
 * rule's node or fieldPath with the rule's message, defaults applied first,
 * transition rules skipped, Flux substitutions left alone, hostile rules
 * bounded by cost, and the Kubernetes extension functions that rules use.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evaluateCelRules, parseFieldPath, CEL_RULE_COST_LIMIT } from '../../server/src/cel/cel-rules.js';
import { escapeCelName } from '../../server/src/cel/cel-values.js';
import type { FlatSchema } from '../../server/src/schemas/schema-registry.js';
import { createDefaultEngine } from '../../server/src/validation/validation-engine.js';
import type { Finding } from '../../server/src/findings.js';

const short = (f: Finding) => `${f.range.start.line}:${f.range.start.character}-${f.range.end.line}:${f.range.end.character} ${f.severity} ${f.code} ${f.message}`;

// flux2-kustomize-helm-example infrastructure/controllers/cert-manager.yaml, its chartRef removed.
const HELM_RELEASE = `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: cert-manager
  namespace: cert-manager
spec:
  interval: 12h
  install:
    strategy:
      name: RetryOnFailure
  values:
    crds:
      enabled: true
`;

test('a Flux HelmRelease with neither chart nor chartRef gets the CRD rule\'s message on spec', () => {
  const engine = createDefaultEngine();
  assert.deepEqual(engine.validate('/w/release.yaml', HELM_RELEASE).map(short), [
    '5:0-5:4 error cel-rule either chart or chartRef must be set',
  ]);
  const fixed = HELM_RELEASE.replace('  values:', '  chartRef:\n    kind: OCIRepository\n    name: cert-manager\n  values:');
  assert.deepEqual(engine.validate('/w/release.yaml', fixed).map(short), []);
});

test('rules see the defaulted object: a Flux Bucket without provider is "generic"; with provider gcp, sts is refused', () => {
  const engine = createDefaultEngine();
  const bucket = (provider: string) => `apiVersion: source.toolkit.fluxcd.io/v1
kind: Bucket
metadata:
  name: b
spec:
  interval: 5m
  bucketName: b
  endpoint: minio.example.com
${provider}  sts:
    provider: ldap
    endpoint: https://sts.example.com
`;
  assert.deepEqual(engine.validate('/w/bucket.yaml', bucket('')).map((f) => f.code), []);
  assert.deepEqual(engine.validate('/w/bucket.yaml', bucket('  provider: gcp\n')).map(short), [
    "4:0-4:4 error cel-rule STS configuration is only supported for the 'aws' and 'generic' Bucket providers",
  ]);
});

const crd = (rules: unknown[], props: Record<string, unknown> = {}) => ({
  apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition',
  spec: {
    group: 'example.com', names: { kind: 'Widget' },
    versions: [{ name: 'v1', served: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', 'x-kubernetes-validations': rules, properties: { size: { type: 'integer' }, 'max-size': { type: 'integer' }, items: { type: 'array', items: { type: 'integer' } }, name: { type: 'string' }, ...props } } } } } }],
  },
});

test('workspace CRD rules: fieldPath places the finding, messageExpression words it, oldSelf rules are skipped', () => {
  const engine = createDefaultEngine();
  engine.registry.addCrd('/w/crd.yaml', crd([
    { rule: 'self.size <= self.max__dash__size', messageExpression: "'size ' + string(self.size) + ' is over max-size ' + string(self.max__dash__size)", fieldPath: '.size' },
    { rule: 'self == oldSelf', message: 'immutable' },
    { rule: "!has(self.name) || self.name.matches('^[a-z]+$')", message: 'name must be lowercase letters', fieldPath: ".name" },
  ]));
  const text = 'apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\nspec:\n  size: 5\n  max-size: 3\n  name: ABC\n';
  assert.deepEqual(engine.validate('/w/widget.yaml', text).map(short), [
    '5:2-5:6 error cel-rule size 5 is over max-size 3',
    '7:2-7:6 error cel-rule name must be lowercase letters',
  ]);
  // A value still to be substituted by Flux is not judged: the rules of a node whose value holds one are not run.
  assert.deepEqual(engine.validate('/w/widget.yaml', text.replace('name: ABC', 'name: ${NAME}')).map(short), []);
  // A schema error inside the node is reported instead of the rules, which assume the schema's shape.
  assert.deepEqual(engine.validate('/w/widget.yaml', text.replace('size: 5', 'size: five')).map((f) => f.code), ['type-mismatch']);
});

test('a hostile rule is not run: its estimated cost is over the limit, and validation stays fast', () => {
  const engine = createDefaultEngine();
  engine.registry.addCrd('/w/crd.yaml', crd([{ rule: 'self.items.all(a, self.items.all(b, self.items.all(c, a + b + c >= 0)))', message: 'never' }]));
  const items = Array.from({ length: 2000 }, (_, i) => `    - ${i}`).join('\n');
  const started = Date.now();
  const findings = engine.validate('/w/widget.yaml', `apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\nspec:\n  items:\n${items}\n`);
  assert.ok(Date.now() - started < 5000);
  assert.deepEqual(findings.map((f) => [f.severity, f.code]), [['information', 'cel-cost-limit']]);
  assert.match(findings[0].message, new RegExp(`over the limit of ${CEL_RULE_COST_LIMIT}`));
});

const resolver = { child: (_p: FlatSchema, n: unknown) => (n ? ({ ...(n as object), scope: 's' } as FlatSchema) : undefined) };
const holds = (rule: string, self: unknown = {}) =>
  evaluateCelRules([{ rule, message: 'm' }], self, { type: 'object', scope: 's' } as FlatSchema, resolver, { remaining: 1e7 }).length === 0;

test('the Kubernetes CEL extension functions that CRD rules use', () => {
  for (const rule of [
    "isURL('https://example.com/x') && !isURL('example.com') && url('https://example.com:8443/p?q=1').getScheme() == 'https'",
    "url('https://example.com:8443/p').getHostname() == 'example.com' && url('https://example.com:8443/p').getPort() == '8443' && url('https://e.com/a/b').getEscapedPath() == '/a/b'",
    "isIP('10.0.0.1') && isIP('::1') && !isIP('10.0.0') && !isIP('::ffff:1.2.3.4') && ip('fd00::1').family() == 6 && ip('127.0.0.1').isLoopback()",
    "isCIDR('10.0.0.0/8') && !isCIDR('10.0.0.0/33') && cidr('10.0.0.0/8').containsIP('10.1.2.3') && !cidr('10.0.0.0/8').containsIP('11.0.0.1') && cidr('fd00::/8').prefixLength() == 8",
    "isQuantity('500m') && !isQuantity('5 Gi') && quantity('1Gi').isGreaterThan(quantity('1000Mi')) && quantity('1500m').compareTo(quantity('1.5')) == 0 && quantity('2k').asInteger() == 2000",
    "[1, 2, 3].isSorted() && ![2, 1].isSorted() && [1, 2, 3].sum() == 6 && [3, 1, 2].min() == 1 && ['a', 'c', 'b'].max() == 'c' && [1, 2, 1].lastIndexOf(1) == 2 && [1, 2].indexOf(2) == 1",
    "format.dns1123Label().validate('web') == null && format.dns1123Label().validate('Web_1') != null",
    "'Web'.lowerAscii() == 'web' && 'a,b'.split(',').size() == 2 && 'abc'.matches('(?i)^ABC$') && duration('5m') > duration('1m')",
  ]) assert.ok(holds(rule), rule);
});

test('property names are escaped as the API server does, and fieldPaths are read with quotes', () => {
  assert.equal(escapeCelName('max-size'), 'max__dash__size');
  assert.equal(escapeCelName('a.b/c__d'), 'a__dot__b__slash__c__underscores__d');
  assert.equal(escapeCelName('namespace'), '__namespace__');
  assert.equal(escapeCelName('1abc'), undefined);
  assert.deepEqual(parseFieldPath(".spec['tls.crt'].name"), ['spec', 'tls.crt', 'name']);
  assert.deepEqual(parseFieldPath(undefined), []);
});
