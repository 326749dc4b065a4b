/**
 * Scenario: the repo's Deployment was applied by Flux (server-side apply, field manager
 * kustomize-controller). Someone scales it by hand (field manager kubectl-edit). Without any
 * reload, the person sees a drift diagnostic on `replicas`, and hovering it shows the desired
 * value, the live value and who changed it. When the live value is put back, the diagnostic goes.
 *
 * Prerequisites: code-server + chromium (npm run e2e:install), dist/ (npm run build), the test
 * control plane (test/support/control-plane.ts; `npm test` starts it), and the drift feature
 * (issue 4): diagnostics with source "gitops-lens-drift" and a message like
 * `live 5, desired 3 — changed by "kubectl-edit" at 10:42`.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { gitopsStatusText, scenarioPrerequisites, uniqueNamespace } from './support/scenario.js';
import { columnOf, lineOf, withSession } from './support/session.js';

const DRIFT_SOURCE = 'gitops-lens-drift';

test('live drift: a live edit shows on the field, hover tells desired, live and manager; reverting clears it', { timeout: 300_000 }, async (t) => {
  const started = Date.now();
  const p = await scenarioPrerequisites(t, { needsCluster: true });
  if (!p) return;
  const cluster = p.cluster!;
  const ns = uniqueNamespace('e2e-drift');
  cluster.kubectl(['create', 'namespace', ns]);
  t.after(() => {
    try {
      cluster.kubectl(['delete', 'namespace', ns, '--wait=false']);
    } catch {
      /* the namespace goes with the control plane anyway */
    }
  });

  await withSession(
    {
      name: 'live-drift',
      launcher: p.launcher,
      fixture: 'live-drift',
      replace: { __NAMESPACE__: ns },
      trusted: true,
      kubeconfig: cluster.kubeconfigPath,
      context: 'tool',
    },
    async (s) => {
      const file = 'apps/web/deployment.yaml';
      // Apply the desired state the way Flux's kustomize-controller does.
      cluster.kubectl(['apply', '--server-side', '--field-manager=kustomize-controller', '-f', path.join(s.folder, file)]);

      const text = s.read(file);
      const line = lineOf(text, 'replicas: 3');
      const column = columnOf(text, line, '3');

      await s.workbench.openFile(file);
      // Connected and in sync: hovering replicas shows the live value next to the desired one.
      await s.workbench.hoverAt(line, column, (h) => /live\W+3\b/i.test(h) && /desired\W+3\b/i.test(h), { timeout: 90_000 }).catch(async (err) => {
        throw new Error(`${(err as Error).message}\nGitOps Lens status bar:\n${await gitopsStatusText(s.workbench)}`);
      });
      await s.workbench.page.keyboard.press('Escape');
      const before = await s.workbench.waitForProblems('the Problems panel to render', () => true);
      assert.equal(before.filter((r) => r.source === DRIFT_SOURCE).length, 0, 'no drift while the cluster matches the repo');

      // Someone scales the Deployment by hand.
      cluster.kubectl(['patch', 'deployment', 'web', '-n', ns, '--type=merge', '-p', '{"spec":{"replicas":5}}', '--field-manager=kubectl-edit']);

      const rows = await s.workbench.waitForProblems(
        'a drift diagnostic on replicas',
        (rows) => rows.some((r) => r.source === DRIFT_SOURCE && r.line === line),
      );
      const drift = rows.find((r) => r.source === DRIFT_SOURCE && r.line === line)!;
      assert.equal(drift.file, 'deployment.yaml');
      assert.equal(drift.column, column, 'the diagnostic sits on the value 3');
      assert.match(drift.message, /live 5/);
      assert.match(drift.message, /desired 3/);
      assert.match(drift.message, /kubectl-edit/);

      const hover = await s.workbench.hoverAt(line, column, (h) => /kubectl-edit/.test(h) && /\b5\b/.test(h));
      assert.match(hover, /desired/i, `hover names the desired value:\n${hover}`);
      assert.match(hover, /live/i, `hover names the live value:\n${hover}`);
      assert.match(hover, /\b3\b/, `hover shows desired 3:\n${hover}`);
      assert.match(hover, /\b5\b/, `hover shows live 5:\n${hover}`);
      assert.match(hover, /kubectl-edit/, `hover shows the manager:\n${hover}`);
      await s.workbench.screenshot('live-drift');

      // Put the live value back: the watch brings the change and the diagnostic goes.
      await s.workbench.page.keyboard.press('Escape');
      cluster.kubectl(['patch', 'deployment', 'web', '-n', ns, '--type=merge', '-p', '{"spec":{"replicas":3}}', '--field-manager=kubectl-edit']);
      await s.workbench.waitForProblems('the drift diagnostic to clear', (rows) => !rows.some((r) => r.source === DRIFT_SOURCE));
      await s.workbench.screenshot('live-drift.reverted');
    },
  );
  console.log(`[e2e] live-drift took ${((Date.now() - started) / 1000).toFixed(1)} s`);
});
