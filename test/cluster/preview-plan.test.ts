/**
 * Preview against the real control plane: a Flux-bound kustomize overlay
 * (base + overlay + a Secret, with postBuild substitution) against a live
 * state applied as kustomize-controller with Flux's ownership labels. The
 * plan must be exact, the cluster untouched (resourceVersions, audit log),
 * Secret values never shown, the restricted identity labelled approximate,
 * and a server-side rejection reported on the right source line.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { NO_TEST_CLUSTER_REASON, testCluster } from '../support/control-plane.js';
import { PreviewService, kubeconfigConnector } from '../../server/src/preview/preview-service.js';
import type { PlanItem } from '../../server/src/preview/plan.js';

/** The fixture, found from the working directory (tests run from the repository root or below it). */
function fixtureRepo(): string {
  for (let dir = process.cwd(); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'test/fixtures/preview/repo');
    if (existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) throw new Error('test/fixtures/preview/repo not found above the working directory');
  }
}
const repo = fixtureRepo();
const NS = 'preview-e2e';
const MARKER = 'PREVIEW-SECRET-MARKER';
const cp = testCluster();
const skip = cp ? false : NO_TEST_CLUSTER_REASON;

const FLUX_LABELS = `
    kustomize.toolkit.fluxcd.io/name: preview-apps
    kustomize.toolkit.fluxcd.io/namespace: flux-system`;

/** What Flux applied from the previous commit: replicas 3, an old Secret value, one object since removed from the repo, one kept by annotation. */
const LIVE = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: ${NS}
  labels:
    app: web${FLUX_LABELS}
spec:
  replicas: 3
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web
          image: registry.example/web:1.2.3
          ports:
            - containerPort: 8080
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: ${NS}
  labels:${FLUX_LABELS}
spec:
  selector:
    app: web
  ports:
    - port: 80
      targetPort: 8080
---
apiVersion: v1
kind: Secret
metadata:
  name: web-credentials
  namespace: ${NS}
  labels:${FLUX_LABELS}
type: Opaque
stringData:
  password: ${MARKER}-old-value
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-legacy
  namespace: ${NS}
  labels:${FLUX_LABELS}
data:
  old: "true"
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-keep
  namespace: ${NS}
  labels:${FLUX_LABELS}
  annotations:
    kustomize.toolkit.fluxcd.io/prune: disabled
data:
  keep: "true"
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: not-owned
  namespace: ${NS}
data:
  mine: "true"
