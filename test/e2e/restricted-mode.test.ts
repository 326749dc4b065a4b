/**
 * Scenario: the person opens the folder without trusting it (Restricted Mode). Schema errors
 * still show in Problems; the GitOps Lens status bar item says cluster features are off until
 * the folder is trusted; and the control plane's audit log holds no request from the extension's
 * identity (gitops-lens-tool), although the user settings point at a working kubeconfig.
 *
 * Prerequisites: code-server + chromium (npm run e2e:install), dist/ (npm run build), the test
 * control plane (for its audit log), and the trust handling of issues 3/4.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inCI } from './support/prerequisites.js';
import { gitopsStatus, gitopsStatusText, scenarioPrerequisites } from './support/scenario.js';
import { lineOf, withSession } from './support/session.js';
import { waitFor } from '../support/wait.ts';

test('restricted mode: validation works, the status bar says cluster features are off, no cluster request', { timeout: 240_000 }, async (t) => {
  const started = Date.now();
  const p = await scenarioPrerequisites(t, { needsCluster: true });
  if (!p) return;
  const cluster = p.cluster!;
  const sinceMs = Date.now();

  await withSession(
    {
      name: 'restricted-mode',
      launcher: p.launcher,
      fixture: 'restricted',
      trusted: false,
      kubeconfig: cluster.kubeconfigPath,
      context: 'tool',
    },
    async (s) => {
      const wb = s.workbench;
      // VS Code itself says the folder is in Restricted Mode.
      await waitFor('VS Code to show Restricted Mode', () => wb.page.locator('.part.statusbar').innerText(), (txt) => /Restricted Mode/i.test(txt));

      const text = s.read('apps/web/deployment.yaml');
      await wb.openFile('apps/web/deployment.yaml');
      const rows = await wb.waitForProblems(
        'both schema errors in Restricted Mode',
        (rows) => rows.filter((r) => r.file === 'deployment.yaml' && r.source === 'gitops-lens').length >= 2,
      );
      const lines = rows.filter((r) => r.file === 'deployment.yaml' && r.source === 'gitops-lens').map((r) => r.line).sort((a, b) => a - b);
      assert.deepEqual(lines, [lineOf(text, 'replicas: three'), lineOf(text, 'imagePullPolcy:')]);

      const status = await waitFor(
        'the GitOps Lens status to say cluster features are off until the folder is trusted',
        () => gitopsStatusText(wb, { tooltip: true }),
        (txt) => /off until the folder is trusted/i.test(txt),
        { timeout: 30_000 },
      );
      assert.doesNotMatch(status, /(?<!not )\bconnected\b/i, `no connected state in Restricted Mode:\n${status}`);
      // The screenshot shows the Problems panel, the Restricted Mode indicator and our tooltip.
      const entry = (await gitopsStatus(wb))[0];
      await wb.page.locator(`.part.statusbar .statusbar-item[id="${entry.id}"]`).hover();
      await waitFor('the tooltip to show', () => wb.page.locator('.workbench-hover').isVisible(), (v) => v, { timeout: 10_000 });
      await wb.screenshot('restricted-mode');
    },
  );

  // The session is over and its processes are gone: anything the extension sent is logged.
  if (!cluster.hasAuditLog) {
    if (inCI) throw new Error('CI: the restricted-mode audit check needs the test control plane, not an external cluster');
    console.log('[e2e] restricted-mode: an external cluster has no audit log; the "no request" check was not made');
    return;
  }
  const events = await cluster.auditEvents({ user: cluster.toolUser, sinceMs });
  assert.deepEqual(
    events.map((e) => `${e.verb} ${e.requestURI}`),
    [],
    `no request from ${cluster.toolUser} while the folder was untrusted`,
  );
  console.log(`[e2e] restricted-mode took ${((Date.now() - started) / 1000).toFixed(1)} s`);
});
