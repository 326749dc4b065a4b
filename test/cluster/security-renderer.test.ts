/**
 * Issue 18, finding 1 against the real control plane: a hostile repository tries every way
 * the review found to make the renderer read outside it, and the plan in every output format
 * (CLI text, JSON, markdown; the editor's plan and its diff documents) must hold none of it:
 *
 * - a configMapGenerator reading /proc/self/environ (the previewing process's environment,
 *   with a marker variable), /dev/zero, and an env file line that names a variable;
 * - resources outside the repository: a file, a folder with its own kustomization, a remote base;
 * - a Flux Kustomization `spec.path: ../..`, an Argo CD Application with an absolute
 *   `path` and `directory.recurse`;
 * - a HelmRelease with `valuesFiles: ../..`, and a chart whose file is a link out of the
 *   repository (read with .Files.Get).
 *
 * Each one is a clear error on the right document (the kustomization, the binding, the
 * HelmRelease), the run finishes (no /dev/zero hang), and the audit log shows only reads.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../../server/src/cli/main.js';
import { PreviewDocumentRequest, PreviewSyncRequest, previewDocumentUri } from '../../server/src/protocol/protocol.js';
import { helmBinaryPath } from '../../scripts/build-helm.mjs';
import { NO_TEST_CLUSTER_REASON, testCluster } from '../support/control-plane.js';
import { ensureBundle, LspTestClient } from '../protocol/lsp-test-client.js';
import { lspRequest } from '../../server/src/lsp/lsp-messages.js';

const cp = testCluster();
const helm = helmBinaryPath();
if (!fs.existsSync(helm) && process.env.CI === 'true') throw new Error(`helm not found at ${helm}`);
const skip = !cp ? NO_TEST_CLUSTER_REASON : !fs.existsSync(helm) ? `helm not found at ${helm}` : false;
process.env.PATH = `${path.dirname(helm)}${path.delimiter}${process.env.PATH ?? ''}`;

const OUT = `OUTSIDE${randomBytes(6).toString('hex')}`;
const ENV = `ENVMARK${randomBytes(6).toString('hex')}`;
const NS = `renderer-${randomBytes(3).toString('hex')}`;
// The previewing process's environment holds a "CI token" the repository must not be able to read.
process.env.GL_TEST_CI_TOKEN = ENV;

function assertClean(where: string, text: string): void {
  for (const m of [OUT, ENV]) assert.ok(!text.includes(m), `${where} shows ${m}:\n${text.slice(Math.max(0, text.indexOf(m) - 400), text.indexOf(m) + 100)}`);
}

describe('the renderer stays inside the repository', { skip }, () => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-lens-renderer-'));
  const repo = path.join(base, 'repo');
  const outside = path.join(base, 'outside');
  const write = (file: string, text: string) => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  };

  before(async () => {
    ensureBundle();
    write(path.join(outside, 'outside.yaml'), `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: outside-file, namespace: ${NS}}\ndata: {k: ${OUT}}\n`);
    write(path.join(outside, 'dir/kustomization.yaml'), 'resources: [cm.yaml]\n');
    write(path.join(outside, 'dir/cm.yaml'), `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: outside-dir, namespace: ${NS}}\ndata: {k: ${OUT}}\n`);
    write(path.join(outside, 'values.yaml'), `value: ${OUT}\n`);
    write(path.join(outside, 'secret.txt'), `${OUT}\n`);
    const k = (dir: string, text: string) => write(path.join(repo, 'apps', dir, 'kustomization.yaml'), `namespace: ${NS}\n${text}`);
    k('environ', 'configMapGenerator:\n- name: environ\n  files: [environ=/proc/self/environ]\n');
    k('zero', 'configMapGenerator:\n- name: zero\n  files: [z=/dev/zero]\n');
    k('envline', 'configMapGenerator:\n- name: envline\n  envs: [vars.env]\n');
    write(path.join(repo, 'apps/envline/vars.env'), 'PLAIN=1\nGL_TEST_CI_TOKEN\n');
    k('outside-file', 'resources: [../../../outside/outside.yaml]\n');
    k('outside-dir', 'resources: [../../../outside/dir]\n');
    k('remote', 'resources: [https://github.com/example/never//base?ref=v1]\n');
    k('fine', 'resources: [cm.yaml]\n');
    write(path.join(repo, 'apps/fine/cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: fine}\ndata: {k: v}\n');
    write(
      path.join(repo, 'clusters/bindings.yaml'),
      `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: escape, namespace: ${NS}}
spec:
  interval: 10m
  path: ../../outside/dir
  prune: false
  sourceRef: {kind: GitRepository, name: flux-system}
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: absolute, namespace: argocd}
spec:
  project: default
  source: {repoURL: https://example.invalid/repo.git, path: ${outside}, directory: {recurse: true}}
  destination: {server: https://kubernetes.default.svc, namespace: ${NS}}
`,
    );
    write(path.join(repo, 'charts/local/Chart.yaml'), 'apiVersion: v2\nname: local\nversion: 0.1.0\n');
    write(path.join(repo, 'charts/local/templates/cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: local-chart}\ndata:\n  leak: {{ .Files.Get "files/leak" | quote }}\n  value: {{ .Values.value | default "none" | quote }}\n');
    fs.mkdirSync(path.join(repo, 'charts/local/files'), { recursive: true });
    fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(repo, 'charts/local/files/leak'));
    write(path.join(repo, 'charts/clean/Chart.yaml'), 'apiVersion: v2\nname: clean\nversion: 0.1.0\n');
    write(path.join(repo, 'charts/clean/templates/cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: clean-chart}\ndata:\n  value: {{ .Values.value | default "none" | quote }}\n');
    const release = (name: string, chart: string, extra = '') =>
      `apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: ${name}, namespace: ${NS}}\nspec:\n  interval: 10m\n  chart:\n    spec:\n      chart: ${chart}\n      sourceRef: {kind: GitRepository, name: flux-system, namespace: flux-system}\n${extra}`;
    write(path.join(repo, 'releases/link.yaml'), release('link', './charts/local'));
    write(path.join(repo, 'releases/values.yaml'), release('values', './charts/clean', '      valuesFiles: [../../outside/values.yaml]\n'));
    assert.equal((await cp!.kubectl(['create', 'namespace', NS])).code, 0);
  });

  after(async () => {
    await cp?.kubectl(['delete', 'namespace', NS, '--wait=false']);
    fs.rmSync(base, { recursive: true, force: true });
  });

  test('CLI: text, JSON and markdown hold nothing from outside; each escape is an error on its document', { timeout: 180_000 }, async () => {
    const common = ['preview', '.', '--context', 'tool', '--kubeconfig', cp!.kubeconfigPath, '--root', repo];
    const outputs: Record<string, string> = {};
    let json: { entries: Array<{ action: string; kind: string; name: string; message?: string; sourceUri?: string }> } | undefined;
    for (const format of ['text', 'json', 'markdown']) {
      let stdout = '';
      let stderr = '';
      const started = Date.now();
      const code = await runCli([...common, '--output', format], { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), cwd: repo, env: { ...process.env, KUBECONFIG: '' } });
      console.log(`[reliability] hostile repository preview (${format}): exit ${code} in ${Date.now() - started} ms`);
      assert.equal(code, 2, `${format}: exit ${code}\n${stderr}`);
      outputs[`${format} stdout`] = stdout;
      outputs[`${format} stderr`] = stderr;
      if (format === 'json') json = JSON.parse(stdout);
    }
    for (const [where, text] of Object.entries(outputs)) assertClean(where, text);
    const errors = json!.entries.filter((e) => e.action === 'error').map((e) => `${e.sourceUri ? path.relative(repo, new URL(e.sourceUri).pathname) : '-'}: ${e.message}`);
    const expect = (file: string, message: RegExp) => assert.ok(errors.some((e) => e.startsWith(`${file}:`) && message.test(e)), `no error on ${file} matching ${message}:\n${errors.join('\n')}`);
    expect('apps/environ/kustomization.yaml', /not in or below|outside the repository/);
    expect('apps/zero/kustomization.yaml', /not in or below|outside the repository|device/);
    expect('apps/outside-file/kustomization.yaml', /not in or below|outside the repository/);
    expect('apps/outside-dir/kustomization.yaml', /outside the repository/);
    expect('apps/remote/kustomization.yaml', /remote/);
    expect('clusters/bindings.yaml', /absolute/);
    expect('releases/link.yaml', /link to .*outside the repository/);
    expect('releases/values.yaml', /valuesFiles .*outside the repository/);
    // The well-behaved parts are still previewed.
    assert.ok(json!.entries.some((e) => e.kind === 'ConfigMap' && e.name === 'fine' && e.action === 'create'), JSON.stringify(json!.entries.map((e) => `${e.action} ${e.kind} ${e.name}`)));
    const events = await cp!.auditEvents({ user: cp!.users.tool });
    assert.deepEqual(events.filter((e) => e.requestURI.includes(NS) && !['get', 'list', 'watch'].includes(e.verb) && !e.requestURI.includes('dryRun=All')).map((e) => e.requestURI), []);
  });

  test('editor: the plan and every diff document hold nothing from outside', { timeout: 180_000 }, async () => {
    const { client } = await LspTestClient.start({
      folders: [repo],
      trusted: true,
      settings: { kubeconfig: cp!.kubeconfigPath, context: 'tool' },
      env: { PATH: process.env.PATH!, GL_TEST_CI_TOKEN: ENV },
    });
    try {
      const plan = await client.connection.sendRequest(lspRequest(PreviewSyncRequest), { uris: [pathToFileURL(repo).href] });
      const outputs: Array<[string, string]> = [['plan', JSON.stringify(plan)]];
      for (let index = 0; index < plan.entries.length; index++) {
        const e = plan.entries[index]!;
        for (const side of ['live', 'after'] as const) {
          const doc = await client.connection.sendRequest(lspRequest(PreviewDocumentRequest), { uri: previewDocumentUri({ planId: plan.planId!, index, side, kind: e.kind, name: e.name, namespace: e.namespace }) });
          outputs.push([`${e.kind}/${e.name}/${side}`, doc.text]);
        }
      }
      outputs.push(['log', client.logs.join('\n')]);
      for (const [where, text] of outputs) assertClean(where, text);
      assert.ok(plan.entries.some((e) => e.action === 'error' && /outside the repository/.test(e.message ?? '')));
    } finally {
      await client.stop();
    }
  });
});
