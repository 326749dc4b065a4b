/**
 * Scenario: a person opens a manifest with two schema errors and looks at the Problems panel.
 * Both errors are listed, under that file, at the lines of the offending keys, with GitOps Lens'
 * messages; the valid Service beside it has none.
 *
 * Prerequisites: code-server + chromium (npm run e2e:install), dist/ (npm run build).
 * Needs no cluster: validation works offline from the bundled schemas.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scenarioPrerequisites } from './support/scenario.js';
import { columnOf, lineOf, withSession } from './support/session.js';

test('schema errors: Problems lists both errors at their lines with our messages', { timeout: 240_000 }, async (t) => {
  const started = Date.now();
  const p = await scenarioPrerequisites(t, { needsCluster: false });
  if (!p) return;
  await withSession({ name: 'schema-errors', launcher: p.launcher, fixture: 'schema-errors', trusted: true }, async (s) => {
    const text = s.read('apps/web/deployment.yaml');
    const replicasLine = lineOf(text, 'replicas: three');
    const typoLine = lineOf(text, 'imagePullPolcy:');

    await s.workbench.openFile('apps/web/deployment.yaml');
    const rows = await s.workbench.waitForProblems(
      'two GitOps Lens errors listed under deployment.yaml',
      (rows) => rows.filter((r) => r.file === 'deployment.yaml' && r.source === 'gitops-lens').length >= 2,
    );
    const ours = rows.filter((r) => r.file === 'deployment.yaml' && r.source === 'gitops-lens');
    assert.equal(ours.length, 2, `exactly two problems expected, got:\n${ours.map((r) => r.label).join('\n')}`);

    const replicas = ours.find((r) => r.line === replicasLine);
    assert.ok(replicas, `a problem on line ${replicasLine} (replicas: three); got lines ${ours.map((r) => r.line).join(', ')}`);
    assert.equal(replicas.severity, 'Error');
    // On the exact key or value: "replicas" or "three".
    assert.ok(
      [columnOf(text, replicasLine, 'replicas'), columnOf(text, replicasLine, 'three')].includes(replicas.column),
      `replicas problem starts at column ${replicas.column}`,
    );
    assert.match(replicas.message, /integer/i, 'the message says what is allowed (an integer)');

    const typo = ours.find((r) => r.line === typoLine);
    assert.ok(typo, `a problem on line ${typoLine} (imagePullPolcy); got lines ${ours.map((r) => r.line).join(', ')}`);
    assert.equal(typo.severity, 'Error');
    assert.equal(typo.column, columnOf(text, typoLine, 'imagePullPolcy'), 'the unknown-field problem sits on the key');
    assert.match(typo.message, /imagePullPolcy/, 'the message names the unknown field');
    assert.match(typo.message, /imagePullPolicy/, 'the message suggests the right field (did you mean)');

    assert.equal(
      rows.filter((r) => r.file === 'service.yaml').length,
      0,
      'the valid service.yaml has no problem',
    );
    await s.workbench.screenshot('schema-errors');
  });
  console.log(`[e2e] schema-errors took ${((Date.now() - started) / 1000).toFixed(1)} s`);
});
