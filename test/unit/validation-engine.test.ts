import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Finding } from '../../server/src/findings.js';
import { createDefaultEngine } from '../../server/src/validation/validation-engine.js';

const short = (f: Finding) => `${f.range.start.line}:${f.range.start.character}-${f.range.end.line}:${f.range.end.character} ${f.severity} ${f.code} ${f.message}`;

const DEPLOY = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27
          imagePullPolicy: IfNotPresent
`;

test('a valid Deployment has no findings', () => {
  assert.deepEqual(createDefaultEngine().validate('/w/deploy.yaml', DEPLOY), []);
});

test('findings of later documents carry file positions', () => {
  const engine = createDefaultEngine();
  const text = `${DEPLOY}---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  type: NodePort\n  ports:\n    - port: "80"\n`;
  assert.deepEqual(engine.validate('/w/multi.yaml', text).map(short), [
    '24:12-24:16 error type-mismatch Expected integer (int32) at spec.ports[0].port, got string "80". Remove the quotes to make it a number.',
  ]);
});

test('only changed documents are revalidated', () => {
  const engine = createDefaultEngine();
  const docs = Array.from({ length: 20 }, (_, i) => DEPLOY.replace('name: web\nspec', `name: web-${i}\nspec`));
  engine.validate('/w/many.yaml', docs.join('---\n'));
  assert.equal(engine.lastValidatedDocuments, 20);
  docs[7] = docs[7].replace('replicas: 2', 'replicas: 3');
  engine.validate('/w/many.yaml', docs.join('---\n'));
  assert.equal(engine.lastValidatedDocuments, 1);
  // An edit that shifts every later document still reuses them, with shifted ranges.
  docs[0] = '# comment\n' + docs[0].replace('replicas: 2', 'replicas: "x"');
  const findings = engine.validate('/w/many.yaml', docs.join('---\n'));
  assert.equal(engine.lastValidatedDocuments, 1);
  assert.deepEqual(findings.map(short), ['6:12-6:15 error type-mismatch Expected integer (int32) at spec.replicas, got string "x".']);
});

test('a CRD in the workspace validates its custom resources; removing it makes them unvalidated again', () => {
  const engine = createDefaultEngine();
  const crd = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              required: [size]
              properties:
                size: {type: integer, minimum: 1}
                color: {type: string, enum: [red, blue]}
`;
  const cr = 'apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\nspec:\n  size: 0\n  colour: red\n';
  assert.deepEqual(engine.validate('/w/widget.yaml', cr).map(short), [
    '1:6-1:12 information no-schema Not validated: no schema for example.com/v1/Widget. Add its CustomResourceDefinition to the workspace or connect to a cluster that has it.',
  ]);
  engine.updateWorkspaceFile('/w/crds/widget-crd.yaml', crd);
  assert.deepEqual(engine.validate('/w/widget.yaml', cr).map(short), [
    '5:8-5:9 error out-of-range Value 0 at spec.size is too small: it must be at least 1.',
    '6:2-6:8 error unknown-field Unknown field "colour" in Widget.spec. Did you mean "color"?',
  ]);
  engine.updateWorkspaceFile('/w/crds/widget-crd.yaml', undefined);
  assert.equal(engine.validate('/w/widget.yaml', cr)[0].code, 'no-schema');
});

