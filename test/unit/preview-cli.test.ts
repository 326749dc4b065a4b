/** `gitops-lens preview` argument parsing, exit codes and output formats (no cluster needed). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exitCodeOf, formatPlanJson, formatPlanMarkdownOutput, formatPlanText, parsePreviewArgs, runPreviewCommand } from '../../server/src/cli/preview-command.js';
import type { PreviewResult } from '../../server/src/preview/preview-service.js';

test('arguments: paths and every option, with inline values too', () => {
  assert.deepEqual(parsePreviewArgs(['apps', '--context', 'prod', '--kubeconfig=/k', '-o', 'json', '--only-changed', '--root', '/r', '--field-manager', 'fm', '--allow-exec']), {
    paths: ['apps'],
    context: 'prod',
    kubeconfig: '/k',
    output: 'json',
    onlyChanged: true,
    root: '/r',
    fieldManager: 'fm',
    allowExec: true,
    exactUnchanged: false,
    help: false,
  });
  assert.throws(() => parsePreviewArgs(['--output', 'yaml']), /--output must be text, json or markdown/);
  assert.throws(() => parsePreviewArgs(['--context']), /--context needs a value/);
  assert.throws(() => parsePreviewArgs(['--bogus']), /Unknown option --bogus/);
});

test('exit codes: 0 no changes, 1 changes, 2 errors', () => {
  const c = (o: Partial<Record<'create' | 'update' | 'prune' | 'unchanged' | 'error', number>>) => ({ create: 0, update: 0, prune: 0, unchanged: 0, error: 0, ...o });
  assert.equal(exitCodeOf(c({ unchanged: 5 })), 0);
  assert.equal(exitCodeOf(c({ create: 1 })), 1);
  assert.equal(exitCodeOf(c({ prune: 1, unchanged: 2 })), 1);
  assert.equal(exitCodeOf(c({ update: 1, error: 1 })), 2);
});

test('bad arguments print usage and exit 2; --help exits 0', async () => {
  let err = '';
  let out = '';
  assert.equal(await runPreviewCommand(['--output', 'xml'], { stdout: (s) => (out += s), stderr: (s) => (err += s), cwd: process.cwd(), env: {} }), 2);
  assert.match(err, /--output must be text, json or markdown[\s\S]*Usage: gitops-lens preview/);
  assert.equal(await runPreviewCommand(['--help'], { stdout: (s) => (out += s), stderr: (s) => (err += s), cwd: process.cwd(), env: {} }), 0);
  assert.match(out, /Exit codes: 0 no changes, 1 changes, 2 errors\./);
});

const plan: PreviewResult = {
  planId: 'p1',
  createdAt: '2026-11-27T00:00:00.000Z',
  context: 'dev',
  root: '/repo',
  counts: { create: 0, update: 1, prune: 0, unchanged: 1, error: 0 },
  notes: ['HelmRelease x/y: chart contents not previewed: needs helm'],
  stats: { dryRuns: 1, memoHits: 0, approximate: 1, provenUnchanged: 0 },
  entries: [
    {
      action: 'update',
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: 'n',
      name: 'c',
      binding: 'Kustomization flux-system/apps',
      sourceUri: 'file:///repo/apps/c.yaml',
      sourceRange: { start: { line: 2, character: 0 }, end: { line: 2, character: 4 } },
      diff: '--- live/ConfigMap/n/c\n+++ after/ConfigMap/n/c\n@@ -1,1 +1,1 @@\n-a: 1\n+a: 2\n',
      approximate: true,
      message: 'approximate: no permission to dry-run apply',
      liveText: 'a: 1\n',
      afterText: 'a: 2\n',
      changedPaths: ['a'],
    },
    { action: 'unchanged', apiVersion: 'v1', kind: 'Service', namespace: 'n', name: 's', liveText: 'x', afterText: 'x' },
  ],
};

test('text output: summary line, labelled entries with source and diff, unchanged in one line, notes', () => {
  assert.equal(
    formatPlanText(plan, '/repo'),
    [
      'Preview on context dev: 0 to create, 1 to update, 0 to prune, 1 unchanged, 0 errors',
      '',
      '~ update ConfigMap n/c (approximate)  [Kustomization flux-system/apps]  apps/c.yaml:3',
      '  approximate: no permission to dry-run apply',
      '  --- live/ConfigMap/n/c',
      '  +++ after/ConfigMap/n/c',
      '  @@ -1,1 +1,1 @@',
      '  -a: 1',
      '  +a: 2',
      '',
      'Unchanged: Service n/s',
      '',
      'Notes:',
      '  - HelmRelease x/y: chart contents not previewed: needs helm',
      '',
    ].join('\n'),
  );
});

test('JSON output holds the protocol fields only', () => {
  const json = JSON.parse(formatPlanJson(plan));
  assert.deepEqual(Object.keys(json).sort(), ['context', 'counts', 'createdAt', 'entries', 'notes']);
  assert.equal(json.entries[0].liveText, undefined);
  assert.equal(json.entries[0].approximate, true);
  assert.equal(json.entries[0].diff, plan.entries[0]!.diff);
});

test('markdown output: the pull request summary, sources relative to the working directory', () => {
  assert.equal(parsePreviewArgs(['--output', 'markdown']).output, 'markdown');
  assert.equal(parsePreviewArgs(['-o', 'md']).output, 'markdown');
  const md = formatPlanMarkdownOutput(plan, '/repo');
  assert.match(md, /^### GitOps Lens preview: 0 to create, 1 to update, 0 to prune, 1 unchanged, 0 errors\n/);
  assert.match(md, /\| flux-system\/apps \(Flux\) \| 0 \| 1 \| 0 \| 0 \| 0 \|/);
  assert.match(md, /- `ConfigMap n\/c` \(approximate\) — flux-system\/apps \(Flux\), `apps\/c\.yaml:3`\n\n  approximate: no permission to dry-run apply\n\n```diff\n--- live\/ConfigMap\/n\/c\n/);
  assert.doesNotMatch(md, /liveText|afterText/);
});
