/**
 * Agent-specific behaviour against the real control plane: Flux prune from
 * the Kustomization's status.inventory (finding a kind the preview would not
 * list), an Argo CD-bound folder (tracking annotation, argocd-controller
 * field manager, Prune=false opt-out), and a Flux Kustomization's own build
 * fields (namePrefix, images, patches, commonMetadata) in the dry-run.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import * as path from 'node:path';
import { test, type TestContext } from 'node:test';
import { PreviewService, kubeconfigConnector } from '../../server/src/preview/preview-service.js';
import { NO_TEST_CLUSTER_REASON, testCluster } from '../support/control-plane.js';

const cp = testCluster();
const skip = cp ? false : NO_TEST_CLUSTER_REASON;
const NS = 'preview-agents';

function findUp(rel: string): string {
  for (let dir = process.cwd(); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, rel))) return path.join(dir, rel);
    if (path.dirname(dir) === dir) throw new Error(`${rel} not found above the working directory`);
  }
}
const root = findUp('test/fixtures/preview/agents');

async function ok(args: string[], input?: string): Promise<void> {
  const r = await cp!.kubectl(args, { input });
  assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
}

async function ensureNamespace(ns: string): Promise<void> {
  if ((await cp!.kubectl(['get', 'namespace', ns])).code !== 0) await cp!.kubectl(['create', 'namespace', ns]);
}

const track = (name: string) => `argocd.argoproj.io/tracking-id: "preview-argo:/ConfigMap:${NS}/${name}"`;

test('Flux inventory prune and an Argo CD-bound folder', { skip, timeout: 120_000 }, async (t) => {
  for (const ns of [NS, 'flux-system', 'argocd']) await ensureNamespace(ns);
  await ok(['-n', NS, 'delete', 'configmap,limitrange', '--all', '--ignore-not-found', '--wait=false']);
  await ok(
    ['apply', '--server-side', '--field-manager=kustomize-controller', '--force-conflicts', '-f', '-'],
    `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: preview-inv, namespace: flux-system}
spec:
  interval: 10m
  path: ./inv
  prune: true
  targetNamespace: ${NS}
  sourceRef: {kind: GitRepository, name: flux-system}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: inv-config
  namespace: ${NS}
  labels: {kustomize.toolkit.fluxcd.io/name: preview-inv, kustomize.toolkit.fluxcd.io/namespace: flux-system}
data: {a: "1"}
---
apiVersion: v1
kind: LimitRange
metadata:
  name: inv-old-limits
  namespace: ${NS}
  labels: {kustomize.toolkit.fluxcd.io/name: preview-inv, kustomize.toolkit.fluxcd.io/namespace: flux-system}
spec:
  limits: [{type: Container, default: {cpu: 100m}}]
`,
  );
  await ok([
    '-n', 'flux-system', 'patch', 'kustomization', 'preview-inv', '--subresource=status', '--type=merge', '-p',
    JSON.stringify({ status: { inventory: { entries: [{ id: `${NS}_inv-config__ConfigMap`, v: 'v1' }, { id: `${NS}_inv-old-limits__LimitRange`, v: 'v1' }] } } }),
  ]);
  await ok(
    ['apply', '--server-side', '--field-manager=argocd-controller', '--force-conflicts', '-f', '-'],
    `apiVersion: v1
kind: ConfigMap
metadata:
  name: argo-config
  namespace: ${NS}
  annotations: {${track('argo-config')}}
data: {level: info}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: argo-orphan
  namespace: ${NS}
  annotations: {${track('argo-orphan')}}
data: {x: "1"}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: argo-kept
  namespace: ${NS}
  annotations: {${track('argo-kept')}, argocd.argoproj.io/sync-options: Prune=false}
data: {x: "1"}
`,
  );

  const service = new PreviewService({ connect: (k, c) => kubeconfigConnector(true, async () => false)(k ?? cp!.kubeconfigPath, c ?? 'tool') });
  t.after(() => service.dispose());
  const plan = await service.preview({ paths: [path.join(root, 'inv'), path.join(root, 'argo')], root });
  assert.deepEqual(
    plan.entries.map((e) => `${e.action} ${e.kind} ${e.namespace}/${e.name} [${e.binding}]`),
    [
      'unchanged ConfigMap preview-agents/argo-kept [Application argocd/preview-argo]',
      'prune ConfigMap preview-agents/argo-orphan [Application argocd/preview-argo]',
      'update ConfigMap preview-agents/argo-config [Application argocd/preview-argo]',
      'unchanged ConfigMap preview-agents/inv-config [Kustomization flux-system/preview-inv]',
      'prune LimitRange preview-agents/inv-old-limits [Kustomization flux-system/preview-inv]',
    ].sort((a, b) => {
      // The plan sorts by binding, namespace, kind, name.
      const key = (s: string) => `${s.slice(s.indexOf('['))} ${s.split(' ')[1]} ${s.split(' ')[2]}`;
      return key(a).localeCompare(key(b));
    }),
  );
  const update = plan.entries.find((e) => e.name === 'argo-config')!;
  // The tracking annotation the agent adds is not a change; the data is.
  assert.deepEqual(update.changedPaths, ['data.level']);
  assert.match(plan.entries.find((e) => e.name === 'argo-kept')!.message!, /Prune=false/);
});


/** The folder both agents' build-option tests bind: a kustomization with a ConfigMap and a Deployment. */
const AGENT_APP_FILES: Record<string, string> = {
  'app/kustomization.yaml': 'resources: [settings.yaml, web.yaml]\n',
  'app/settings.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {a: "1"}\n',
  'app/web.yaml': `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: "registry.example/web:1.0"}]}
`,
};

