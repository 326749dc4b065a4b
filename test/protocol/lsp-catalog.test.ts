/**
 * The CRD catalog, CEL rules and the target Kubernetes version as an editor
 * sees them, over a real stdio connection to the bundled server: a CEL finding
 * on the exact key with the rule's message, the hover's schema source naming
 * the catalog project and version, and gitopsLens.kubernetesVersion changing
 * the diagnostics of an open file.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { ensureBundle, LspTestClient, range } from './lsp-test-client.js';

// flux2-kustomize-helm-example infrastructure/controllers/cert-manager.yaml, its chartRef removed.
const HELM_RELEASE = `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: cert-manager
  namespace: cert-manager
spec:
  interval: 12h
  values:
    crds:
      enabled: true
`;

const VAP = `apiVersion: admissionregistration.k8s.io/v1beta1
kind: ValidatingAdmissionPolicy
metadata:
  name: replicas
spec:
  validations:
    - expression: object.spec.replicas <= 5
`;

describe('CRD catalog, CEL rules and target version over LSP (stdio, bundled server)', () => {
  let workspace: string;
  let client: LspTestClient;

  before(async () => {
    ensureBundle();
    workspace = mkdtempSync(join(tmpdir(), 'gitops-lens-catalog-'));
    // Schema findings only: the one-file workspace has no OCIRepository for the chartRef, which the
    // broken-reference checks (lsp-navigation.test.ts) would rightly report.
    client = (await LspTestClient.start({ folders: [workspace], settings: { validation: { debounceMs: 20 }, references: { enable: false } } })).client;
  });

  after(async () => {
    await client?.stop();
    if (workspace) rmSync(workspace, { recursive: true, force: true });
  });

  it('reports a CRD CEL rule on the key it belongs to, with the rule\'s message', async () => {
    const uri = pathToFileURL(join(workspace, 'release.yaml')).href;
    await client.open(uri, HELM_RELEASE);
    const diagnostics = await client.diagnosticsFor(uri, 1);
    assert.deepEqual(diagnostics.map((d) => [d.range, d.severity, d.code, d.source, d.message]), [
      [range(5, 0, 5, 4), 1, 'cel-rule', 'gitops-lens', 'either chart or chartRef must be set'],
    ]);
    // Adding chartRef satisfies the rule.
    const v2 = await client.change(uri, [{ range: range(7, 0, 7, 0), text: '  chartRef:\n    kind: OCIRepository\n    name: cert-manager\n' }]);
    assert.deepEqual(await client.diagnosticsFor(uri, v2), []);
    await client.close(uri);
  });

  it('names the catalog project and version as the schema source in the hover', async () => {
    const uri = pathToFileURL(join(workspace, 'hover.yaml')).href;
    await client.open(uri, HELM_RELEASE);
    await client.diagnosticsFor(uri, 1);
    const hover = await client.hover(uri, 1, 8);
    const markdown = (hover?.contents as { value: string }).value;
    assert.match(markdown, /_Schema: catalog: Flux helm-controller v1\.6\.5 \(github\.com\/fluxcd\/helm-controller\/api\)_/);
    await client.close(uri);
  });

  it('follows gitopsLens.kubernetesVersion: a deprecated beta warns for 1.32 and is removed for 1.35', async () => {
    const uri = pathToFileURL(join(workspace, 'vap.yaml')).href;
    await client.setSettings({ validation: { debounceMs: 20 }, references: { enable: false }, kubernetesVersion: '1.32' });
    await client.open(uri, VAP);
    const warned = await client.diagnosticsFor(uri, 1);
    assert.deepEqual(warned.map((d) => [d.range, d.severity, d.code]), [[range(0, 12, 0, 48), 2, 'deprecated-api-version']]);
    await client.setSettings({ validation: { debounceMs: 20 }, references: { enable: false }, kubernetesVersion: '1.35' });
    await client.waitFor(async () => {
      const d = await client.diagnosticsFor(uri, 1);
      return d.length === 1 && d[0].code === 'removed-api-version' ? d : undefined;
    }, 'the removal error after the setting changed');
    await client.close(uri);
  });
});
