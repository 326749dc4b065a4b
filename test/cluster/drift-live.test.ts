/**
 * Drift against the real control plane. Manifests are applied as Flux would
 * (server-side apply, field manager kustomize-controller, as admin); then
 * fields are changed live as another manager ("kubectl-edit") and the
 * DriftService, connected as the read-only `gitops-lens-tool` identity,
 * must report them on the exact value through its watch, clear them on
 * revert, report deletes as missing, never report server defaults, never
 * show a Secret value, and mark kinds the restricted identity can't list as
 * "no access". The audit log then proves the tool only read.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { NO_TEST_CLUSTER_REASON, testCluster } from '../support/control-plane.js';
import { DriftService, type DriftSettings } from '../../server/src/drift/drift-service.js';
import type { Finding } from '../../server/src/findings.js';
import { until } from '../support/wait.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const cp = testCluster();
const skip = cp ? false : NO_TEST_CLUSTER_REASON;
const NS = `drift-e2e-${randomBytes(3).toString('hex')}`;
const UA = `gitops-lens-drift-test/${randomBytes(4).toString('hex')}`;
const MARKER = `DRIFT-SECRET-MARKER-${randomBytes(4).toString('hex')}`;

function fixture(name: string): string {
  return fs.readFileSync(path.join(here, '../fixtures/drift', name), 'utf8').replaceAll('drift-demo', NS);
}

async function kubectl(args: string[], input?: string): Promise<string> {
  const r = await cp!.kubectl(args, { context: 'admin', input });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

describe('drift against the real control plane', { skip }, () => {
  const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-lens-drift-repo-'));
  const appFile = path.join(repo, 'apps', 'podinfo.yaml');
  const secretFile = path.join(repo, 'apps', 'secret.yaml');
  const appUri = pathToFileURL(appFile).href;
  const secretUri = pathToFileURL(secretFile).href;
  const logs: string[] = [];
  const findings = new Map<string, Finding[]>();
  let service: DriftService;
  let startedMs = 0;
  const settings: () => DriftSettings = () => ({ kubeconfig: cp!.kubeconfigPath, context: 'tool', bindings: [], ignoreDifferences: [], drift: { enable: true } });

  before(async () => {
    startedMs = Date.now();
    fs.mkdirSync(path.dirname(appFile), { recursive: true });
    fs.writeFileSync(appFile, fixture('podinfo.yaml'));
    fs.writeFileSync(secretFile, fixture('secret.yaml'));
    await kubectl(['create', 'namespace', NS]);
    await kubectl(['apply', '--server-side', '--field-manager=kustomize-controller', '-f', '-'], fixture('podinfo.yaml'));
    await kubectl(['apply', '--server-side', '--field-manager=kustomize-controller', '-f', '-'], fixture('secret.yaml'));
    service = new DriftService({
      workspaceRoot: repo,
      settings,
      trusted: true,
      approve: async () => false,
      log: (m) => logs.push(m),
      userAgent: UA,
    });
    service.onFindings((uri, f) => findings.set(uri, f));
  });

  after(async () => {
    service?.dispose();
    await cp?.kubectl(['delete', 'namespace', NS, '--wait=false'], { context: 'admin' });
  });

  test('in sync: no drift, although the server defaulted many fields', async () => {
    await service.setDocuments(appUri, fs.readFileSync(appFile, 'utf8'));
    await until('connected and synced', () => service.report(appUri)?.objects.every((o) => o.state === 'present'));
    assert.deepEqual(findings.get(appUri), []);
    const live = JSON.parse(await kubectl(['get', 'deployment', 'podinfo', '-n', NS, '-o', 'json']));
    assert.equal(live.spec.progressDeadlineSeconds, 600, 'the server defaulted progressDeadlineSeconds');
    assert.equal(live.spec.template.spec.containers[0].imagePullPolicy, 'IfNotPresent');
    assert.equal(live.spec.template.spec.containers[0].resources.limits.cpu, '1', 'the server normalized 1000m to 1');
    assert.equal(service.connectionState(appUri).state.kind, 'connected');
  });

  test('a live edit by another manager shows on the exact value, with the manager; revert clears it', async () => {
    const text = fs.readFileSync(appFile, 'utf8');
    await kubectl(['patch', 'deployment', 'podinfo', '-n', NS, '--type=merge', '--field-manager=kubectl-edit', '-p', '{"spec":{"replicas":5}}']);
    const f = await until('replicas drift with its manager', () => findings.get(appUri)?.find((x) => x.code === 'drift-value' && /changed by/.test(x.message)));
    assert.match(f.message, /^live 5, desired 3 — changed by "kubectl-edit" at \d\d:\d\d\. Adopt the live value/);
    assert.equal(f.source, 'gitops-lens-drift');
    const line = text.split('\n').indexOf('  replicas: 3');
    assert.deepEqual(f.range, { start: { line, character: 12 }, end: { line, character: 13 } });
    assert.equal(findings.get(appUri)!.length, 1, 'only the drifted field is reported');
    const hover = service.hover(appUri, text, { line, character: 12 });
    assert.match(hover!.markdown, /Desired: `3`[\s\S]*Live: `5`[\s\S]*Manager: `kubectl-edit` \(Update\)/);
    const fixes = service.codeActions(appUri, f.range);
    assert.deepEqual(fixes.find((x) => x.kind === 'adopt-live')?.kind === 'adopt-live' && (fixes.find((x) => x.kind === 'adopt-live') as any).edit, { range: f.range, newText: '5' });

    await kubectl(['patch', 'deployment', 'podinfo', '-n', NS, '--type=merge', '--field-manager=kubectl-edit', '-p', '{"spec":{"replicas":3}}']);
    await until('drift cleared after revert', () => findings.get(appUri)?.length === 0);
  });

  test('an image changed live is reported on the image value', async () => {
    const text = fs.readFileSync(appFile, 'utf8');
    await kubectl(['patch', 'deployment', 'podinfo', '-n', NS, '--type=strategic', '--field-manager=kubectl-edit', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"podinfo","image":"ghcr.io/stefanprodan/podinfo:6.6.0"}]}}}}']);
    const f = await until('image drift', () => findings.get(appUri)?.find((x) => /changed by "kubectl-edit"/.test(x.message) && /6\.6\.0/.test(x.message)));
    const line = text.split('\n').findIndex((l) => l.includes('image: ghcr.io'));
    const col = text.split('\n')[line].indexOf('ghcr.io');
    assert.deepEqual(f.range, { start: { line, character: col }, end: { line, character: col + 'ghcr.io/stefanprodan/podinfo:6.5.0'.length } });
    await kubectl(['patch', 'deployment', 'podinfo', '-n', NS, '--type=strategic', '--field-manager=kubectl-edit', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"podinfo","image":"ghcr.io/stefanprodan/podinfo:6.5.0"}]}}}}']);
    await until('image drift cleared', () => findings.get(appUri)?.length === 0);
  });

  test('deleting an object gives "missing" on its name', async () => {
    const text = fs.readFileSync(appFile, 'utf8');
    await kubectl(['delete', 'configmap', 'podinfo-config', '-n', NS]);
    const f = await until('missing finding', () => findings.get(appUri)?.find((x) => x.code === 'drift-missing'));
    assert.match(f.message, new RegExp(`ConfigMap ${NS}/podinfo-config is declared here but missing from the cluster`));
    const line = text.split('\n').indexOf('  name: podinfo-config');
    assert.deepEqual(f.range, { start: { line, character: 8 }, end: { line, character: 8 + 'podinfo-config'.length } });
  });

  test('a drifted Secret shows no value anywhere', async () => {
    const text = fs.readFileSync(secretFile, 'utf8');
    await service.setDocuments(secretUri, text);
    await until('secret in sync', () => findings.get(secretUri)?.length === 0 && service.report(secretUri)?.objects[0]?.state === 'present');
    const b64 = Buffer.from(MARKER).toString('base64');
    await kubectl(['patch', 'secret', 'drift-secret', '-n', NS, '--type=merge', '--field-manager=kubectl-edit', '-p', JSON.stringify({ data: { password: b64 } })]);
    const f = await until('secret drift', () => findings.get(secretUri)?.find((x) => x.code === 'drift-value' && /changed by/.test(x.message)));
    assert.match(f.message, /^live \*\*\* \(differs\), desired \*\*\* — changed by "kubectl-edit"/);
    const hover = service.hover(secretUri, text, f.range.start)!;
    assert.match(hover.markdown, /\*\*\* \(differs\)/);
    const objectHover = service.hover(secretUri, text, { line: 3, character: 9 });
    const everything = [JSON.stringify([...findings]), hover.markdown, objectHover?.markdown ?? '', JSON.stringify(service.report(secretUri)), logs.join('\n'), JSON.stringify(service.codeActions(secretUri, f.range))].join('\n');
    for (const secret of [MARKER, b64, 'MARKER-desired-s3cr3t-value', Buffer.from('MARKER-desired-s3cr3t-value').toString('base64')]) {
      assert.ok(!everything.includes(secret), `secret value leaked: ${secret}`);
    }
  });

  test('the restricted identity: kinds outside its access are "no access", the rest keeps working', async () => {
    const restrictedNs = cp!.restrictedNamespace;
    await kubectl(['apply', '--server-side', '--field-manager=kustomize-controller', '-f', '-'], `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: drift-allowed\n  namespace: ${restrictedNs}\ndata:\n  k: v\n`);
    const file = path.join(repo, 'restricted', 'mixed.yaml');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const text = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: drift-allowed\n  namespace: ${restrictedNs}\ndata:\n  k: v\n---\n${fixture('podinfo.yaml').split('---')[0]}`;
    fs.writeFileSync(file, text);
    const uri = pathToFileURL(file).href;
    const restrictedFindings = new Map<string, Finding[]>();
    const r = new DriftService({
      workspaceRoot: repo,
      settings: () => ({ ...settings(), context: 'restricted' }),
      trusted: true,
      approve: async () => false,
      log: (m) => logs.push(m),
      userAgent: UA,
    });
    r.onFindings((u, f) => restrictedFindings.set(u, f));
    try {
      await r.setDocuments(uri, text);
      const report = await until('both objects resolved', () => {
        const rep = r.report(uri);
        return rep && rep.objects.length === 2 && rep.objects.every((o) => o.state !== 'unknown') ? rep : undefined;
      });
      assert.equal(report.objects[0].state, 'present', 'the ConfigMap in team-a is readable');
      assert.equal(report.objects[1].state, 'no-access');
      const f = restrictedFindings.get(uri)!;
      assert.equal(f.length, 1, JSON.stringify(f));
      assert.equal(f[0].code, 'drift-no-access');
      assert.equal(f[0].severity, 'information');
      assert.match(f[0].message, new RegExp(`no access \\(cannot list Deployment in namespace ${NS} \\(403 Forbidden\\)\\)`));
      assert.deepEqual(r.connectionState(uri).noAccess, [`Deployment in ${NS}`]);
      assert.equal(r.connectionState(uri).state.kind, 'connected');
    } finally {
      r.dispose();
    }
  });

  test('ignoreDifferences from an Argo CD Application and from the setting silence exactly that field', async () => {
    const text = fs.readFileSync(appFile, 'utf8');
    await kubectl(['patch', 'deployment', 'podinfo', '-n', NS, '--type=merge', '--field-manager=kubectl-edit', '-p', '{"spec":{"replicas":4}}']);
    await kubectl(['patch', 'service', 'podinfo', '-n', NS, '--type=merge', '--field-manager=kubectl-edit', '-p', '{"spec":{"selector":{"app":"other"}}}']);
    const app = `apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: podinfo\n  namespace: argocd\nspec:\n  project: default\n  source:\n    repoURL: https://example.invalid/repo.git\n    path: apps\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: ${NS}\n  ignoreDifferences:\n    - group: apps\n      kind: Deployment\n      jsonPointers:\n        - /spec/replicas\n`;
    const local = new Map<string, Finding[]>();
    const make = (ignore: DriftSettings['ignoreDifferences']) => {
      const s = new DriftService({ workspaceRoot: repo, settings: () => ({ ...settings(), ignoreDifferences: ignore }), trusted: true, approve: async () => false, userAgent: UA });
      s.onFindings((u, f) => local.set(u, f));
      return s;
    };
    const byApp = make([]);
    try {
      byApp.updateWorkspaceFile(pathToFileURL(path.join(repo, 'argocd', 'podinfo-app.yaml')).href, app);
      await byApp.setDocuments(appUri, text);
      const f = await until('only the selector drift', () => {
        const x = local.get(appUri);
        return x && x.some((y) => /live other/.test(y.message)) && byApp.report(appUri)?.objects.every((o) => o.state !== 'unknown') ? x : undefined;
      });
      // The ConfigMap was deleted by an earlier test, so it is still reported missing.
      assert.deepEqual(f.map((x) => x.code), ['drift-value', 'drift-missing'], JSON.stringify(f));
      const line = text.split('\n').indexOf('  replicas: 3');
      assert.match(byApp.hover(appUri, text, { line, character: 12 })!.markdown, /ignored \(Application argocd\/podinfo\)[\s\S]*Live: `4`/);
    } finally {
      byApp.dispose();
    }
    local.clear();
    const bySetting = make([{ group: '', kind: 'Service', name: 'podinfo', jsonPointers: ['/spec/selector'] }]);
    try {
      await bySetting.setDocuments(appUri, text);
      const f = await until('only the replicas drift', () => {
        const x = local.get(appUri);
        return x && x.length && bySetting.report(appUri)?.objects.every((o) => o.state !== 'unknown') ? x : undefined;
      });
      const values = f.filter((x) => x.code === 'drift-value');
      assert.equal(values.length, 1, JSON.stringify(f));
      assert.match(values[0].message, /^live 4, desired 3/);
    } finally {
      bySetting.dispose();
      await kubectl(['patch', 'deployment', 'podinfo', '-n', NS, '--type=merge', '--field-manager=kubectl-edit', '-p', '{"spec":{"replicas":3}}']);
      await kubectl(['patch', 'service', 'podinfo', '-n', NS, '--type=merge', '--field-manager=kubectl-edit', '-p', '{"spec":{"selector":{"app":"podinfo"}}}']);
    }
  });

  test('untrusted: no request at all reaches the cluster', async () => {
    const ua = `${UA}-untrusted`;
    const u = new DriftService({ workspaceRoot: repo, settings, trusted: false, approve: async () => true, userAgent: ua });
    const seen: Finding[][] = [];
    u.onFindings((_uri, f) => seen.push(f));
    await u.setDocuments(appUri, fs.readFileSync(appFile, 'utf8'));
    assert.deepEqual(seen, [[]]);
    assert.equal(u.connectionState(appUri).state.kind, 'disabled');
    u.dispose();
    // A marker request proves the audit log is current before asserting the absence.
    await cp!.kubectl(['get', '--raw', `/api/v1/namespaces/${NS}?untrusted-marker=${randomBytes(3).toString('hex')}`], { context: 'admin' });
    await cp!.waitForAuditEvents({ user: cp!.users.admin, sinceMs: startedMs, predicate: (e) => e.requestURI.includes('untrusted-marker') });
    const events = await cp!.auditEvents({ sinceMs: startedMs });
    assert.deepEqual(events.filter((e) => e.raw?.userAgent === ua), []);
  });

  test('the audit log shows only get/list/watch from the tool identity', async () => {
    const events = await cp!.auditEvents({ user: cp!.users.tool, sinceMs: startedMs, stage: 'any' });
    const mine = events.filter((e) => e.raw?.userAgent === UA);
    assert.ok(mine.length > 5, `expected requests from the drift service, saw ${mine.length}`);
    assert.ok(mine.some((e) => e.verb === 'watch'));
    assert.ok(mine.some((e) => e.verb === 'list'));
    for (const e of events) {
      const ok = ['get', 'list', 'watch'].includes(e.verb) || (e.verb === 'patch' && /[?&]dryRun=All(&|$)/.test(e.requestURI));
      assert.ok(ok, `mutating request by the tool identity: ${e.verb} ${e.requestURI}`);
    }
    const restricted = await cp!.auditEvents({ user: cp!.users.restricted, sinceMs: startedMs });
    for (const e of restricted) assert.ok(['get', 'list', 'watch'].includes(e.verb), `${e.verb} ${e.requestURI}`);
  });
});

describe('"is my commit deployed?" from a Flux Kustomization status', { skip }, () => {
  const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-lens-deployed-'));
  const name = `apps-${randomBytes(3).toString('hex')}`;
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, encoding: 'utf8' }).trim();

  test('behind, deployed and reconcile failed', async () => {
    git('init', '-q', '-b', 'main');
    git('config', 'user.email', 't@example.invalid');
    git('config', 'user.name', 'test');
    fs.mkdirSync(path.join(repo, 'clusters', 'prod'), { recursive: true });
    fs.mkdirSync(path.join(repo, 'apps', 'prod'), { recursive: true });
    const ks = `apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: ${name}\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./apps/prod\n  prune: true\n  targetNamespace: ${NS}\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n`;
    fs.writeFileSync(path.join(repo, 'clusters', 'prod', 'apps.yaml'), ks);
    const appFile = path.join(repo, 'apps', 'prod', 'cm.yaml');
    fs.writeFileSync(appFile, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deployed-check\ndata:\n  a: "1"\n');
    git('add', '.');
    git('commit', '-q', '-m', 'one');
    const first = git('rev-parse', 'HEAD');
    fs.writeFileSync(appFile, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deployed-check\ndata:\n  a: "2"\n');
    git('commit', '-q', '-am', 'two');
    const head = git('rev-parse', 'HEAD');

    await cp!.kubectl(['create', 'namespace', 'flux-system'], { context: 'admin' });
    await kubectl(['apply', '--server-side', '--field-manager=kustomize-controller', '-f', '-'], ks);
    const setStatus = (status: unknown) =>
      kubectl(['patch', 'kustomization.kustomize.toolkit.fluxcd.io', name, '-n', 'flux-system', '--subresource=status', '--type=merge', '-p', JSON.stringify({ status })]);

    const service = new DriftService({
      workspaceRoot: repo,
      settings: () => ({ kubeconfig: cp!.kubeconfigPath, context: 'tool', bindings: [], ignoreDifferences: [], drift: { enable: true } }),
      trusted: true,
      approve: async () => false,
    });
    try {
      service.updateWorkspaceFile(pathToFileURL(path.join(repo, 'clusters', 'prod', 'apps.yaml')).href, ks);
      const uri = pathToFileURL(appFile).href;
      await service.setDocuments(uri, fs.readFileSync(appFile, 'utf8'));
      const binding = service.bindingOf(uri, { kubeconfig: '', context: 'tool', bindings: [], ignoreDifferences: [], drift: { enable: true } });
      assert.equal(binding.source, 'flux-kustomization');
      assert.equal(binding.namespace, NS);

      await setStatus({ lastAppliedRevision: `main@sha1:${first}`, conditions: [{ type: 'Ready', status: 'True', reason: 'ReconciliationSucceeded', message: 'ok', lastTransitionTime: new Date().toISOString() }] });
      assert.equal((await service.deployStatus(uri))?.text, '1 commit behind');
      await setStatus({ lastAppliedRevision: `main@sha1:${head}` });
      const deployed = await service.deployStatus(uri);
      assert.equal(deployed?.kind, 'deployed');
      assert.equal(deployed?.text, 'deployed');
      await setStatus({ conditions: [{ type: 'Ready', status: 'False', reason: 'BuildFailed', message: 'kustomize build failed: missing resource', lastTransitionTime: new Date().toISOString() }] });
      assert.equal((await service.deployStatus(uri))?.text, 'reconcile failed: BuildFailed: kustomize build failed: missing resource');
    } finally {
      service.dispose();
      await cp?.kubectl(['delete', 'kustomization.kustomize.toolkit.fluxcd.io', name, '-n', 'flux-system', '--wait=false'], { context: 'admin' });
    }
  });
});