test('schemas from a cluster are used for kinds they define', () => {
  const engine = createDefaultEngine();
  engine.registry.setClusterSchemas('ctx', [{
    openapi: '3.0.0',
    paths: { '/apis/demo.io/v1/namespaces/{namespace}/gadgets': { get: { 'x-kubernetes-group-version-kind': { group: 'demo.io', version: 'v1', kind: 'Gadget' } } } },
    components: { schemas: { 'io.demo.v1.Gadget': {
      type: 'object',
      'x-kubernetes-group-version-kind': [{ group: 'demo.io', version: 'v1', kind: 'Gadget' }],
      properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { allOf: [{ $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' }] }, spec: { type: 'object', properties: { on: { type: 'boolean' } } } },
    } } },
  }]);
  const resolved = engine.registry.lookupKind('demo.io/v1', 'Gadget');
  assert.equal(resolved?.origin, 'cluster');
  assert.equal(resolved?.entry.namespaced, true);
  assert.deepEqual(engine.validate('/w/g.yaml', 'apiVersion: demo.io/v1\nkind: Gadget\nmetadata: {name: g}\nspec: {on: "yes"}\n').map((f) => f.code), ['type-mismatch']);
  engine.registry.removeSource('ctx');
  assert.equal(engine.registry.lookupKind('demo.io/v1', 'Gadget'), undefined);
});

test('kustomize patches are partial: no missing required fields, but unknown fields and types are checked', () => {
  const engine = createDefaultEngine();
  engine.updateWorkspaceFile('/w/overlay/kustomization.yaml', 'resources: [../base]\npatches:\n  - path: patch.yaml\n  - path: ops.yaml\n    target: {kind: Deployment}\n');
  const patch = 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 3\n  template:\n    spec:\n      containers:\n        - name: web\n          $patch: delete\n          imagePolicy: Always\n';
  assert.deepEqual(engine.validate('/w/overlay/patch.yaml', patch).map(short), [
    '11:10-11:21 error unknown-field Unknown field "imagePolicy" in Deployment.spec.template.spec.containers[0]. Did you mean "imagePullPolicy"?',
  ]);
  const ops = '- op: replace\n  path: /spec/replicas\n  value: 3\n- op: rename\n  path: /x\n';
  assert.deepEqual(engine.validate('/w/overlay/ops.yaml', ops).map(short), [
    '3:6-3:12 error invalid-json-patch Invalid JSON patch op "rename". Allowed: "add", "remove", "replace", "move", "copy", "test".',
  ]);
});

test('kustomization.yaml is validated against the kustomization schema', () => {
  const engine = createDefaultEngine();
  const k = 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [a.yaml]\nimages:\n  - name: nginx\n    newTag: 1.27\n    newTagg: x\nconfigMapGenerator:\n  - name: c\n    behavior: mrege\n';
  assert.deepEqual(engine.validate('/w/kustomization.yaml', k).map(short), [
    '5:12-5:16 error type-mismatch Expected string at images[0].newTag, got number 1.27. Quote the value to make it a string.',
    '6:4-6:11 error unknown-field Unknown field "newTagg" in Kustomization.images[0]. Did you mean "newTag"?',
    '9:14-9:19 error invalid-enum Invalid value "mrege" at configMapGenerator[0].behavior. Allowed: "create", "replace", "merge". Did you mean "merge"?',
  ].sort());
});

test('Helm templates are not parsed; values files get no schema findings', () => {
  const engine = createDefaultEngine();
  engine.updateWorkspaceFile('/w/chart/Chart.yaml', 'apiVersion: v2\nname: c\nversion: 0.1.0\n');
  assert.deepEqual(engine.validate('/w/chart/templates/deploy.yaml', '{{- if .Values.on }}\napiVersion: apps/v1\nkind: Deployment\nspec: {replicas: {{ .Values.n }}}\n{{- end }}\n'), []);
  assert.deepEqual(engine.validate('/w/chart/values.yaml', 'replicaCount: 1\nimage: {repository: nginx}\n'), []);
  assert.deepEqual(engine.validate('/w/chart/Chart.yaml', 'apiVersion: v2\nname: c\nversion: 0.1.0\n'), []);
});

test('Secret values never appear in messages', () => {
  const engine = createDefaultEngine();
  const secret = 'apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata:\n  password: hunter2-not-base64!\nstringData:\n  token: 12345\n';
  const findings = engine.validate('/w/secret.yaml', secret);
  assert.deepEqual(findings.map((f) => f.code), ['invalid-format', 'type-mismatch']);
  for (const f of findings) {
    assert.ok(!f.message.includes('hunter2'), f.message);
    assert.ok(!f.message.includes('12345'), f.message);
  }
  assert.equal(findings[1].message, 'Expected string at stringData.token, got an integer (value hidden). Quote the value to make it a string.');
});

test('Flux substitution variables are accepted for any type', () => {
  const engine = createDefaultEngine();
  assert.deepEqual(engine.validate('/w/d.yaml', DEPLOY.replace('replicas: 2', 'replicas: ${replicas}')), []);
});

test('metadata name, namespace and labels are checked with the rules of the kind', () => {
  const engine = createDefaultEngine();
  const text = 'apiVersion: v1\nkind: Service\nmetadata:\n  name: 1web\n  namespace: Prod\n  labels:\n    "bad key!": x\n    ok: "-bad-"\nspec:\n  ports: [{port: 80}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: system:controller:web\nrules: []\n';
  assert.deepEqual(engine.validate('/w/n.yaml', text).map(short), [
    '3:8-3:12 error invalid-name Invalid metadata.name "1web": a Service name must be a DNS-1035 label: lowercase letters, digits and "-", starting with a letter and ending with a letter or digit.',
    '4:13-4:17 error invalid-name Invalid metadata.namespace "Prod": a namespace must be a DNS-1123 label: lowercase letters, digits and "-", starting and ending with a letter or digit.',
    '6:4-6:14 error invalid-label Invalid label key "bad key!": its name part must consist of letters, digits, "-", "_" and ".", starting and ending with a letter or digit.',
    '7:8-7:15 error invalid-label Invalid value for label "ok": a label value must be empty or consist of letters, digits, "-", "_" and ".", starting and ending with a letter or digit.',
  ]);
});

test('unknown apiVersion and kind get a did-you-mean; unknown CRD groups are information', () => {
  const engine = createDefaultEngine();
  const text = 'apiVersion: app/v1\nkind: Deployment\nmetadata: {name: a}\n---\napiVersion: v1\nkind: configmap\nmetadata: {name: b}\n---\napiVersion: grafana.integreatly.org/v1beta1\nkind: GrafanaDashboard\nmetadata: {name: c}\n';
  assert.deepEqual(engine.validate('/w/u.yaml', text).map(short), [
    '0:12-0:18 error unknown-api-version Unknown apiVersion "app/v1" for Deployment. Use "apps/v1".',
    '5:6-5:15 error unknown-kind Unknown kind "configmap" for apiVersion v1. Did you mean "ConfigMap"?',
    '9:6-9:22 information no-schema Not validated: no schema for grafana.integreatly.org/v1beta1/GrafanaDashboard. Add its CustomResourceDefinition to the workspace or connect to a cluster that has it.',
  ]);
});

test('hover shows description, type and allowed values on the exact key', () => {
  const engine = createDefaultEngine();
  const h = engine.hover('/w/d.yaml', DEPLOY, { line: 15, character: 14 });
  assert.ok(h);
  assert.deepEqual(h.range, { start: { line: 15, character: 10 }, end: { line: 15, character: 25 } });
  assert.match(h.markdown, /^\*\*imagePullPolicy\*\* · `string`\n\nImage pull policy\./);
  assert.match(h.markdown, /Allowed values: `Always`, `IfNotPresent`, `Never`/);
  const r = engine.hover('/w/d.yaml', DEPLOY, { line: 5, character: 13 });
  assert.ok(r);
  assert.deepEqual(r.range, { start: { line: 5, character: 12 }, end: { line: 5, character: 13 } });
  assert.match(r.markdown, /^\*\*replicas\*\* · `integer \(int32\)`/);
  const k = engine.hover('/w/d.yaml', DEPLOY, { line: 1, character: 8 });
  assert.match(k!.markdown, /Deployment \(apps\/v1\): Deployment enables declarative updates/);
  assert.equal(engine.hover('/w/d.yaml', DEPLOY, { line: 100, character: 0 }), undefined);
});

test('completion offers missing keys of the enclosing object and enum values', () => {
  const engine = createDefaultEngine();
  const keysText = DEPLOY.replace('  replicas: 2\n', '  rep\n');
  const keys = engine.complete('/w/d.yaml', keysText, { line: 5, character: 5 });
  const labels = keys.map((c) => c.label);
  assert.ok(labels.includes('replicas') && labels.includes('strategy') && labels.includes('minReadySeconds'), labels.join(','));
  assert.ok(!labels.includes('selector') && !labels.includes('template'), 'existing keys are not offered');
  const replicas = keys.find((c) => c.label === 'replicas')!;
  assert.equal(replicas.kind, 'property');
  assert.equal(replicas.detail, 'integer (int32)');
  assert.equal(replicas.insertText, 'replicas: ');
  const containerKeys = engine.complete('/w/d.yaml', DEPLOY.replace('          image: nginx:1.27\n', '          ima\n'), { line: 14, character: 13 }).map((c) => c.label);
  assert.ok(containerKeys.includes('image') && !containerKeys.includes('name'));
  const values = engine.complete('/w/d.yaml', DEPLOY.replace('imagePullPolicy: IfNotPresent', 'imagePullPolicy: '), { line: 15, character: 27 });
  assert.deepEqual(values.map((c) => c.label), ['Always', 'IfNotPresent', 'Never']);
  const newItem = engine.complete('/w/d.yaml', DEPLOY + '        - \n', { line: 16, character: 10 }).map((c) => c.label);
  assert.ok(newItem.includes('name') && newItem.includes('image'), 'a new list item offers the item keys');
  const meta = engine.complete('/w/d.yaml', DEPLOY.replace('  name: web\n', '  \n'), { line: 3, character: 2 }).map((c) => c.label);
  assert.deepEqual(meta, ['annotations', 'finalizers', 'generateName', 'labels', 'name', 'namespace', 'ownerReferences']);
  assert.deepEqual(engine.complete('/w/new.yaml', '', { line: 0, character: 0 }).map((c) => c.label), ['apiVersion', 'kind', 'metadata']);
  const kinds = engine.complete('/w/d.yaml', DEPLOY.replace('kind: Deployment', 'kind: '), { line: 1, character: 6 }).map((c) => c.label);
  assert.ok(kinds.includes('Deployment') && kinds.includes('StatefulSet') && !kinds.includes('Pod'));
});

test('listMapKeys exposes list identity for drift and preview', () => {
  const { registry } = createDefaultEngine();
  assert.deepEqual(registry.listMapKeys('apps/v1', 'Deployment', ['spec', 'template', 'spec', 'containers']), ['name']);
  assert.deepEqual(registry.listMapKeys('v1', 'Service', ['spec', 'ports']), ['port', 'protocol']);
  assert.equal(registry.listMapKeys('apps/v1', 'Deployment', ['spec', 'template', 'spec', 'containers', 0, 'args']), undefined);
  assert.equal(registry.listMapKeys('nope/v1', 'X', ['spec']), undefined);
});

test('a v1 List validates each item against its own kind', () => {
  const engine = createDefaultEngine();
  const list = 'apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: a}\n    dta: {}\n  - apiVersion: v1\n    kind: Sevice\n    metadata: {name: b}\n';
  assert.deepEqual(engine.validate('/w/list.yaml', list).map(short), [
    '6:4-6:7 error unknown-field Unknown field "dta" in ConfigMap. Did you mean "data"?',
    '8:10-8:16 error unknown-kind Unknown kind "Sevice" for apiVersion v1. Did you mean "Service"?',
  ]);
});

test('YAML merge keys are expanded like Kubernetes does, and findings from merged keys land on the alias', () => {
  const engine = createDefaultEngine();
  const text = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - &base\n      name: a\n      image: nginx\n      imagePullPolicy: Sometimes\n    - <<: *base\n      name: b\n      imagPullPolicy: Never\n';
  assert.deepEqual(engine.validate('/w/merge.yaml', text).map(short), [
    '9:23-9:32 error invalid-enum Invalid value "Sometimes" at spec.containers[0].imagePullPolicy. Allowed: "Always", "IfNotPresent", "Never".',
    '10:10-10:15 error invalid-enum Invalid value "Sometimes" at spec.containers[1].imagePullPolicy. Allowed: "Always", "IfNotPresent", "Never".',
    '12:6-12:20 error unknown-field Unknown field "imagPullPolicy" in Pod.spec.containers[1]. Did you mean "imagePullPolicy"?',
  ]);
});

test('YAML 1.1 booleans (plain yes/no/on/off) where a boolean is expected are a warning on the value, quoted ones stay errors', () => {
  const text = `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
spec:
  interval: 10m
  path: ./apps
  prune: Yes
  wait: N
  force: "on"
  suspend: true
  sourceRef:
    kind: GitRepository
    name: flux-system
`;
  assert.deepEqual(createDefaultEngine().validate('/w/flux.yaml', text).map(short), [
    '7:9-7:12 warning yaml11-boolean "Yes" is a boolean only in YAML 1.1 (kubectl apply); kustomize and Flux read it as the string "Yes", which the API rejects. Write true.',
    '8:8-8:9 warning yaml11-boolean "N" is a boolean only in YAML 1.1 (kubectl apply); kustomize and Flux read it as the string "N", which the API rejects. Write false.',
    '9:9-9:13 error type-mismatch Expected boolean at spec.force, got string "on". Use true or false (unquoted).',
  ]);
  // A plain "yes" where a string is expected is just a string.
  const cm = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  enabled: yes\n';
  assert.deepEqual(createDefaultEngine().validate('/w/cm.yaml', cm), []);
});

test('validateOnce (the CLI path: no caches, one document at a time) gives exactly the findings of validate', async () => {
  const fs = await import('node:fs');
  const path = await import('node:path');
  const dir = path.resolve(__dirname, '../fixtures/invalid');
  const texts = fs.readdirSync(dir).filter((f) => f.endsWith('.yaml')).map((f) => [path.join(dir, f), fs.readFileSync(path.join(dir, f), 'utf8')] as const);
  // Plus one file mixing documents with findings, parse errors and CRLF line ends.
  const mixed = `${DEPLOY}---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  name: again\nspec:\n  ports:\n    - port: "80"\n---\nkey: [unclosed\n`;
  for (const [file, text] of [...texts, ['/w/mixed.yaml', mixed] as const, ['/w/crlf.yaml', mixed.replace(/\n/g, '\r\n')] as const]) {
    const once = createDefaultEngine().validateOnce(file, text);
    assert.deepEqual(once, createDefaultEngine().validate(file, text), file);
  }
});
