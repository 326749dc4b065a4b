/**
 * Unit tests of the pure drift engine: normalization, managedFields owners,
 * exact ranges and messages, ignore rules, hover and quick-fix data. Live
 * objects here are plain JSON shaped like what the API server returns; the
 * real-cluster acceptance is in test/cluster/drift-live.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { computeDrift, type DesiredDocument, type LiveLookup } from '../../server/src/drift/compute-drift.js';
import { desiredDocuments } from '../../server/src/drift/desired-documents.js';
import { parseQuantity, scalarsEqual, valuesEqual } from '../../server/src/drift/normalize.js';
import { ownersOf } from '../../server/src/drift/managed-fields.js';
import { driftHover, driftQuickFixes } from '../../server/src/drift/drift-hover.js';
import { rulesFromApplication, rulesFromSetting } from '../../server/src/cluster/ignore-rules.js';
import type { KubeObject } from '../../server/src/cluster/cluster-types.js';

const fixtures = path.resolve(import.meta.dirname, '../fixtures/drift');
const podinfo = fs.readFileSync(path.join(fixtures, 'podinfo.yaml'), 'utf8');

function liveDeployment(replicas: number, image = 'ghcr.io/stefanprodan/podinfo:6.5.0'): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'podinfo',
      namespace: 'drift-demo',
      labels: { app: 'podinfo' },
      annotations: { 'deployment.kubernetes.io/revision': '1' },
      managedFields: [
        {
          manager: 'kustomize-controller',
          operation: 'Apply',
          time: '2026-11-27T09:00:00Z',
          fieldsType: 'FieldsV1',
          fieldsV1: {
            'f:metadata': { 'f:labels': { 'f:app': {} } },
            'f:spec': {
              'f:selector': {},
              'f:template': {
                'f:spec': {
                  'f:containers': { 'k:{"name":"podinfo"}': { '.': {}, 'f:image': {}, 'f:name': {}, 'f:ports': { 'k:{"containerPort":9898,"protocol":"TCP"}': { 'f:containerPort': {} } } } },
                },
              },
            },
          },
        },
        {
          manager: 'kubectl-edit',
          operation: 'Update',
          time: '2026-11-27T10:42:13Z',
          fieldsType: 'FieldsV1',
          fieldsV1: { 'f:spec': { 'f:replicas': {} } },
        },
      ],
    },
    spec: {
      replicas,
      progressDeadlineSeconds: 600,
      selector: { matchLabels: { app: 'podinfo' } },
      template: {
        metadata: { labels: { app: 'podinfo' } },
        spec: {
          restartPolicy: 'Always',
          containers: [
            {
              name: 'podinfo',
              image,
              imagePullPolicy: 'IfNotPresent',
              ports: [{ containerPort: 9898, name: 'http', protocol: 'TCP' }],
              resources: { limits: { cpu: '1', memory: '1024Mi' }, requests: { cpu: '100m', memory: '64Mi' } },
            },
          ],
        },
      },
    },
    status: { replicas: 3, readyReplicas: 2, conditions: [{ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' }] },
  };
}

function run(text: string, objects: Record<string, KubeObject | undefined>, extra: Partial<Parameters<typeof computeDrift>[0]> = {}) {
  return computeDrift({
    text,
    documents: desiredDocuments(text),
    defaultNamespace: 'default',
    lookup: (doc: DesiredDocument): LiveLookup => {
      const o = objects[`${doc.kind}/${doc.name}`];
      return o ? { state: 'present', object: o } : { state: 'missing' };
    },
    ...extra,
  });
}

const service: KubeObject = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'podinfo', namespace: 'drift-demo' },
  spec: { selector: { app: 'podinfo' }, ports: [{ port: 80, protocol: 'TCP', targetPort: 9898 }], type: 'ClusterIP', clusterIP: '10.0.0.1' },
};
const configMap: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'podinfo-config', namespace: 'drift-demo' }, data: { color: 'blue' } };

test('quantities, int-or-string and empty vs absent are normalized', () => {
  assert.equal(parseQuantity('1000m'), 1);
  assert.equal(parseQuantity('1Gi'), 1024 ** 3);
  assert.ok(scalarsEqual('1000m', '1', ['resources', 'limits', 'cpu']));
  assert.ok(scalarsEqual('1Gi', '1024Mi', ['resources', 'limits', 'memory']));
  assert.ok(!scalarsEqual('1Gi', '1000Mi', ['resources', 'limits', 'memory']));
  assert.ok(scalarsEqual('80', 80, ['ports', 'targetPort']));
  assert.ok(!scalarsEqual('01', '1', ['metadata', 'labels', 'v']), 'quantity rules apply only on quantity paths');
  assert.ok(valuesEqual({}, undefined, ['x']));
  assert.ok(valuesEqual([], undefined, ['x']));
});

test('no drift when live equals desired up to defaults and normalization', () => {
  const r = run(podinfo, { 'Deployment/podinfo': liveDeployment(3), 'Service/podinfo': service, 'ConfigMap/podinfo-config': configMap });
  assert.deepEqual(r.findings, []);
  assert.ok(r.fields.length > 10);
});

test('a changed field gets a diagnostic on its exact value naming the manager', () => {
  const r = run(podinfo, { 'Deployment/podinfo': liveDeployment(5), 'Service/podinfo': service, 'ConfigMap/podinfo-config': configMap });
  assert.equal(r.findings.length, 1);
  const f = r.findings[0];
  assert.equal(f.source, 'gitops-lens-drift');
  assert.equal(f.code, 'drift-value');
  assert.match(f.message, /^live 5, desired 3 — changed by "kubectl-edit" at 10:42\./);
  const line = podinfo.split('\n').findIndex((l) => l === '  replicas: 3');
  assert.deepEqual(f.range, { start: { line, character: 12 }, end: { line, character: 13 } });
});

test('container fields are matched by merge key regardless of order, with the owning manager', () => {
  const live = liveDeployment(3, 'ghcr.io/stefanprodan/podinfo:6.6.0');
  const spec = (live.spec as any).template.spec;
  spec.containers.unshift({ name: 'sidecar', image: 'busybox' });
  const r = run(podinfo, { 'Deployment/podinfo': live, 'Service/podinfo': service, 'ConfigMap/podinfo-config': configMap });
  assert.equal(r.findings.length, 1, JSON.stringify(r.findings));
  assert.match(r.findings[0].message, /^live ghcr.io\/stefanprodan\/podinfo:6.6.0, desired ghcr.io\/stefanprodan\/podinfo:6.5.0 — changed by "kustomize-controller" at 09:00/);
  const line = podinfo.split('\n').findIndex((l) => l.includes('image: ghcr.io'));
  assert.equal(r.findings[0].range.start.line, line);
  assert.equal(r.findings[0].range.start.character, podinfo.split('\n')[line].indexOf('ghcr.io'));
});

test('a missing object is reported on its name', () => {
  const r = run(podinfo, { 'Deployment/podinfo': liveDeployment(3), 'Service/podinfo': service });
  assert.equal(r.findings.length, 1);
  assert.equal(r.findings[0].code, 'drift-missing');
  assert.match(r.findings[0].message, /ConfigMap drift-demo\/podinfo-config is declared here but missing from the cluster/);
  const line = podinfo.split('\n').findIndex((l) => l === '  name: podinfo-config');
  assert.equal(r.findings[0].range.start.line, line);
});

test('ignore rules from a setting and from an Application silence exactly that field', () => {
  const objs = { 'Deployment/podinfo': liveDeployment(5, 'other:1'), 'Service/podinfo': service, 'ConfigMap/podinfo-config': configMap };
  const bySetting = run(podinfo, objs, { ignore: rulesFromSetting([{ group: 'apps', kind: 'Deployment', name: 'podinfo', jsonPointers: ['/spec/replicas'] }]) });
  assert.equal(bySetting.findings.length, 1);
  assert.match(bySetting.findings[0].message, /live other:1/);
  const ignored = bySetting.fields.find((f) => f.pointer === '/spec/replicas');
  assert.equal(ignored?.status, 'ignored');
  const app = { metadata: { name: 'guestbook', namespace: 'argocd' }, spec: { ignoreDifferences: [{ group: 'apps', kind: 'Deployment', managedFieldsManagers: ['kubectl-edit'] }] } };
  const byApp = run(podinfo, objs, { ignore: rulesFromApplication(app) });
  assert.equal(byApp.findings.length, 1, 'only the replicas owned by kubectl-edit are ignored');
  const hover = driftHover(byApp, byApp.fields.find((f) => f.pointer === '/spec/replicas')!.range.start);
  assert.match(hover!.markdown, /ignored \(Application argocd\/guestbook\)/);
});

test('hover shows desired, live and manager; the object hover shows a status summary', () => {
  const r = run(podinfo, { 'Deployment/podinfo': liveDeployment(5), 'Service/podinfo': service, 'ConfigMap/podinfo-config': configMap });
  const h = driftHover(r, r.findings[0].range.start);
  assert.match(h!.markdown, /Desired: `3`/);
  assert.match(h!.markdown, /Live: `5`/);
  assert.match(h!.markdown, /Manager: `kubectl-edit` \(Update\) at 10:42 UTC/);
  const nameLine = podinfo.split('\n').findIndex((l) => l === '  name: podinfo');
  const oh = driftHover(r, { line: nameLine, character: 9 });
  assert.match(oh!.markdown, /Ready replicas: 2\/5/);
  assert.match(oh!.markdown, /Condition Available: True/);
});

test('quick fixes: adopt live replaces exactly the value; ignore gives the settings entry', () => {
  const r = run(podinfo, { 'Deployment/podinfo': liveDeployment(5), 'Service/podinfo': service, 'ConfigMap/podinfo-config': configMap });
  const fixes = driftQuickFixes(r, r.findings[0].range);
  const adopt = fixes.find((f) => f.kind === 'adopt-live');
  assert.ok(adopt && adopt.kind === 'adopt-live');
  assert.equal(adopt.edit.newText, '5');
  assert.deepEqual(adopt.edit.range, r.findings[0].range);
  const lines = podinfo.split('\n');
  const l = adopt.edit.range.start.line;
  lines[l] = lines[l].slice(0, adopt.edit.range.start.character) + adopt.edit.newText + lines[l].slice(adopt.edit.range.end.character);
  const after = run(lines.join('\n'), { 'Deployment/podinfo': liveDeployment(5), 'Service/podinfo': service, 'ConfigMap/podinfo-config': configMap });
  assert.deepEqual(after.findings, [], 'adopting the live value clears the drift');
  const ignore = fixes.find((f) => f.kind === 'ignore-field');
  assert.deepEqual(ignore && ignore.kind === 'ignore-field' && ignore.entry, { group: 'apps', kind: 'Deployment', name: 'podinfo', namespace: 'drift-demo', jsonPointers: ['/spec/replicas'] });
});

test('managedFields owners follow f: and k: keys', () => {
  const live = liveDeployment(3);
  const owners = ownersOf(live.metadata.managedFields, [{ key: 'spec' }, { key: 'template' }, { key: 'spec' }, { key: 'containers' }, { listKeys: { name: 'podinfo' } }, { key: 'image' }]);
  assert.deepEqual(owners.map((o) => o.manager), ['kustomize-controller']);
  assert.deepEqual(ownersOf(live.metadata.managedFields, [{ key: 'spec' }, { key: 'replicas' }]).map((o) => o.manager), ['kubectl-edit']);
});

test('a drifted Secret never shows a value, and adopt-live is not offered for it', () => {
  const text = fs.readFileSync(path.join(fixtures, 'secret.yaml'), 'utf8');
  const live: KubeObject = {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: { name: 'drift-secret', namespace: 'drift-demo', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"stringData":{"password":"MARKER-live-value"}}' } },
    data: { password: Buffer.from('MARKER-live-value').toString('base64') },
  };
  const r = run(text, { 'Secret/drift-secret': live });
  assert.equal(r.findings.length, 1);
  assert.equal(r.findings[0].message.startsWith('live *** (differs), desired ***'), true, r.findings[0].message);
  const all = JSON.stringify(r) + driftHover(r, r.findings[0].range.start)!.markdown;
  assert.ok(!all.includes('MARKER'), 'no secret value anywhere in the report or hover');
  assert.ok(!all.includes(Buffer.from('MARKER-live-value').toString('base64')));
  assert.deepEqual(driftQuickFixes(r, r.findings[0].range).map((f) => f.kind), ['ignore-field']);
  const same = run(text, { 'Secret/drift-secret': { ...live, data: { password: Buffer.from('MARKER-desired-s3cr3t-value').toString('base64') } } });
  assert.deepEqual(same.findings, []);
  assert.match(driftHover(same, same.fields.find((f) => f.masked)!.range.start)!.markdown, /\*\*\* \(same\)/);
});

test('Flux substitutions are not compared', () => {
  const text = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: n\ndata:\n  env: ${cluster_env}\n';
  const r = run(text, { 'ConfigMap/c': { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'n' }, data: { env: 'production' } } });
  assert.deepEqual(r.findings, []);
});

test('incremental recomputation of one document merges into the previous report', async () => {
  const { mergeDriftReports } = await import('../../server/src/drift/compute-drift.js');
  const objs: Record<string, KubeObject | undefined> = { 'Deployment/podinfo': liveDeployment(3), 'Service/podinfo': service, 'ConfigMap/podinfo-config': configMap };
  const full = run(podinfo, objs);
  assert.deepEqual(full.findings, []);
  objs['ConfigMap/podinfo-config'] = { ...configMap, data: { color: 'red' } };
  const only = new Set([2]);
  const partial = run(podinfo, objs, { only });
  assert.equal(partial.objects.length, 1);
  const merged = mergeDriftReports(full, partial, only);
  assert.deepEqual(merged, run(podinfo, objs), 'same as a full recomputation');
  assert.equal(merged.findings.length, 1);
});