/** Writes the agent's files and {@link AGENT_APP_FILES} into `repo` and previews its `app` folder as the tool identity. */
async function previewAgentRepo(t: TestContext, repo: string, agentFiles: Record<string, string>) {
  for (const [rel, text] of Object.entries({ ...agentFiles, ...AGENT_APP_FILES })) {
    mkdirSync(path.dirname(path.join(repo, rel)), { recursive: true });
    writeFileSync(path.join(repo, rel), text);
  }
  const service = new PreviewService({ connect: (k, c) => kubeconfigConnector(true, async () => false)(k ?? cp!.kubeconfigPath, c ?? 'tool') });
  t.after(() => service.dispose());
  return service.preview({ paths: [path.join(repo, 'app')], root: repo });
}

test('a Flux Kustomization\'s namePrefix, images, patches and commonMetadata reach the dry-run', { skip, timeout: 120_000 }, async (t) => {
  const ns = 'preview-flux-build';
  for (const n of [ns, 'flux-system']) await ensureNamespace(n);
  await ok(['-n', ns, 'delete', 'configmap,deployment', '--all', '--ignore-not-found', '--wait=false']);
  // The live state, as the agent applied it before the team label changed.
  await ok(
    ['apply', '--server-side', '--field-manager=kustomize-controller', '--force-conflicts', '-f', '-'],
    `apiVersion: v1
kind: ConfigMap
metadata:
  name: fb-settings
  namespace: ${ns}
  labels: {team: red, kustomize.toolkit.fluxcd.io/name: fb, kustomize.toolkit.fluxcd.io/namespace: flux-system}
data: {a: "1"}
`,
  );
  const repo = mkdtempSync(path.join(os.tmpdir(), 'preview-flux-build-'));
  t.after(() => rmSync(repo, { recursive: true, force: true }));
  const files: Record<string, string> = {
    'clusters/fb.yaml': `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: fb, namespace: flux-system}
spec:
  interval: 10m
  path: ./app
  prune: false
  targetNamespace: ${ns}
  namePrefix: fb-
  sourceRef: {kind: GitRepository, name: flux-system}
  images: [{name: registry.example/web, newTag: "2.0"}]
  patches:
    - target: {kind: Deployment}
      patch: |
        - {op: replace, path: /spec/replicas, value: 3}
  commonMetadata:
    labels: {team: blue}
`,
  };
  const plan = await previewAgentRepo(t, repo, files);
  assert.deepEqual(
    plan.entries.map((e) => `${e.action} ${e.kind} ${e.namespace}/${e.name}`),
    [`update ConfigMap ${ns}/fb-settings`, `create Deployment ${ns}/fb-web`],
  );
  assert.deepEqual(plan.entries[0]!.changedPaths, ['metadata.labels.team']);
  const web = plan.entries[1]!;
  assert.match(web.afterText, /image: registry\.example\/web:2\.0/);
  assert.match(web.afterText, /replicas: 3/);
  assert.match(web.afterText, /team: blue/);
  assert.equal(path.relative(repo, new URL(web.sourceUri!).pathname), 'app/web.yaml');
});

