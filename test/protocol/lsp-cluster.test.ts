/**
 * Protocol tests of the cluster-aware wiring against the real test control
 * plane (test/support/control-plane.ts), over a real stdio LSP connection to
 * the bundled server: the connection status of the active file's binding,
 * a live edit becoming a drift diagnostic on the exact value (merged with
 * schema diagnostics), the combined hover, the drift quick fixes, and the
 * trust gate proven from the API server's audit log, and Preview Sync with
 * its read-only diff documents.
 *
 * Outside CI they skip when no control plane is available (npm test starts
 * one); in CI a missing control plane is a failure.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { CodeActionRequest, type CodeAction } from 'vscode-languageserver-protocol';
import {
  ActiveDocumentNotification,
  PreviewDocumentRequest,
  PreviewSyncRequest,
  previewDocumentUri,
} from '../../server/src/protocol/protocol.js';
import { webDeployment } from '../support/manifests.ts';
import { NO_TEST_CLUSTER_REASON, testCluster, type ControlPlane } from '../support/control-plane.js';
import { ensureBundle, LspTestClient, range } from './lsp-test-client.js';
import { lspNotification, lspRequest } from '../../server/src/lsp/lsp-messages.js';

const cluster: ControlPlane | undefined = testCluster();

const deployment = (ns: string) => webDeployment({ namespace: ns });

describe('cluster features over LSP (real control plane)', { skip: cluster ? false : NO_TEST_CLUSTER_REASON }, () => {
  const ns = `lsp-drift-${Date.now().toString(36)}`;
  let workspace: string;
  let uri: string;
  let settings: Record<string, unknown>;

  before(async () => {
    ensureBundle();
    const cp = cluster!;
    workspace = mkdtempSync(join(tmpdir(), 'gitops-lens-lsp-cluster-'));
    mkdirSync(join(workspace, 'apps', 'web'), { recursive: true });
    const file = join(workspace, 'apps', 'web', 'deployment.yaml');
    writeFileSync(file, deployment(ns));
    uri = pathToFileURL(file).href;
    settings = { kubeconfig: cp.kubeconfigPath, context: 'tool', validation: { debounceMs: 20 } };
    const created = await cp.kubectl(['create', 'namespace', ns]);
    assert.equal(created.code, 0, created.stderr);
    // Applied the way Flux's kustomize-controller does it.
    const applied = await cp.kubectl(['apply', '--server-side', '--field-manager=kustomize-controller', '-f', file]);
    assert.equal(applied.code, 0, applied.stderr);
  });

  after(async () => {
    await cluster?.kubectl(['delete', 'namespace', ns, '--wait=false']);
    if (workspace) rmSync(workspace, { recursive: true, force: true });
  });

  it('sends no request to the cluster while the folder is untrusted', async () => {
    const cp = cluster!;
    const sinceMs = Date.now();
    const { client } = await LspTestClient.start({ folders: [workspace], trusted: false, settings });
    try {
      await client.open(uri, deployment(ns));
      await client.connection.sendNotification(lspNotification(ActiveDocumentNotification), { uri });
      const diagnostics = await client.diagnosticsFor(uri, 1);
      assert.deepEqual(diagnostics.filter((d) => d.source === 'gitops-lens-drift'), []);
      assert.deepEqual(client.statuses.at(-1)?.state, {
        kind: 'disabled',
        reason: 'Cluster features are off until the folder is trusted. Validation keeps working.',
      });
    } finally {
      await client.stop();
    }
    // Give the audit log time to show a late request, if there were one.
    const events = await cp.waitForAuditEvents({ user: cp.users.tool, sinceMs, predicate: () => true }, 2_000);
    assert.deepEqual(events.map((e) => `${e.verb} ${e.requestURI}`), [], 'no request from the tool identity');
  });

  it('shows the binding, then a live edit as drift on the exact value, with hover and quick fixes', async () => {
    const cp = cluster!;
    const sinceMs = Date.now();
    const { client } = await LspTestClient.start({ folders: [workspace], trusted: true, settings });
    try {
      await client.open(uri, deployment(ns));
      await client.connection.sendNotification(lspNotification(ActiveDocumentNotification), { uri });
      const status = await client.waitFor(
        () => client.statuses.find((s) => s.state.kind === 'connected' && s.uri === uri),
        'a connected status for the active file',
        30_000,
      );
      assert.equal(status.binding?.context, 'tool');
      assert.equal(status.binding?.origin, 'current-context');

      const patched = await cp.kubectl(['patch', 'deployment', 'web', '-n', ns, '--type=merge', '-p', '{"spec":{"replicas":5}}', '--field-manager=kubectl-edit']);
      assert.equal(patched.code, 0, patched.stderr);
      // Drift is published at once and completed with the manager when its managedFields arrive.
      const drift = await client.waitForDrift(uri, /kubectl-edit/, 'a drift diagnostic on replicas naming the manager');
      assert.deepEqual(drift.range, range(6, 12, 6, 13));
      assert.match(String(drift.message), /^live 5, desired 3 — changed by "kubectl-edit" at \d\d:\d\d\. /);

      const hover = await client.hover(uri, 6, 12);
      const markdown = (hover?.contents as { value: string } | undefined)?.value ?? '';
      assert.match(markdown, /^\*\*replicas\*\* · `integer \(int32\)`/, 'the schema part comes first');
      assert.match(markdown, /\*\*Drift\*\* — differs from the cluster/);
      assert.match(markdown, /Live: `5`/);
      assert.match(markdown, /kubectl-edit/);

      const actions = (await client.connection.sendRequest(CodeActionRequest.type, {
        textDocument: { uri },
        range: drift.range,
        context: { diagnostics: [drift] },
      })) as CodeAction[];
      const adopt = actions.find((a) => a.title.startsWith('Adopt live value'));
      assert.deepEqual(adopt?.edit?.changes?.[uri], [{ range: range(6, 12, 6, 13), newText: '5' }]);
      const ignore = actions.find((a) => a.title.startsWith('Ignore /spec/replicas'));
      assert.equal(ignore?.command?.command, 'gitopsLens.addIgnoreDifference');
      assert.deepEqual(ignore?.command?.arguments, [
        { entry: { group: 'apps', kind: 'Deployment', name: 'web', namespace: ns, jsonPointers: ['/spec/replicas'] }, uri },
      ]);

      // Reverting the live value clears the drift diagnostic through the watch.
      await cp.kubectl(['patch', 'deployment', 'web', '-n', ns, '--type=merge', '-p', '{"spec":{"replicas":3}}', '--field-manager=kubectl-edit']);
      await client.waitFor(
        () => (client.diagnostics.get(uri)?.diagnostics.some((d) => d.source === 'gitops-lens-drift') ? undefined : true),
        'the drift diagnostic to clear',
        30_000,
      );

      // Preview Sync: the Deployment matches the repo again, so it is unchanged; its live side is served for the diff editor.
      const plan = await client.connection.sendRequest(lspRequest(PreviewSyncRequest), { uris: [pathToFileURL(workspace).href] });
      const index = plan.entries.findIndex((e) => e.kind === 'Deployment' && e.name === 'web' && e.namespace === ns);
      assert.ok(index >= 0, `the plan lists the Deployment: ${JSON.stringify(plan.entries.map((e) => [e.action, e.kind, e.name]))}`);
      assert.equal(plan.entries[index]!.action, 'unchanged');
      assert.ok(plan.planId);
      const live = await client.connection.sendRequest(lspRequest(PreviewDocumentRequest), {
        uri: previewDocumentUri({ planId: plan.planId!, index, side: 'live', kind: 'Deployment', name: 'web', namespace: ns }),
      });
      assert.match(live.text, /^\s*replicas: 3$/m);
    } finally {
      await client.stop();
    }
    const writes = (await cp.auditEvents({ user: cp.users.tool, sinceMs })).filter(
      (e) => !['get', 'list', 'watch'].includes(e.verb) && !(e.verb === 'patch' && /dryRun=All/.test(e.requestURI)),
    );
    assert.deepEqual(writes.map((e) => `${e.verb} ${e.requestURI}`), [], 'the tool identity only read');
  });
});
