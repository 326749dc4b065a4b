import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseManifests, rangeOfPath, splitDocuments } from '../../server/src/manifests/parse-manifests.js';

const TWO_DOCS = `apiVersion: v1
kind: ConfigMap
metadata:
  name: a
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: prod
spec:
  replicas: 2
  template:
    spec:
      containers:
        - name: web
          image: nginx
`;

test('splits documents at --- lines and reads apiVersion, kind, name, namespace', () => {
  const file = parseManifests(TWO_DOCS);
  assert.equal(file.findings.length, 0);
  assert.equal(file.documents.length, 2);
  const [a, b] = file.documents;
  assert.deepEqual([a.index, a.apiVersion, a.kind, a.name, a.namespace], [0, 'v1', 'ConfigMap', 'a', undefined]);
  assert.deepEqual([b.index, b.apiVersion, b.kind, b.name, b.namespace], [1, 'apps/v1', 'Deployment', 'web', 'prod']);
  assert.equal(b.range.start.line, 4);
  assert.deepEqual((b.value as any).spec.replicas, 2);
});

test('an indented --- inside a block scalar is not a split point; directives stay with their document', () => {
  const parts = splitDocuments('%YAML 1.2\n---\na: 1\n---\nb: |\n  ---\n  text\n');
  assert.equal(parts.length, 2);
  assert.equal(parts[0].text, '%YAML 1.2\n---\na: 1\n');
  const file = parseManifests('%YAML 1.2\n---\na: 1\n---\nb: |\n  ---\n  text\n');
  assert.equal(file.findings.length, 0);
  assert.deepEqual(file.documents.map((d) => d.value), [{ a: 1 }, { b: '---\ntext\n' }]);
});

test('rangeOfPath finds keys and values, and falls back to the nearest ancestor key', () => {
  const file = parseManifests(TWO_DOCS);
  const doc = file.documents[1];
  assert.deepEqual(rangeOfPath(file, doc, ['spec', 'replicas'], 'key'), { start: { line: 11, character: 2 }, end: { line: 11, character: 10 } });
  assert.deepEqual(rangeOfPath(file, doc, ['spec', 'replicas'], 'value'), { start: { line: 11, character: 12 }, end: { line: 11, character: 13 } });
  assert.deepEqual(rangeOfPath(file, doc, ['spec', 'template', 'spec', 'containers', 0, 'image'], 'value'), { start: { line: 16, character: 17 }, end: { line: 16, character: 22 } });
  // Missing leaf: the key of the deepest existing ancestor (spec.template).
  assert.deepEqual(rangeOfPath(file, doc, ['spec', 'template', 'metadata', 'labels'], 'key'), { start: { line: 12, character: 2 }, end: { line: 12, character: 10 } });
});

test('duplicate keys are reported on the whole second key', () => {
  const file = parseManifests('a: 1\nkey: 1\nkey: 2\n');
  assert.equal(file.findings.length, 1);
  assert.equal(file.findings[0].code, 'duplicate-key');
  assert.deepEqual(file.findings[0].range, { start: { line: 2, character: 0 }, end: { line: 2, character: 3 } });
  assert.match(file.findings[0].message, /^Duplicate key "key"/);
});

test('syntax errors become findings, never exceptions', () => {
  const file = parseManifests('a: [1, 2\nb: }\n');
  assert.ok(file.findings.length >= 1);
  assert.ok(file.findings.every((f) => f.code === 'yaml-syntax' && f.severity === 'error'));
});

test('files over the size cap get one clear finding and are not parsed', () => {
  const file = parseManifests('a: 1\n'.repeat(100), { maxBytes: 100 });
  assert.equal(file.documents.length, 0);
  assert.equal(file.findings.length, 1);
  assert.equal(file.findings[0].code, 'file-too-large');
  assert.match(file.findings[0].message, /over the 0\.0 MB limit: not validated/);
});

test('binary content gets one finding', () => {
  const file = parseManifests('apiVersion: v1\n\u0000\u0001\u0002');
  assert.deepEqual(file.findings.map((f) => f.code), ['binary-content']);
});

test('a YAML bomb is stopped by the alias limit with a finding on the first alias', () => {
  const bomb = 'a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n';
  const file = parseManifests(bomb);
  assert.deepEqual(file.findings.map((f) => f.code), ['yaml-alias-limit']);
  assert.deepEqual(file.findings[0].range, { start: { line: 1, character: 7 }, end: { line: 1, character: 9 } });
  assert.equal(file.documents[0].value, null);
});

test('deep nesting does not throw', () => {
  const deep = '['.repeat(20000) + ']'.repeat(20000);
  const file = parseManifests(deep);
  assert.ok(file.documents.length <= 1);
  const deepMap = Array.from({ length: 3000 }, (_, i) => ' '.repeat(i) + 'k:').join('\n');
  assert.doesNotThrow(() => parseManifests(deepMap));
});

test('5,000 documents parse; more than the document cap gets one finding', () => {
  const many = Array.from({ length: 5000 }, (_, i) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c${i}\n`).join('---\n');
  const file = parseManifests(many);
  assert.equal(file.documents.length, 5000);
  assert.equal(file.findings.length, 0);
  const capped = parseManifests(many, { maxDocuments: 100 });
  assert.equal(capped.documents.length, 100);
  assert.deepEqual(capped.findings.map((f) => f.code), ['too-many-documents']);
});

test('the parse cache reuses unchanged documents', () => {
  const cache = new Map();
  const first = parseManifests(TWO_DOCS, { cache });
  const second = parseManifests(TWO_DOCS.replace('replicas: 2', 'replicas: 3'), { cache });
  assert.equal(second.documents[0].document, first.documents[0].document);
  assert.notEqual(second.documents[1].document, first.documents[1].document);
  assert.equal(cache.size, 2);
});

test('a document value is a lazy, enumerable, settable own property, and onDocument streams the documents', () => {
  const file = parseManifests('a: 1\n---\nb: [x]\n');
  const [a, b] = file.documents;
  assert.ok(Object.keys(a).includes('value'));
  assert.deepEqual({ ...a }.value, { a: 1 });
  b.value = { replaced: true };
  assert.deepEqual(b.value, { replaced: true });
  assert.deepEqual(a.value, { a: 1 }, 'each document keeps its own value');
  const seen: unknown[] = [];
  const streamed = parseManifests('a: 1\n---\nb: [x]\n---\nc: {\n', { onDocument: (d) => seen.push([d.index, d.value]) });
  assert.deepEqual(seen, [[0, { a: 1 }], [1, { b: ['x'] }], [2, { c: {} }]]);
  assert.deepEqual(streamed.documents, []);
  assert.deepEqual(streamed.findings.map((f) => f.code), parseManifests('a: 1\n---\nb: [x]\n---\nc: {\n').findings.map((f) => f.code));
});
