/**
 * Scenario: a person navigates a Flux repository like code. Ctrl+click on a kustomization's
 * resource opens that file; the "built by" CodeLens says which build and cluster a file belongs
 * to; the "GitOps Dependencies" view shows the chain apps → infra-configs → infra-controllers
 * under the cluster's root Kustomization; a dependsOn with a typo shows its warning in Problems on
 * the exact value, and the view marks that dependency as missing.
 *
 * Prerequisites: code-server + chromium (npm run e2e:install), dist/ (npm run build).
 * Needs no cluster (without one, a reference the repository does not satisfy is a warning).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertCommandContributed } from './support/prerequisites.js';
import { scenarioPrerequisites } from './support/scenario.js';
import { columnOf, lineOf, withSession } from './support/session.js';
import { waitFor } from '../support/wait.ts';

const VIEW = 'GitOps Dependencies';

test('navigation: Ctrl+click opens a kustomization resource, the dependency view shows the chain, a broken dependsOn is reported', { timeout: 300_000 }, async (t) => {
  const started = Date.now();
  const p = await scenarioPrerequisites(t, { needsCluster: false });
  if (!p) return;
  assertCommandContributed('GitOps: Refresh Dependencies', 'issue 15');
  await withSession({ name: 'navigation', launcher: p.launcher, fixture: 'navigation', trusted: true }, async (s) => {
    const wb = s.workbench;
    const page = wb.page;

    // 1. Ctrl+click on `ingress.yaml` in apps/production/kustomization.yaml opens that file.
    await wb.openFile('apps/production/kustomization.yaml');
    // The lens shows once the repository is indexed: the build and the cluster the file belongs to.
    const lens = await waitFor(
      'the "built by" CodeLens above the kustomization',
      () => page.locator('.editor-group-container.active .contentWidgets .codelens-decoration, .editor-group-container.active .codelens-decoration').first().textContent().catch(() => null),
      (t) => !!t && /built by/.test(t),
      { timeout: 60_000 },
    );
    assert.equal(lens?.trim(), 'built by apps/production · cluster production');
    const token = page.locator('.editor-group-container.active .view-lines .view-line span', { hasText: /^ingress\.yaml$/ }).first();
    await waitFor('the resource entry to be rendered', () => token.isVisible(), (v) => v);
    // Monaco re-renders the token while the link decoration appears: click its position, Ctrl held, as a person does.
    const box = await token.boundingBox();
    assert.ok(box, 'the resource entry has a position on screen');
    const x = box.x + box.width / 2;
    const y = box.y + box.height / 2;
    await page.keyboard.down('Control');
    await page.mouse.move(x, y, { steps: 4 });
    await page.mouse.click(x, y);
    await page.keyboard.up('Control');
    await waitFor(
      'ingress.yaml to open as the active editor',
      () => page.locator('.editor-group-container.active .tabs-container .tab.active').first().getAttribute('aria-label'),
      (label) => !!label && label.startsWith('ingress.yaml'),
      { timeout: 30_000 },
    );
    const opened = await page.locator('.editor-group-container.active .monaco-editor .view-lines').first().textContent();
    assert.match(opened ?? '', /kind:\s*Ingress/, 'the editor shows the Ingress');
    await wb.screenshot('navigation.ctrl-click');

    // 2. The dependency view: give it room, expand apps and its dependsOn chain.
    const foldersHeader = page.locator('.pane', { has: page.locator('.explorer-folders-view') }).first().locator('.pane-header').first();
    if ((await foldersHeader.getAttribute('aria-expanded')) === 'true') await foldersHeader.click();
    // Widen the side bar, as a person reading the tree would (rows are truncated otherwise).
    const sidebar = await page.locator('.part.sidebar').first().boundingBox();
    if (sidebar) {
      const y = sidebar.y + sidebar.height / 2;
      await page.mouse.move(sidebar.x + sidebar.width + 1, y);
      await page.mouse.down();
      await page.mouse.move(sidebar.x + sidebar.width + 320, y, { steps: 5 });
      await page.mouse.up();
    }
    const header = page.locator('.pane-header', { has: page.locator('.title', { hasText: new RegExp(`^${VIEW}$`, 'i') }) }).first();
    await waitFor(`the "${VIEW}" view to be listed in the explorer`, () => header.isVisible(), (v) => v, { timeout: 30_000 });
    if ((await header.getAttribute('aria-expanded')) !== 'true') await header.click();
    const expand = async (text: RegExp, what: string) => {
      const row = wb.viewRow(VIEW, text);
      await waitFor(what, () => row.isVisible(), (v) => v, { timeout: 30_000 });
      // The row itself opens the node's document; the twistie expands it.
      if ((await row.getAttribute('aria-expanded')) === 'false') await row.locator('.monaco-tl-twistie').click();
    };
    await expand(/^Kustomization flux-system/, 'the root Kustomization flux-system in the view');
    await expand(/^Kustomization apps/, 'Kustomization apps under flux-system');
    await expand(/^depends on Kustomization infra-configs/, 'apps → depends on infra-configs');
    const rows = await waitFor(
      'the chain apps → infra-configs → infra-controllers',
      () => wb.viewRows(VIEW),
      (r) => r.some((row) => /^depends on Kustomization infra-controllers/.test(row)),
      { timeout: 30_000 },
    );
    const i = rows.findIndex((r) => /^Kustomization apps/.test(r));
    assert.ok(i >= 0, `Kustomization apps is listed:\n${rows.join('\n')}`);
    assert.match(rows[i], /flux-system · → apps\/production/, 'the row says where apps renders');
    assert.match(rows[i + 1] ?? '', /^depends on Kustomization infra-configs, flux-system/, `apps depends on infra-configs:\n${rows.join('\n')}`);
    assert.match(rows[i + 2] ?? '', /^depends on Kustomization infra-controllers, flux-system/, `infra-configs depends on infra-controllers:\n${rows.join('\n')}`);
    await expand(/^Kustomization monitoring/, 'Kustomization monitoring');
    const withMissing = await waitFor(
      'the broken dependency to be marked missing in the view',
      () => wb.viewRows(VIEW),
      (r) => r.some((row) => /^depends on Kustomization infra-cofigs, flux-system · missing/.test(row)),
      { timeout: 30_000 },
    );
    assert.ok(withMissing.length > 0);
    await wb.screenshot('navigation.dependencies');

    // Selecting a node opens its document.
    await wb.viewRow(VIEW, /^Kustomization infra-configs/).click();
    await waitFor(
      'infrastructure.yaml to open from the view',
      () => page.locator('.editor-group-container.active .tabs-container .tab.active').first().getAttribute('aria-label'),
      (label) => !!label && label.startsWith('infrastructure.yaml'),
      { timeout: 30_000 },
    );

    // 3. The broken dependsOn in clusters/production/monitoring.yaml, on the exact value.
    const text = s.read('clusters/production/monitoring.yaml');
    const line = lineOf(text, 'infra-cofigs');
    await wb.openFile('clusters/production/monitoring.yaml');
    const problems = await wb.waitForProblems(
      'the broken dependsOn warning under monitoring.yaml',
      (r) => r.some((row) => row.file === 'monitoring.yaml' && row.source === 'gitops-lens'),
    );
    const ours = problems.filter((r) => r.file === 'monitoring.yaml' && r.source === 'gitops-lens');
    assert.equal(ours.length, 1, `exactly one problem in monitoring.yaml:\n${ours.map((r) => r.label).join('\n')}`);
    assert.equal(ours[0].severity, 'Warning');
    assert.equal(ours[0].line, line);
    assert.equal(ours[0].column, columnOf(text, line, 'infra-cofigs'));
    assert.match(ours[0].message, /Kustomization "infra-cofigs" in namespace "flux-system" matches nothing in the repository/);
    assert.equal(problems.filter((r) => r.source === 'gitops-lens' && r.file !== 'monitoring.yaml').length, 0, 'no other file has a problem');
    await wb.screenshot('navigation.broken-depends-on');
  });
  console.log(`[e2e] navigation took ${((Date.now() - started) / 1000).toFixed(1)} s`);
});
