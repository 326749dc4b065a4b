/**
 * Scenario: the kubeconfig points at a loopback port where nothing listens (a VPN that is down,
 * a stopped kind cluster). The person sees a clear status in the GitOps Lens status bar item,
 * validation keeps working, and error notifications do not pile up while the extension retries.
 *
 * Prerequisites: code-server + chromium (npm run e2e:install), dist/ (npm run build), and the
 * connection handling of issue 4. Needs no control plane: the closed port is the point.
 */
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { freePort } from './support/code-server.js';
import { gitopsStatus, gitopsStatusText, scenarioPrerequisites } from './support/scenario.js';
import { withSession } from './support/session.js';
import { waitFor } from '../support/wait.ts';

const UNREACHABLE = /unreachable|cannot reach|can't reach|could not connect|connection refused|ECONNREFUSED|offline|not reachable/i;

test('unreachable cluster: a clear status and no pile of error notifications', { timeout: 240_000 }, async (t) => {
  const started = Date.now();
  const p = await scenarioPrerequisites(t, { needsCluster: false });
  if (!p) return;

  // A port that was free a moment ago and that nobody listens on.
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'gitops-lens-e2e-unreachable-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const kubeconfig = path.join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    `apiVersion: v1
kind: Config
clusters:
  - name: gone
    cluster:
      server: https://127.0.0.1:${port}
      insecure-skip-tls-verify: true
users:
  - name: tool
    user:
      token: not-a-real-token
contexts:
  - name: tool
    context:
      cluster: gone
      user: tool
      namespace: web
current-context: tool
`,
  );

  await withSession(
    { name: 'unreachable-cluster', launcher: p.launcher, fixture: 'unreachable', trusted: true, kubeconfig, context: 'tool' },
    async (s) => {
      assert.notEqual(s.codeServer.port, port, 'code-server happened to take the "closed" port; run again');
      const wb = s.workbench;
      await wb.openFile('apps/web/deployment.yaml');
      const status = await waitFor('the GitOps Lens status to say the cluster is unreachable', () => gitopsStatusText(wb, { tooltip: true }), (txt) => UNREACHABLE.test(txt), {
        timeout: 60_000,
      });
      assert.match(status, /tool/, `the status names the context:\n${status}`);

      // Keep using the editor while the extension retries: switch files and come back.
      await wb.openFile('apps/web/kustomization.yaml');
      await wb.openFile('apps/web/deployment.yaml');
      // Watch the toasts over a window of retries: fail as soon as they pile up. This is an
      // observation of something that must NOT happen, so it runs for a bounded time.
      const windowEnd = Date.now() + 15_000;
      let maxToasts = 0;
      while (Date.now() < windowEnd) {
        const toasts = await wb.toasts();
        maxToasts = Math.max(maxToasts, toasts.length);
        assert.ok(toasts.length <= 1, `error notifications pile up:\n${toasts.join('\n')}`);
        await wb.page.waitForTimeout(500);
      }
      // The screenshot shows the notification center (what piled up) and the status item's
      // tooltip, where the person reads why the cluster is off.
      const all = await wb.allNotifications(async () => {
        await waitFor('the palette to close', () => wb.quickPickOpen(), (open) => !open);
        const entry = (await gitopsStatus(wb))[0];
        await wb.page.locator(`.part.statusbar .statusbar-item[id="${entry.id}"]`).hover();
        await waitFor('the status tooltip to show', () => wb.page.locator('.workbench-hover').isVisible(), (v) => v, { timeout: 10_000 });
        await wb.screenshot('unreachable-cluster');
      });
      const ours = all.filter((m) => UNREACHABLE.test(m) || /gitops|cluster|kube/i.test(m));
      assert.ok(ours.length <= 1, `at most one notification about the cluster, got ${ours.length}:\n${ours.join('\n')}`);
      assert.match(await gitopsStatusText(wb, { tooltip: true }), UNREACHABLE, 'the status still says unreachable');
      console.log(`[e2e] unreachable-cluster: at most ${maxToasts} toast(s) on screen, ${all.length} notification(s) in the center`);
    },
  );
  console.log(`[e2e] unreachable-cluster took ${((Date.now() - started) / 1000).toFixed(1)} s`);
});