test('an Argo CD Application\'s kustomize options (namePrefix, images, replicas, commonLabels, namespace, patches) reach the dry-run', { skip, timeout: 120_000 }, async (t) => {
  const ns = 'preview-argo-kustomize';
  for (const n of [ns, 'argocd']) await ensureNamespace(n);
  await ok(['-n', ns, 'delete', 'configmap,deployment', '--all', '--ignore-not-found', '--wait=false']);
  // The live state, as Argo CD applied it before the team label and the data changed.
  await ok(
    ['apply', '--server-side', '--field-manager=argocd-controller', '--force-conflicts', '-f', '-'],
    `apiVersion: v1
kind: ConfigMap
metadata:
  name: ak-settings
  namespace: ${ns}
  labels: {team: red}
  annotations: {argocd.argoproj.io/tracking-id: "argo-k:/ConfigMap:${ns}/ak-settings"}
data: {a: "1"}
`,
  );
  const repo = mkdtempSync(path.join(os.tmpdir(), 'preview-argo-kustomize-'));
  t.after(() => rmSync(repo, { recursive: true, force: true }));
  const files: Record<string, string> = {
    'argo/app.yaml': `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: argo-k, namespace: argocd}
spec:
  project: default
  destination: {server: https://kubernetes.default.svc, namespace: elsewhere}
  source:
    repoURL: https://example.invalid/repo.git
    path: app
    kustomize:
      namePrefix: ak-
      namespace: ${ns}
      images: ["registry.example/web:2.0"]
      replicas: [{name: web, count: 3}]
      commonLabels: {team: blue}
      patches:
        - target: {kind: ConfigMap, name: settings}
          patch: |
            - {op: add, path: /data/b, value: "2"}
`,
  };
  const plan = await previewAgentRepo(t, repo, files);
  assert.deepEqual(
    plan.entries.map((e) => `${e.action} ${e.kind} ${e.namespace}/${e.name} [${e.binding}]`),
    [`update ConfigMap ${ns}/ak-settings [Application argocd/argo-k]`, `create Deployment ${ns}/ak-web [Application argocd/argo-k]`],
  );
  // The label kustomize adds and the patched key; the tracking annotation is the agent's, not a change.
  assert.deepEqual(plan.entries[0]!.changedPaths, ['data.b', 'metadata.labels.team']);
  const web = plan.entries[1]!;
  assert.match(web.afterText, /image: registry\.example\/web:2\.0/);
  assert.match(web.afterText, /replicas: 3/);
  assert.match(web.afterText, /team: blue/);
  assert.equal(path.relative(repo, new URL(web.sourceUri!).pathname), 'app/web.yaml');
  // The repository's kustomization is untouched.
  assert.equal(readFileSync(path.join(repo, 'app/kustomization.yaml'), 'utf8'), 'resources: [settings.yaml, web.yaml]\n');
});
