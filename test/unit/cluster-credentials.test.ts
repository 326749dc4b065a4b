/**
 * Kubeconfig loading and credential commands: approval gate, untrusted
 * workspaces, no shell, timeouts and redacted errors. The plugins are tiny
 * node scripts in test/fixtures/drift/exec.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { approvalKey, runAuthProviderCommand, runExecPlugin, type ExecApprovalRequest } from '../../server/src/cluster/exec-credential.js';
import { kubeconfigPaths, loadKubeconfig, transportOptionsFor } from '../../server/src/cluster/kubeconfig.js';

const execDir = path.resolve(import.meta.dirname, '../fixtures/drift/exec');
const node = process.execPath;

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-lens-cred-'));
}

test('an exec plugin runs only after approval, and with the exact request', async () => {
  const asked: ExecApprovalRequest[] = [];
  const ctx = { kubeconfigPath: '/k/config', context: 'prod', trusted: true, approve: async (r: ExecApprovalRequest) => (asked.push(r), false) };
  const record = path.join(tmp(), 'argv.json');
  const exec = { command: node, args: [path.join(execDir, 'good-plugin.mjs')], env: [{ name: 'DRIFT_EXEC_RECORD', value: record }] };
  await assert.rejects(runExecPlugin(exec, ctx), (e: any) => e.reason === 'NotApproved' && /was not approved/.test(e.message));
  assert.equal(fs.existsSync(record), false, 'nothing ran before approval');
  // The plugin's env is part of what the user approves (issue 18, finding 7).
  assert.deepEqual(asked.map(({ envDigest, ...r }) => (assert.match(envDigest ?? '', /^sha256:/), r)), [
    { kubeconfigPath: '/k/config', context: 'prod', command: node, args: exec.args, kind: 'exec', env: exec.env },
  ]);
  assert.equal(typeof approvalKey(asked[0]), 'string');
  const cred = await runExecPlugin(exec, { ...ctx, approve: async () => true });
  assert.equal(cred.token, 'exec-token-0123456789');
  assert.ok(fs.existsSync(record));
});

test('nothing runs in an untrusted workspace, even if approval would say yes', async () => {
  const record = path.join(tmp(), 'argv.json');
  let asked = 0;
  const exec = { command: node, args: [path.join(execDir, 'good-plugin.mjs')], env: [{ name: 'DRIFT_EXEC_RECORD', value: record }] };
  await assert.rejects(runExecPlugin(exec, { kubeconfigPath: '/k', context: 'c', trusted: false, approve: async () => (asked++, true) }), (e: any) => e.reason === 'Untrusted');
  assert.equal(asked, 0);
  assert.equal(fs.existsSync(record), false);
});

test('arguments with shell metacharacters are passed literally, never to a shell', async () => {
  const dir = tmp();
  const record = path.join(dir, 'argv.json');
  const pwned = path.join(dir, 'pwned');
  const args = [path.join(execDir, 'good-plugin.mjs'), `; touch ${pwned}`, `$(touch ${pwned})`, `| touch ${pwned}`, '`id`'];
  await runExecPlugin({ command: node, args, env: [{ name: 'DRIFT_EXEC_RECORD', value: record }] }, { kubeconfigPath: '/k', context: 'c', trusted: true, approve: async () => true });
  assert.deepEqual(JSON.parse(fs.readFileSync(record, 'utf8')), args.slice(1));
  assert.equal(fs.existsSync(pwned), false);
  // auth-provider cmd-args are split on whitespace like kubectl, still without a shell.
  const out = await runAuthProviderCommand(
    { 'cmd-path': node, 'cmd-args': `${path.join(execDir, 'good-plugin.mjs')} ;touch${'\u0020'}${pwned}`, 'token-key': '{.status.token}' },
    { kubeconfigPath: '/k', context: 'c', trusted: true, approve: async () => true },
  );
  assert.equal(out.token, 'exec-token-0123456789');
  assert.equal(fs.existsSync(pwned), false);
});

test('a hanging plugin is killed after the timeout with a clear error', async () => {
  const started = Date.now();
  await assert.rejects(
    runExecPlugin({ command: node, args: [path.join(execDir, 'hanging-plugin.mjs')] }, { kubeconfigPath: '/k', context: 'c', trusted: true, approve: async () => true, timeoutMs: 500 }),
    (e: any) => e.reason === 'Timeout' && /did not finish within 1 s and was stopped/.test(e.message),
  );
  assert.ok(Date.now() - started < 5000);
});

test('a failing plugin reports its stderr with tokens redacted', async () => {
  await assert.rejects(
    runExecPlugin({ command: node, args: [path.join(execDir, 'failing-plugin.mjs')] }, { kubeconfigPath: '/k', context: 'c', trusted: true, approve: async () => true }),
    (e: any) => {
      assert.equal(e.reason, 'Failed');
      assert.match(e.message, /exit code 3/);
      assert.match(e.message, /login failed/);
      assert.ok(!e.message.includes('leaked-bearer-token-abcdef123456'), e.message);
      assert.ok(!e.message.includes('leaked-token-field-987654'), e.message);
      return true;
    },
  );
});

test('kubeconfig: KUBECONFIG list merges first-wins, paths are absolute, token files are read only when connecting', async () => {
  const dir = tmp();
  fs.writeFileSync(path.join(dir, 'ca.crt'), '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
  const a = path.join(dir, 'a.yaml');
  const b = path.join(dir, 'b.yaml');
  fs.writeFileSync(
    a,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': 'one',
      clusters: [{ name: 'c1', cluster: { server: 'https://one.example:6443', 'certificate-authority': 'ca.crt' } }],
      users: [{ name: 'u1', user: { 'token-file': 'token.txt' } }],
      contexts: [{ name: 'one', context: { cluster: 'c1', user: 'u1', namespace: 'apps' } }],
    }),
  );
  fs.writeFileSync(
    b,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': 'two',
      clusters: [{ name: 'c1', cluster: { server: 'https://shadowed.example' } }, { name: 'c2', cluster: { server: 'https://two.example' } }],
      users: [{ name: 'u2', user: { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: node, args: [path.join(execDir, 'good-plugin.mjs')] } } }],
      contexts: [{ name: 'two', context: { cluster: 'c2', user: 'u2' } }],
    }),
  );
  assert.deepEqual(kubeconfigPaths(undefined, { KUBECONFIG: `${a}${path.delimiter}${b}` }), [a, b]);
  assert.deepEqual(kubeconfigPaths('/x/y', { KUBECONFIG: a }), ['/x/y']);
  assert.deepEqual(kubeconfigPaths(undefined, {}, '/home/u'), ['/home/u/.kube/config']);
  // The token file doesn't exist yet: loading must not read it.
  const kc = loadKubeconfig([a, b]);
  assert.equal(kc.currentContext, 'one');
  assert.deepEqual(kc.contexts, ['one', 'two']);
  const one = kc.resolve();
  assert.equal(one.server, 'https://one.example:6443');
  assert.equal(one.caFile, path.join(dir, 'ca.crt'));
  assert.match(one.ca ?? '', /BEGIN CERTIFICATE/);
  assert.equal(one.tokenFile, path.join(dir, 'token.txt'));
  assert.equal(one.namespace, 'apps');
  fs.writeFileSync(path.join(dir, 'token.txt'), 'file-token\n');
  const opts = await transportOptionsFor(one, { trusted: true, approve: async () => false });
  assert.equal(typeof opts.token === 'function' ? await opts.token(false) : opts.token, 'file-token');
  const two = kc.resolve('two');
  assert.equal(two.kubeconfigPath, b);
  assert.ok(two.exec);
  await assert.rejects(transportOptionsFor(two, { trusted: false, approve: async () => true }), (e: any) => e.reason === 'Untrusted');
  await assert.rejects(transportOptionsFor(two, { trusted: true, approve: async () => false }), (e: any) => e.reason === 'NotApproved');
  assert.throws(() => kc.resolve('nope'), /no context named "nope"/);
  assert.throws(() => loadKubeconfig([path.join(dir, 'missing')]), /No kubeconfig could be read/);
});
