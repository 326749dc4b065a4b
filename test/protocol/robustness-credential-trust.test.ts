/**
 * Workspace trust and approval of kubeconfig credential commands, over the
 * real LSP connection to the bundled server, against the real control
 * plane. The kubeconfig's user has no credential but an `exec` plugin (a
 * script that leaves a marker file and prints the tool's token), with a
 * `; touch` argument for good measure. Untrusted: no approval question, no
 * process, no request in the audit log. Trusted but not approved: the user
 * is asked with the exact command line, nothing runs, the status says
 * "needs approval". Approved: the plugin runs once and the cluster answers.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { ApproveCredentialsRequest, type ApproveCredentialsParams } from '../../server/src/protocol/protocol.js';
import { NO_TEST_CLUSTER_REASON, testCluster } from '../support/control-plane.js';
import { ensureBundle, LspTestClient } from './lsp-test-client.js';
import { lspRequest } from '../../server/src/lsp/lsp-messages.js';

const cluster = testCluster();
const NS = `robust-trust-${randomBytes(3).toString('hex')}`;

describe('credential commands: trust and approval over LSP', { skip: cluster ? false : NO_TEST_CLUSTER_REASON }, () => {
  let dir: string;
  let kubeconfig: string;
  let plugin: string;
  let marker: string;
  let uri: string;
  const text = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: trusted-cm\n  namespace: ${NS}\ndata:\n  k: v\n`;

  before(async () => {
    ensureBundle();
    dir = mkdtempSync(join(tmpdir(), 'gitops-lens-trust-'));
    marker = join(dir, 'plugin-ran');
    plugin = join(dir, 'credential-plugin.sh');
    writeFileSync(plugin, `#!/bin/sh\necho run >> ${marker}\necho '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"${cluster!.tokens.tool}"}}'\n`);
    chmodSync(plugin, 0o755);
    kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        'current-context: exec',
        'clusters:',
        '- name: c',
        '  cluster:',
        `    server: ${cluster!.server}`,
        `    certificate-authority-data: ${Buffer.from(cluster!.caPem).toString('base64')}`,
        'users:',
        '- name: exec-user',
        '  user:',
        '    exec:',
        '      apiVersion: client.authentication.k8s.io/v1',
        `      command: ${plugin}`,
        `      args: ["--cluster", "; touch ${marker}-shell"]`,
        '      interactiveMode: Never',
        'contexts:',
        '- name: exec',
        '  context: {cluster: c, user: exec-user}',
        '',
      ].join('\n'),
    );
    const file = join(dir, 'cm.yaml');
    writeFileSync(file, text);
    uri = pathToFileURL(file).href;
    const r = await cluster!.kubectl(['create', 'namespace', NS]);
    assert.equal(r.code, 0, r.stderr);
    await cluster!.kubectl(['apply', '-f', '-'], { input: text });
  });

  after(async () => {
    await cluster?.kubectl(['delete', 'namespace', NS, '--wait=false']);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('untrusted: no question, no process, no request', async () => {
    const since = Date.now();
    const { client } = await LspTestClient.start({ folders: [dir], trusted: false, settings: { kubeconfig, context: 'exec', validation: { debounceMs: 0 } } });
    const asked: ApproveCredentialsParams[] = [];
    client.connection.onRequest(lspRequest(ApproveCredentialsRequest), (p) => (asked.push(p), { approved: true }));
    try {
      await client.open(uri, text);
      await client.diagnosticsFor(uri, 1, 20_000);
      // A full round trip after validation: anything the open triggered has been scheduled by now.
      await client.stats();
      await client.hover(uri, 3, 3);
      assert.deepEqual(asked, [], 'no approval question in an untrusted workspace');
      assert.equal(existsSync(marker), false, 'the exec plugin did not run');
      assert.equal(existsSync(`${marker}-shell`), false);
      assert.equal(client.diagnostics.get(uri)?.diagnostics.some((d) => d.source === 'gitops-lens-drift'), false);
    } finally {
      assert.equal(await client.stop(), 0);
    }
    const events = await cluster!.auditEvents({ sinceMs: since });
    assert.deepEqual(events.filter((e) => e.requestURI.includes(NS)).map((e) => `${e.user} ${e.verb} ${e.requestURI}`), [], 'no request for this workspace');
  });

  it('trusted but not approved: asked with the exact command line, nothing runs, status "needs approval"', async () => {
    const { client } = await LspTestClient.start({ folders: [dir], trusted: true, settings: { kubeconfig, context: 'exec', validation: { debounceMs: 0 } } });
    const asked: ApproveCredentialsParams[] = [];
    client.connection.onRequest(lspRequest(ApproveCredentialsRequest), (p) => (asked.push(p), { approved: false }));
    try {
      await client.open(uri, text);
      await client.waitFor(() => asked.length > 0 || undefined, 'the approval question', 20_000);
      assert.equal(asked[0]!.command, plugin);
      assert.deepEqual(asked[0]!.args, ['--cluster', `; touch ${marker}-shell`]);
      assert.equal(asked[0]!.kind, 'exec');
      assert.equal(asked[0]!.context, 'exec');
      const status = await client.waitFor(() => client.statuses.find((s) => JSON.stringify(s).includes('needs-approval')), 'needs-approval status', 20_000);
      assert.ok(status);
      assert.equal(existsSync(marker), false, 'the plugin did not run');
    } finally {
      assert.equal(await client.stop(), 0);
    }
  });

  it('approved: the plugin runs without a shell and the cluster answers', async () => {
    const since = Date.now();
    const { client } = await LspTestClient.start({ folders: [dir], trusted: true, settings: { kubeconfig, context: 'exec', validation: { debounceMs: 0 } } });
    client.connection.onRequest(lspRequest(ApproveCredentialsRequest), () => ({ approved: true }));
    try {
      await client.open(uri, text);
      await client.waitFor(() => client.statuses.find((s) => JSON.stringify(s).includes('"connected"')), 'connected', 30_000);
      assert.ok(existsSync(marker), 'the approved plugin ran');
      assert.equal(existsSync(`${marker}-shell`), false, 'its "; touch" argument was not run by a shell');
      const events = await cluster!.waitForAuditEvents({ user: cluster!.users.tool, sinceMs: since, predicate: (e) => e.requestURI.includes(NS) });
      assert.ok(events.length > 0, 'the plugin token reached the API server');
      assert.ok(events.every((e) => ['get', 'list', 'watch'].includes(e.verb)), 'read-only');
    } finally {
      assert.equal(await client.stop(), 0);
    }
  });
});
