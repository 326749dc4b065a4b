/** Normalization of live and dry-run objects, the unified diff, and API error field paths. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../../server/src/cluster/cluster-types.js';
import { approximateApply, changedPaths, jsonEqual, normalizeObject } from '../../server/src/preview/normalize-object.js';
import { fieldPathFromMessage } from '../../server/src/preview/plan.js';
import { splitFieldPath } from '../../server/src/render/source-documents.js';
import { stringify } from 'yaml';
import { fastStableYaml, stableYaml } from '../../server/src/render/stable-yaml.js';
import { unifiedDiff } from '../../server/src/preview/unified-diff.js';

const live: KubeObject = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: {
    name: 'c',
    namespace: 'n',
    uid: 'u-1',
    resourceVersion: '42',
    generation: 3,
    creationTimestamp: '2026-01-01T00:00:00Z',
    managedFields: [{ manager: 'kustomize-controller', operation: 'Apply' }],
    annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"big":"blob"}' },
    labels: { app: 'x' },
  },
  data: { a: '1' },
  status: { phase: 'whatever' },
};

test('normalization drops server bookkeeping, status and the last-applied annotation, and does not mutate its input', () => {
  assert.deepEqual(normalizeObject(live), {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'c', namespace: 'n', labels: { app: 'x' } },
    data: { a: '1' },
  });
  assert.equal(live.metadata.resourceVersion, '42');
  assert.ok(live.metadata.annotations);
});

test('jsonEqual ignores key order; changedPaths names the fields that differ', () => {
  assert.equal(jsonEqual({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 }), true);
  assert.equal(jsonEqual({ a: 1 }, { a: 1, b: undefined }), true);
  assert.equal(jsonEqual([1, 2], [2, 1]), false);
  assert.deepEqual(
    changedPaths(
      { spec: { replicas: 3, template: { containers: [{ image: 'a:1' }, { image: 'b:1' }] } }, data: { x: '1' } },
      { spec: { replicas: 2, template: { containers: [{ image: 'a:1' }, { image: 'b:2' }] } }, data: { x: '1', y: '2' } },
    ),
    ['data.y', 'spec.replicas', 'spec.template.containers[1].image'],
  );
  assert.deepEqual(changedPaths({ a: [1] }, { a: [1, 2] }), ['a']);
});

test('the approximate apply merges maps and replaces lists', () => {
  assert.deepEqual(
    approximateApply({ metadata: { labels: { a: '1' } }, spec: { list: [1, 2], keep: true } }, { metadata: { labels: { b: '2' } }, spec: { list: [3] } }),
    { metadata: { labels: { a: '1', b: '2' } }, spec: { list: [3], keep: true } },
  );
});

test('stable YAML sorts keys at every level', () => {
  assert.equal(stableYaml({ b: 1, a: { d: 1, c: [{ z: 1, y: 2 }] } }), 'a:\n  c:\n    - y: 2\n      z: 1\n  d: 1\nb: 1\n');
  assert.equal(stableYaml(undefined), '');
});

test('the direct YAML writer gives the yaml library\'s exact text, or gives way to it', () => {
  const library = (v: unknown) => stringify(v, { sortMapEntries: true, lineWidth: 0, aliasDuplicateObjects: false });
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'n', labels: { 'app.kubernetes.io/name': 'web' }, annotations: { 'deployment.kubernetes.io/revision': '1' } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      strategy: { rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' }, type: 'RollingUpdate' },
      template: {
        metadata: { creationTimestamp: null, labels: { app: 'web' } },
        spec: {
          containers: [{ name: 'web', image: 'registry.example/web:1.2.3', ports: [{ containerPort: 8080, protocol: 'TCP' }], resources: {}, args: [] }],
          dnsPolicy: 'ClusterFirst',
          securityContext: {},
        },
      },
    },
  };
  const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { a: '***', b: '*** (before)', c: '' }, type: 'Opaque' };
  const service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'svc' }, spec: { clusterIP: '10.0.0.12', clusterIPs: ['10.0.0.12'], ports: [{ port: 80, targetPort: 8080 }], sessionAffinity: 'None' } };
  for (const v of [deployment, secret, service]) {
    assert.notEqual(fastStableYaml(v), undefined);
    assert.equal(fastStableYaml(v), library(v));
    assert.equal(stableYaml(v), library(v));
  }
  // Strings YAML would read as something else, or that need escapes or blocks, go to the library.
  for (const s of ['true', 'No', 'null', '~', '42', '0x1F', '1e3', '.inf', 'a: b', 'a #b', '-', '- a', 'x:', 'line\nbreak', 'tab\there', 'quote"d', 'back\\slash', '---x', '...', '%x', '-x', '?x']) {
    const v = { k: s, [s]: [s, { [s]: 1 }] };
    const fast = fastStableYaml(v);
    if (fast !== undefined) assert.equal(fast, library(v), JSON.stringify(s));
    assert.equal(stableYaml(v), library(v), JSON.stringify(s));
  }
  // Shapes outside the subset fall back too: lists of lists, fractions, -0.
  for (const v of [{ a: [[1]] }, { a: 0.5 }, { a: -0 }]) assert.equal(fastStableYaml(v), undefined);
  // A deterministic fuzz over troublesome characters: whenever the direct writer answers, it matches the library.
  const alphabet = '-.%aZ_/.-=:019 #@,!%&*?|>\'"{}[]~\\\t\nyYnNeE+xé\u00a0\u2028';
  let seed = 11;
  const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
  let answered = 0;
  for (let i = 0; i < 20_000; i++) {
    let s = '';
    for (let j = 1 + rnd(10); j > 0; j--) s += alphabet[rnd(alphabet.length)];
    const v = { [s]: s, k: [s, { [s]: 1 }, {}], e: [] };
    const fast = fastStableYaml(v);
    if (fast === undefined) continue;
    answered++;
    assert.equal(fast, library(v), JSON.stringify(s));
  }
  assert.ok(answered > 1000, `the direct writer answered ${answered} times`);
});

test('unified diff: headers, one hunk with 3 lines of context, and nothing for equal texts', () => {
  const before = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].join('\n') + '\n';
  const after = ['a', 'b', 'c', 'd', 'E', 'f', 'g', 'h'].join('\n') + '\n';
  assert.equal(unifiedDiff(before, after, 'live/x', 'after/x'), '--- live/x\n+++ after/x\n@@ -2,7 +2,7 @@\n b\n c\n d\n-e\n+E\n f\n g\n h\n');
  assert.equal(unifiedDiff(before, before, 'l', 'a'), '');
});

test('unified diff: far-apart changes make separate hunks; creation and deletion diff against nothing', () => {
  const lines = Array.from({ length: 20 }, (_, i) => `l${i}`);
  const changed = [...lines];
  changed[1] = 'X1';
  changed[18] = 'X18';
  const d = unifiedDiff(lines.join('\n') + '\n', changed.join('\n') + '\n', 'a', 'b');
  assert.deepEqual(d.split('\n').filter((l) => l.startsWith('@@')), ['@@ -1,5 +1,5 @@', '@@ -16,5 +16,5 @@']);
  assert.equal(unifiedDiff('', 'x: 1\n', '/dev/null', 'after/x'), '--- /dev/null\n+++ after/x\n@@ -0,0 +1,1 @@\n+x: 1\n');
  assert.equal(unifiedDiff('x: 1\n', '', 'live/x', '/dev/null'), '--- live/x\n+++ /dev/null\n@@ -1,1 +0,0 @@\n-x: 1\n');
});

test('field paths are read from the API server messages and split into keys and indexes', () => {
  assert.equal(fieldPathFromMessage('Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0'), 'spec.replicas');
  assert.equal(
    fieldPathFromMessage('Deployment.apps "web" is invalid: [spec.template.spec.containers[0].image: Required value, spec.x: y]'),
    'spec.template.spec.containers[0].image',
  );
  assert.equal(fieldPathFromMessage('failed to create typed patch object (n/web; apps/v1, Kind=Deployment): .spec.replicas: expected numeric (int or float), got string'), 'spec.replicas');
  assert.equal(fieldPathFromMessage('admission webhook "x.example.com" does not support dry run'), undefined);
  assert.deepEqual(splitFieldPath('spec.containers[0].image'), ['spec', 'containers', 0, 'image']);
  assert.deepEqual(splitFieldPath('metadata.labels["app.kubernetes.io/name"]'), ['metadata', 'labels', 'app.kubernetes.io/name']);
});
