/**
 * Drift compares the live object with the rendered desired state: a field
 * that a kustomize overlay patches (base `replicas: 3`, production overlay
 * `replicas: 5`) is desired with the overlay's value, the finding staying on
 * the base file's value; when two overlays build the same base with
 * different values the mapping is ambiguous and the file's literal is kept.
 * Builds with the real `kubectl kustomize`.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { computeDrift, declaredFromRendered } from '../../server/src/drift/compute-drift.js';
import { desiredDocuments } from '../../server/src/drift/desired-documents.js';
import { renderForDrift, withRendered } from '../../server/src/drift/rendered-desired.js';
import type { KubeObject } from '../../server/src/cluster/cluster-types.js';

const k = (body: string) => `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n${body}`;
const deployment = 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels:\n    app: web\nspec:\n  replicas: 3\n  template:\n    spec:\n      containers:\n        - name: web\n          image: nginx:1.25\n';
const patch = (n: number) => `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: ${n}\n`;

function live(name: string, replicas: number): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'prod', labels: { app: 'web' } },
    spec: { replicas, template: { spec: { containers: [{ name: 'web', image: 'nginx:1.25' }] } } },
  } as KubeObject;
}

function repo(overlays: Record<string, number>, namePrefix = ''): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-lens-rendered-'));
  fs.mkdirSync(path.join(root, 'apps', 'base'), { recursive: true });
  fs.writeFileSync(path.join(root, 'apps', 'base', 'kustomization.yaml'), k('resources:\n  - deployment.yaml\n'));
  fs.writeFileSync(path.join(root, 'apps', 'base', 'deployment.yaml'), deployment);
  for (const [name, n] of Object.entries(overlays)) {
    fs.mkdirSync(path.join(root, 'apps', name), { recursive: true });
    fs.writeFileSync(path.join(root, 'apps', name, 'kustomization.yaml'), k(`namespace: prod\n${namePrefix ? `namePrefix: ${namePrefix}\n` : ''}resources:\n  - ../base\npatches:\n  - path: replicas.yaml\n`));
    fs.writeFileSync(path.join(root, 'apps', name, 'replicas.yaml'), patch(n));
  }
  return root;
}

async function drift(root: string, liveObject: KubeObject) {
  const file = path.join(root, 'apps', 'base', 'deployment.yaml');
  const text = fs.readFileSync(file, 'utf8');
  const rendered = await renderForDrift(root, [file]);
  const docs = withRendered(rendered, file, desiredDocuments(text));
  const looked: string[] = [];
  const report = computeDrift({
    text,
    documents: docs,
    defaultNamespace: 'prod',
    lookup: (d) => {
      looked.push(d.rendered?.name ?? d.name!);
      return { state: 'present', object: liveObject };
    },
  });
  return { report, docs, text, looked };
}

test('base + overlay: the overlay value is desired; live = overlay value is no drift', async () => {
  const root = repo({ production: 5 });
  const { report, docs } = await drift(root, live('web', 5));
  assert.equal(docs[0].rendered?.label, 'apps/production');
  assert.deepEqual(report.findings, [], 'live 5 matches the overlay, not a false "desired 3"');
  const replicas = report.fields.find((f) => f.pointer === '/spec/replicas')!;
  assert.equal(replicas.desired, 5);
  assert.equal(replicas.renderedFrom, 'apps/production');
  assert.equal(report.fields.find((f) => f.pointer === '/spec/template/spec/containers/0/image')!.renderedFrom, undefined, 'unpatched values are the literal');
});

test('base + overlay: a live edit shows the overlay desired value, on the base file value range', async () => {
  const root = repo({ production: 5 });
  const { report, text } = await drift(root, live('web', 7));
  assert.equal(report.findings.length, 1, JSON.stringify(report.findings));
  const f = report.findings[0];
  assert.match(f.message, /^live 7, desired 5 \(after kustomize overlay apps\/production\)/);
  const line = text.split('\n')[f.range.start.line];
  assert.equal(line.slice(f.range.start.character, f.range.end.character), '3', 'the diagnostic sits on the file value');
});

test('namePrefix: the rendered name is the one looked up', async () => {
  const root = repo({ production: 5 }, 'prod-');
  const { report, docs, looked } = await drift(root, live('prod-web', 5));
  assert.equal(docs[0].rendered?.name, 'prod-web');
  assert.deepEqual(looked, ['prod-web']);
  assert.deepEqual(report.findings, []);
});

test('two overlays with different values: ambiguous, the file value stays desired', async () => {
  const root = repo({ production: 5, staging: 2 });
  const { report, docs } = await drift(root, live('web', 5));
  assert.equal(docs[0].rendered, undefined);
  assert.equal(report.findings.length, 1);
  assert.match(report.findings[0].message, /^live 5, desired 3\. /);
});

test('declaredFromRendered keeps the source shape, ${var} values and lists whose length changed', () => {
  const src = { spec: { replicas: 3, env: '${cluster_env}', list: [1, 2], only: 'x' } };
  const out = declaredFromRendered(src, { spec: { replicas: 5, env: '', list: [1, 2, 3], extra: true } });
  assert.deepEqual(out, { spec: { replicas: 5, env: '${cluster_env}', list: [1, 2], only: 'x' } });
});
