/**
 * Argo CD Application source options rendered as Argo CD's repo-server does:
 * `spec.source.kustomize` as the `kustomize edit` commands it runs (in a
 * mirror, the repository untouched), `spec.source.directory` (top level
 * unless recurse, include/exclude globs), and build errors caused by the
 * binding's own fields pointing at the binding's document.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import {
  argoDirectoryIncludes,
  argoEnvsubst,
  argoGlobMatch,
  argoKustomizeOptions,
  editArgoKustomization,
  parseImageArgument,
} from '../../server/src/render/argo-source.js';
import { bindingFromObject, bindingsFromObject } from '../../server/src/render/binding.js';
import { detectTools, renderDesired } from '../../server/src/render/render-desired.js';

function tempRepo(t: { after(fn: () => void): void }, files: Record<string, string>): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'preview-argo-source-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), text);
  }
  return root;
}

/** Every file of a tree with its text, to prove the preview wrote nothing. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(dir, p)] = readFileSync(p, 'utf8');
    }
  };
  walk(dir);
  return out;
}

const app = (source: string, name = 'web', destinationNamespace = 'web-prod') => `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: ${name}
  namespace: argocd
spec:
  project: team-a
  destination:
    server: https://kubernetes.default.svc
    namespace: ${destinationNamespace}
  source:
    repoURL: https://example.com/repo.git
    targetRevision: main
${source}`;

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: "registry.example/web:1.0"}, {name: proxy, image: "registry.example/proxy:1.0"}]}
`;

test('argoEnvsubst follows os.Expand: $NAME, ${NAME}, $$, unknown names empty', () => {
  const env = { ARGOCD_APP_NAME: 'web', ARGOCD_APP_NAMESPACE: 'prod' };
  assert.equal(argoEnvsubst('img:$ARGOCD_APP_NAME-${ARGOCD_APP_NAMESPACE}', env), 'img:web-prod');
  assert.equal(argoEnvsubst('a$$b', env), 'a$b');
  assert.equal(argoEnvsubst('rev-${ARGOCD_APP_REVISION}', env), 'rev-');
  assert.equal(argoEnvsubst('plain', env), 'plain');
  assert.equal(argoEnvsubst('trailing$', env), 'trailing$');
});

test('kustomize edit set image arguments parse as kustomize parses them', () => {
  assert.deepEqual(parseImageArgument('nginx=registry.example/nginx:1.25'), { name: 'nginx', newName: 'registry.example/nginx', newTag: '1.25' });
  assert.deepEqual(parseImageArgument('nginx=registry.example/nginx@sha256:abc'), { name: 'nginx', newName: 'registry.example/nginx', digest: 'sha256:abc' });
  assert.deepEqual(parseImageArgument('nginx=registry.example/nginx'), { name: 'nginx', newName: 'registry.example/nginx' });
  assert.deepEqual(parseImageArgument('nginx:1.25'), { name: 'nginx', newTag: '1.25' });
  assert.deepEqual(parseImageArgument('registry.example:5000/nginx:1.25'), { name: 'registry.example:5000/nginx', newTag: '1.25' });
  assert.deepEqual(parseImageArgument('nginx@sha256:abc'), { name: 'nginx', digest: 'sha256:abc' });
  assert.throws(() => parseImageArgument('nginx'), /invalid format of image/);
});

test('argoKustomizeOptions reads spec.source.kustomize; flags alone change nothing', () => {
  assert.deepEqual(
    argoKustomizeOptions({
      kustomize: {
        namePrefix: 'p-',
        images: ['nginx:1.25', 3],
        replicas: [{ name: 'web', count: '3' }, { name: 'bad', count: 'x' }, { name: 'api', count: 2 }],
        commonLabels: { team: 'a', tier: 1 },
        forceCommonLabels: true,
        namespace: 'ns',
        patches: [{ target: { kind: 'Deployment' }, patch: '- {op: replace, path: /spec/replicas, value: 5}' }],
        components: ['../c'],
      },
    }),
    {
      namePrefix: 'p-',
      images: ['nginx:1.25'],
      replicas: [{ name: 'web', count: 3 }, { name: 'api', count: 2 }],
      commonLabels: { team: 'a', tier: '1' },
      forceCommonLabels: true,
      namespace: 'ns',
      patches: [{ target: { kind: 'Deployment' }, patch: '- {op: replace, path: /spec/replicas, value: 5}' }],
      components: ['../c'],
    },
  );
  assert.equal(argoKustomizeOptions({ kustomize: { forceCommonLabels: true } }), undefined);
  assert.equal(argoKustomizeOptions({ path: 'x' }), undefined);
});

test('editArgoKustomization applies the kustomize edit commands in Argo CD\'s order and with kustomize\'s rules', () => {
  const own = {
    resources: ['web.yaml'],
    namePrefix: 'old-',
    images: [{ name: 'registry.example/web', newTag: '0.9' }, { name: 'b', newName: 'keep' }],
    replicas: [{ name: 'api', count: 1 }, { name: 'web', count: 1 }],
    commonLabels: { app: 'web' },
    commonAnnotations: { owner: 'x' },
    patches: [{ path: 'p.yaml' }],
    components: ['../c1'],
  };
  const env = { ARGOCD_APP_NAME: 'web' };
  const edited = editArgoKustomization(
    own,
    {
      namePrefix: 'p-',
      nameSuffix: '-s',
      images: ['registry.example/web:2.0', 'registry.example/proxy=mirror.example/proxy:$ARGOCD_APP_NAME'],
      replicas: [{ name: 'web', count: 3 }],
      commonLabels: { team: '$ARGOCD_APP_NAME' },
      commonAnnotations: { note: '$ARGOCD_APP_NAME' },
      namespace: 'prod',
      patches: [{ patch: 'x', target: { kind: 'Deployment' } }],
      components: ['../c1', '../c2'],
    },
    env,
  );
  assert.deepEqual(edited, {
    resources: ['web.yaml'],
    namePrefix: 'p-',
    nameSuffix: '-s',
    // The argument replaces the entry of the same name; the list is sorted by name.
    images: [{ name: 'b', newName: 'keep' }, { name: 'registry.example/proxy', newName: 'mirror.example/proxy', newTag: 'web' }, { name: 'registry.example/web', newTag: '2.0' }],
    replicas: [{ name: 'api', count: 1 }, { name: 'web', count: 3 }],
    commonLabels: { app: 'web', team: 'web' },
    // Annotation values are substituted only with commonAnnotationsEnvsubst.
    commonAnnotations: { owner: 'x', note: '$ARGOCD_APP_NAME' },
    namespace: 'prod',
    patches: [{ path: 'p.yaml' }, { patch: 'x', target: { kind: 'Deployment' } }],
    components: ['../c1', '../c2'],
  });
  // The file's own kustomization is not modified.
  assert.equal(own.namePrefix, 'old-');
  assert.deepEqual(own.commonLabels, { app: 'web' });
  // kustomize edit add refuses a key that exists, unless forced.
  assert.throws(() => editArgoKustomization(own, { commonLabels: { app: 'api' } }, env), /^Error: label app already in kustomization file$/);
  assert.deepEqual(editArgoKustomization(own, { commonLabels: { app: 'api' }, forceCommonLabels: true }, env).commonLabels, { app: 'api' });
  assert.throws(() => editArgoKustomization(own, { commonAnnotations: { owner: 'y' } }, env), /annotation owner already in kustomization file/);
  assert.deepEqual(editArgoKustomization(own, { commonAnnotations: { n: '$ARGOCD_APP_NAME' }, commonAnnotationsEnvsubst: true }, env).commonAnnotations, { owner: 'x', n: 'web' });
  // Labels without selector: one `labels` entry per new key.
  assert.deepEqual(editArgoKustomization({}, { commonLabels: { a: '1', b: '2' }, labelWithoutSelector: true, labelIncludeTemplates: true }, env).labels, [
    { pairs: { a: '1' }, includeSelectors: false, includeTemplates: true },
    { pairs: { b: '2' }, includeSelectors: false, includeTemplates: true },
  ]);
  // Preserve markers keep the file's value.
  assert.deepEqual(editArgoKustomization(own, { images: ['registry.example/web=*:3.0'] }, env).images, [
    { name: 'b', newName: 'keep' },
    { name: 'registry.example/web', newTag: '3.0' },
  ]);
  // A missing component fails, unless ignoreMissingComponents.
  const exists = (c: string) => c !== '../missing';
  assert.throws(() => editArgoKustomization({}, { components: ['../missing'] }, env, exists), /has no match/);
  assert.deepEqual(editArgoKustomization({}, { components: ['../missing', '../c'], ignoreMissingComponents: true }, env, exists).components, ['../c']);
});

test('Argo CD globs: * crosses folders, braces, classes, escapes', () => {
  assert.ok(argoGlobMatch('*.yaml', 'a/b.yaml'));
  assert.ok(argoGlobMatch('{config.json,env-usw2/*}', 'env-usw2/x.yaml'));
  assert.ok(argoGlobMatch('{config.json,env-usw2/*}', 'config.json'));
  assert.ok(!argoGlobMatch('{config.json,env-usw2/*}', 'config.yaml'));
  assert.ok(argoGlobMatch('file-[0-9].yaml', 'file-3.yaml'));
  assert.ok(!argoGlobMatch('file-[!0-9].yaml', 'file-3.yaml'));
  assert.ok(argoGlobMatch('a\\*b', 'a*b'));
  assert.ok(!argoGlobMatch('a\\*b', 'axb'));
  assert.ok(argoGlobMatch('?.yaml', 'x.yaml'));
});

test('argoDirectoryIncludes: top level only unless recurse, manifests by extension, exclude then include', () => {
  assert.ok(argoDirectoryIncludes('a.yaml', undefined));
  assert.ok(argoDirectoryIncludes('a.json', undefined));
  assert.ok(!argoDirectoryIncludes('README.md', undefined));
  assert.ok(!argoDirectoryIncludes('sub/a.yaml', undefined));
  assert.ok(argoDirectoryIncludes('sub/a.yaml', { recurse: true }));
  assert.ok(!argoDirectoryIncludes('sub/a.yaml', { recurse: true, exclude: 'sub/*' }));
  assert.ok(!argoDirectoryIncludes('b.yaml', { include: '{a.yaml,c.yaml}' }));
  assert.ok(argoDirectoryIncludes('c.yaml', { include: '{a.yaml,c.yaml}' }));
});

test('the binding of an Application carries its kustomize / directory options and build environment', () => {
  const b = bindingFromObject(
    {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: { name: 'web', namespace: 'argocd' },
      spec: {
        project: 'p',
        destination: { namespace: 'prod' },
        source: { repoURL: 'r', path: 'apps/web', targetRevision: 'main', kustomize: { namePrefix: 'x-' }, directory: { recurse: true } },
      },
    },
    '/repo',
  );
  assert.deepEqual(b?.argo, {
    kustomize: { namePrefix: 'x-' },
    directory: { recurse: true },
    env: {
      ARGOCD_APP_NAME: 'web',
      ARGOCD_APP_NAMESPACE: 'prod',
      ARGOCD_APP_PROJECT_NAME: 'p',
      ARGOCD_APP_SOURCE_REPO_URL: 'r',
      ARGOCD_APP_SOURCE_PATH: 'apps/web',
      ARGOCD_APP_SOURCE_TARGET_REVISION: 'main',
    },
  });
});

test('an Application\'s kustomize options are built as the repo-server builds them, and the repository is left untouched', async (t) => {
  if (!(await detectTools()).kustomize) return t.skip('neither kustomize nor kubectl is on PATH');
  const root = tempRepo(t, {
    'argo/web.yaml': app(`    path: apps/overlay
    kustomize:
      namePrefix: argo-
      nameSuffix: -v2
      images: ["registry.example/web:2.0", "registry.example/proxy=mirror.example/proxy:$ARGOCD_APP_NAME"]
      replicas: [{name: web, count: 4}]
      commonLabels: {team: blue}
      commonAnnotations: {owner: "$ARGOCD_APP_NAME"}
      namespace: web-prod
      patches:
        - target: {kind: ConfigMap}
          patch: |
            - {op: add, path: /data/patched, value: "yes"}
      components: [../components/extra]
`),
    'apps/base/kustomization.yaml': 'resources: [web.yaml, settings.yaml]\n',
    'apps/base/web.yaml': deployment,
    'apps/base/settings.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {a: "1"}\n',
    'apps/overlay/kustomization.yaml': 'resources: [../base]\ncommonLabels: {env: prod}\n',
    'apps/components/extra/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources: [extra.yaml]\n',
    'apps/components/extra/extra.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra}\ndata: {b: "2"}\n',
  });
  const before = snapshot(root);
  const r = await renderDesired({ paths: [], root });
  assert.deepEqual(r.problems, []);
  assert.deepEqual(snapshot(root), before, 'nothing written into the repository');
  const mine = r.objects.filter((o) => o.binding?.name === 'web');
  assert.deepEqual(mine.map((o) => `${o.object.kind} ${o.object.metadata.namespace}/${o.object.metadata.name}`).sort(), [
    'ConfigMap web-prod/argo-extra-v2',
    'ConfigMap web-prod/argo-settings-v2',
    'Deployment web-prod/argo-web-v2',
  ]);
  const web = mine.find((o) => o.object.kind === 'Deployment')!;
  const spec = web.object.spec as { replicas: number; template: { spec: { containers: Array<{ image: string }> } } };
  assert.equal(spec.replicas, 4);
  assert.deepEqual(spec.template.spec.containers.map((c) => c.image), ['registry.example/web:2.0', 'mirror.example/proxy:web']);
  assert.deepEqual(web.object.metadata.labels, { app: 'web', env: 'prod', team: 'blue' });
  assert.deepEqual(web.object.metadata.annotations, { owner: '$ARGOCD_APP_NAME' });
  assert.equal(path.relative(root, web.source!.file), 'apps/base/web.yaml');
  assert.deepEqual(mine.find((o) => o.object.metadata.name === 'argo-settings-v2')!.object.data, { a: '1', patched: 'yes' });
});

test('kustomize options on a folder without kustomization fail as in Argo CD, on the Application\'s document', async (t) => {
  if (!(await detectTools()).kustomize) return t.skip('neither kustomize nor kubectl is on PATH');
  const root = tempRepo(t, {
    'argo/apps.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: first}\n---\n${app(`    path: plain\n    kustomize: {namePrefix: x-}\n`)}`,
    'plain/a.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: x}\n',
  });
  const r = await renderDesired({ paths: [path.join(root, 'plain')], root });
  assert.equal(r.problems.length, 1, JSON.stringify(r.problems));
  const p = r.problems[0]!;
  assert.equal(path.relative(root, p.file), 'argo/apps.yaml');
  assert.equal(p.range?.start.line, 4, 'the range is the Application document, not the start of the file');
  assert.match(p.message, /kustomization file not found in the path/);
});

test('a directory source: top level only by default; recurse with include/exclude; JSON read; Jsonnet noted', async (t) => {
  const cm = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${name}, namespace: x}\n`;
  const root = tempRepo(t, {
    'argo/flat.yaml': app('    path: flat\n', 'flat'),
    'argo/deep.yaml': app(`    path: deep\n    directory: {recurse: true, exclude: "skip/*", include: "{*.yaml,*.json,*.jsonnet}"}\n`, 'deep'),
    'flat/a.yaml': cm('flat-a'),
    'flat/sub/b.yaml': cm('flat-b'),
    'deep/a.yaml': cm('deep-a'),
    'deep/sub/b.yaml': cm('deep-b'),
    'deep/sub/c.json': JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'deep-c', namespace: 'x' } }),
    'deep/skip/d.yaml': cm('deep-d'),
    'deep/sub/e.yml': cm('deep-e'),
    'deep/lib/f.jsonnet': '{}',
  });
  const r = await renderDesired({ paths: [path.join(root, 'flat'), path.join(root, 'deep')], root, tools: { kustomize: undefined } });
  assert.deepEqual(r.problems, []);
  assert.deepEqual(r.objects.filter((o) => o.binding?.name === 'flat').map((o) => o.object.metadata.name), ['flat-a']);
  // `*.yaml` does not match `.yml`: the include filter is Argo CD's, not the extension list.
  assert.deepEqual(r.objects.filter((o) => o.binding?.name === 'deep').map((o) => o.object.metadata.name), ['deep-a', 'deep-b', 'deep-c']);
  assert.equal(path.relative(root, r.objects.find((o) => o.object.metadata.name === 'deep-c')!.source!.file), 'deep/sub/c.json');
  assert.ok(r.notes.includes('Application argocd/deep: Jsonnet files not previewed (deep/lib/f.jsonnet)'), r.notes.join('\n'));
});

test('a Flux build that fails because of the Kustomization\'s own fields points at the Kustomization\'s document', async (t) => {
  if (!(await detectTools()).kustomize) return t.skip('neither kustomize nor kubectl is on PATH');
  const root = tempRepo(t, {
    'clusters/apps.yaml': `apiVersion: v1
kind: Namespace
metadata: {name: apps}
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: apps, namespace: flux-system}
spec:
  interval: 10m
  path: ./apps
  prune: true
  sourceRef: {kind: GitRepository, name: repo}
  patches:
    - target: {kind: ConfigMap}
      patch: |
        - {op: replace, path: /data/missing/deeper, value: x}
`,
    'apps/kustomization.yaml': 'resources: [cm.yaml]\n',
    'apps/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata: {a: "1"}\n',
  });
  const r = await renderDesired({ paths: [path.join(root, 'apps')], root });
  assert.equal(r.problems.length, 1, JSON.stringify(r.problems));
  assert.equal(path.relative(root, r.problems[0]!.file), 'clusters/apps.yaml');
  assert.equal(r.problems[0]!.range?.start.line, 4);
  assert.match(r.problems[0]!.message, /^kustomize build failed: /);
});

test('a multi-source Application gives one binding per source with a path or chart; ref-only sources give none', () => {
  const bindings = bindingsFromObject(
    {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: { name: 'multi', namespace: 'argocd' },
      spec: {
        destination: { namespace: 'prod' },
        sources: [
          { repoURL: 'r', path: 'apps/a', kustomize: { namePrefix: 'a-' } },
          { repoURL: 'r', ref: 'values' },
          { repoURL: 'https://charts.example.com', chart: 'redis' },
        ],
      },
    },
    '/repo',
  );
  assert.deepEqual(
    bindings.map((b) => [b.name, b.folder, b.sourceIndex, b.helm, b.argo?.kustomize?.namePrefix, b.targetNamespace]),
    [
      ['multi', '/repo/apps/a', 0, false, 'a-', 'prod'],
      ['multi', '/repo', 2, true, undefined, 'prod'],
    ],
  );
  assert.equal(bindingFromObject({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { name: 'x' }, spec: { sources: [{ ref: 'v' }, { path: 'p' }] } }, '/repo')?.folder, '/repo/p');
});
