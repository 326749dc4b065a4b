/// <reference types="mocha" />
/**
 * In-host tests: they run inside a real VS Code with the extension under
 * development loaded, on the workspace that run-tests.ts prepared. They poll
 * for conditions instead of sleeping.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

const EXTENSION_ID = 'gitops-lens.gitops-lens';

async function poll<T>(probe: () => T | undefined, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}.`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function workspaceFile(name: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the test workspace is open');
  return vscode.Uri.joinPath(folder.uri, name);
}

suite('GitOps Lens in VS Code', () => {
  test('activates and starts its language server', async () => {
    const extension = vscode.extensions.getExtension<{ client: () => { isRunning(): boolean } | undefined }>(EXTENSION_ID);
    assert.ok(extension, `extension ${EXTENSION_ID} is installed`);
    const api = await extension.activate();
    assert.equal(extension.isActive, true);
    await poll(() => (api.client()?.isRunning() ? true : undefined), 'the language client to run');
  });

  test('contributes the GitOps commands', async () => {
    const commands = await vscode.commands.getCommands(true);
    for (const id of ['previewSync', 'previewSyncChanged', 'selectContext', 'showOutput', 'restartServer']) {
      assert.ok(commands.includes(`gitopsLens.${id}`), `gitopsLens.${id} is registered`);
    }
  });

  test('shows diagnostics on the exact key of a bad manifest', async () => {
    const uri = workspaceFile('bad-deployment.yaml');
    const document = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(document);
    const diagnostic = await poll(
      () => vscode.languages.getDiagnostics(uri).find((d) => d.source === 'gitops-lens' && d.code === 'unknown-field'),
      'an unknown-field diagnostic',
    );
    assert.equal(diagnostic.message, 'Unknown field "replica" in Deployment.spec. Did you mean "replicas"?');
    assert.deepEqual(
      [diagnostic.range.start.line, diagnostic.range.start.character, diagnostic.range.end.line, diagnostic.range.end.character],
      [5, 2, 5, 9],
    );
  });

  test('clears the diagnostic after the fix is typed', async () => {
    const uri = workspaceFile('bad-deployment.yaml');
    const editor = await vscode.window.showTextDocument(uri);
    await editor.edit((b) => b.replace(new vscode.Range(5, 2, 5, 9), 'replicas'));
    await poll(
      () => (vscode.languages.getDiagnostics(uri).some((d) => d.code === 'unknown-field') ? undefined : true),
      'the unknown-field diagnostic to disappear',
    );
  });
});
