/**
 * Protocol tests of the language server's wiring, over a real stdio
 * connection to the bundled server: initialization, settings pulled per
 * resource, debounced incremental validation that re-validates only the
 * changed YAML document, limits, trust and the custom gitops/* messages.
 * They do not depend on what the validation engine reports; the schema
 * checks themselves are asserted in lsp-validation.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { ResponseError } from 'vscode-languageserver-protocol/node';
import { ListContextsRequest, PreviewSyncRequest, TrustChangedNotification } from '../../server/src/protocol/protocol.js';
import { ensureBundle, LspTestClient, range } from './lsp-test-client.js';
import { lspNotification, lspRequest, lspRequest0 } from '../../server/src/lsp/lsp-messages.js';

const DEPLOYMENT = (name: string, replicas: number) =>
  [
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    `  name: ${name}`,
    'spec:',
    `  replicas: ${replicas}`,
    '  selector:',
    '    matchLabels:',
    `      app: ${name}`,
    '  template:',
    '    metadata:',
    '      labels:',
    `        app: ${name}`,
    '    spec:',
    '      containers:',
    `        - name: ${name}`,
    '          image: nginx:1.27',
    '',
  ].join('\n');

describe('language server wiring (stdio, bundled server)', () => {
  let workspace: string;
  let client: LspTestClient;
  let capabilities: Awaited<ReturnType<typeof LspTestClient.start>>['init']['capabilities'];

  before(async () => {
    ensureBundle();
    workspace = mkdtempSync(join(tmpdir(), 'gitops-lens-protocol-'));
    mkdirSync(join(workspace, 'apps'));
    mkdirSync(join(workspace, 'node_modules', 'x'), { recursive: true });
    writeFileSync(join(workspace, 'apps', 'kustomization.yaml'), 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - app.yaml\n');
    // node_modules is never scanned, even when it holds relevant-looking files.
    writeFileSync(join(workspace, 'node_modules', 'x', 'kustomization.yaml'), 'resources: []\n');
    // The wiring tests trust the folder part-way; a kubeconfig inherited from the test run (the
    // shared control plane) would then connect, fetch the cluster's schemas and re-validate every
    // open file, which is correct behaviour but not what these tests count. No cluster here.
    const started = await LspTestClient.start({
      folders: [workspace],
      trusted: false,
      settings: { validation: { debounceMs: 20 } },
      env: { KUBECONFIG: join(workspace, 'no-kubeconfig') },
    });
    client = started.client;
    capabilities = started.init.capabilities;
  });

  after(async () => {
    const code = await client?.stop();
    assert.equal(code, 0, 'the server exits with 0 after shutdown/exit');
    if (workspace) rmSync(workspace, { recursive: true, force: true });
  });

  it('announces incremental sync, hover, completion and quick fixes', () => {
    assert.deepEqual(capabilities.textDocumentSync, { openClose: true, change: 2 });
    assert.equal(capabilities.hoverProvider, true);
    assert.ok(capabilities.completionProvider);
    assert.deepEqual(capabilities.codeActionProvider, { codeActionKinds: ['quickfix'] });
  });

  it('registers for configuration changes and YAML file watching', async () => {
    await client.waitFor(() => client.registrations.length >= 2 || undefined, 'dynamic registrations');
    assert.ok(client.registrations.includes('workspace/didChangeConfiguration'));
    assert.ok(client.registrations.includes('workspace/didChangeWatchedFiles'));
  });

  it('scans the workspace for kustomizations, skipping node_modules', async () => {
    const stats = await client.waitFor(async () => {
      const s = await client.stats();
      return s.workspaceFiles > 0 ? s : undefined;
    }, 'the workspace scan');
    assert.equal(stats.workspaceFiles, 1);
  });

  it('reports the cluster as disabled while the folder is untrusted, and enables it on trust', async () => {
    const first = await client.waitFor(() => client.statuses[0], 'a connection status');
    assert.deepEqual(first.state, {
      kind: 'disabled',
      reason: 'Cluster features are off until the folder is trusted. Validation keeps working.',
    });
    await assert.rejects(client.connection.sendRequest(lspRequest(PreviewSyncRequest), { uris: [] }), (err: ResponseError<unknown>) => {
      assert.equal(err.message, 'Preview Sync reads the cluster, so it needs a trusted folder. Trust this folder to use it.');
      return true;
    });
    const contexts = await client.connection.sendRequest(lspRequest0(ListContextsRequest));
    assert.deepEqual(contexts, { contexts: [], kubeconfigPaths: [], error: 'Cluster features are off until the folder is trusted.' });

    const count = client.statuses.length;
    await client.connection.sendNotification(lspNotification(TrustChangedNotification), { trusted: true });
    const next = await client.waitFor(() => client.statuses[count], 'the status after trust');
    assert.deepEqual(next.state, { kind: 'disabled', reason: 'No cluster connection has been started in this session.' });
  });

  it('pulls settings per document with workspace/configuration', async () => {
    const uri = pathToFileURL(join(workspace, 'apps', 'settings.yaml')).href;
    await client.open(uri, DEPLOYMENT('web', 1));
    await client.diagnosticsFor(uri, 1);
    assert.ok(
      client.configurationRequests.some((item) => item.scopeUri === uri && item.section === 'gitopsLens'),
      'a configuration request scoped to the document',
    );
    await client.close(uri);
  });

  it('re-validates only the changed document of a multi-document file', async () => {
    const uri = pathToFileURL(join(workspace, 'apps', 'multi.yaml')).href;
    const text = [DEPLOYMENT('a', 1), DEPLOYMENT('b', 2), DEPLOYMENT('c', 3)].join('---\n');
    await client.open(uri, text);
    await client.diagnosticsFor(uri, 1);
    let stats = (await client.stats()).documents.find((d) => d.uri === uri)!;
    assert.deepEqual(
      { documents: stats.documents, lastRun: stats.lastRun, validatedTotal: stats.validatedTotal, runs: stats.runs },
      { documents: 3, lastRun: { validated: 3, reused: 0 }, validatedTotal: 3, runs: 1 },
    );

    // Change `replicas: 2` to `replicas: 5` in the second document (line 18 + 5), incrementally.
    const v2 = await client.change(uri, [{ range: range(23, 12, 23, 13), text: '5' }]);
    await client.diagnosticsFor(uri, v2);
    stats = (await client.stats()).documents.find((d) => d.uri === uri)!;
    assert.deepEqual(
      { version: stats.version, lastRun: stats.lastRun, validatedTotal: stats.validatedTotal, runs: stats.runs },
      { version: v2, lastRun: { validated: 1, reused: 2 }, validatedTotal: 4, runs: 2 },
    );

    // Inserting lines into the first document moves the others without re-validating them.
    const v3 = await client.change(uri, [{ range: range(3, 0, 3, 0), text: '  labels:\n    team: web\n' }]);
    await client.diagnosticsFor(uri, v3);
    stats = (await client.stats()).documents.find((d) => d.uri === uri)!;
    assert.deepEqual(stats.lastRun, { validated: 1, reused: 2 });
    await client.close(uri);
  });

  it('debounces bursts of edits into one validation run', async () => {
    await client.setSettings({ validation: { debounceMs: 300 } });
    const uri = pathToFileURL(join(workspace, 'apps', 'burst.yaml')).href;
    await client.open(uri, DEPLOYMENT('burst', 1));
    await client.diagnosticsFor(uri, 1);
    let version = 1;
    for (let i = 0; i < 5; i++) version = await client.change(uri, [{ range: range(5, 12, 5, 13), text: String(i + 2) }]);
    await client.diagnosticsFor(uri, version);
    const stats = (await client.stats()).documents.find((d) => d.uri === uri)!;
    assert.equal(stats.runs, 2, 'one run for the open, one for the five edits');
    await client.close(uri);
    await client.setSettings({ validation: { debounceMs: 20 } });
  });

  it('does not validate a file over gitopsLens.maxFileSizeKB and says how to change that', async () => {
    await client.setSettings({ validation: { debounceMs: 20 }, maxFileSizeKB: 1 });
    const uri = pathToFileURL(join(workspace, 'apps', 'big.yaml')).href;
    await client.open(uri, DEPLOYMENT('big', 1) + `# ${'x'.repeat(2000)}\n`);
    const diagnostics = await client.diagnosticsFor(uri, 1);
    assert.deepEqual(diagnostics, [
      {
        range: range(0, 0, 0, 0),
        severity: 3,
        source: 'gitops-lens',
        code: 'file-too-large',
        message: 'Not validated: this file is 3 KB, larger than gitopsLens.maxFileSizeKB (1 KB). Raise that setting to validate it.',
      },
    ]);
    await client.close(uri);
    await client.setSettings({ validation: { debounceMs: 20 } });
  });

  it('publishes no schema diagnostics when gitopsLens.validation.enable is false', async () => {
    await client.setSettings({ validation: { enable: false, debounceMs: 20 } });
    const uri = pathToFileURL(join(workspace, 'apps', 'off.yaml')).href;
    await client.open(uri, 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: 1nvalid_name\nspec:\n  nonsense: true\n');
    // The folder is trusted by now, so drift may add its own (source gitops-lens-drift); schema findings must be absent.
    const diagnostics = await client.diagnosticsFor(uri, 1);
    assert.deepEqual(diagnostics.filter((d) => d.source === 'gitops-lens'), []);
    await client.close(uri);
    await client.setSettings({ validation: { debounceMs: 20 } });
  });

  it('clears diagnostics when a document closes', async () => {
    const uri = pathToFileURL(join(workspace, 'apps', 'closing.yaml')).href;
    await client.open(uri, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: 1\n');
    await client.diagnosticsFor(uri, 1);
    client.diagnostics.delete(uri);
    await client.close(uri);
    assert.deepEqual(await client.diagnosticsFor(uri), []);
  });

  it('survives broken YAML, a YAML alias bomb and binary garbage, and keeps answering', async () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 0; i < 9; i++) {
      const prev = String.fromCharCode(97 + i);
      const cur = String.fromCharCode(98 + i);
      bomb.push(`${cur}: &${cur} [*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev}]`);
    }
    const inputs = {
      'broken.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [unclosed\n  : : :\n\t- tab\n',
      'bomb.yaml': bomb.join('\n') + '\n',
      'garbage.yaml': '\u0000\u0001\uFFFD---\n--- !!binary |\n  ****\n%YAML 9.9\n',
    };
    for (const [name, text] of Object.entries(inputs)) {
      const uri = pathToFileURL(join(workspace, 'apps', name)).href;
      await client.open(uri, text);
      const diagnostics = await client.diagnosticsFor(uri, 1, 20_000);
      assert.ok(Array.isArray(diagnostics), `${name}: diagnostics published`);
      await client.close(uri);
    }
    // Still alive and responsive.
    assert.ok(await client.stats());
  });
});
