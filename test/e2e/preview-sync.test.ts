/**
 * Scenario: the person runs "GitOps: Preview Sync" from the command palette. The "GitOps Plan"
 * view shows what reconciliation would do to the fixture: the ConfigMap changed in the repo is
 * an update, the Service not yet in the cluster is a create, the Deployment identical to live is
 * unchanged, nothing is pruned or in error. Opening the ConfigMap shows a diff editor with
 * LOG_LEVEL going from info to debug. Nothing in the cluster changed.
 *
 * Prerequisites: code-server + chromium (npm run e2e:install), dist/ (npm run build), the test
 * control plane, and the preview feature (issue 5): the command "GitOps: Preview Sync" and a
 * tree view titled "GitOps Plan" whose items open a diff editor.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertCommandContributed } from './support/prerequisites.js';
import { scenarioPrerequisites, uniqueNamespace } from './support/scenario.js';
import { withSession } from './support/session.js';
import { waitFor } from './support/wait.js';

const PLAN_VIEW = 'GitOps Plan';

/** The number shown next to an action in the plan's text: "update 1", "1 update", "Update (1)", "updates: 1". */
function countOf(text: string, action: string): number | undefined {
  const after = new RegExp(`\\b${action}\\w*\\s*[:(\\[]?\\s*(\\d+)`, 'i').exec(text);
  if (after) return Number(after[1]);
  const before = new RegExp(`(\\d+)\\s+(?:to\\s+)?${action}`, 'i').exec(text);
  return before ? Number(before[1]) : undefined;
}

test('preview from the palette: the plan shows the expected counts and the change opens as a diff', { timeout: 300_000 }, async (t) => {
  const started = Date.now();
  const p = await scenarioPrerequisites(t, { needsCluster: true });
  if (!p) return;
  assertCommandContributed('GitOps: Preview Sync', 'issue 5');
  const cluster = p.cluster!;
  const ns = uniqueNamespace('e2e-preview');
  cluster.kubectl(['create', 'namespace', ns]);
  t.after(() => {
    try {
      cluster.kubectl(['delete', 'namespace', ns, '--wait=false']);
    } catch {
      /* the namespace goes with the control plane anyway */
    }
  });
  // The live state: what Flux applied from the previous commit (LOG_LEVEL info, the same
  // Deployment, no Service yet).
  const live = `apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
  namespace: ${ns}
data:
  LOG_LEVEL: info
  GREETING: hello
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: ${ns}
spec:
  replicas: 2
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
          image: nginx:1.27
`;
  cluster.kubectl(['apply', '--server-side', '--field-manager=kustomize-controller', '-f', '-'], { input: live });
  const versionsBefore = cluster.kubectl(['get', 'configmap,deployment,service', '-n', ns, '-o', 'jsonpath={range .items[*]}{.kind}/{.metadata.name}={.metadata.resourceVersion}{"\\n"}{end}']);
  const sinceMs = Date.now();

  await withSession(
    {
      name: 'preview-sync',
      launcher: p.launcher,
      fixture: 'preview',
      replace: { __NAMESPACE__: ns },
      trusted: true,
      kubeconfig: cluster.kubeconfigPath,
      context: 'tool',
    },
    async (s) => {
      const wb = s.workbench;
      await wb.openFile('apps/web/configmap.yaml');
      await wb.runCommand('GitOps: Preview Sync');
      // The command may ask what to preview; the whole workspace is what this scenario wants.
      const askedScope = await waitFor(
        'the plan view, a scope question or an error',
        async () => {
          if (await wb.quickPickOpen()) return 'pick';
          const failed = (await wb.toasts()).find((m) => /fail|error|cannot|could not/i.test(m));
          if (failed) return `error: ${failed}`;
          return (await wb.viewRows(PLAN_VIEW)).length > 0 ? 'plan' : undefined;
        },
        (v) => !!v,
        { timeout: 60_000 },
      );
      assert.ok(!askedScope?.startsWith('error'), `Preview Sync reported ${askedScope}`);
      if (askedScope === 'pick') {
        const rows = await wb.quickPickRows();
        const i = rows.findIndex((r) => /workspace|all|folder/i.test(r));
        if (i > 0) for (let k = 0; k < i; k++) await wb.page.keyboard.press('ArrowDown');
        await wb.page.keyboard.press('Enter');
      }

      // Expand every group of the plan (Unchanged starts collapsed) so each object is listed.
      const planPane = wb.page.locator('.pane', { has: wb.page.locator('.pane-header .title', { hasText: /^GitOps Plan$/i }) }).first();
      const planText = await waitFor(
        'the plan to list web-config, web and the counts',
        async () => {
          const collapsed = planPane.locator('.pane-body .monaco-list-row[aria-expanded="false"]');
          const n = await collapsed.count();
          for (let i = 0; i < n; i++) await collapsed.first().click().catch(() => undefined);
          return (await wb.viewRows(PLAN_VIEW)).join('\n');
        },
        (txt) => /web-config/.test(txt) && countOf(txt, 'update') !== undefined,
        { timeout: 120_000 },
      );
      assert.equal(countOf(planText, 'create'), 1, `one create (the Service):\n${planText}`);
      assert.equal(countOf(planText, 'update'), 1, `one update (the ConfigMap):\n${planText}`);
      assert.equal(countOf(planText, 'unchanged'), 1, `one unchanged (the Deployment):\n${planText}`);
      for (const none of ['prune', 'error']) {
        const c = countOf(planText, none);
        assert.ok(c === undefined || c === 0, `no ${none}:\n${planText}`);
      }
      await wb.screenshot('preview-sync.plan');

      await wb.viewRow(PLAN_VIEW, /web-config/).click();
      const diff = await waitFor(
        'a diff editor with LOG_LEVEL info → debug',
        () => wb.diffEditor(),
        (d) => !!d && /LOG_LEVEL: info/.test(d.original) && /LOG_LEVEL: debug/.test(d.modified),
        { timeout: 30_000 },
      );
      assert.deepEqual(diff!.removed, ['LOG_LEVEL: info'], 'the live side marks exactly the old value as changed');
      assert.deepEqual(diff!.inserted, ['LOG_LEVEL: debug'], 'the after-sync side marks exactly the new value as changed');
      await wb.screenshot('preview-sync.diff');
    },
  );

  // Read-only: nothing in the cluster moved, and the tool only read or dry-ran.
  const versionsAfter = cluster.kubectl(['get', 'configmap,deployment,service', '-n', ns, '-o', 'jsonpath={range .items[*]}{.kind}/{.metadata.name}={.metadata.resourceVersion}{"\\n"}{end}']);
  assert.equal(versionsAfter, versionsBefore, 'no live object changed and none was created');
  if (!cluster.hasAuditLog) {
    console.log('[e2e] preview-sync: an external cluster has no audit log; the read-only check used resourceVersions only');
    return;
  }
  const writes = (await cluster.auditEvents({ user: cluster.toolUser, sinceMs })).filter(
    (e) => !['get', 'list', 'watch'].includes(e.verb) && !(e.verb === 'patch' && /dryRun=All/.test(e.requestURI)),
  );
  assert.deepEqual(writes.map((e) => `${e.verb} ${e.requestURI}`), [], 'the tool made no non-dry-run write');
  console.log(`[e2e] preview-sync took ${((Date.now() - started) / 1000).toFixed(1)} s`);
});
