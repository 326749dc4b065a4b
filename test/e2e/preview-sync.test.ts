/**
 * Scenario: the person runs "GitOps: Preview Sync" from the command palette. The "GitOps Plan"
 * view shows what reconciliation would do to the fixture, grouped by binding → namespace → kind
 * with counts per action on each group and in the view's description: the ConfigMap changed in
 * the repo is an update, the Service not yet in the cluster is a create, the Deployment identical
 * to live is unchanged (its group starts collapsed but is listed), nothing is pruned or in error.
 * Opening the ConfigMap shows a diff editor with LOG_LEVEL going from info to debug. "GitOps: Copy
 * Plan Summary" puts the Markdown summary (counts table, the update's diff) on the clipboard and
 * says so in the status bar. Nothing in the cluster changed.
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
import { webDeployment } from '../support/manifests.ts';
import { waitFor } from '../support/wait.ts';

const PLAN_VIEW = 'GitOps Plan';

/** The counts of a row that reads "<label>, 1 create · 1 update · 1 unchanged" (zero counts are not shown). */
function countsOf(row: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const m of row.matchAll(/(\d+) (create|update|prune|unchanged|errors?)\b/g)) counts[m[2]!.replace(/s$/, '')] = Number(m[1]);
  return counts;
}

test('preview from the palette: the plan shows the expected counts and the change opens as a diff', { timeout: 300_000 }, async (t) => {
  const started = Date.now();
  const p = await scenarioPrerequisites(t, { needsCluster: true });
  if (!p) return;
  assertCommandContributed('GitOps: Preview Sync', 'issue 5');
  assertCommandContributed('GitOps: Copy Plan Summary', 'issue 5');
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
${webDeployment({ namespace: ns, replicas: 2 })}`;
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
          // A closing command palette still shows its input (">GitOps: Preview Sync"): only another
          // quick pick is a question; pressing Enter for the palette would type into the editor.
          const input = wb.page.locator('.quick-input-widget .quick-input-box input');
          if ((await wb.quickPickOpen()) && !(await input.inputValue().catch(() => '>')).startsWith('>')) return 'pick';
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

      // Give the plan room, as a person reviewing it would: collapse the folder tree above it and
      // widen the side bar (the tree only renders the rows that fit).
      const foldersHeader = wb.page.locator('.pane', { has: wb.page.locator('.explorer-folders-view') }).first().locator('.pane-header').first();
      if ((await foldersHeader.getAttribute('aria-expanded')) === 'true') await foldersHeader.click();
      const sidebar = await wb.page.locator('.part.sidebar').first().boundingBox();
      if (sidebar) {
        const y = sidebar.y + sidebar.height / 2;
        await wb.page.mouse.move(sidebar.x + sidebar.width + 1, y);
        await wb.page.mouse.down();
        await wb.page.mouse.move(sidebar.x + sidebar.width + 300, y, { steps: 5 });
        await wb.page.mouse.up();
      }
      // Expand every group of the plan (all-unchanged groups start collapsed) so each object is listed.
      const planPane = wb.page.locator('.pane', { has: wb.page.locator('.pane-header .title', { hasText: /^GitOps Plan$/i }) }).first();
      const rows = await waitFor(
        'the plan to list every object with its action',
        async () => {
          const collapsed = planPane.locator('.pane-body .monaco-list-row[aria-expanded="false"]');
          const n = await collapsed.count();
          for (let i = 0; i < n; i++) await collapsed.first().click().catch(() => undefined);
          return wb.viewRows(PLAN_VIEW);
        },
        (r) => r.some((t) => /^ConfigMap web-config, update/.test(t)) && r.some((t) => /^Deployment web, unchanged/.test(t)),
        { timeout: 120_000 },
      );
      const planText = rows.join('\n');
      const expected = { create: 1, update: 1, unchanged: 1 };
      // The summary line, the binding (the fixture's kustomization is not bound to a Flux or Argo CD
      // object), the namespace and the view's description all carry the totals; no prune, no error.
      const summary = rows.find((r) => r.startsWith('Plan: '));
      assert.ok(summary, `a summary line:\n${planText}`);
      assert.deepEqual(countsOf(summary), expected, `summary counts:\n${planText}`);
      const binding = rows.find((r) => /^unbound → context tool, /.test(r));
      assert.ok(binding, `a binding group "unbound → context tool":\n${planText}`);
      assert.deepEqual(countsOf(binding), expected, `binding counts:\n${planText}`);
      const namespace = rows.find((r) => r.startsWith(`${ns}, `));
      assert.ok(namespace, `a namespace group ${ns}:\n${planText}`);
      assert.deepEqual(countsOf(namespace), expected, `namespace counts:\n${planText}`);
      // Kind groups with their counts, each followed by its object and the object's action.
      for (const [kind, name, action] of [['ConfigMap', 'web-config', 'update'], ['Deployment', 'web', 'unchanged'], ['Service', 'web', 'create']] as const) {
        const k = rows.findIndex((r) => r === `${kind}, 1 ${action}`);
        assert.ok(k >= 0, `a kind group "${kind}, 1 ${action}":\n${planText}`);
        assert.match(rows[k + 1] ?? '', new RegExp(`^${kind} ${name}, ${action}$`), `${kind} ${name} is listed as ${action}:\n${planText}`);
      }
      assert.ok(!/\b(prune|error)/.test(planText), `no prune, no error:\n${planText}`);
      const viewDescription = (await planPane.locator('.pane-header .description').first().textContent())?.trim() ?? '';
      assert.deepEqual(countsOf(viewDescription), expected, `the view's description shows the totals: "${viewDescription}"`);
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

      // "GitOps: Copy Plan Summary": the status bar says what was copied, and the clipboard holds
      // the Markdown summary with the counts table and the ConfigMap's diff.
      await wb.page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
      await wb.runCommand('GitOps: Copy Plan Summary');
      const copied = await waitFor(
        'the status bar to say the plan summary was copied',
        () => wb.statusBarText(),
        (txt) => /Copied the plan summary/.test(txt),
        { timeout: 30_000 },
      );
      assert.match(copied, /1 to create, 1 to update, 0 to prune, 1 unchanged, 0 errors/);
      await wb.screenshot('preview-sync.copied');
      // The page's navigator (tsconfig has no DOM lib, so it is typed by hand).
      const clipboard = await wb.page.evaluate(() =>
        (globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }).navigator.clipboard.readText(),
      );
      assert.match(clipboard, /^### GitOps Lens preview: 1 to create, 1 to update, 0 to prune, 1 unchanged, 0 errors\n/);
      assert.match(clipboard, /\| unbound \| 1 \| 1 \| 0 \| 1 \| 0 \|/);
      assert.match(clipboard, /#### Creates \(1\)\n\n- `Service [^`]+\/web`/);
      assert.match(clipboard, /```diff\n[\s\S]*-  LOG_LEVEL: info\n\+  LOG_LEVEL: debug\n[\s\S]*```/);
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
