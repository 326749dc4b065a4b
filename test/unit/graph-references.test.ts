/**
 * Unit tests of the broken-reference checks and navigation on reduced cases
 * (test/fixtures/references): every kind of broken link once, the links a
 * kustomize namePrefix or generator hash makes valid, the cross-build
 * reference to a hashed name that is broken, ignore comments, per-check
 * settings, the cluster answer, rename through a namePrefix, and the graph
 * printed as text, DOT and JSON.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { dependencyGraph } from '../../server/src/graph/depends-on.js';
import { formatGraphDot, formatGraphJson, formatGraphText } from '../../server/src/graph/graph-format.js';
import { definitionAt, referencesAt, renameEdits } from '../../server/src/graph/navigation.js';
import { applyClusterState, lookupsOf } from '../../server/src/graph/reference-checks.js';
import { loadRepository } from '../../server/src/graph/reference-index.js';
import { keyOf } from '../../server/src/graph/repo-graph.js';
import { statusOf } from '../../server/src/graph/live-status.js';

const fixtures = path.resolve('test/fixtures/references');
const valid = loadRepository(path.join(fixtures, 'valid'));
const broken = loadRepository(path.join(fixtures, 'broken'));
const rel = (root: string, f: string) => path.relative(root, f).split(path.sep).join('/');
const summary = (index: ReturnType<typeof loadRepository>, checks?: Record<string, boolean>) =>
  [...index.findings(checks ? { checks } : {})].flatMap(([f, list]) => list.map((x) => `${rel(index.root, f)}:${x.range.start.line + 1}:${x.range.start.character + 1} ${x.severity} ${x.code}`)).sort();

describe('broken references on reduced cases', () => {
  it('finds nothing broken where a namePrefix, a generator hash, an ExternalSecret or a bootstrap source make the links valid', () => {
    assert.deepEqual(summary(valid), []);
  });

  it('reports each kind of broken link once, on the exact value', () => {
    assert.deepEqual(summary(broken), [
      'apps/deployment.yaml:14:27 warning workload-ref-not-found',
      'apps/deployment.yaml:22:23 warning workload-ref-not-found',
      'apps/deployment.yaml:34:25 warning workload-ref-not-found',
      'apps/deployment.yaml:37:24 warning workload-ref-not-found',
      'apps/httproute.yaml:11:17 warning backend-not-found',
      'apps/ingress.yaml:19:23 warning backend-not-found',
      'apps/kustomization.yaml:10:5 error kustomize-entry-missing',
      'apps/kustomization.yaml:12:5 error kustomize-entry-missing',
      'apps/kustomization.yaml:17:15 error kustomize-entry-missing',
      'apps/kustomization.yaml:9:5 error kustomize-entry-missing',
      'apps/service.yaml:6:3 warning selector-matches-nothing',
      'argo/project.yaml:25:16 error argo-destination-denied',
      'argo/project.yaml:33:12 warning argo-project-not-found',
      'clusters/dev/flux.yaml:25:11 warning source-not-found',
      'clusters/dev/flux.yaml:34:13 warning depends-on-not-found',
      'clusters/dev/flux.yaml:49:13 error depends-on-cycle',
      'clusters/dev/flux.yaml:64:13 error depends-on-cycle',
      'jobs/cleanup.yaml:17:27 warning workload-ref-not-found',
    ]);
  });

  it('switches checks off one by one', () => {
    const all = summary(broken);
    const without = summary(broken, { 'workload-ref-not-found': false, 'depends-on-cycle': false });
    assert.deepEqual(without, all.filter((l) => !/workload-ref-not-found|depends-on-cycle/.test(l)));
  });

  it('turns a missing reference into information or an error with the cluster\'s answer', () => {
    const findings = [...broken.findings().values()].flat();
    const lookups = lookupsOf(findings);
    assert.ok(lookups.some((l) => keyOf(l.kind, l.namespace, l.name) === keyOf('ConfigMap', 'shop', 'app-settings')));
    const deployment = broken.findings().get(path.join(broken.root, 'apps/deployment.yaml'))!;
    const answered = applyClusterState(deployment, (l) => (l.name === 'app-settings' ? 'exists' : l.name === 'tls-certs' ? 'absent' : undefined), 'prod');
    assert.deepEqual(answered.map((f) => f.severity), ['warning', 'information', 'error', 'warning']);
    assert.equal(answered[1].message, 'ConfigMap "app-settings" is not in the repo; exists in the cluster (context "prod" in namespace "shop"). Add it to the repository to manage it with GitOps.');
    assert.match(answered[2].message, / It is not in the cluster either \(context "prod"\)\.$/);
  });
});

describe('navigation on reduced cases', () => {
  const root = valid.root;
  const f = (p: string) => path.join(root, p);

  it('renames a Service declared in a base and referenced through a namePrefix overlay', () => {
    const g = valid.graph();
    const edits = renameEdits(g, f('apps/base/web/service.yaml'), { line: 3, character: 9 }, 'frontend');
    assert.ok(!('error' in edits));
    assert.deepEqual([...edits].map(([file, list]) => [rel(root, file), list.map((e) => [e.range.start.line, e.range.start.character, e.newText])]), [
      ['apps/base/web/service.yaml', [[3, 8, 'frontend']]],
      ['apps/production/ingress.yaml', [[13, 22, 'frontend']]],
    ]);
  });

  it('resolves the overlay\'s Ingress backend to the base Service and lists it as a reference', () => {
    const g = valid.graph();
    assert.deepEqual(definitionAt(g, f('apps/production/ingress.yaml'), { line: 13, character: 23 }).map((l) => [rel(root, l.file), l.range.start.line]), [['apps/base/web/service.yaml', 3]]);
    assert.deepEqual(referencesAt(g, f('apps/base/web/service.yaml'), { line: 3, character: 9 }, false).map((l) => [rel(root, l.file), l.range.start.line]), [['apps/production/ingress.yaml', 13]]);
  });
});

describe('the dependency graph as text, DOT and JSON', () => {
  const g = dependencyGraph(valid.graph());

  it('prints each cluster as a tree in dependency order', () => {
    assert.equal(formatGraphText(g, valid.root), [
      'cluster argocd',
      '  Application argocd/root → argocd/apps  (argocd/root-app.yaml:4)',
      '    Application argocd/guestbook [wave 1] → guestbook  (argocd/apps/guestbook.yaml:4)',
      'cluster production',
      '  Kustomization flux-system/flux-system → clusters/production  (clusters/production/flux-system/gotk-sync.yaml:15)',
      '      source GitRepository flux-system/flux-system',
      '    Kustomization flux-system/infra-controllers → infrastructure/controllers  (clusters/production/infrastructure.yaml:4)',
      '        source GitRepository flux-system/flux-system',
      '      HelmRelease monitoring/metrics  (infrastructure/controllers/helmrelease.yaml:4)',
      '          source OCIRepository monitoring/metrics',
      '    Kustomization flux-system/infra-configs → infrastructure/configs  (clusters/production/infrastructure.yaml:17)',
      '        depends on Kustomization flux-system/infra-controllers',
      '        source GitRepository flux-system/flux-system',
      '    Kustomization flux-system/apps → apps/production  (clusters/production/apps.yaml:4)',
      '        depends on Kustomization flux-system/infra-configs',
      '        source GitRepository flux-system/flux-system',
      '',
    ].join('\n'));
  });

  it('writes DOT with renders, dependsOn and source edges', () => {
    const dot = formatGraphDot(g);
    assert.match(dot, /^digraph gitops \{/);
    assert.match(dot, /"production\|Kustomization\|flux-system\|apps" -> "production\|Kustomization\|flux-system\|infra-configs" \[style=dashed, label="dependsOn"\];/);
    assert.match(dot, /"production\|Kustomization\|flux-system\|flux-system" -> "production\|Kustomization\|flux-system\|apps" \[label="renders"\];/);
    assert.match(dot, /"production\|HelmRelease\|monitoring\|metrics" -> "production\|OCIRepository\|monitoring\|metrics" \[style=dotted, label="source"\];/);
  });

  it('writes JSON with relative files and 1-based lines, and live status when given', () => {
    const apps = g.nodes.find((n) => n.name === 'apps')!;
    const json = JSON.parse(formatGraphJson(g, valid.root, new Map([[apps.id, statusOf({ kind: 'Kustomization', status: { lastAppliedRevision: 'main@sha1:0123456789abcdef', conditions: [{ type: 'Ready', status: 'False', reason: 'BuildFailed', message: 'kustomize build failed' }] } })]])));
    const node = json.nodes.find((n: { name: string }) => n.name === 'apps');
    assert.equal(node.file, 'clusters/production/apps.yaml');
    assert.equal(node.line, 4);
    assert.deepEqual(node.status, { ready: 'False', reason: 'BuildFailed', message: 'kustomize build failed', revision: 'main@sha1:0123456' });
    assert.deepEqual(json.cycles, []);
  });

  it('reads an Argo CD Application\'s health and sync as its Ready state', () => {
    assert.deepEqual(statusOf({ kind: 'Application', status: { sync: { status: 'Synced', revision: '0123456789abcdef0123' }, health: { status: 'Healthy' } } }), { ready: 'True', reason: 'Synced/Healthy', revision: '0123456789ab' });
    assert.deepEqual(statusOf({ kind: 'Application', status: { sync: { status: 'OutOfSync' }, health: { status: 'Degraded' } } }), { ready: 'False', reason: 'OutOfSync/Degraded' });
  });
});
