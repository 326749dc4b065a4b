/** Which live objects an agent prunes: ownership marks per agent and the prune opt-outs. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../../server/src/cluster/cluster-types.js';
import { bindingFromObject, type PreviewBinding } from '../../server/src/render/binding.js';
import { isOwnedBy, pruneDecision, pruneDisabledReason } from '../../server/src/preview/prune-rules.js';

const flux: PreviewBinding = { agent: 'flux', name: 'apps', namespace: 'flux-system', folder: '/r/apps', prune: true };
const argo: PreviewBinding = { agent: 'argo', name: 'guestbook', namespace: 'argocd', folder: '/r/guestbook', prune: true };
const obj = (labels: Record<string, string> = {}, annotations: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'x', namespace: 'n', labels, annotations },
});

test('Flux owns objects labelled with its Kustomization name AND namespace', () => {
  const labels = { 'kustomize.toolkit.fluxcd.io/name': 'apps', 'kustomize.toolkit.fluxcd.io/namespace': 'flux-system' };
  assert.equal(isOwnedBy(obj(labels), flux), true);
  assert.equal(isOwnedBy(obj({ ...labels, 'kustomize.toolkit.fluxcd.io/namespace': 'other' }), flux), false);
  assert.equal(isOwnedBy(obj({ 'kustomize.toolkit.fluxcd.io/name': 'apps' }), flux), false);
  assert.equal(isOwnedBy(obj(labels), argo), false);
});

test('Argo CD owns objects by instance label or tracking annotation', () => {
  assert.equal(isOwnedBy(obj({ 'app.kubernetes.io/instance': 'guestbook' }), argo), true);
  assert.equal(isOwnedBy(obj({}, { 'argocd.argoproj.io/tracking-id': 'guestbook:/ConfigMap:n/x' }), argo), true);
  assert.equal(isOwnedBy(obj({}, { 'argocd.argoproj.io/tracking-id': 'argocd_guestbook:apps/Deployment:n/x' }), argo), true);
  assert.equal(isOwnedBy(obj({}, { 'argocd.argoproj.io/tracking-id': 'other:/ConfigMap:n/x' }), argo), false);
  assert.equal(isOwnedBy(obj({ 'app.kubernetes.io/instance': 'other' }), argo), false);
});

test('prune opt-outs: Flux prune: disabled and Argo CD Prune=false in sync-options', () => {
  assert.equal(pruneDisabledReason(obj({}, { 'kustomize.toolkit.fluxcd.io/prune': 'disabled' })), 'kustomize.toolkit.fluxcd.io/prune: disabled');
  assert.equal(pruneDisabledReason(obj({}, { 'argocd.argoproj.io/sync-options': 'ServerSideApply=true, Prune=false' })), 'argocd.argoproj.io/sync-options: Prune=false');
  assert.equal(pruneDisabledReason(obj({}, { 'argocd.argoproj.io/sync-options': 'Prune=true' })), undefined);
  assert.equal(pruneDisabledReason(obj()), undefined);
});

test('pruneDecision: owned and not opted out is pruned; opt-outs and prune: false are kept with a reason', () => {
  const owned = { 'app.kubernetes.io/instance': 'guestbook' };
  assert.deepEqual(pruneDecision(obj(owned), argo), { prune: true });
  assert.deepEqual(pruneDecision(obj(), argo), { prune: false, reason: 'not owned by this binding' });
  const kept = pruneDecision(obj(owned, { 'argocd.argoproj.io/sync-options': 'Prune=false' }), argo);
  assert.equal(kept.prune, false);
  assert.match((kept as { reason: string }).reason, /kept because argocd\.argoproj\.io\/sync-options: Prune=false/);
  const fluxLabels = { 'kustomize.toolkit.fluxcd.io/name': 'apps', 'kustomize.toolkit.fluxcd.io/namespace': 'flux-system' };
  assert.match((pruneDecision(obj(fluxLabels), { ...flux, prune: false }) as { reason: string }).reason, /prune: false/);
});

test('bindings are read from Flux Kustomizations and Argo CD Applications', () => {
  const b = bindingFromObject(
    {
      apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
      kind: 'Kustomization',
      metadata: { name: 'apps', namespace: 'flux-system' },
      spec: { path: './apps/production', prune: true, targetNamespace: 'prod', postBuild: { substitute: { A: 1 }, substituteFrom: [{ kind: 'ConfigMap', name: 'vars' }] } },
    },
    '/repo',
  );
  assert.deepEqual(b, {
    agent: 'flux',
    name: 'apps',
    namespace: 'flux-system',
    folder: '/repo/apps/production',
    targetNamespace: 'prod',
    prune: true,
    substitute: { A: '1' },
    substituteFrom: [{ kind: 'ConfigMap', name: 'vars', optional: false }],
  });
  const a = bindingFromObject(
    {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: { name: 'guestbook', namespace: 'argocd' },
      spec: { source: { repoURL: 'https://x', path: 'helm-guestbook', helm: { valueFiles: ['values.yaml'] } }, destination: { namespace: 'gb' } },
    },
    '/repo',
  );
  assert.equal(a?.agent, 'argo');
  assert.equal(a?.helm, true);
  assert.equal(a?.folder, '/repo/helm-guestbook');
  assert.equal(bindingFromObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, spec: {} }, '/repo'), undefined);
});
