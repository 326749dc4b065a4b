/**
 * Unit tests of the plan presentation shared by the "GitOps Plan" tree, "GitOps: Copy Plan
 * Summary" and `gitops-lens preview --output markdown`: counts, the binding → namespace →
 * kind → object grouping, and the Markdown summary (Secret masks kept, free text redacted).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PlanEntry } from '../../server/src/protocol/protocol.js';
import {
  CLUSTER_SCOPED_LABEL,
  countEntries,
  describeBinding,
  formatCounts,
  formatPlanMarkdown,
  groupPlan,
} from '../../server/src/protocol/plan-summary.js';

const FLUX = 'Kustomization flux-system/podinfo';
const ARGO = 'Application argocd/guestbook';

const cmDiff = [
  '--- live/ConfigMap/podinfo/podinfo-config',
  '+++ after/ConfigMap/podinfo/podinfo-config',
  '@@ -1,3 +1,3 @@',
  ' data:',
  '-  LOG_LEVEL: info',
  '+  LOG_LEVEL: debug',
].join('\n');
const secretDiff = [
  '--- live/Secret/podinfo/token',
  '+++ after/Secret/podinfo/token',
  '@@ -1,2 +1,2 @@',
  ' data:',
  '-  token: "*** (before)"',
  '+  token: "*** (after)"',
].join('\n');

const entries: PlanEntry[] = [
  { action: 'unchanged', apiVersion: 'v1', kind: 'Namespace', name: 'podinfo', binding: FLUX },
  { action: 'update', apiVersion: 'v1', kind: 'ConfigMap', namespace: 'podinfo', name: 'podinfo-config', binding: FLUX, diff: cmDiff, sourceUri: 'file:///repo/apps/podinfo/configmap.yaml', sourceRange: { start: { line: 2, character: 0 }, end: { line: 2, character: 4 } } },
  { action: 'create', apiVersion: 'v1', kind: 'Service', namespace: 'podinfo', name: 'web', binding: FLUX },
  { action: 'update', apiVersion: 'v1', kind: 'Secret', namespace: 'podinfo', name: 'token', binding: FLUX, diff: secretDiff },
  { action: 'unchanged', apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'podinfo', name: 'podinfo', binding: FLUX },
  { action: 'prune', apiVersion: 'v1', kind: 'ConfigMap', namespace: 'podinfo', name: 'legacy', binding: FLUX },
  { action: 'unchanged', apiVersion: 'v1', kind: 'ConfigMap', namespace: 'podinfo', name: 'aaa-kept', binding: FLUX, message: 'no longer in the repository, kept because prune is disabled' },
  { action: 'error', apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'guestbook', name: 'guestbook-ui', binding: ARGO, message: 'the API server rejected the dry-run: .spec.replica: field not declared in schema (token s3cr3t)' },
];

describe('counts', () => {
  it('counts entries per action and formats only non-zero counts in a fixed order', () => {
    const c = countEntries(entries);
    assert.deepEqual(c, { create: 1, update: 2, prune: 1, unchanged: 3, error: 1 });
    assert.equal(formatCounts(c), '1 error · 1 create · 2 update · 1 prune · 3 unchanged');
    assert.equal(formatCounts(countEntries([])), 'no objects');
    assert.equal(formatCounts({ create: 0, update: 0, prune: 0, unchanged: 0, error: 2 }), '2 errors');
  });
});

describe('describeBinding', () => {
  it('reads the engine labels of Flux and Argo CD bindings with the context', () => {
    assert.equal(describeBinding(FLUX, 'tool'), 'flux-system/podinfo (Flux) → context tool');
    assert.equal(describeBinding(ARGO, 'prod'), 'argocd/guestbook (Argo CD) → context prod');
    assert.equal(describeBinding(undefined, 'tool'), 'unbound → context tool');
    assert.equal(describeBinding('unbound'), 'unbound');
    assert.equal(describeBinding('something else', 'c'), 'something else → context c');
  });
});

describe('groupPlan', () => {
  const groups = groupPlan({ entries, context: 'tool' });

  it('groups by binding, namespace and kind with counts at every level', () => {
    assert.deepEqual(
      groups.map((g) => [g.label, formatCounts(g.counts)]),
      [
        ['argocd/guestbook (Argo CD) → context tool', '1 error'],
        ['flux-system/podinfo (Flux) → context tool', '1 create · 2 update · 1 prune · 3 unchanged'],
      ],
    );
    const flux = groups[1]!;
    assert.deepEqual(flux.children.map((n) => n.label), ['podinfo', CLUSTER_SCOPED_LABEL]);
    const podinfo = flux.children[0]!;
    assert.deepEqual(
      podinfo.children.map((k) => [k.kind, formatCounts(k.counts), k.allUnchanged]),
      [
        ['ConfigMap', '1 update · 1 prune · 1 unchanged', false],
        ['Deployment', '1 unchanged', true],
        ['Secret', '1 update', false],
        ['Service', '1 create', false],
      ],
    );
    // Objects: changes first (create, update, prune), unchanged last; the entry index is kept for preview URIs.
    assert.deepEqual(
      podinfo.children[0]!.children.map((o) => [o.entry.name, o.entry.action, o.index]),
      [
        ['podinfo-config', 'update', 1],
        ['legacy', 'prune', 5],
        ['aaa-kept', 'unchanged', 6],
      ],
    );
    assert.equal(flux.children[1]!.namespace, undefined);
    assert.equal(flux.children[1]!.allUnchanged, true);
  });

  it('keeps every entry exactly once, with unique ids', () => {
    const objects = groups.flatMap((g) => g.children.flatMap((n) => n.children.flatMap((k) => k.children)));
    assert.deepEqual(objects.map((o) => o.index).sort((a, b) => a - b), entries.map((_, i) => i));
    const ids = [...groups.map((g) => g.id), ...groups.flatMap((g) => g.children.map((n) => n.id)), ...objects.map((o) => o.id)];
    assert.equal(new Set(ids).size, ids.length);
  });
});

describe('formatPlanMarkdown', () => {
  const md = formatPlanMarkdown(
    { entries, context: 'tool', counts: countEntries(entries), notes: ['HelmRelease podinfo/redis: chart contents not previewed: needs helm'] },
    {
      sourceLabel: (e) => (e.sourceUri ? `${e.sourceUri.replace('file:///repo/', '')}:${(e.sourceRange?.start.line ?? 0) + 1}` : undefined),
      redact: (s) => s.replaceAll('s3cr3t', '***'),
    },
  );

  it('starts with the totals and a table of counts per binding', () => {
    const lines = md.split('\n');
    assert.equal(lines[0], '### GitOps Lens preview: 1 to create, 2 to update, 1 to prune, 3 unchanged, 1 errors');
    assert.ok(lines.includes('Context `tool`'));
    assert.ok(lines.includes('| argocd/guestbook (Argo CD) | 0 | 0 | 0 | 0 | 1 |'), md);
    assert.ok(lines.includes('| flux-system/podinfo (Flux) | 1 | 2 | 1 | 3 | 0 |'), md);
    assert.ok(lines.includes('| **Total** | 1 | 2 | 1 | 3 | 1 |'), md);
  });

  it('lists creates, prunes and errors (with their redacted message, Markdown-escaped)', () => {
    assert.match(md, /#### Errors \(1\)\n\n- `Deployment guestbook\/guestbook-ui` — argocd\/guestbook \(Argo CD\): the API server rejected the dry-run: \.spec\.replica: field not declared in schema \(token \\\*\\\*\\\*\)/);
    assert.doesNotMatch(md, /s3cr3t/);
    assert.match(md, /#### Creates \(1\)\n\n- `Service podinfo\/web` — flux-system\/podinfo \(Flux\)\n/);
    assert.match(md, /#### Prunes \(1\)\n\n- `ConfigMap podinfo\/legacy` — flux-system\/podinfo \(Flux\)\n/);
    assert.match(md, /#### Unchanged with a note \(1\)\n\n- `ConfigMap podinfo\/aaa-kept` — flux-system\/podinfo \(Flux\): no longer in the repository, kept because prune is disabled/);
    assert.match(md, /#### Not previewed\n\n- HelmRelease podinfo\/redis: chart contents not previewed: needs helm\n$/);
  });

  it('puts each update diff in a diff fence, with the source and Secret masks as they are', () => {
    assert.ok(md.includes(`- \`ConfigMap podinfo/podinfo-config\` — flux-system/podinfo (Flux), \`apps/podinfo/configmap.yaml:3\`\n\n\`\`\`diff\n${cmDiff}\n\`\`\``), md);
    assert.ok(md.includes(`\`\`\`diff\n${secretDiff}\n\`\`\``), md);
    assert.match(md, /token: "\*\*\* \(after\)"/);
  });

  it('uses a longer fence when a diff contains one, and says when nothing was previewed', () => {
    const tricky = formatPlanMarkdown({ entries: [{ action: 'update', apiVersion: 'v1', kind: 'ConfigMap', name: 'x', namespace: 'n', diff: '+  a: |\n+    ```sh\n+    ```' }] });
    assert.match(tricky, /\n````diff\n[\s\S]*\n````\n/);
    const empty = formatPlanMarkdown({ entries: [] });
    assert.match(empty, /No objects were previewed\./);
  });
});
