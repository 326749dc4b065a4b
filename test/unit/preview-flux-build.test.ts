/**
 * A Flux Kustomization's own build fields (spec.patches, images, components,
 * namePrefix, nameSuffix, commonMetadata) rendered as kustomize-controller
 * does: written into (a mirror of) the path's kustomization.yaml, generated
 * for a plain folder, commonMetadata set after postBuild substitution, and
 * the user's repository left untouched.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { bindingFromObject, fluxBuildOptions } from '../../server/src/render/binding.js';
import { applyCommonMetadata, editKustomization, generatedKustomization, isLocalRelativePath, mirrorForBuild, needsFluxBuild } from '../../server/src/render/flux-build.js';
import { detectTools, renderDesired } from '../../server/src/render/render-desired.js';

function write(root: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), text);
  }
}

function tempRepo(t: { after(fn: () => void): void }, files: Record<string, string>): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'preview-flux-build-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  write(root, files);
  return root;
}

const flux = (name: string, spec: string) =>
  `apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: ${name}, namespace: flux-system}\nspec:\n  interval: 10m\n  prune: true\n  sourceRef: {kind: GitRepository, name: repo}\n${spec}`;

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: "registry.example/web:1.0"}]}
`;

test('fluxBuildOptions reads the build fields of a Flux Kustomization spec, and only those', () => {
  const spec = {
    path: './apps',
    namePrefix: 'p-',
    nameSuffix: '-s',
    images: [{ name: 'nginx', newTag: 1.25 }, { newTag: 'no-name' }],
    patches: [{ patch: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n', target: { kind: 'ConfigMap', labelSelector: 'x=y' } }, { target: { kind: 'X' } }],
    components: ['../components/a', 3],
    ignoreMissingComponents: true,
    commonMetadata: { labels: { team: 'blue' }, annotations: { owner: 'ops' } },
  };
  assert.deepEqual(fluxBuildOptions(spec), {
    namePrefix: 'p-',
    nameSuffix: '-s',
    images: [{ name: 'nginx', newTag: '1.25' }],
    patches: [{ patch: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n', target: { kind: 'ConfigMap', labelSelector: 'x=y' } }],
    components: ['../components/a'],
    ignoreMissingComponents: true,
    commonMetadata: { labels: { team: 'blue' }, annotations: { owner: 'ops' } },
  });
  assert.equal(fluxBuildOptions({ path: './apps', targetNamespace: 'x', ignoreMissingComponents: true }), undefined);
  const binding = bindingFromObject({ apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', metadata: { name: 'a' }, spec }, '/repo');
  assert.equal(binding?.build?.namePrefix, 'p-');
  assert.ok(needsFluxBuild(binding));
  // commonMetadata alone needs no kustomize build: it is set on the built objects.
  assert.ok(!needsFluxBuild({ ...binding!, build: { commonMetadata: { labels: { a: 'b' } } } }));
  // Argo CD Applications have no such fields.
  assert.ok(!needsFluxBuild({ ...binding!, agent: 'argo' }));
});

test('editKustomization: what kustomize-controller writes into the kustomization.yaml', () => {
  const own = {
    resources: ['../base'],
    namePrefix: 'own-',
    images: [{ name: 'nginx', newName: 'mirror/nginx' }, { name: 'redis', newTag: '6' }],
    patches: [{ path: 'replicas.yaml' }],
    components: ['../components/a'],
  };
  const edited = editKustomization(
    own,
    {
      namePrefix: 'p-',
      nameSuffix: '-s',
      images: [{ name: 'nginx', newTag: '1.25' }, { name: 'busybox', digest: 'sha256:abc' }],
      patches: [{ patch: 'x', target: { kind: 'Deployment', name: 'web' } }],
      components: ['../components/b', '../components/missing'],
      ignoreMissingComponents: true,
    },
    'web',
    (c) => c !== '../components/missing',
  );
  assert.deepEqual(edited, {
    resources: ['../base'],
    namespace: 'web',
    namePrefix: 'p-',
    nameSuffix: '-s',
    // The entry with the same name is replaced as a whole (its newName goes); others are appended.
    images: [{ name: 'nginx', newTag: '1.25' }, { name: 'redis', newTag: '6' }, { name: 'busybox', digest: 'sha256:abc' }],
    patches: [{ path: 'replicas.yaml' }, { patch: 'x', target: { kind: 'Deployment', name: 'web' } }],
    components: ['../components/a', '../components/b'],
  });
  // The input is not modified.
  assert.equal(own.namePrefix, 'own-');
  assert.equal(own.images.length, 2);
  // Without ignoreMissingComponents a missing component is kept: kustomize reports it, as in the controller.
  assert.deepEqual(editKustomization({ resources: ['a.yaml'] }, { components: ['../c'] }, undefined, () => false).components, ['../c']);
  // A kustomization without resources stays buildable.
  assert.deepEqual(editKustomization({}, { namePrefix: 'p-' }, undefined).buildMetadata, ['originAnnotations']);
  assert.throws(() => editKustomization({ resources: ['a.yaml'] }, { components: ['https://github.com/x/y'] }, undefined), /component path 'https:\/\/github.com\/x\/y' must be local and relative/);
  assert.ok(isLocalRelativePath('../components/a'));
  assert.ok(!isLocalRelativePath('/abs/components'));
  assert.ok(!isLocalRelativePath('git@github.com:x/y'));
});

test('generatedKustomization lists YAML files and folders with their own kustomization, as Flux generates it', async (t) => {
  const root = tempRepo(t, {
    'a.yaml': 'x',
    'b.yml': 'x',
    'notes.txt': 'x',
    '.hidden/c.yaml': 'x',
    'sub/d.yaml': 'x',
    'built/kustomization.yaml': 'resources: []',
    'built/e.yaml': 'x',
  });
  assert.deepEqual(await generatedKustomization(root), {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    resources: ['./a.yaml', './b.yml', './built', './sub/d.yaml'],
  });
});

test('the build mirror links everything but the edited kustomization file, and goes away', async (t) => {
  const root = tempRepo(t, { 'apps/base/deployment.yaml': deployment, 'apps/prod/kustomization.yaml': 'resources: [../base]\n', 'apps/prod/cm.yaml': 'x', 'other/z.yaml': 'x' });
  const mirror = await mirrorForBuild(root, path.join(root, 'apps/prod'), 'resources: [../base]\nnamePrefix: p-\n');
  try {
    assert.equal(mirror.base, root);
    assert.equal(mirror.dir, path.join(mirror.root, 'apps/prod'));
    assert.deepEqual(readdirSync(mirror.dir).sort(), ['cm.yaml', 'kustomization.yaml']);
    assert.equal(readFileSync(path.join(mirror.dir, 'kustomization.yaml'), 'utf8'), 'resources: [../base]\nnamePrefix: p-\n');
    assert.equal(readFileSync(path.join(mirror.root, 'apps/base/deployment.yaml'), 'utf8'), deployment);
    assert.ok(existsSync(path.join(mirror.root, 'other/z.yaml')));
  } finally {
    await mirror.dispose();
  }
  assert.ok(!existsSync(mirror.root));
  // The repository itself is untouched.
  assert.equal(readFileSync(path.join(root, 'apps/prod/kustomization.yaml'), 'utf8'), 'resources: [../base]\n');
});

test('applyCommonMetadata sets labels and annotations on the object metadata only, overriding existing keys', () => {
  const object = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels: { team: 'red', app: 'web' } },
    spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } } } },
  };
  const out = applyCommonMetadata(object, { labels: { team: 'blue' }, annotations: { owner: 'ops' } });
  assert.deepEqual(out.metadata, { name: 'web', labels: { team: 'blue', app: 'web' }, annotations: { owner: 'ops' } });
  assert.deepEqual(out.spec, object.spec);
  assert.equal(object.metadata.labels.team, 'red', 'the input is not modified');
});

test('a Flux Kustomization with patches, images, components, namePrefix and commonMetadata renders as kustomize-controller builds it', async (t) => {
  if (!(await detectTools()).kustomize) return t.skip('neither kustomize nor kubectl is on PATH');
  const root = tempRepo(t, {
    'clusters/prod.yaml': flux(
      'prod',
      `  path: ./apps/prod
  targetNamespace: web
  namePrefix: p-
  images:
    - {name: registry.example/web, newTag: "2.0"}
  patches:
    - target: {kind: Deployment, name: web}
      patch: |
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec: {replicas: 5}
  components: [../../components/extra]
  commonMetadata:
    labels: {team: blue, greeting: "\${GREETING}"}
    annotations: {owner: ops}
  postBuild:
    substitute: {GREETING: hi}
`,
    ),
    'apps/base/kustomization.yaml': 'resources: [deployment.yaml]\n',
    'apps/base/deployment.yaml': deployment,
    'apps/prod/kustomization.yaml': 'resources: [../base, settings.yaml]\nimages: [{name: registry.example/web, newTag: "1.5"}]\n',
    'apps/prod/settings.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {greeting: "${GREETING}"}\n',
    'components/extra/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources: [extra.yaml]\n',
    'components/extra/extra.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra}\ndata: {a: b}\n',
  });
  const r = await renderDesired({ paths: [path.join(root, 'apps/prod')], root });
  assert.deepEqual(r.problems, []);
  const byName = Object.fromEntries(r.objects.map((o) => [o.object.metadata.name, o]));
  assert.deepEqual(Object.keys(byName).sort(), ['p-extra', 'p-settings', 'p-web']);
  const web = byName['p-web']!.object as unknown as { metadata: { namespace: string; labels: Record<string, string>; annotations: Record<string, string> }; spec: { replicas: number; selector: unknown; template: { metadata: { labels: unknown }; spec: { containers: Array<{ image: string }> } } } };
  // The Flux patch targets the name before the prefix (it runs in the same kustomization, before namePrefix).
  assert.equal(web.spec.replicas, 5);
  // spec.images replaces the kustomization's own entry for the same image.
  assert.equal(web.spec.template.spec.containers[0]!.image, 'registry.example/web:2.0');
  assert.equal(web.metadata.namespace, 'web');
  // commonMetadata is set after substitution (not substituted itself), on metadata only.
  assert.deepEqual(web.metadata.labels, { team: 'blue', greeting: '${GREETING}' });
  assert.deepEqual(web.metadata.annotations, { owner: 'ops' });
  assert.deepEqual(web.spec.selector, { matchLabels: { app: 'web' } });
  assert.deepEqual(web.spec.template.metadata.labels, { app: 'web' });
  assert.deepEqual(byName['p-settings']!.object.data, { greeting: 'hi' });
  // Objects map back to their source files, the component's included; the component is part of the unit.
  assert.equal(path.relative(root, byName['p-web']!.source!.file), 'apps/base/deployment.yaml');
  assert.equal(path.relative(root, byName['p-extra']!.source!.file), 'components/extra/extra.yaml');
  assert.ok(r.units[0]!.files.has(path.join(root, 'components/extra/extra.yaml')));
  // Nothing was written into the repository.
  assert.equal(readFileSync(path.join(root, 'apps/prod/kustomization.yaml'), 'utf8'), 'resources: [../base, settings.yaml]\nimages: [{name: registry.example/web, newTag: "1.5"}]\n');
  assert.deepEqual(readdirSync(path.join(root, 'apps/prod')).sort(), ['kustomization.yaml', 'settings.yaml']);
});

test('a plain folder with nameSuffix is built from the kustomization Flux generates; errors name the repository path', async (t) => {
  if (!(await detectTools()).kustomize) return t.skip('neither kustomize nor kubectl is on PATH');
  const root = tempRepo(t, {
    'sync.yaml': `${flux('plain', '  path: ./plain\n  nameSuffix: -s\n')}---\n${flux('broken', '  path: ./broken\n  components: [../missing-component]\n')}`,
    'plain/a.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: x}\n',
    'plain/sub/b.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b, namespace: x}\n',
    'broken/c.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: x}\n',
  });
  const r = await renderDesired({ paths: [], root });
  assert.deepEqual(
    r.objects.filter((o) => o.binding).map((o) => `${o.binding?.name} ${o.object.metadata.name} ${path.relative(root, o.source!.file)}`).sort(),
    ['plain a-s plain/a.yaml', 'plain b-s plain/sub/b.yaml'],
  );
  assert.equal(r.problems.length, 1);
  assert.equal(r.problems[0]!.binding?.name, 'broken');
  assert.match(r.problems[0]!.message, /^kustomize build failed: .*missing-component/s);
  assert.ok(!/gitops-lens-flux-build-/.test(r.problems[0]!.message), r.problems[0]!.message);
});
