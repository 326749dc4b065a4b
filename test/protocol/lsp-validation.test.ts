/**
 * Protocol tests of schema validation as an editor sees it, over a real
 * stdio connection to the bundled server: publishDiagnostics with exact
 * ranges and messages, incremental edits that fix them, hover, completion,
 * quick fixes, and CRDs found in the workspace.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { CodeActionRequest, type CodeAction, type Diagnostic } from 'vscode-languageserver-protocol';
import { ensureBundle, LspTestClient, range } from './lsp-test-client.js';

const BAD_DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: Web_App
spec:
  replica: 3
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web
          image: nginx:1.27
          imagePullPolicy: Sometimes
          ports:
            - containerPort: "http"
`;

const CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names:
    kind: Widget
    plural: widgets
    singular: widget
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                size:
                  type: integer
                  description: How big the widget is.
`;

/** The diagnostics without `data`, which is the engine's business. */
function shape(diagnostics: Diagnostic[]) {
  return diagnostics.map(({ range: r, severity, message, code, source }) => ({
    range: r,
    severity,
    message: typeof message === 'string' ? message : message.value,
    code,
    source,
  }));
}

describe('schema validation over LSP (stdio, bundled server)', () => {
  let workspace: string;
  let client: LspTestClient;

  before(async () => {
    ensureBundle();
    workspace = mkdtempSync(join(tmpdir(), 'gitops-lens-validation-'));
    writeFileSync(join(workspace, 'widgets-crd.yaml'), CRD);
    client = (await LspTestClient.start({ folders: [workspace], settings: { validation: { debounceMs: 20 } } })).client;
    // The CRD reaches the engine through the startup scan.
    await client.waitFor(async () => ((await client.stats()).workspaceFiles === 1 ? true : undefined), 'the workspace scan');
  });

  after(async () => {
    await client?.stop();
    if (workspace) rmSync(workspace, { recursive: true, force: true });
  });

  it('publishes each problem on the exact key or value, with a message that says what is allowed', async () => {
    const uri = pathToFileURL(join(workspace, 'deploy.yaml')).href;
    await client.open(uri, BAD_DEPLOYMENT);
    assert.deepEqual(shape(await client.diagnosticsFor(uri, 1)), [
      {
        range: range(3, 8, 3, 15),
        severity: 1,
        code: 'invalid-name',
        source: 'gitops-lens',
        message:
          'Invalid metadata.name "Web_App": a Deployment name must be a DNS-1123 subdomain: lowercase letters, digits, "-" and ".", starting and ending with a letter or digit.',
      },
      {
        range: range(5, 2, 5, 9),
        severity: 1,
        code: 'unknown-field',
        source: 'gitops-lens',
        message: 'Unknown field "replica" in Deployment.spec. Did you mean "replicas"?',
      },
      {
        range: range(17, 27, 17, 36),
        severity: 1,
        code: 'invalid-enum',
        source: 'gitops-lens',
        message: 'Invalid value "Sometimes" at spec.template.spec.containers[0].imagePullPolicy. Allowed: "Always", "IfNotPresent", "Never".',
      },
      {
        range: range(19, 29, 19, 35),
        severity: 1,
        code: 'type-mismatch',
        source: 'gitops-lens',
        message: 'Expected integer (int32) at spec.template.spec.containers[0].ports[0].containerPort, got string "http".',
      },
    ]);

    // Incremental edits fix two problems; the other two keep their exact ranges.
    const v2 = await client.change(uri, [
      { range: range(5, 2, 5, 9), text: 'replicas' },
      { range: range(19, 29, 19, 35), text: '8080' },
    ]);
    assert.deepEqual(
      shape(await client.diagnosticsFor(uri, v2)).map((d) => [d.code, d.range]),
      [
        ['invalid-name', range(3, 8, 3, 15)],
        ['invalid-enum', range(17, 27, 17, 36)],
      ],
    );
    await client.close(uri);
  });

  it('offers did-you-mean and allowed values as quick fixes', async () => {
    const uri = pathToFileURL(join(workspace, 'fixes.yaml')).href;
    await client.open(uri, BAD_DEPLOYMENT);
    const diagnostics = await client.diagnosticsFor(uri, 1);
    const actionsFor = (code: string) =>
      client.connection.sendRequest(CodeActionRequest.type, {
        textDocument: { uri },
        range: diagnostics.find((d) => d.code === code)!.range,
        context: { diagnostics: diagnostics.filter((d) => d.code === code) },
      }) as Promise<CodeAction[]>;
    const unknownField = await actionsFor('unknown-field');
    assert.deepEqual(
      unknownField.map((a) => [a.title, a.isPreferred, a.edit?.changes?.[uri]]),
      [['Change to "replicas"', true, [{ range: range(5, 2, 5, 9), newText: 'replicas' }]]],
    );
    const enumActions = await actionsFor('invalid-enum');
    assert.deepEqual(
      enumActions.map((a) => a.title),
      ['Change to "Always"', 'Change to "IfNotPresent"', 'Change to "Never"'],
    );
    await client.close(uri);
  });

  it('hovers a field with its type, description and allowed values', async () => {
    const uri = pathToFileURL(join(workspace, 'hover.yaml')).href;
    await client.open(uri, BAD_DEPLOYMENT);
    await client.diagnosticsFor(uri, 1);
    const hover = await client.hover(uri, 17, 12);
    assert.ok(hover && typeof hover.contents === 'object' && 'value' in hover.contents);
    assert.deepEqual(hover.range, range(17, 10, 17, 25));
    const markdown = (hover.contents as { value: string }).value;
    assert.match(markdown, /^\*\*imagePullPolicy\*\* · `string`/);
    assert.match(markdown, /Allowed values: `Always`, `IfNotPresent`, `Never`$/);
    await client.close(uri);
  });

  it('completes keys from the schema and enum values', async () => {
    const uri = pathToFileURL(join(workspace, 'complete.yaml')).href;
    await client.open(uri, BAD_DEPLOYMENT);
    await client.diagnosticsFor(uri, 1);
    const keys = await client.completion(uri, 6, 2);
    const replicas = keys.find((i) => i.label === 'replicas');
    assert.ok(replicas, `replicas offered among ${keys.map((i) => i.label).join(', ')}`);
    assert.equal(replicas.kind, 10 /* Property */);
    assert.equal(replicas.insertText, 'replicas: ');
    const values = await client.completion(uri, 17, 27);
    assert.deepEqual(
      values.map((i) => [i.label, i.kind]),
      [
        ['Always', 20 /* EnumMember */],
        ['IfNotPresent', 20],
        ['Never', 20],
      ],
    );
    await client.close(uri);
  });

  it('validates custom resources against a CRD found in the workspace, and says when there is no schema', async () => {
    const uri = pathToFileURL(join(workspace, 'widget.yaml')).href;
    await client.open(
      uri,
      'apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\nspec:\n  size: big\n---\napiVersion: other.example.org/v1\nkind: Gadget\nmetadata:\n  name: g\n',
    );
    const diagnostics = shape(await client.diagnosticsFor(uri, 1));
    assert.deepEqual(
      diagnostics.map((d) => [d.code, d.severity, d.range]),
      [
        ['type-mismatch', 1, range(5, 8, 5, 11)],
        ['no-schema', 3, diagnostics[1]!.range],
      ],
    );
    assert.equal(diagnostics[0]!.message, 'Expected integer at spec.size, got string "big".');
    assert.equal(diagnostics[1]!.range.start.line, 8, 'the no-schema information sits on the Gadget document');
    assert.match(diagnostics[1]!.message, /^Not validated: no schema for other\.example\.org\/v1\/Gadget\./);
    await client.close(uri);
  });

  it('re-validates open custom resources when their CRD changes in an editor', async () => {
    const crUri = pathToFileURL(join(workspace, 'widget2.yaml')).href;
    await client.open(crUri, 'apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\nspec:\n  size: 3\n');
    assert.deepEqual(await client.diagnosticsFor(crUri, 1), []);
    const crdUri = pathToFileURL(join(workspace, 'widgets-crd.yaml')).href;
    await client.open(crdUri, CRD);
    await client.diagnosticsFor(crdUri, 1);
    client.diagnostics.delete(crUri);
    // Make `size` a string in the CRD (line 23: `                  type: integer`).
    const v2 = await client.change(crdUri, [{ range: range(23, 24, 23, 31), text: 'string' }]);
    await client.diagnosticsFor(crdUri, v2);
    const diagnostics = await client.waitFor(() => {
      const d = client.diagnostics.get(crUri);
      return d && d.diagnostics.length > 0 ? d.diagnostics : undefined;
    }, 'the custom resource re-validated against the edited CRD');
    assert.deepEqual(
      shape(diagnostics).map((d) => [d.code, d.range, d.message]),
      [['type-mismatch', range(5, 8, 5, 9), 'Expected string at spec.size, got integer 3. Quote the value to make it a string.']],
    );
    await client.close(crdUri);
    await client.close(crUri);
  });
});