`;

async function kubectlOk(args: string[], opts: { context?: string; input?: string } = {}): Promise<string> {
  const r = await cp!.kubectl(args, opts);
  assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

async function setUpLiveState(): Promise<void> {
  const ns = await cp!.kubectl(['get', 'namespace', NS]);
  if (ns.code !== 0) await kubectlOk(['create', 'namespace', NS]);
  // Start from the same state every run: the object that must be missing is deleted, the rest re-applied.
  await kubectlOk(['-n', NS, 'delete', 'configmap,secret,service,deployment', '--all', '--ignore-not-found', '--wait=false']);
  await kubectlOk(['apply', '--server-side', '--field-manager=kustomize-controller', '--force-conflicts', '-f', '-'], { input: LIVE });
}

/** uid → resourceVersion of every object in the test namespace (and team-a's fixture ConfigMap). */
async function snapshot(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const args of [
    ['-n', NS, 'get', 'configmap,secret,service,deployment', '-o', 'json'],
    ['-n', 'team-a', 'get', 'configmap', '-o', 'json'],
  ]) {
    const list = JSON.parse(await kubectlOk(args)) as { items: Array<{ kind: string; metadata: { name: string; uid: string; resourceVersion: string } }> };
    for (const o of list.items) out.set(`${o.kind}/${o.metadata.name}/${o.metadata.uid}`, o.metadata.resourceVersion);
  }
  return out;
}

const services: PreviewService[] = [];
after(() => {
  for (const s of services) s.dispose();
});

function service(context: string, userAgent: string): PreviewService {
  const s = new PreviewService({ connect: (kubeconfig, ctx) => kubeconfigConnector(true, async () => false, userAgent)(kubeconfig ?? cp!.kubeconfigPath, ctx ?? context) });
  services.push(s);
  return s;
}

const summary = (entries: PlanItem[]) => entries.map((e) => `${e.action} ${e.kind} ${e.namespace ?? ''}/${e.name}`);

/** Asserts that no text of the plan holds the Secret marker, raw or base64-encoded. */
function assertNoSecret(text: string): void {
  assert.ok(!text.includes(MARKER), 'the Secret marker leaked');
  for (const v of [`${MARKER}-old-value`, `${MARKER}-new-value`]) {
    assert.ok(!text.includes(Buffer.from(v).toString('base64')), 'a base64 Secret value leaked');
  }
  assert.ok(!text.includes(Buffer.from(MARKER).toString('base64').slice(0, 16)), 'a base64 Secret prefix leaked');
}

test('preview of a Flux-bound overlay: exact plan, cluster untouched, Secrets masked, memoized', { skip, timeout: 120_000 }, async () => {
  await setUpLiveState();
  const before = await snapshot();
  const userAgent = `gitops-lens-preview-test/${randomBytes(6).toString('hex')}`;
  const svc = service('tool', userAgent);
  const startedMs = Date.now();
  const progress: Array<[number, number]> = [];
  const plan = await svc.preview({ paths: [path.join(repo, 'apps/overlay')], root: repo, onProgress: (d, t) => progress.push([d, t]) });

  assert.deepEqual(summary(plan.entries), [
    'create ConfigMap preview-e2e/web-config',
    'unchanged ConfigMap preview-e2e/web-keep',
    'prune ConfigMap preview-e2e/web-legacy',
    'update Deployment preview-e2e/web',
    'update Secret preview-e2e/web-credentials',
    'unchanged Service preview-e2e/web',
  ]);
  assert.deepEqual(plan.counts, { create: 1, update: 2, prune: 1, unchanged: 2, error: 0 });
  const byName = (kind: string, name: string) => plan.entries.find((e) => e.kind === kind && e.name === name)!;

  // The update: exactly one field, with a unified diff of it.
  const deployment = byName('Deployment', 'web');
  assert.deepEqual(deployment.changedPaths, ['spec.replicas']);
  assert.match(deployment.diff!, /^--- live\/Deployment\/preview-e2e\/web\n\+\+\+ after\/Deployment\/preview-e2e\/web\n@@ /);
  assert.deepEqual(
    deployment.diff!.split('\n').filter((l) => /^[-+][^-+]/.test(l)),
    ['-  replicas: 3', '+  replicas: 2'],
  );
  assert.equal(deployment.binding, 'Kustomization flux-system/preview-apps');
  assert.ok(deployment.sourceUri!.endsWith('/apps/base/deployment.yaml'), deployment.sourceUri);
  assert.equal(deployment.approximate, undefined);

  // postBuild substitution reached the created ConfigMap; the escape stayed literal.
  const created = byName('ConfigMap', 'web-config');
  assert.match(created.diff!, /^\+  greeting: hello$/m);
  assert.match(created.diff!, /^\+  escaped: \$\{NOT_A_VARIABLE\}$/m);
  assert.match(created.diff!, /^\+    kustomize\.toolkit\.fluxcd\.io\/name: preview-apps$/m);
  assert.ok(created.sourceUri!.endsWith('/apps/base/configmap.yaml'));

  // The Secret change shows only masks.
  const secret = byName('Secret', 'web-credentials');
  assert.deepEqual(secret.changedPaths, ['data.password']);
  assert.deepEqual(
    secret.diff!.split('\n').filter((l) => /^[-+][^-+]/.test(l)),
    ['-  password: "*** (before)"', '+  password: "*** (after)"'],
  );

  const pruned = byName('ConfigMap', 'web-legacy');
  assert.equal(pruned.sourceUri, undefined);
  assert.match(pruned.diff!, /^-  old: "true"$/m);
  assert.match(byName('ConfigMap', 'web-keep').message!, /kustomize\.toolkit\.fluxcd\.io\/prune: disabled/);
  assert.equal(plan.entries.some((e) => e.name === 'not-owned'), false);
  assert.deepEqual(progress.at(-1), [4, 4]);

  // Nothing in the plan, its documents or its notes shows a Secret value.
  assertNoSecret(JSON.stringify(plan));
  const idx = plan.entries.indexOf(secret);
  assertNoSecret(svc.document(plan.planId, idx, 'live')!.text + svc.document(plan.planId, idx, 'after')!.text);
  assert.match(svc.document(plan.planId, idx, 'live')!.text, /password: "\*\*\* \(before\)"/);

  // The cluster is untouched: same objects, same resourceVersions, nothing created.
  assert.deepEqual(await snapshot(), before);
  assert.equal((await cp!.kubectl(['-n', NS, 'get', 'configmap', 'web-config'])).code, 1);

  // The audit log shows only reads and dry-run PATCHes from the tool's identity.
  const events = await cp!.waitForAuditEvents(
    { user: cp!.users.tool, sinceMs: startedMs - 1000, predicate: (e) => e.raw?.userAgent === userAgent && e.verb === 'patch' },
    30_000,
  );
  const ours = events.filter((e) => e.raw?.userAgent === userAgent);
  assert.ok(ours.length > 0);
  for (const e of ours) {
    assert.equal(e.user, cp!.users.tool);
    const ok = ['get', 'list', 'watch'].includes(e.verb) || (e.verb === 'patch' && /[?&]dryRun=All(&|$)/.test(e.requestURI));
    assert.ok(ok, `unexpected request: ${e.verb} ${e.requestURI}`);
  }
  // One dry-run per desired object, except the Service, which the live object provably already matches.
  assert.deepEqual(plan.stats, { dryRuns: 3, memoHits: 0, approximate: 0, provenUnchanged: 1 });
  assert.equal(ours.filter((e) => e.verb === 'patch').length, 3);

  // A second preview with nothing changed makes no dry-run calls and gives the same plan.
  const again = await svc.preview({ paths: [path.join(repo, 'apps/overlay')], root: repo });
  assert.deepEqual(again.stats, { dryRuns: 0, memoHits: 3, approximate: 0, provenUnchanged: 1 });
  assert.deepEqual(summary(again.entries), summary(plan.entries));
  assert.equal(again.entries.find((e) => e.kind === 'Deployment')!.diff, deployment.diff);

  // Asking the server about every object gives the same plan: the shortcut changes nothing.
  const exact = await service('tool', userAgent).preview({ paths: [path.join(repo, 'apps/overlay')], root: repo, exactUnchanged: true });
  assert.deepEqual(exact.stats, { dryRuns: 4, memoHits: 0, approximate: 0, provenUnchanged: 0 });
  assert.deepEqual(
    exact.entries.map((e) => [e.action, e.kind, e.name, e.diff]),
    plan.entries.map((e) => [e.action, e.kind, e.name, e.diff]),
  );
  assert.deepEqual(await snapshot(), before);
});

test('preview as the restricted identity falls back to an approximate, labelled comparison', { skip, timeout: 60_000 }, async () => {
  await kubectlOk(['apply', '--server-side', '--field-manager=kustomize-controller', '--force-conflicts', '-f', '-'], {
    input: `apiVersion: v1
