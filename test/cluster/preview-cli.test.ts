/**
 * `gitops-lens preview` as a process against the real control plane: exit
 * code 0 with no changes, 1 with changes, 2 with errors; text and JSON
 * output; Secret values never printed.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { NO_TEST_CLUSTER_REASON, testCluster } from '../support/control-plane.js';

const cp = testCluster();
const skip = cp ? false : NO_TEST_CLUSTER_REASON;
const NS = 'preview-cli';
const MARKER = 'CLI-SECRET-MARKER';

function findUp(rel: string): string {
  for (let dir = process.cwd(); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, rel))) return path.join(dir, rel);
    if (path.dirname(dir) === dir) throw new Error(`${rel} not found above the working directory`);
  }
}
const root = path.dirname(findUp('package.json'));
const fixtures = path.join(root, 'test/fixtures/preview');

/** Runs the CLI entry point (TypeScript, through tsx) as its own process. */
function cli(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'server/src/cli/main.ts'), ...args], { cwd, env: { ...process.env, KUBECONFIG: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

async function setUp(): Promise<void> {
  // repo/invalid declares its object in preview-e2e (shared with preview-plan.test.ts); the
  // namespace must exist for the server to get as far as validating the object.
  for (const ns of [NS, 'preview-e2e']) {
    if ((await cp!.kubectl(['get', 'namespace', ns])).code !== 0) await cp!.kubectl(['create', 'namespace', ns]);
  }
  const r = await cp!.kubectl(['apply', '--server-side', '--field-manager=kustomize-controller', '--force-conflicts', '-f', '-'], {
    input: `apiVersion: v1
kind: ConfigMap
metadata: {name: cli-unchanged, namespace: ${NS}}
data: {mode: same}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cli-changed, namespace: ${NS}}
data: {mode: old}
---
apiVersion: v1
kind: Secret
metadata: {name: cli-secret, namespace: ${NS}}
stringData: {token: ${MARKER}-old}
`,
  });
  assert.equal(r.code, 0, r.stderr);
}

test('gitops-lens preview: exit codes 0 / 1 / 2, text and JSON, no Secret value printed', { skip, timeout: 120_000 }, async () => {
  await setUp();
  const common = ['--kubeconfig', cp!.kubeconfigPath, '--context', 'tool', '--root', fixtures];

  const same = await cli(['preview', 'cli/unchanged', ...common], fixtures);
  assert.equal(same.code, 0, same.stderr);
  assert.match(same.stdout, /^Preview on context tool: 0 to create, 0 to update, 0 to prune, 1 unchanged, 0 errors$/m);
  assert.match(same.stdout, /^Unchanged: ConfigMap preview-cli\/cli-unchanged$/m);

  const changed = await cli(['preview', 'cli/changed', ...common], fixtures);
  assert.equal(changed.code, 1, changed.stderr);
  assert.match(changed.stdout, /^~ update ConfigMap preview-cli\/cli-changed  \[unbound\]  cli\/changed\/settings\.yaml:1$/m);
  assert.match(changed.stdout, /^  -  mode: old\n  \+  mode: new$/m);
  assert.match(changed.stdout, /^  -  token: "\*\*\* \(before\)"\n  \+  token: "\*\*\* \(after\)"$/m);
  const json = await cli(['preview', 'cli/changed', ...common, '--output', 'json'], fixtures);
  assert.equal(json.code, 1);
  const plan = JSON.parse(json.stdout);
  assert.deepEqual(plan.counts, { create: 0, update: 2, prune: 0, unchanged: 0, error: 0 });
  for (const out of [changed.stdout, changed.stderr, json.stdout, json.stderr]) {
    assert.ok(!out.includes(MARKER) && !out.includes(Buffer.from(`${MARKER}-new`).toString('base64')), 'a Secret value was printed');
  }

  const invalid = await cli(['preview', 'repo/invalid', ...common], fixtures);
  assert.equal(invalid.code, 2);
  assert.match(invalid.stdout, /^! error Deployment preview-e2e\/preview-invalid  \[unbound\]  repo\/invalid\/bad-deployment\.yaml:6$/m);

  const noCluster = await cli(['preview', 'cli/unchanged', '--kubeconfig', path.join(fixtures, 'does-not-exist.kubeconfig')], fixtures);
  assert.equal(noCluster.code, 2);
  assert.match(noCluster.stderr, /^gitops-lens preview: Cannot connect to the cluster: /);
});
