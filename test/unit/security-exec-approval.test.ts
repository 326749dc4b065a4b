/**
 * Issue 18, finding 7: a kubeconfig exec plugin's `env` is shown in the approval prompt
 * (names and values; values of secret-looking names masked) and is part of the approval key,
 * so an approved `/bin/cat token.json` cannot later run with `LD_PRELOAD` added without a new
 * question. The prompt names the kubeconfig user (it printed an empty `user` line). Real
 * processes, no mocks; the prompt text is built by the client's pure helper.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { approvalKey, runExecPlugin, type ExecApprovalRequest } from '../../server/src/cluster/exec-credential.js';
import { loadKubeconfig, transportOptionsFor } from '../../server/src/cluster/kubeconfig.js';
import { credentialApprovalKey } from '../../server/src/protocol/protocol.js';
import { approvalPrompt } from '../../client/src/credential-approval-text.js';

const dir = mkdtempSync(join(tmpdir(), 'gitops-lens-exec-env-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const SECRET_VALUE = 'exec-env-secret-7f3a9c2e1b';

function plugin(): string {
  const p = join(dir, 'plugin.sh');
  writeFileSync(p, `#!/bin/sh\necho '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"tok-exec-env"}}'\n`);
  chmodSync(p, 0o755);
  return p;
}

function kubeconfig(env: Array<{ name: string; value: string }>): string {
  const file = join(dir, `kubeconfig-${env.length}`);
  writeFileSync(
    file,
    `apiVersion: v1
kind: Config
current-context: c
clusters:
- name: k
  cluster: { server: "https://127.0.0.1:6443" }
users:
- name: alice@example
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: ${plugin()}
      args: ["token.json"]
      env: ${JSON.stringify(env)}
contexts:
- name: c
  context: { cluster: k, user: alice@example }
`,
  );
  return file;
}

async function askedFor(env: Array<{ name: string; value: string }>): Promise<ExecApprovalRequest> {
  const asked: ExecApprovalRequest[] = [];
  const opts = await transportOptionsFor(loadKubeconfig([kubeconfig(env)]).resolve(), { trusted: true, approve: async (r) => (asked.push(r), true) });
  if (typeof opts.token === 'function') await opts.token(false);
  assert.equal(asked.length, 1);
  return asked[0];
}

test('the approval request carries the user and the env, secret-looking values masked', async () => {
  const r = await askedFor([
    { name: 'LD_PRELOAD', value: '/tmp/evil.so' },
    { name: 'AWS_SECRET_ACCESS_KEY', value: SECRET_VALUE },
  ]);
  assert.equal(r.user, 'alice@example');
  assert.deepEqual(r.env, [
    { name: 'LD_PRELOAD', value: '/tmp/evil.so' },
    { name: 'AWS_SECRET_ACCESS_KEY', value: '***' },
  ]);
  assert.ok(!JSON.stringify(r).includes(SECRET_VALUE), 'no secret value goes to the client');
  const prompt = approvalPrompt(r);
  assert.match(prompt.detail, /user "alice@example"/);
  assert.match(prompt.detail, /LD_PRELOAD=\/tmp\/evil\.so/);
  assert.match(prompt.detail, /AWS_SECRET_ACCESS_KEY=\*\*\*/);
  assert.ok(!prompt.detail.includes(SECRET_VALUE));
});

test('env is part of the approval key: adding LD_PRELOAD or changing a value asks again', async () => {
  const plain = await askedFor([]);
  const preload = await askedFor([{ name: 'LD_PRELOAD', value: '/tmp/evil.so' }]);
  const preload2 = await askedFor([{ name: 'LD_PRELOAD', value: '/tmp/other.so' }]);
  const keys = new Set([plain, preload, preload2].map(approvalKey));
  assert.equal(keys.size, 3);
  // The client's key (remembered in globalState) is the same formula and holds no secret value.
  for (const r of [plain, preload, preload2]) assert.equal(credentialApprovalKey(r), approvalKey(r));
  const secret = await askedFor([{ name: 'API_TOKEN', value: SECRET_VALUE }]);
  assert.ok(!approvalKey(secret).includes(SECRET_VALUE));
});

test('an approval remembered for one env does not run the plugin with another', async () => {
  const remembered = new Set<string>();
  const approve = async (r: ExecApprovalRequest) => remembered.has(approvalKey(r));
  const first = await askedFor([]);
  remembered.add(approvalKey(first));
  const marker = join(dir, 'ran-with-preload');
  const cmd = join(dir, 'marker.sh');
  writeFileSync(cmd, `#!/bin/sh\n[ -n "$LD_PRELOAD_MARK" ] && touch ${marker}\necho '{"status":{"token":"t"}}'\n`);
  chmodSync(cmd, 0o755);
  const ctx = { kubeconfigPath: first.kubeconfigPath, context: 'c', trusted: true, approve };
  await assert.rejects(runExecPlugin({ command: first.command, args: first.args, env: [{ name: 'LD_PRELOAD_MARK', value: '1' }] }, ctx), /not approved/);
  assert.equal(existsSync(marker), false);
});

test('the prompt has no empty user line when the kubeconfig user is unknown', () => {
  const p = approvalPrompt({ kubeconfigPath: '/k', context: 'c', command: '/bin/x', args: [], kind: 'exec' });
  assert.doesNotMatch(p.detail, /user\s+gets|user ""/);
});
