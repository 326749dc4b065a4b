/**
 * Issue 18, finding 5 through the real language server in Restricted Mode (untrusted): a
 * workspace CRD with `pattern: ^(a+)+$` used to pin the server at 100% CPU, so no diagnostic
 * and no hover ever came back. Now the custom resource gets its pattern finding and the
 * server keeps answering.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { ensureBundle, LspTestClient } from './lsp-test-client.js';
import { writeRedosWorkspace } from '../support/redos-fixture.js';

test('Restricted Mode: a ReDoS CRD pattern yields its diagnostic and the server keeps answering', async () => {
  ensureBundle();
  const dir = mkdtempSync(join(tmpdir(), 'gitops-lens-redos-lsp-'));
  const ws = writeRedosWorkspace(dir);
  const { client } = await LspTestClient.start({ folders: [dir], trusted: false });
  try {
    const uri = pathToFileURL(ws.cr).href;
    // The workspace scan learns the CRD from disk; wait until the CR is validated against it.
    await client.waitFor(async () => ((await client.stats()).workspaceFiles > 0 ? true : undefined), 'the workspace scan');
    await client.open(uri, ws.crText);
    const diag = await client.waitFor(
      () => client.diagnostics.get(uri)?.diagnostics.find((d) => d.code === 'pattern-mismatch'),
      'the pattern-mismatch diagnostic',
      30_000,
    );
    assert.equal(diag.range.start.line, 6);
    const hover = await client.hover(uri, 6, 4);
    assert.ok(hover, 'the server still answers hovers');
  } finally {
    assert.equal(await client.stop(), 0);
    rmSync(dir, { recursive: true, force: true });
  }
});
