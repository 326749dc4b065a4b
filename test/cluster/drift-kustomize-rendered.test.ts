/**
 * `gitops-lens drift` against the real control plane for a base + overlay
 * that a Flux Kustomization deploys (spec.path ./apps/production): the base
 * file says `replicas: 3`, the overlay patches it to 5 and the cluster holds
 * 5 as the agent applied it. Drift compares with the rendered overlay, so
 * there is no false "live 5, desired 3"; a live edit to another value is
 * drift whose message gives the overlay's desired value, on the base file,
 * and on the patch file that declares the field (at its own value).
 * It reads with the admin identity: test/protocol/lsp-cluster.test.ts, run
 * in parallel, asserts from the audit log that the tool identity sends
 * nothing during its untrusted phase.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { NO_TEST_CLUSTER_REASON, testCluster } from '../support/control-plane.js';
import { kubectlAsAdmin, runDriftCli } from '../support/drift-cli-helpers.js';
import { pathToFileURL } from 'node:url';
import { DriftService } from '../../server/src/drift/drift-service.js';
import type { Finding } from '../../server/src/findings.js';
import { until } from '../support/wait.ts';

const cp = testCluster();
const skip = cp ? false : NO_TEST_CLUSTER_REASON;
const NS = `drift-rendered-${randomBytes(3).toString('hex')}`;

const admin = (args: string[], input?: string): Promise<void> => kubectlAsAdmin(cp!, args, input);

const cli = (args: string[], cwd: string) => runDriftCli(cp!, args, cwd);

type Report = { drift: boolean; files: Array<{ path: string; findings: Array<{ code: string; message: string }> }> };

describe('gitops-lens drift: desired values rendered through the kustomize overlay', { skip }, () => {
  const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-lens-drift-rendered-'));
  const k = (body: string) => `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n${body}`;
  const deployment = (replicas: number, ns = '') =>
    `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n${ns ? `  namespace: ${ns}\n` : ''}spec:\n  replicas: ${replicas}\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n        - name: web\n          image: nginx:1.25\n`;
  before(async () => {
    fs.mkdirSync(path.join(repo, 'apps', 'base'), { recursive: true });
    fs.mkdirSync(path.join(repo, 'apps', 'production'), { recursive: true });
    fs.mkdirSync(path.join(repo, 'clusters', 'production'), { recursive: true });
    fs.writeFileSync(path.join(repo, 'apps', 'base', 'kustomization.yaml'), k('resources:\n  - deployment.yaml\n'));
    fs.writeFileSync(path.join(repo, 'apps', 'base', 'deployment.yaml'), deployment(3));
    fs.writeFileSync(path.join(repo, 'apps', 'production', 'kustomization.yaml'), k(`namespace: ${NS}\nresources:\n  - ../base\npatches:\n  - path: replicas.yaml\n`));
    fs.writeFileSync(path.join(repo, 'apps', 'production', 'replicas.yaml'), 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 5\n');
    fs.writeFileSync(
      path.join(repo, 'clusters', 'production', 'apps.yaml'),
      'apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./apps/production\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n',
    );
    await admin(['create', 'namespace', NS]);
    // Applied as Flux would: the overlay's value.
    await admin(['apply', '--server-side', '--field-manager=kustomize-controller', '-f', '-'], deployment(5, NS));
  });
  after(async () => {
    await cp?.kubectl(['delete', 'namespace', NS, '--wait=false'], { context: 'admin' });
    fs.rmSync(repo, { recursive: true, force: true });
  });

  test('live = overlay value: no drift', async () => {
    const r = await cli(['apps', '--context', 'admin', '--root', repo, '--output', 'json'], repo);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    const report = JSON.parse(r.stdout) as Report;
    assert.deepEqual(report.files.flatMap((f) => f.findings), [], 'no false "live 5, desired 3"');
    // The patch file is compared too (the fields it declares), and agrees.
    assert.deepEqual(report.files.map((f) => f.path), ['apps/base/deployment.yaml', 'apps/production/replicas.yaml']);
  });

  test('a live edit to another value: drift with the overlay desired value, on the base file', async () => {
    await admin(['patch', 'deployment', 'web', '-n', NS, '--type=merge', '--field-manager=kubectl-edit', '-p', '{"spec":{"replicas":7}}']);
    const r = await cli(['apps', '--context', 'admin', '--root', repo], repo);
    assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /^apps\/base\/deployment\.yaml:6:13: warning drift-value: live 7, desired 5 \(after kustomize overlay apps\/production\) — changed by "kubectl-edit" at \d\d:\d\d/m);
    // The patch that sets replicas reports it too, on its own value (line 6 `replicas: 5`), as is: no overlay above it.
    assert.match(r.stdout, /^apps\/production\/replicas\.yaml:6:13: warning drift-value: live 7, desired 5 — changed by "kubectl-edit" at \d\d:\d\d/m);
    assert.equal(r.stdout.match(/drift-value/g)?.length, 2, r.stdout);
  });

  test('the language server engine: the saved file uses the overlay value; unsaved text compares as written', async () => {
    const service = new DriftService({
      workspaceRoot: repo,
      settings: () => ({ kubeconfig: cp!.kubeconfigPath, context: 'admin', bindings: [], ignoreDifferences: [], drift: { enable: true } }),
      trusted: true,
      approve: async () => false,
    });
    const findings = new Map<string, Finding[]>();
    service.onFindings((uri, f) => findings.set(uri, f));
    try {
      for (const p of ['apps/base/kustomization.yaml', 'apps/production/kustomization.yaml', 'clusters/production/apps.yaml']) {
        service.updateWorkspaceFile(pathToFileURL(path.join(repo, p)).href, fs.readFileSync(path.join(repo, p), 'utf8'));
      }
      const file = path.join(repo, 'apps', 'base', 'deployment.yaml');
      const uri = pathToFileURL(file).href;
      const text = fs.readFileSync(file, 'utf8');
      // The previous test left the live edit (7) in place.
      await service.setDocuments(uri, text);
      const overlay = await until('drift with the overlay value', () => findings.get(uri)?.find((f) => f.code === 'drift-value' && /desired 5 \(after kustomize overlay apps\/production\)/.test(f.message)));
      assert.match(overlay.message, /^live 7, desired 5 \(after kustomize overlay apps\/production\)/);
      assert.deepEqual([overlay.range.start.line, overlay.range.start.character], [5, 12]);
      const hover = service.hover(uri, text, { line: 5, character: 13 });
      assert.match(hover?.markdown ?? '', /Desired: `5` \(after kustomize overlay apps\/production\)/);

      // An unsaved edit elsewhere: the disk differs, so the file is compared as written (today's behaviour).
      const edited = text.replace('nginx:1.25', 'nginx:1.25 ');
      await service.setDocuments(uri, edited);
      await until('drift against the literal', () => findings.get(uri)?.find((f) => f.code === 'drift-value' && /^live 7, desired 3 — changed by/.test(f.message)));

      // The overlay's patch file: once rendered, the field it declares gets the diagnostic on its exact value.
      const patchFile = path.join(repo, 'apps', 'production', 'replicas.yaml');
      const patchUri = pathToFileURL(patchFile).href;
      const patchText = fs.readFileSync(patchFile, 'utf8');
      await service.setDocuments(patchUri, patchText);
      const onPatch = await until('drift on the patch file', () => findings.get(patchUri)?.find((f) => f.code === 'drift-value' && /kubectl-edit/.test(f.message)));
      assert.match(onPatch.message, /^live 7, desired 5 — changed by "kubectl-edit" at \d\d:\d\d\. /);
      assert.deepEqual(onPatch.range, { start: { line: 5, character: 12 }, end: { line: 5, character: 13 } });
      assert.deepEqual(findings.get(patchUri)?.length, 1, JSON.stringify(findings.get(patchUri)));
      assert.match(service.hover(patchUri, patchText, { line: 5, character: 12 })?.markdown ?? '', /Live: `7`/);
      // Reverting live to the overlay's value clears it, through the watch.
      await admin(['patch', 'deployment', 'web', '-n', NS, '--type=merge', '--field-manager=kubectl-edit', '-p', '{"spec":{"replicas":5}}']);
      await until('the patch file drift to clear', () => findings.get(patchUri)?.length === 0);
    } finally {
      service.dispose();
    }
  });
});
