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
import { WorkspaceIndex } from '../../server/src/manifests/classify-document.js';

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

test('declaredFromRendered keeps the source shape and ${var} values; a keyless list whose length changed is desired as rendered', () => {
  const src = { spec: { replicas: 3, env: '${cluster_env}', list: [1, 2], vars: ['${a}'], only: 'x' } };
  const out = declaredFromRendered(src, { spec: { replicas: 5, env: '', list: [1, 2, 3], vars: ['x', 'y'], extra: true } });
  assert.deepEqual(out, { spec: { replicas: 5, env: '${cluster_env}', list: [1, 2, 3], vars: ['${a}'], only: 'x' } });
});

test('declaredFromRendered matches list elements by merge key when an overlay changes the list length', () => {
  const src = { spec: { containers: [{ name: 'web', image: 'nginx:1.25' }] } };
  const rendered = { spec: { containers: [{ name: 'sidecar', image: 'envoy:1' }, { name: 'web', image: 'nginx:1.27' }] } };
  const keysAt = (p: Array<string | number>) => (p.at(-1) === 'containers' ? ['name'] : undefined);
  assert.deepEqual(declaredFromRendered(src, rendered, keysAt), { spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } });
  // An element the render no longer has keeps the file's value.
  assert.deepEqual(declaredFromRendered(src, { spec: { containers: [{ name: 'other', image: 'x' }] } }, keysAt), src);
});

/** A base and an overlay whose patch file sets replicas and adds a sidecar container (the list grows), and whose `images:` retags the web container. */
function patchRepo(): { root: string; patchFile: string; baseFile: string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-lens-rendered-patch-'));
  fs.mkdirSync(path.join(root, 'apps', 'base'), { recursive: true });
  fs.mkdirSync(path.join(root, 'apps', 'production'), { recursive: true });
  fs.writeFileSync(path.join(root, 'apps', 'base', 'kustomization.yaml'), k('resources:\n  - deployment.yaml\n'));
  fs.writeFileSync(path.join(root, 'apps', 'base', 'deployment.yaml'), deployment);
  fs.writeFileSync(path.join(root, 'apps', 'production', 'kustomization.yaml'), k('namespace: prod\nnamePrefix: prod-\nresources:\n  - ../base\npatches:\n  - path: sidecar.yaml\nimages:\n  - name: nginx\n    newTag: "1.27"\n'));
  const patchFile = path.join(root, 'apps', 'production', 'sidecar.yaml');
  fs.writeFileSync(
    patchFile,
    'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 4\n  template:\n    spec:\n      containers:\n        - name: sidecar\n          image: envoy:1.30\n          $patch: merge\n',
  );
  return { root, patchFile, baseFile: path.join(root, 'apps', 'base', 'deployment.yaml') };
}

function liveWithSidecar(replicas: number, webImage: string, sidecarImage: string): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'prod-web', namespace: 'prod', labels: { app: 'web' } },
    spec: { replicas, template: { spec: { containers: [{ name: 'web', image: webImage }, { name: 'sidecar', image: sidecarImage }] } } },
  } as KubeObject;
}

test('a patch file: fields it declares are compared with the rendered object, on the patch file values', async () => {
  const { root, patchFile } = patchRepo();
  try {
    const text = fs.readFileSync(patchFile, 'utf8');
    const index = new WorkspaceIndex();
    for (const f of ['apps/base/kustomization.yaml', 'apps/production/kustomization.yaml']) index.updateFile(path.join(root, f), fs.readFileSync(path.join(root, f), 'utf8'));
    // Without `patches`, a patch is not a desired document at all (as before).
    assert.deepEqual(desiredDocuments(text, { filePath: patchFile, index }), []);
    const docs = desiredDocuments(text, { filePath: patchFile, index, patches: true });
    assert.equal(docs.length, 1);
    assert.equal(docs[0].patch, true);
    // Not rendered yet: a patch alone says nothing (its object's identity comes from the render).
    const looked: string[] = [];
    const lookup = (d: { rendered?: { name?: string }; name?: string }) => {
      looked.push(d.rendered?.name ?? d.name!);
      return { state: 'present' as const, object: liveWithSidecar(7, 'nginx:1.25', 'envoy:1.29') };
    };
    assert.deepEqual(computeDrift({ text, documents: docs, defaultNamespace: 'prod', lookup }).findings, []);

    withRendered(await renderForDrift(root, [patchFile]), patchFile, docs);
    assert.equal(docs[0].rendered?.name, 'prod-web');
    const report = computeDrift({ text, documents: docs, defaultNamespace: 'prod', lookup });
    assert.deepEqual(looked.at(-1), 'prod-web', 'the live object is looked up by its rendered name');
    const messages = report.findings.map((f) => [f.range.start.line, f.range.start.character, f.message.replace(/\. Adopt.*$/, '')]);
    // replicas: 4 (line 5) and the sidecar image (line 10): the exact values in the patch file. `$patch` is a directive, not a field.
    assert.deepEqual(messages, [
      [5, 12, 'live 7, desired 4'],
      [10, 17, 'live envoy:1.29, desired envoy:1.30'],
    ]);
    // Live = rendered: nothing.
    const clean = computeDrift({ text, documents: docs, defaultNamespace: 'prod', lookup: () => ({ state: 'present', object: liveWithSidecar(4, 'nginx:1.25', 'envoy:1.30') }) });
    assert.deepEqual(clean.findings, []);
    // A missing object is reported on the file that declares it, not on the patch.
    assert.deepEqual(computeDrift({ text, documents: docs, defaultNamespace: 'prod', lookup: () => ({ state: 'missing' }) }).findings, []);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('the base file of an overlay that adds a container keeps comparing its own container with rendered values', async () => {
  const { root, baseFile } = patchRepo();
  try {
    const text = fs.readFileSync(baseFile, 'utf8');
    const docs = withRendered(await renderForDrift(root, [baseFile]), baseFile, desiredDocuments(text));
    // The overlay made replicas 4 and retagged nginx; the base's own web container is matched by name although
    // the list grew, so its desired image is the rendered one (before, the file's 1.25 was a false drift).
    const same = computeDrift({ text, documents: docs, defaultNamespace: 'prod', lookup: () => ({ state: 'present', object: liveWithSidecar(4, 'nginx:1.27', 'envoy:1.30') }) });
    assert.deepEqual(same.findings, []);
    const report = computeDrift({ text, documents: docs, defaultNamespace: 'prod', lookup: () => ({ state: 'present', object: liveWithSidecar(4, 'nginx:1.26', 'envoy:1.30') }) });
    assert.deepEqual(
      report.findings.map((f) => [f.range.start.line, f.range.start.character, f.message.replace(/\. Adopt.*$/, '')]),
      [[12, 17, 'live nginx:1.26, desired nginx:1.27 (after kustomize overlay apps/production)']],
    );
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
