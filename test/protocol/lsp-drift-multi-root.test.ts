/**
 * Drift in a multi-root workspace, over a real stdio LSP connection to the
 * bundled server and against the real test control plane: one drift service
 * per workspace folder, each with its own root (binding globs are relative
 * to it) and its own resource-scoped settings; a folder added with
 * workspace/didChangeWorkspaceFolders gets drift diagnostics, hover and
 * quick fixes in its files, and a removed folder's service is dropped.
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
import { CodeActionRequest, DidChangeWorkspaceFoldersNotification, type CodeAction } from 'vscode-languageserver-protocol';
import { ActiveDocumentNotification } from '../../server/src/protocol/protocol.js';
import { webDeployment } from '../support/manifests.ts';
import { NO_TEST_CLUSTER_REASON, testCluster, type ControlPlane } from '../support/control-plane.js';
import { ensureBundle, LspTestClient, range } from './lsp-test-client.js';
import { lspNotification } from '../../server/src/lsp/lsp-messages.js';

const cluster: ControlPlane | undefined = testCluster();

/** A Deployment without metadata.namespace: the folder's binding decides where it is looked up. */
const deployment = webDeployment();

describe('drift per workspace folder over LSP (real control plane)', { skip: cluster ? false : NO_TEST_CLUSTER_REASON }, () => {
  const suffix = Date.now().toString(36);
  const nsA = `lsp-root-a-${suffix}`;
  const nsB = `lsp-root-b-${suffix}`;
  let base: string;
  let folderA: string;
  let folderB: string;
  let uriA: string;
  let uriB: string;

  before(async () => {
    ensureBundle();
    const cp = cluster!;
    base = mkdtempSync(join(tmpdir(), 'gitops-lens-multi-root-'));
    folderA = join(base, 'team-a');
    folderB = join(base, 'team-b');
    for (const folder of [folderA, folderB]) {
      mkdirSync(join(folder, 'apps', 'web'), { recursive: true });
      writeFileSync(join(folder, 'apps', 'web', 'deployment.yaml'), deployment);
    }
    uriA = pathToFileURL(join(folderA, 'apps', 'web', 'deployment.yaml')).href;
    uriB = pathToFileURL(join(folderB, 'apps', 'web', 'deployment.yaml')).href;
    for (const ns of [nsA, nsB]) {
      const created = await cp.kubectl(['create', 'namespace', ns]);
      assert.equal(created.code, 0, created.stderr);
      // Applied the way Flux's kustomize-controller does it.
      const applied = await cp.kubectl(['apply', '--server-side', '--field-manager=kustomize-controller', '-n', ns, '-f', join(folderA, 'apps', 'web', 'deployment.yaml')]);
      assert.equal(applied.code, 0, applied.stderr);
    }
  });

  after(async () => {
    for (const ns of [nsA, nsB]) await cluster?.kubectl(['delete', 'namespace', ns, '--wait=false']);
    if (base) rmSync(base, { recursive: true, force: true });
  });

  it('gives a folder added later its own service, root and settings: drift, hover and quick fix in its file', async () => {
    const cp = cluster!;
    // Per-folder values of a resource-scoped setting, as VS Code resolves them for a scopeUri.
    // Both globs are relative to their own folder, so a single service rooted at team-a could not match team-b's.
    const settingsOf = (ns: string) => ({
      kubeconfig: cp.kubeconfigPath,
      bindings: [{ glob: 'apps/**', context: 'tool', namespace: ns }],
      validation: { debounceMs: 20 },
    });
    const settingsFor = (scopeUri: string | undefined) =>
      scopeUri?.startsWith(`${pathToFileURL(folderB).href}/`) ? settingsOf(nsB) : scopeUri?.startsWith(`${pathToFileURL(folderA).href}/`) ? settingsOf(nsA) : undefined;
    const { client } = await LspTestClient.start({ folders: [folderA], trusted: true, settings: settingsOf(nsA), settingsFor });
    try {
      await client.open(uriA, deployment);
      await client.connection.sendNotification(lspNotification(ActiveDocumentNotification), { uri: uriA });
      const statusA = await client.waitFor(
        () => client.statuses.find((s) => s.state.kind === 'connected' && s.uri === uriA),
        'a connected status for team-a',
        30_000,
      );
      assert.equal(statusA.binding?.namespace, nsA);
      assert.equal(statusA.binding?.origin, 'setting');

      await client.connection.sendNotification(DidChangeWorkspaceFoldersNotification.type, {
        event: { added: [{ uri: pathToFileURL(folderB).href, name: 'team-b' }], removed: [] },
      });
      await client.open(uriB, deployment);
      await client.connection.sendNotification(lspNotification(ActiveDocumentNotification), { uri: uriB });
      const statusB = await client.waitFor(
        () => client.statuses.find((s) => s.state.kind === 'connected' && s.uri === uriB),
        'a connected status for team-b',
        30_000,
      );
      assert.equal(statusB.binding?.namespace, nsB, "team-b's own binding (its glob, its namespace)");
      assert.equal(statusB.binding?.origin, 'setting');

      // Only team-b's Deployment changes live.
      const patched = await cp.kubectl(['patch', 'deployment', 'web', '-n', nsB, '--type=merge', '-p', '{"spec":{"replicas":5}}', '--field-manager=kubectl-edit']);
      assert.equal(patched.code, 0, patched.stderr);
      const drift = await client.waitForDrift(uriB, /kubectl-edit/, 'a drift diagnostic in the second folder naming the manager');
      assert.deepEqual(drift.range, range(5, 12, 5, 13));
      assert.match(String(drift.message), /^live 5, desired 3 — changed by "kubectl-edit" at \d\d:\d\d\. /);
      assert.deepEqual(
        client.diagnostics.get(uriA)?.diagnostics.filter((d) => d.source === 'gitops-lens-drift') ?? [],
        [],
        "team-a's Deployment (its own namespace) did not drift",
      );

      const hover = await client.hover(uriB, 5, 12);
      assert.match((hover?.contents as { value: string } | undefined)?.value ?? '', /Live: `5`/);
      const actions = (await client.connection.sendRequest(CodeActionRequest.type, {
        textDocument: { uri: uriB },
        range: drift.range,
        context: { diagnostics: [drift] },
      })) as CodeAction[];
      assert.deepEqual(actions.find((a) => a.title.startsWith('Adopt live value'))?.edit?.changes?.[uriB], [{ range: range(5, 12, 5, 13), newText: '5' }]);
      assert.deepEqual(actions.find((a) => a.title.startsWith('Ignore /spec/replicas'))?.command?.arguments, [
        // The document goes along, so the client writes the entry to team-b's folder settings.
        { entry: { group: 'apps', kind: 'Deployment', name: 'web', namespace: nsB, jsonPointers: ['/spec/replicas'] }, uri: uriB },
      ]);

      // Removing team-b drops its service: its file now goes with team-a's root, where team-b's glob
      // (relative to the folder) no longer matches, so the drift of nsB is no longer reported.
      await client.connection.sendNotification(DidChangeWorkspaceFoldersNotification.type, {
        event: { added: [], removed: [{ uri: pathToFileURL(folderB).href, name: 'team-b' }] },
      });
      await client.waitFor(
        () => (client.diagnostics.get(uriB)?.diagnostics.some((d) => d.source === 'gitops-lens-drift' && d.code === 'drift-value') ? undefined : true),
        'the second folder drift to go with its folder',
        30_000,
      );
    } finally {
      await client.stop();
    }
  });

  it('with both folders at initialize, drift appears in a file of the second folder only', async () => {
    const cp = cluster!;
    const settingsOf = (ns: string) => ({ kubeconfig: cp.kubeconfigPath, bindings: [{ glob: 'apps/**', context: 'tool', namespace: ns }], validation: { debounceMs: 20 } });
    const settingsFor = (scopeUri: string | undefined) =>
      scopeUri?.startsWith(`${pathToFileURL(folderB).href}/`) ? settingsOf(nsB) : scopeUri?.startsWith(`${pathToFileURL(folderA).href}/`) ? settingsOf(nsA) : undefined;
    const { client } = await LspTestClient.start({ folders: [folderA, folderB], trusted: true, settings: settingsOf(nsA), settingsFor });
    try {
      const patched = await cp.kubectl(['patch', 'deployment', 'web', '-n', nsB, '--type=merge', '-p', '{"spec":{"replicas":6}}', '--field-manager=kubectl-scale']);
      assert.equal(patched.code, 0, patched.stderr);
      await client.open(uriA, deployment);
      await client.open(uriB, deployment);
      const drift = await client.waitFor(
        () => client.diagnostics.get(uriB)?.diagnostics.find((d) => d.source === 'gitops-lens-drift' && /^live 6, desired 3 — changed by "kubectl-scale"/.test(String(d.message))),
        'the drift diagnostic of the second folder',
        30_000,
      );
      assert.deepEqual(drift.range, range(5, 12, 5, 13));
      await client.connection.sendNotification(lspNotification(ActiveDocumentNotification), { uri: uriA });
      await client.waitFor(() => client.statuses.find((s) => s.state.kind === 'connected' && s.uri === uriA && s.binding?.namespace === nsA), "team-a's connected status", 30_000);
      assert.deepEqual(client.diagnostics.get(uriA)?.diagnostics.filter((d) => d.source === 'gitops-lens-drift') ?? [], []);
    } finally {
      await client.stop();
    }
  });
});
