/**
 * Tests of the test control plane itself (test/support/control-plane.ts): the other cluster
 * tests rely on it behaving like a real cluster, so these pin down the behaviour they use.
 *
 * Uses the run's shared control plane under `npm test`; run on its own
 * (`npx tsx --test test/cluster/control-plane.test.ts`) it starts and stops its own.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test, type TestContext } from 'node:test';
import { ControlPlaneBuildError, readVersions } from '../../scripts/build-control-plane.mjs';
import { DRY_RUN_ONLY_POLICY, startControlPlane, testCluster, type ControlPlane } from '../support/control-plane.js';

const suffix = randomBytes(3).toString('hex');
const namespace = `harness-${suffix}`;
const fieldManager = 'gitops-lens-harness-test';

let cp: ControlPlane | undefined;
let stopOwn: (() => Promise<void>) | undefined;
let unavailable = '';

function deployment(name: string, replicas: number) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'web', image: 'registry.example/web:1.0.0' }] },
      },
    },
  };
}

/** Name and resourceVersion of every Deployment in the test namespace, to prove nothing changed. */
async function deploymentSnapshot(c: ControlPlane): Promise<string[]> {
  const list = await c.api('GET', `/apis/apps/v1/namespaces/${namespace}/deployments`);
  assert.equal(list.status, 200, list.text);
  return list.body.items.map((item: any) => `${item.metadata.name}@${item.metadata.resourceVersion}`).sort();
}

function ready(t: TestContext): ControlPlane | undefined {
  if (!cp) t.skip(unavailable);
  return cp;
}

