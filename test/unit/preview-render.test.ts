/**
 * Rendering desired state as the agent would: units from bindings and root
 * kustomizations, kustomize builds (kubectl kustomize or kustomize on PATH),
 * postBuild substitution, source mapping, helm notes, "only changed" files.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync, mkdirSync, cpSync } from 'node:fs';
import os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { changedFiles } from '../../server/src/util/git.js';
import { NO_KUSTOMIZE_MESSAGE, detectTools, indexRepository, renderDesired, resolveUnits } from '../../server/src/render/render-desired.js';

function findUp(rel: string): string {
  for (let dir = process.cwd(); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, rel))) return path.join(dir, rel);
    if (path.dirname(dir) === dir) throw new Error(`${rel} not found above the working directory`);
  }
}
const repo = findUp('test/fixtures/preview/repo');
const corpora = path.resolve(path.dirname(findUp('package.json')), '../shared/corpora');

test('a kustomize overlay bound by a Flux Kustomization renders with the binding, substitution and source files', { skip: false }, async (t) => {
  const tools = await detectTools();
  if (!tools.kustomize) return t.skip('neither kustomize nor kubectl is on PATH');
  const r = await renderDesired({ paths: [path.join(repo, 'apps/overlay')], root: repo });
  assert.deepEqual(r.problems, []);
  assert.equal(r.units.length, 1);
  assert.equal(r.units[0]!.binding?.name, 'preview-apps');
  const byKind = Object.fromEntries(r.objects.map((o) => [o.object.kind, o]));
  assert.deepEqual(Object.keys(byKind).sort(), ['ConfigMap', 'Deployment', 'Secret', 'Service']);
  // The overlay's patch is applied, the base's variables substituted (with the default syntax and the escape).
  const dep = byKind.Deployment!.object as unknown as { spec: { replicas: number; template: { spec: { containers: Array<{ image: string }> } } } };
  assert.equal(dep.spec.replicas, 2);
  assert.equal(dep.spec.template.spec.containers[0]!.image, 'registry.example/web:1.2.3');
  assert.deepEqual(byKind.ConfigMap!.object.data, { greeting: 'hello', escaped: '${NOT_A_VARIABLE}' });
  // Objects map back to the file that declares them, not to the patch.
  assert.equal(path.relative(repo, byKind.Deployment!.source!.file), 'apps/base/deployment.yaml');
  assert.equal(byKind.Deployment!.source!.patches?.map((p) => path.relative(repo, p.file)).join(), 'apps/overlay/replicas.yaml');
  assert.equal(path.relative(repo, byKind.Secret!.source!.file), 'apps/base/secret.yaml');
  assert.equal(byKind.Service!.source!.range.start.line, 0);
});

test('units: bound folders, root kustomizations only (a base is rendered through its overlay), loose files', async () => {
  const index = await indexRepository(repo);
  const { units } = resolveUnits(index, []);
  assert.deepEqual(
    units.map((u) => `${u.kind} ${path.relative(repo, u.root)}${u.binding ? ` (${u.binding.name})` : ''}`).sort(),
    ['file clusters/test/apps.yaml', 'file restricted/settings.yaml', 'kustomize apps/overlay (preview-apps)', 'kustomize invalid'],
  );
  // Selecting a base file selects the overlay that reads it.
  const forBase = resolveUnits(index, [path.join(repo, 'apps/base/service.yaml')]).units;
  assert.deepEqual(forBase.map((u) => path.relative(repo, u.root)), ['apps/overlay']);
});

test('without kustomize or kubectl a kustomization is a clear problem, not a crash', async () => {
  const r = await renderDesired({ paths: [path.join(repo, 'invalid')], root: repo, tools: { kustomize: undefined } });
  assert.equal(r.objects.length, 0);
  assert.equal(r.problems.length, 1);
  assert.equal(r.problems[0]!.message, `kustomize build failed: ${NO_KUSTOMIZE_MESSAGE}`);
  assert.ok(r.problems[0]!.file.endsWith('invalid/kustomization.yaml'));
});

test('a broken kustomization reports kustomize\'s own message', async (t) => {
  if (!(await detectTools()).kustomize) return t.skip('neither kustomize nor kubectl is on PATH');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'preview-broken-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'kustomization.yaml'), 'resources:\n  - missing.yaml\n');
  const r = await renderDesired({ paths: [dir], root: dir });
  assert.equal(r.problems.length, 1);
  assert.match(r.problems[0]!.message, /^kustomize build failed: .*missing\.yaml/s);
});

test('the Flux example corpus renders without problems; HelmReleases are listed as not previewed', async (t) => {
  const root = path.join(corpora, 'flux2-kustomize-helm-example');
  if (!existsSync(root)) return t.skip(`corpus not found at ${root}`);
  const tools = await detectTools();
  if (!tools.kustomize) return t.skip('neither kustomize nor kubectl is on PATH');
  const r = await renderDesired({ paths: [], root, tools: { helm: undefined } });
  assert.deepEqual(r.problems, []);
  assert.ok(r.objects.length > 10);
  assert.ok(r.objects.every((o) => o.source), 'every object maps back to a source file');
  const helm = r.objects.filter((o) => o.object.kind === 'HelmRelease');
  assert.ok(helm.length >= 2);
  for (const h of helm) assert.equal(h.note, 'chart contents not previewed: needs helm');
  assert.ok(r.notes.some((n) => /^HelmRelease podinfo\/podinfo: chart contents not previewed: needs helm$/.test(n)), r.notes.join('\n'));
});

test('the Argo CD example corpus: Helm charts are not read as objects', async (t) => {
  const root = path.join(corpora, 'argocd-example-apps');
  if (!existsSync(root)) return t.skip(`corpus not found at ${root}`);
  if (!(await detectTools()).kustomize) return t.skip('neither kustomize nor kubectl is on PATH');
  const r = await renderDesired({ paths: [], root });
  assert.deepEqual(r.problems, []);
  assert.ok(!r.units.some((u) => /Chart\.yaml|templates\/|values/.test(path.relative(root, u.root))), r.units.map((u) => u.root).join('\n'));
  assert.ok(r.objects.some((o) => o.object.kind === 'Deployment' && o.object.metadata.name === 'guestbook-ui'));
});

test('only changed: git working tree vs HEAD plus untracked files restricts the units', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'preview-git-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(repo, dir, { recursive: true });
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd: dir, stdio: 'pipe' });
  git('init', '-q');
  git('add', '.');
  git('commit', '-q', '-m', 'initial');
  assert.deepEqual([...(await changedFiles(dir))], []);
  writeFileSync(path.join(dir, 'apps/base/service.yaml'), 'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports:\n    - port: 81\n');
  mkdirSync(path.join(dir, 'extra'));
  writeFileSync(path.join(dir, 'extra/new file.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: brand-new\n  namespace: x\n');
  const changed = await changedFiles(dir);
  assert.deepEqual([...changed].map((f) => path.relative(dir, f)).sort(), ['apps/base/service.yaml', 'extra/new file.yaml']);
  const r = await renderDesired({ paths: [], root: dir, onlyFiles: changed, tools: { kustomize: undefined } });
  assert.deepEqual(r.units.map((u) => path.relative(dir, u.root)).sort(), ['apps/overlay', 'extra/new file.yaml']);
  await assert.rejects(changedFiles(os.tmpdir()), /not inside a git work tree/);
});

test('only changed: a file deleted from a Flux-bound plain folder still selects the folder (its objects would be pruned)', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'preview-git-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(path.join(dir, 'plain'));
  writeFileSync(
    path.join(dir, 'sync.yaml'),
    'apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: plain, namespace: flux-system}\nspec: {path: ./plain, prune: true, interval: 1m, sourceRef: {kind: GitRepository, name: x}}\n',
  );
  writeFileSync(path.join(dir, 'plain/a.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: x}\n');
  writeFileSync(path.join(dir, 'plain/b.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b, namespace: x}\n');
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd: dir, stdio: 'pipe' });
  git('init', '-q');
  git('add', '.');
  git('commit', '-q', '-m', 'initial');
  rmSync(path.join(dir, 'plain/b.yaml'));
  const r = await renderDesired({ paths: [], root: dir, onlyFiles: await changedFiles(dir) });
  assert.deepEqual(r.units.map((u) => `${u.kind} ${path.relative(dir, u.root)} ${u.binding?.name}`), ['folder plain plain']);
  assert.deepEqual(r.objects.map((o) => o.object.metadata.name), ['a']);
});
