/**
 * The preview engine behind the LSP contract, against the real control
 * plane: a protocol Plan without server-side fields, documents served by
 * `gitops-lens:` URI, cancellation through the token, progress reports, and
 * a clear error for an unreachable cluster.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { previewDocumentUri } from '../../server/src/protocol/protocol.js';
import type { PreviewService as LspPreviewContract } from '../../server/src/lsp/preview-handlers.js';
import { createLspPreviewService } from '../../server/src/lsp/lsp-preview-service.js';
import { PreviewError, PreviewService, kubeconfigConnector } from '../../server/src/preview/preview-service.js';
import { NO_TEST_CLUSTER_REASON, testCluster } from '../support/control-plane.js';

const cp = testCluster();
const skip = cp ? false : NO_TEST_CLUSTER_REASON;

function findUp(rel: string): string {
  for (let dir = process.cwd(); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, rel))) return path.join(dir, rel);
    if (path.dirname(dir) === dir) throw new Error(`${rel} not found above the working directory`);
  }
}
const fixtures = findUp('test/fixtures/preview');

function token() {
  const listeners: Array<() => void> = [];
  const t = {
    isCancellationRequested: false,
    onCancellationRequested: (l: () => void) => {
      listeners.push(l);
      return { dispose() {} };
    },
    cancel() {
      t.isCancellationRequested = true;
      for (const l of listeners) l();
    },
  };
  return t;
}

test('previewSync / previewDocument through the LSP contract', { skip, timeout: 60_000 }, async (tt) => {
  if ((await cp!.kubectl(['get', 'namespace', 'preview-cli'])).code !== 0) await cp!.kubectl(['create', 'namespace', 'preview-cli']);
  const service = new PreviewService({ trusted: true, connect: (k, c) => kubeconfigConnector(true, async () => false)(k ?? cp!.kubeconfigPath, c) });
  tt.after(() => service.dispose());
  const progress: Array<[number, number]> = [];
  const adapter: LspPreviewContract = createLspPreviewService({
    service,
    workspaceFolders: () => [],
    settingsFor: async () => ({ kubeconfig: cp!.kubeconfigPath, context: 'tool', preview: { fieldManager: '' } }),
    onProgress: (d, t) => progress.push([d, t]),
  });
  const uri = pathToFileURL(path.join(fixtures, 'cli/create')).href;
  const plan = await adapter.previewSync({ uris: [uri] }, token() as never);
  assert.deepEqual(plan.counts, { create: 3, update: 0, prune: 0, unchanged: 0, error: 0 });
  assert.ok(plan.planId);
  assert.deepEqual(Object.keys(plan.entries[0]!).sort(), ['action', 'apiVersion', 'binding', 'diff', 'kind', 'name', 'namespace', 'sourceRange', 'sourceUri']);
  assert.equal(plan.entries[0]!.sourceUri, pathToFileURL(path.join(fixtures, 'cli/create/new.yaml')).href);
  assert.equal(plan.entries[1]!.sourceRange!.start.line, 8, 'second document of the file');
  assert.deepEqual(progress.at(-1), [3, 3]);

  const ref = { planId: plan.planId!, index: 0, kind: 'ConfigMap', name: 'cli-create-1', namespace: 'preview-cli' };
  const after = await adapter.previewDocument({ uri: previewDocumentUri({ ...ref, side: 'after' }) }, token() as never);
  assert.match(after.text, /^  name: cli-create-1$/m);
  const live = await adapter.previewDocument({ uri: previewDocumentUri({ ...ref, side: 'live' }) }, token() as never);
  assert.equal(live.text, '');
  const gone = await adapter.previewDocument({ uri: previewDocumentUri({ ...ref, planId: 'p999', side: 'after' }) }, token() as never);
  assert.match(gone.text, /no longer available/);

  // Cancelling stops the preview promptly with a rejection, not a partial plan.
  const t = token();
  const cancelling = createLspPreviewService({
    service,
    workspaceFolders: () => [],
    settingsFor: async () => ({ kubeconfig: cp!.kubeconfigPath, context: 'tool', preview: { fieldManager: '' } }),
    onProgress: (done) => {
      if (done === 1) t.cancel();
    },
  });
  service.clearMemo();
  await assert.rejects(cancelling.previewSync({ uris: [uri] }, t as never), (e: Error) => /abort|cancel/i.test(`${e.name} ${e.message}`));
});

test('an unreachable cluster is one clear error, not an error per object', { timeout: 60_000 }, async () => {
  const service = new PreviewService({
    connect: async () => {
      const c = await kubeconfigConnector(true, async () => false)(path.join(fixtures, 'unreachable.kubeconfig'), undefined);
      return c;
    },
  });
  await assert.rejects(
    service.preview({ paths: [path.join(fixtures, 'cli/create')], root: fixtures }),
    (e: Error) => e instanceof PreviewError && /^Cannot reach the cluster of context unreachable: Cannot connect to https:\/\/127\.0\.0\.1:1: connection refused/.test(e.message),
  );
});
