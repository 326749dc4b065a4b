/**
 * An admission webhook that rejects the dry-run (here: it is down, with
 * failurePolicy Fail): the plan shows the API server's own reason on the
 * source file. (A webhook declaring that it does not support dry-run can no
 * longer be registered: admissionregistration/v1 only accepts sideEffects None
 * or NoneOnDryRun.) The webhook only matches objects labelled
 * preview-webhook-test=true, so nothing else in the shared cluster is affected.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { PreviewService, kubeconfigConnector } from '../../server/src/preview/preview-service.js';
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

const WEBHOOK = `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: preview-no-dry-run
webhooks:
  - name: no-dry-run.preview.gitops-lens.test
    sideEffects: NoneOnDryRun
    admissionReviewVersions: ["v1"]
    failurePolicy: Fail
    timeoutSeconds: 2
    clientConfig:
      url: https://127.0.0.1:1/validate
    objectSelector:
      matchLabels:
        preview-webhook-test: "true"
    rules:
      - apiGroups: [""]
        apiVersions: ["v1"]
        operations: ["CREATE", "UPDATE"]
        resources: ["configmaps"]
`;

test('a webhook that rejects the dry-run is an error with the API server\'s reason', { skip, timeout: 60_000 }, async (t) => {
  if ((await cp!.kubectl(['get', 'namespace', 'preview-cli'])).code !== 0) await cp!.kubectl(['create', 'namespace', 'preview-cli']);
  const applied = await cp!.kubectl(['apply', '-f', '-'], { input: WEBHOOK });
  assert.equal(applied.code, 0, applied.stderr);
  t.after(async () => {
    await cp!.kubectl(['delete', 'validatingwebhookconfiguration', 'preview-no-dry-run', '--ignore-not-found']);
  });
  const service = new PreviewService({ connect: (k, c) => kubeconfigConnector(true, async () => false)(k ?? cp!.kubeconfigPath, c ?? 'tool') });
  t.after(() => service.dispose());
  // Webhook configurations reach the admission chain asynchronously: poll until the preview sees it.
  const deadline = Date.now() + 30_000;
  let plan = await service.preview({ paths: [path.join(fixtures, 'webhook')], root: fixtures });
  while (plan.counts.error === 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    service.clearMemo();
    plan = await service.preview({ paths: [path.join(fixtures, 'webhook')], root: fixtures });
  }
  assert.deepEqual(plan.entries.map((e) => `${e.action} ${e.kind} ${e.namespace}/${e.name}`), ['error ConfigMap preview-cli/preview-webhook-guarded']);
  const entry = plan.entries[0]!;
  assert.match(entry.message!, /^the API server rejected the dry-run: 500 InternalError: Internal error occurred: failed calling webhook "no-dry-run\.preview\.gitops-lens\.test"/);
  assert.ok(entry.sourceUri!.endsWith('/webhook/guarded.yaml'));
  assert.equal(entry.sourceRange!.start.line, 1, 'the object starts after the comment line');
  assert.equal((await cp!.kubectl(['-n', 'preview-cli', 'get', 'configmap', 'preview-webhook-guarded'])).code, 1, 'nothing was created');
});
