/**
 * `gitops-lens drift` against the real control plane: exit codes 0/1/2,
 * text and JSON output with the manager, no Secret value in any output, and
 * "no access" as an error (drift could not be determined).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { NO_TEST_CLUSTER_REASON, testCluster } from '../support/control-plane.js';
import { kubectlAsAdmin, runDriftCli } from '../support/drift-cli-helpers.js';

const cp = testCluster();
const skip = cp ? false : NO_TEST_CLUSTER_REASON;
const NS = `drift-cli-${randomBytes(3).toString('hex')}`;
const MARKER = `CLI-SECRET-MARKER-${randomBytes(4).toString('hex')}`;

const admin = (args: string[], input?: string): Promise<void> => kubectlAsAdmin(cp!, args, input);

const cli = (args: string[], cwd: string) => runDriftCli(cp!, args, cwd);

describe('gitops-lens drift (CLI)', { skip }, () => {
  const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-lens-drift-cli-'));
  const manifest = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cli-cm\n  namespace: ${NS}\ndata:\n  color: blue\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: cli-secret\n  namespace: ${NS}\ntype: Opaque\nstringData:\n  token: desired-${MARKER}\n`;
  before(async () => {
    fs.mkdirSync(path.join(repo, 'apps'));
    fs.writeFileSync(path.join(repo, 'apps', 'app.yaml'), manifest);
    await admin(['create', 'namespace', NS]);
    await admin(['apply', '--server-side', '--field-manager=kustomize-controller', '-f', '-'], manifest);
  });
  after(async () => {
    await cp?.kubectl(['delete', 'namespace', NS, '--wait=false'], { context: 'admin' });
  });

  test('exit 0 without drift, 1 with drift (text and JSON), secrets masked', async () => {
    const clean = await cli(['apps', '--context', 'tool'], repo);
    assert.equal(clean.code, 0, clean.stderr + clean.stdout);
    assert.match(clean.stdout, /No drift in 1 file/);
    await admin(['patch', 'configmap', 'cli-cm', '-n', NS, '--type=merge', '--field-manager=kubectl-edit', '-p', '{"data":{"color":"red"}}']);
    await admin(['patch', 'secret', 'cli-secret', '-n', NS, '--type=merge', '--field-manager=kubectl-edit', '-p', JSON.stringify({ data: { token: Buffer.from(`live-${MARKER}`).toString('base64') } })]);
    const text = await cli(['apps', '--context', 'tool'], repo);
    assert.equal(text.code, 1, text.stderr);
    assert.match(text.stdout, /apps\/app\.yaml:7:10: warning drift-value: live red, desired blue — changed by "kubectl-edit" at \d\d:\d\d/);
    assert.match(text.stdout, /apps\/app\.yaml:16:10: warning drift-value: live \*\*\* \(differs\), desired \*\*\* — changed by "kubectl-edit"/);
    const json = await cli(['apps', '--context', 'tool', '--output', 'json'], repo);
    assert.equal(json.code, 1);
    const parsed = JSON.parse(json.stdout);
    assert.equal(parsed.drift, true);
    assert.equal(parsed.files[0].findings.length, 2);
    for (const out of [text.stdout, text.stderr, json.stdout, json.stderr]) {
      assert.ok(!out.includes(MARKER), 'no Secret value in CLI output');
      assert.ok(!out.includes(Buffer.from(`live-${MARKER}`).toString('base64')));
    }
  });

  test('an exec credential plugin runs only with --allow-exec', async () => {
    const plugin = path.resolve(import.meta.dirname, '../fixtures/drift/exec/good-plugin.mjs');
    const kubeconfig = path.join(repo, 'exec-kubeconfig.yaml');
    const record = path.join(repo, 'exec-ran.json');
    fs.writeFileSync(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        'current-context': 'exec',
        clusters: [{ name: 'cp', cluster: { server: cp!.server, 'certificate-authority-data': Buffer.from(cp!.caPem).toString('base64') } }],
        users: [{ name: 'exec-user', user: { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: process.execPath, args: [plugin], env: [{ name: 'DRIFT_EXEC_TOKEN', value: cp!.tokens.tool }, { name: 'DRIFT_EXEC_RECORD', value: record }], interactiveMode: 'Never' } } }],
        contexts: [{ name: 'exec', context: { cluster: 'cp', user: 'exec-user' } }],
      }),
    );
    const denied = await cli(['apps', '--kubeconfig', kubeconfig], repo);
    assert.equal(denied.code, 2);
    assert.match(denied.stdout, /was not approved.*Pass --allow-exec/);
    assert.equal(fs.existsSync(record), false, 'the plugin did not run');
    const allowed = await cli(['apps', '--kubeconfig', kubeconfig, '--allow-exec'], repo);
    assert.equal(allowed.code, 1, allowed.stdout + allowed.stderr);
    assert.ok(fs.existsSync(record), 'the plugin ran');
    assert.match(allowed.stdout, /live red, desired blue/);
    assert.ok(!allowed.stdout.includes(cp!.tokens.tool) && !denied.stdout.includes(cp!.tokens.tool));
  });

  test('exit 2 for an unknown context and for no access', async () => {
    const unknown = await cli(['apps', '--context', 'nope'], repo);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stdout, /no context named "nope"/);
    const restricted = await cli(['apps', '--context', 'restricted'], repo);
    assert.equal(restricted.code, 2);
    assert.match(restricted.stdout, /drift-no-access: Drift unknown for ConfigMap .*: no access/);
    const usage = await cli([], repo);
    assert.equal(usage.code, 2);
  });
});
