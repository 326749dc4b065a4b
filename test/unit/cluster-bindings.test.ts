/**
 * Binding resolution: the setting first, then Flux Kustomizations and Argo CD
 * Applications discovered in the repo (using the real example repos from
 * ../shared/corpora), then the current context.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { agentSourcesOf, commitOfRevision, resolveBinding, revisionOfAgent } from '../../server/src/cluster/bindings.js';
import { desiredDocuments } from '../../server/src/drift/desired-documents.js';

const corpora = path.resolve(import.meta.dirname, '../../../shared/corpora');

function scan(root: string) {
  const out: Array<{ file: string; value: unknown }> = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory() && e.name !== '.git') walk(p);
      else if (/\.ya?ml$/.test(e.name)) for (const d of desiredDocuments(fs.readFileSync(p, 'utf8'))) out.push({ file: path.relative(root, p), value: d.value });
    }
  };
  walk(root);
  return out;
}

test('Flux Kustomizations of the flux2 example bind their folders', { skip: fs.existsSync(corpora) ? false : `corpora not found at ${corpora}` }, () => {
  const root = path.join(corpora, 'flux2-kustomize-helm-example');
  const agents = agentSourcesOf(scan(root));
  const apps = agents.find((a) => a.kind === 'flux-kustomization' && a.path === 'apps/production'); // via the ArtifactGenerator copy rules
  assert.ok(apps, JSON.stringify(agents.map((a) => a.path)));
  const b = resolveBinding('apps/production/podinfo-values.yaml', { bindings: [], context: '' }, agents);
  assert.equal(b.source, 'flux-kustomization');
  assert.equal(b.agent?.name, 'apps');
  assert.match(b.description, /Flux Kustomization flux-system\/apps/);
});

test('Argo CD Applications bind with their destination namespace and ignoreDifferences', () => {
  const app = {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name: 'guestbook', namespace: 'argocd' },
    spec: { source: { path: 'guestbook' }, destination: { namespace: 'gb' }, ignoreDifferences: [{ group: 'apps', kind: 'Deployment', jsonPointers: ['/spec/replicas'] }] },
  };
  const agents = agentSourcesOf([{ file: 'apps/guestbook.yaml', value: app }]);
  const b = resolveBinding('guestbook/deploy.yaml', { bindings: [], context: 'ctx' }, agents);
  assert.equal(b.source, 'argocd-application');
  assert.equal(b.namespace, 'gb');
  assert.equal(b.context, 'ctx');
  assert.deepEqual(b.agent?.ignore[0].jsonPointers, ['/spec/replicas']);
});

test('the setting wins; otherwise the current context', () => {
  const agents = agentSourcesOf([{ file: 'k.yaml', value: { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', metadata: { name: 'x' }, spec: { path: './apps' } } }]);
  const b = resolveBinding('apps/a.yaml', { bindings: [{ glob: 'apps/**', context: 'prod', namespace: 'web' }], context: '' }, agents);
  assert.deepEqual([b.source, b.context, b.namespace], ['setting', 'prod', 'web']);
  assert.equal(resolveBinding('other/a.yaml', { bindings: [], context: '' }, agents).source, 'current-context');
});

test('revisions and reconcile status', () => {
  assert.equal(commitOfRevision('main@sha1:0123456789abcdef0123456789abcdef01234567'), '0123456789abcdef0123456789abcdef01234567');
  assert.equal(commitOfRevision('main/0123456'), '0123456');
  assert.equal(commitOfRevision('0123456789abcdef'), '0123456789abcdef');
  assert.deepEqual(revisionOfAgent({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: {}, status: { sync: { revision: 'abc1234' } } }), { revision: 'abc1234' });
  assert.equal(revisionOfAgent({ apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', metadata: {}, status: { conditions: [{ type: 'Ready', status: 'False', reason: 'HealthCheckFailed', message: 'timeout' }] } }).failure, 'HealthCheckFailed: timeout');
});