before(async () => {
  // Under `npm test` the runner's control plane is the one to check; otherwise this file
  // starts its own, since checking that the harness can start one is part of its purpose.
  const shared = process.env.GITOPS_LENS_TEST_CLUSTER_STATE ? testCluster() : undefined;
  if (!shared && process.env.GITOPS_LENS_TEST_KUBECONFIG) {
    unavailable = 'these tests check the control plane built from source; GITOPS_LENS_TEST_KUBECONFIG selects an external cluster';
    return;
  }
  if (shared) {
    cp = shared;
  } else {
    try {
      const own = await startControlPlane();
      cp = own;
      stopOwn = () => own.stop();
    } catch (error) {
      const ci = process.env.CI && process.env.CI !== 'false' && process.env.CI !== '0';
      if (ci || !(error instanceof ControlPlaneBuildError)) throw error;
      unavailable = `the control plane can't be built here: ${error.message}`;
      process.stderr.write(`[control-plane test] skipping: ${unavailable}\n`);
      return;
    }
  }
  const created = await cp.api('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } } });
  assert.equal(created.status, 201, created.text);
  const existing = await cp.api('POST', `/apis/apps/v1/namespaces/${namespace}/deployments`, { body: deployment('existing', 1) });
  assert.equal(existing.status, 201, existing.text);
});

after(async () => {
  // Namespaces can't be removed (no namespace controller), so only the objects are deleted.
  if (cp && !stopOwn) {
    for (const resource of [
      '/apis/apps/v1/namespaces/NS/deployments/existing',
      '/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/NS/kustomizations/apps',
      '/apis/source.toolkit.fluxcd.io/v1/namespaces/NS/gitrepositories/podinfo',
      '/apis/argoproj.io/v1alpha1/namespaces/NS/applications/web',
    ]) {
      await cp.api('DELETE', resource.replace('NS', namespace));
    }
  }
  await stopOwn?.();
});

describe('test control plane', () => {
  test('reports the pinned Kubernetes release on /version', async (t) => {
    const c = ready(t);
    if (!c) return;
    const pinned = readVersions().kubernetes;
    const response = await c.api('GET', '/version');
    assert.equal(response.status, 200, response.text);
    assert.equal(response.body.gitVersion, pinned);
    assert.equal(response.body.minor, pinned.split('.')[1]);
    assert.equal(c.version, pinned);
  });

  test('server-side apply with dryRun=All returns defaulted fields and persists nothing', async (t) => {
    const c = ready(t);
    if (!c) return;
    const before = await deploymentSnapshot(c);
    assert.ok(before.some((entry) => entry.startsWith('existing@')));

    // A new object: the response is what the server would store, defaults included.
    const created = await c.api('PATCH', `/apis/apps/v1/namespaces/${namespace}/deployments/web?dryRun=All&fieldManager=${fieldManager}`, {
      contentType: 'application/apply-patch+yaml',
      body: deployment('web', 2),
    });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.spec.strategy.type, 'RollingUpdate');
    assert.equal(created.body.spec.strategy.rollingUpdate.maxSurge, '25%');
    assert.equal(created.body.spec.template.spec.restartPolicy, 'Always');
    assert.equal(created.body.spec.template.spec.containers[0].terminationMessagePath, '/dev/termination-log');
    assert.equal(created.body.spec.revisionHistoryLimit, 10);
    assert.equal(created.body.spec.progressDeadlineSeconds, 600);
    assert.ok(
      created.body.metadata.managedFields.some((field: any) => field.manager === fieldManager && field.operation === 'Apply'),
      'managedFields records the apply',
    );

    // An existing object: the dry-run result shows the change, the stored object keeps its version.
    const changed = await c.api('PATCH', `/apis/apps/v1/namespaces/${namespace}/deployments/existing?dryRun=All&fieldManager=${fieldManager}&force=true`, {
      contentType: 'application/apply-patch+yaml',
      body: deployment('existing', 5),
    });
    assert.equal(changed.status, 200, changed.text);
    assert.equal(changed.body.spec.replicas, 5);

    const web = await c.api('GET', `/apis/apps/v1/namespaces/${namespace}/deployments/web`);
    assert.equal(web.status, 404, 'the dry-run create persisted nothing');
    const stored = await c.api('GET', `/apis/apps/v1/namespaces/${namespace}/deployments/existing`);
    assert.equal(stored.body.spec.replicas, 1, 'the dry-run apply changed nothing');
    assert.deepEqual(await deploymentSnapshot(c), before, 'object list and resourceVersions unchanged');
  });

  test('kubectl as the tool identity can dry-run a server-side apply of a new object', async (t) => {
    const c = ready(t);
    if (!c) return;
    const result = await c.kubectl(['apply', '--server-side', '--dry-run=server', `--field-manager=${fieldManager}`, '-o', 'json', '-f', '-'], {
      context: 'tool',
      input: JSON.stringify(deployment('from-kubectl', 1)),
    });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(JSON.parse(result.stdout).spec.template.spec.dnsPolicy, 'ClusterFirst');
    const stored = await c.api('GET', `/apis/apps/v1/namespaces/${namespace}/deployments/from-kubectl`);
    assert.equal(stored.status, 404);
  });

  test('the restricted identity reads its namespace and gets 403 elsewhere', async (t) => {
    const c = ready(t);
    if (!c) return;
    const inside = await c.api('GET', `/api/v1/namespaces/${c.restrictedNamespace}/configmaps`, { as: 'restricted' });
    assert.equal(inside.status, 200, inside.text);
    const outside = await c.api('GET', `/api/v1/namespaces/${namespace}/configmaps`, { as: 'restricted' });
    assert.equal(outside.status, 403, outside.text);
    const clusterScoped = await c.api('GET', '/api/v1/namespaces', { as: 'restricted' });
    assert.equal(clusterScoped.status, 403, clusterScoped.text);
    const viaKubectl = await c.kubectl(['get', 'deployments', '-n', namespace], { context: 'restricted' });
    assert.notEqual(viaKubectl.code, 0);
    assert.match(viaKubectl.stderr, /forbidden/i);
  });

  test('the audit log records those requests with user, verb, status and dryRun=All', async (t) => {
    const c = ready(t);
    if (!c) return;
    const apply = await c.waitForAuditEvents({
      user: c.users.admin,
      predicate: (e) => e.verb === 'patch' && e.objectRef?.name === 'web' && e.objectRef?.namespace === namespace,
    });
    assert.equal(apply.length, 1);
    assert.match(apply[0].requestURI, /[?&]dryRun=All(&|$)/);
    assert.equal(apply[0].code, 201);
    assert.equal(apply[0].objectRef?.resource, 'deployments');
    assert.equal(apply[0].objectRef?.apiGroup, 'apps');
    assert.equal(apply[0].stage, 'ResponseComplete');

    const kubectlApply = await c.waitForAuditEvents({
      user: c.users.tool,
      predicate: (e) => e.verb === 'patch' && e.objectRef?.name === 'from-kubectl',
    });
    assert.equal(kubectlApply.length, 1);
    assert.match(kubectlApply[0].requestURI, /dryRun=All/);

    const denied = await c.waitForAuditEvents({
      user: c.users.restricted,
      predicate: (e) => e.code === 403 && e.requestURI.startsWith(`/api/v1/namespaces/${namespace}/configmaps`),
    });
    assert.ok(denied.length >= 1);
    assert.equal(denied[0].verb, 'list');
    const reads = await c.auditEvents({ user: c.users.restricted });
    assert.ok(reads.some((e) => e.verb === 'list' && e.code === 200 && e.objectRef?.namespace === c.restrictedNamespace));
    assert.ok(reads.every((e) => e.user === c.users.restricted));
  });

  test('a Flux Kustomization and an Argo CD Application can be created and read back', async (t) => {
    const c = ready(t);
    if (!c) return;
    const manifests = [
      {
        apiVersion: 'source.toolkit.fluxcd.io/v1',
        kind: 'GitRepository',
        metadata: { name: 'podinfo', namespace },
        spec: { interval: '5m', url: 'https://example.invalid/podinfo.git', ref: { branch: 'main' } },
      },
      {
        apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
        kind: 'Kustomization',
        metadata: { name: 'apps', namespace },
        spec: { interval: '10m', path: './apps/web', prune: true, sourceRef: { kind: 'GitRepository', name: 'podinfo' } },
      },
      {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Application',
        metadata: { name: 'web', namespace },
        spec: {
          project: 'default',
          source: { repoURL: 'https://example.invalid/apps.git', path: 'apps/web', targetRevision: 'main' },
          destination: { server: 'https://kubernetes.default.svc', namespace: 'web' },
        },
      },
    ];
    const applied = await c.kubectl(['apply', '-f', '-'], { input: manifests.map((m) => JSON.stringify(m)).join('\n') });
    assert.equal(applied.code, 0, applied.stderr);

    const kustomization = await c.api('GET', `/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/${namespace}/kustomizations/apps`);
    assert.equal(kustomization.status, 200, kustomization.text);
    assert.equal(kustomization.body.spec.path, './apps/web');
    assert.deepEqual(kustomization.body.spec.sourceRef, { kind: 'GitRepository', name: 'podinfo' });

    const application = await c.kubectl(['get', 'applications.argoproj.io', 'web', '-n', namespace, '-o', 'json']);
    assert.equal(application.code, 0, application.stderr);
    const app = JSON.parse(application.stdout);
    assert.equal(app.spec.source.repoURL, 'https://example.invalid/apps.git');
    assert.equal(app.spec.destination.namespace, 'web');

    // The CRD schemas are enforced: a Kustomization without its required sourceRef is rejected.
    const invalid = await c.api('POST', `/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/${namespace}/kustomizations`, {
      body: { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', metadata: { name: 'broken' }, spec: { interval: '1m', prune: true } },
    });
    assert.equal(invalid.status, 422, invalid.text);
  });

  test('the admission policy denies real writes by the tool and allows its dry runs', async (t) => {
    const c = ready(t);
    if (!c) return;
    const configMaps = `/api/v1/namespaces/${namespace}/configmaps`;
    const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'from-tool' }, data: { a: '1' } };

    const realCreate = await c.api('POST', configMaps, { as: 'tool', body: configMap });
    assert.equal(realCreate.status, 403, realCreate.text);
    assert.match(realCreate.body.message, new RegExp(DRY_RUN_ONLY_POLICY));
    const dryCreate = await c.api('POST', `${configMaps}?dryRun=All`, { as: 'tool', body: configMap });
    assert.equal(dryCreate.status, 201, dryCreate.text);
    assert.equal((await c.api('GET', `${configMaps}/from-tool`)).status, 404);

    const existing = `/apis/apps/v1/namespaces/${namespace}/deployments/existing`;
    const before = (await c.api('GET', existing)).body.metadata.resourceVersion;
    const apply = { contentType: 'application/apply-patch+yaml', body: deployment('existing', 3), as: 'tool' as const };
    const dryPatch = await c.api('PATCH', `${existing}?dryRun=All&fieldManager=${fieldManager}&force=true`, apply);
    assert.equal(dryPatch.status, 200, dryPatch.text);
    assert.equal(dryPatch.body.spec.replicas, 3);
    const realPatch = await c.api('PATCH', `${existing}?fieldManager=${fieldManager}&force=true`, apply);
    assert.equal(realPatch.status, 403, realPatch.text);
    assert.match(realPatch.body.message, new RegExp(DRY_RUN_ONLY_POLICY));
    const mergePatch = await c.api('PATCH', existing, { as: 'tool', body: { spec: { replicas: 4 } } });
    assert.equal(mergePatch.status, 403, mergePatch.text);
    // Deleting isn't granted at all: RBAC refuses before admission is asked.
    const del = await c.api('DELETE', existing, { as: 'tool' });
    assert.equal(del.status, 403, del.text);
    assert.doesNotMatch(del.body.message, new RegExp(DRY_RUN_ONLY_POLICY));

    const after = (await c.api('GET', existing)).body;
    assert.equal(after.metadata.resourceVersion, before);
    assert.equal(after.spec.replicas, 1);

    const toolWrites = await c.waitForAuditEvents({
      user: c.users.tool,
      predicate: (e) => e.verb === 'patch' && e.objectRef?.name === 'existing',
      minCount: 3,
    });
    assert.deepEqual(
      toolWrites.map((e) => [e.code, /dryRun=All/.test(e.requestURI)]).sort(),
      [[200, true], [403, false], [403, false]].sort(),
    );
  });
});