kind: ConfigMap
metadata:
  name: preview-restricted-settings
  namespace: team-a
data:
  mode: live
`,
  });
  const before = await snapshot();
  const plan = await service('restricted', 'gitops-lens-preview-test-restricted').preview({ paths: [path.join(repo, 'restricted')], root: repo });
  assert.deepEqual(summary(plan.entries), ['update ConfigMap team-a/preview-restricted-settings']);
  const entry = plan.entries[0]!;
  assert.equal(entry.approximate, true);
  assert.match(entry.message!, /^approximate: no permission to dry-run apply/);
  assert.deepEqual(
    entry.diff!.split('\n').filter((l) => /^[-+][^-+]/.test(l)),
    ['-  mode: live', '+  mode: desired'],
  );
  assert.equal(plan.stats.approximate, 1);
  assert.deepEqual(await snapshot(), before);
});

test('an object the API server rejects is an error with its reason, on the source line', { skip, timeout: 60_000 }, async () => {
  const plan = await service('tool', 'gitops-lens-preview-test-invalid').preview({ paths: [path.join(repo, 'invalid')], root: repo });
  assert.deepEqual(summary(plan.entries), ['error Deployment preview-e2e/preview-invalid']);
  const entry = plan.entries[0]!;
  assert.match(entry.message!, /422 Invalid: .*spec\.replicas: Invalid value: -1: must be greater than or equal to 0/);
  assert.ok(entry.sourceUri!.endsWith('/invalid/bad-deployment.yaml'), entry.sourceUri);
  // `replicas: -1` is line 6 of the file (0-based 5).
  assert.equal(entry.sourceRange!.start.line, 5);
  assert.equal(plan.counts.error, 1);
  assert.equal((await cp!.kubectl(['-n', NS, 'get', 'deployment', 'preview-invalid'])).code, 1, 'nothing was created');
});
