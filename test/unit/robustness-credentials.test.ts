/**
 * Credential commands under hostile conditions, with real processes (no
 * mocks of child_process): an exec plugin that hangs is killed (with its
 * children) after the timeout and reported; one that exits non-zero shows
 * its error with tokens redacted; shell metacharacters in exec args or an
 * auth-provider's cmd-path/cmd-args are never interpreted by a shell
 * (proven by a `; touch FILE` that creates no file); nothing runs before
 * approval or in an untrusted workspace.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  ExecCredentialError,
  runAuthProviderCommand,
  runExecPlugin,
  type CredentialContext,
  type ExecApprovalRequest,
} from '../../server/src/cluster/exec-credential.js';
import { loadKubeconfig, transportOptionsFor } from '../../server/src/cluster/kubeconfig.js';
import { until } from '../support/wait.ts';

const dir = mkdtempSync(join(tmpdir(), 'gitops-lens-cred-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function script(name: string, body: string): string {
  const p = join(dir, name);
  writeFileSync(p, `#!/bin/sh\n${body}\n`);
  chmodSync(p, 0o755);
  return p;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const ctx = (over: Partial<CredentialContext> = {}): CredentialContext => ({
  kubeconfigPath: join(dir, 'kubeconfig'),
  context: 'ctx',
  trusted: true,
  approve: async () => true,
  timeoutMs: 10_000,
  ...over,
});

describe('exec credential plugins', () => {
  test('a plugin that hangs is killed after the timeout, with the processes it started, and reported', async () => {
    const pids = join(dir, 'hang.pids');
    // The plugin starts a child that would keep stdout open forever, like a stuck browser login helper.
    const cmd = script('hang.sh', `sleep 300 &\necho "$$ $!" > ${pids}\nwait`);
    const started = Date.now();
    await assert.rejects(
      runExecPlugin({ command: cmd }, ctx({ timeoutMs: 500 })),
      (e: ExecCredentialError) => e.reason === 'Timeout' && /did not finish within 1 s and was stopped/.test(e.message) && e.message.includes(cmd),
    );
    assert.ok(Date.now() - started < 5000, 'the timeout fired');
    const [shPid, sleepPid] = readFileSync(pids, 'utf8').trim().split(' ').map(Number);
    await until('plugin and its child are gone', () => !alive(shPid) && !alive(sleepPid));
  });

  test('a plugin that exits non-zero shows its error, with tokens redacted', async () => {
    const secret = 'sha256~Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5';
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJlLXZhbHVl';
    const cmd = script(
      'fail.sh',
      [
        `echo '{"kind":"ExecCredential","status":{"token":"${secret}"}}'`,
        `echo "error: refresh failed for token=${secret}" >&2`,
        `echo "Authorization: Bearer ${secret}" >&2`,
        `echo "id_token: ${jwt}" >&2`,
        `echo '{"access_token": "${secret}"}' >&2`,
        'echo "please run: mycloud login" >&2',
        'exit 3',
      ].join('\n'),
    );
    await assert.rejects(runExecPlugin({ command: cmd }, ctx()), (e: ExecCredentialError) => {
      assert.equal(e.reason, 'Failed');
      assert.match(e.message, /exit code 3/);
      assert.match(e.message, /please run: mycloud login/, 'the actionable part of stderr is shown');
      assert.ok(!e.message.includes(secret), `token leaked: ${e.message}`);
      assert.ok(!e.message.includes(jwt), `JWT leaked: ${e.message}`);
      assert.ok(!e.message.includes('Zm9vYmFyYmF6'), 'not even part of the token');
      return true;
    });
  });

  test('exec args with shell metacharacters are passed literally, never to a shell', async () => {
    const marker = join(dir, 'exec-pwned');
    const cmd = script('echo-args.sh', 'printf "%s\\n" "$@" > "$ARGS_OUT"\necho \'{"kind":"ExecCredential","status":{"token":"t0k3n-abc"}}\'');
    const argsOut = join(dir, 'args.out');
    const args = [`; touch ${marker}`, `$(touch ${marker})`, `\`touch ${marker}\``, `&& touch ${marker}`, `| touch ${marker}`];
    const r = await runExecPlugin({ command: cmd, args, env: [{ name: 'ARGS_OUT', value: argsOut }] }, ctx());
    assert.equal(r.token, 't0k3n-abc');
    assert.equal(existsSync(marker), false, 'no shell interpreted the arguments');
    assert.deepEqual(readFileSync(argsOut, 'utf8').trimEnd().split('\n'), args, 'the plugin received each argument verbatim');
  });

  test('a command path with metacharacters is not run through a shell', async () => {
    const marker = join(dir, 'cmd-pwned');
    await assert.rejects(runExecPlugin({ command: `true; touch ${marker}` }, ctx()), (e: ExecCredentialError) => e.reason === 'Failed');
    assert.equal(existsSync(marker), false);
  });

  test('auth-provider cmd-path/cmd-args with metacharacters never reach a shell', async () => {
    const marker = join(dir, 'authprovider-pwned');
    const requests: ExecApprovalRequest[] = [];
    await assert.rejects(
      runAuthProviderCommand(
        { 'cmd-path': '/bin/echo', 'cmd-args': `{"access_token":"x"}; touch ${marker} && touch ${marker}2 $(touch ${marker}3)` },
        ctx({ approve: async (r) => (requests.push(r), true) }),
      ),
      (e: ExecCredentialError) => e.reason === 'InvalidOutput',
    );
    for (const suffix of ['', '2', '3']) assert.equal(existsSync(marker + suffix), false, `no file ${marker}${suffix}`);
    assert.equal(requests[0].kind, 'auth-provider');
    assert.equal(requests[0].command, '/bin/echo');
    assert.ok(requests[0].args.includes(';') || requests[0].args.some((a) => a.includes(';')), 'the user approves the exact argument list');
  });

  test('nothing runs before approval, and nothing runs (not even the question) in an untrusted workspace', async () => {
    const marker = join(dir, 'ran');
    const cmd = script('touch.sh', `touch ${marker}\necho '{"kind":"ExecCredential","status":{"token":"x"}}'`);
    const asked: ExecApprovalRequest[] = [];
    await assert.rejects(
      runExecPlugin({ command: cmd, args: ['--flag'] }, ctx({ approve: async (r) => (asked.push(r), false) })),
      (e: ExecCredentialError) => e.reason === 'NotApproved' && /not approved/.test(e.message),
    );
    assert.deepEqual(asked, [{ kubeconfigPath: join(dir, 'kubeconfig'), context: 'ctx', command: cmd, args: ['--flag'], kind: 'exec' }]);
    assert.equal(existsSync(marker), false);
    // An approval callback that throws counts as "no".
    await assert.rejects(runExecPlugin({ command: cmd }, ctx({ approve: async () => { throw new Error('dialog closed'); } })), (e: ExecCredentialError) => e.reason === 'NotApproved');
    let askedUntrusted = false;
    await assert.rejects(
      runExecPlugin({ command: cmd }, ctx({ trusted: false, approve: async () => (askedUntrusted = true) })),
      (e: ExecCredentialError) => e.reason === 'Untrusted',
    );
    assert.equal(askedUntrusted, false, 'an untrusted workspace is not even asked');
    assert.equal(existsSync(marker), false);
  });

  test('a kubeconfig exec user in an untrusted workspace: transportOptionsFor refuses without running anything', async () => {
    const marker = join(dir, 'kc-ran');
    const cmd = script('kc.sh', `touch ${marker}\necho '{"kind":"ExecCredential","status":{"token":"x"}}'`);
    const kc = join(dir, 'exec-kubeconfig');
    writeFileSync(
      kc,
      `apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: c\n  cluster: {server: "https://127.0.0.1:1"}\nusers:\n- name: u\n  user:\n    exec: {apiVersion: client.authentication.k8s.io/v1, command: "${cmd}", args: ["; touch ${marker}"]}\ncontexts:\n- name: c\n  context: {cluster: c, user: u}\n`,
    );
    const rc = loadKubeconfig([kc]).resolve();
    await assert.rejects(transportOptionsFor(rc, { trusted: false, approve: async () => true }), (e: ExecCredentialError) => e.reason === 'Untrusted');
    await assert.rejects(transportOptionsFor(rc, { trusted: true, approve: async () => false }), (e: ExecCredentialError) => e.reason === 'NotApproved');
    assert.equal(existsSync(marker), false);
  });
});

describe('credential files outside the usual places, sent to a remote server', () => {
  const elsewhere = mkdtempSync(join(tmpdir(), 'gitops-lens-elsewhere-'));
  after(() => rmSync(elsewhere, { recursive: true, force: true }));

  /** A kubeconfig in its own folder whose tokenFile (and optionally client key) lives in `tokenDir`. */
  function kubeconfigWith(server: string, tokenPath: string): string {
    const kdir = mkdtempSync(join(dir, 'kc-'));
    const kc = join(kdir, 'config');
    writeFileSync(
      kc,
      `apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: c\n  cluster: {server: "${server}", insecure-skip-tls-verify: true}\nusers:\n- name: u\n  user: {token-file: "${tokenPath}"}\ncontexts:\n- name: c\n  context: {cluster: c, user: u}\n`,
    );
    return kc;
  }

  test('a tokenFile outside the usual folders aimed at a remote server needs consent; refused: no transport, no token', async () => {
    const stolen = join(elsewhere, 'cloud-credentials');
    writeFileSync(stolen, 'not-a-kube-token-but-a-cloud-secret\n');
    const rc = loadKubeconfig([kubeconfigWith('https://198.51.100.7:6443', stolen)]).resolve();
    const asked: ExecApprovalRequest[] = [];
    await assert.rejects(
      transportOptionsFor(rc, { trusted: true, approve: async (r) => (asked.push(r), false) }),
      (e: ExecCredentialError) => e.reason === 'NotApproved' && e.message.includes(stolen) && e.message.includes('198.51.100.7') && !e.message.includes('cloud-secret'),
    );
    assert.equal(asked.length, 1);
    assert.equal(asked[0].kind, 'credential-files');
    assert.equal(asked[0].command, 'https://198.51.100.7:6443');
    assert.deepEqual(asked[0].args, [stolen]);
    // Untrusted: not even asked.
    let askedUntrusted = false;
    await assert.rejects(transportOptionsFor(rc, { trusted: false, approve: async () => (askedUntrusted = true) }), (e: ExecCredentialError) => e.reason === 'Untrusted');
    assert.equal(askedUntrusted, false);
    // Approved: used.
    const opts = await transportOptionsFor(rc, { trusted: true, approve: async () => true });
    assert.equal(typeof opts.token, 'function');
    assert.equal(await (opts.token as (r: boolean) => Promise<string>)(false), 'not-a-kube-token-but-a-cloud-secret');
  });

  test('no question for the usual cases: files next to the kubeconfig, or a server on this machine', async () => {
    const kdir = mkdtempSync(join(dir, 'kc-near-'));
    writeFileSync(join(kdir, 'token'), 'near-token\n');
    const kc = join(kdir, 'config');
    writeFileSync(kc, `apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: c\n  cluster: {server: "https://203.0.113.9:6443"}\nusers:\n- name: u\n  user: {token-file: token}\ncontexts:\n- name: c\n  context: {cluster: c, user: u}\n`);
    const never = async () => {
      throw new Error('must not ask');
    };
    const near = await transportOptionsFor(loadKubeconfig([kc]).resolve(), { trusted: true, approve: never });
    assert.equal(await (near.token as (r: boolean) => Promise<string>)(false), 'near-token');
    const far = join(elsewhere, 'local-token');
    writeFileSync(far, 'local\n');
    const local = await transportOptionsFor(loadKubeconfig([kubeconfigWith('https://127.0.0.1:6443', far)]).resolve(), { trusted: true, approve: never });
    assert.equal(await (local.token as (r: boolean) => Promise<string>)(false), 'local');
  });
});
