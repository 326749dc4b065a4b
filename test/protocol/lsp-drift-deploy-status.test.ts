/**
 * "Is my commit deployed?" follows the cluster over LSP: the status of the
 * active file's binding (a Flux Kustomization found in the repo) changes
 * when the Kustomization's status subresource changes, through the live
 * cache's watch, with no file event, editor switch or polling loop. Runs
 * the bundled server over stdio against the real test control plane.
 *
 * Outside CI it skips when no control plane is available (npm test starts
 * one); in CI a missing control plane is a failure.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { ActiveDocumentNotification } from '../../server/src/protocol/protocol.js';
import { NO_TEST_CLUSTER_REASON, testCluster, type ControlPlane } from '../support/control-plane.js';
import { ensureBundle, LspTestClient } from './lsp-test-client.js';
import { lspNotification } from '../../server/src/lsp/lsp-messages.js';

const cluster: ControlPlane | undefined = testCluster();

describe('deploy status over LSP follows the Kustomization status (real control plane)', { skip: cluster ? false : NO_TEST_CLUSTER_REASON }, () => {
  const id = randomBytes(3).toString('hex');
  const name = `apps-lsp-${id}`;
  const ns = `lsp-deployed-${id}`;
  let repo: string;
  let appFile: string;
  let ks: string;
  let first: string;
  let head: string;

  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, encoding: 'utf8' }).trim();
  const admin = async (args: string[], input?: string) => {
    const r = await cluster!.kubectl(args, { context: 'admin', input });
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
  };
  /** Writes the status subresource as the admin, the way kustomize-controller reports a reconcile. */
  const setStatus = (status: unknown) =>
    admin(['patch', 'kustomization.kustomize.toolkit.fluxcd.io', name, '-n', 'flux-system', '--subresource=status', '--type=merge', '-p', JSON.stringify({ status })]);
  const ready = (status: 'True' | 'False', reason: string, message: string) => ({ type: 'Ready', status, reason, message, lastTransitionTime: new Date().toISOString() });

  before(async () => {
    ensureBundle();
    repo = mkdtempSync(join(tmpdir(), 'gitops-lens-lsp-deployed-'));
    git('init', '-q', '-b', 'main');
    git('config', 'user.email', 't@example.invalid');
    git('config', 'user.name', 'test');
    mkdirSync(join(repo, 'clusters', 'prod'), { recursive: true });
    mkdirSync(join(repo, 'apps', 'prod'), { recursive: true });
    ks = `apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: ${name}\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./apps/prod\n  prune: true\n  targetNamespace: ${ns}\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n`;
    writeFileSync(join(repo, 'clusters', 'prod', 'apps.yaml'), ks);
    appFile = join(repo, 'apps', 'prod', 'cm.yaml');
    writeFileSync(appFile, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deployed-check\ndata:\n  a: "1"\n');
    git('add', '.');
    git('commit', '-q', '-m', 'one');
    first = git('rev-parse', 'HEAD');
    writeFileSync(appFile, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deployed-check\ndata:\n  a: "2"\n');
    git('commit', '-q', '-am', 'two');
    head = git('rev-parse', 'HEAD');

    await cluster!.kubectl(['create', 'namespace', 'flux-system'], { context: 'admin' });
    await admin(['create', 'namespace', ns]);
    await admin(['apply', '--server-side', '--field-manager=kustomize-controller', '-f', '-'], ks);
    await setStatus({ lastAppliedRevision: `main@sha1:${first}`, conditions: [ready('True', 'ReconciliationSucceeded', 'ok')] });
  });

  after(async () => {
    await cluster?.kubectl(['delete', 'kustomization.kustomize.toolkit.fluxcd.io', name, '-n', 'flux-system', '--wait=false'], { context: 'admin' });
    await cluster?.kubectl(['delete', 'namespace', ns, '--wait=false'], { context: 'admin' });
    if (repo) rmSync(repo, { recursive: true, force: true });
  });

  it('updates "N commits behind" → "deployed" → "reconcile failed" from watch events alone', async () => {
    const cp = cluster!;
    const { client } = await LspTestClient.start({
      folders: [repo],
      trusted: true,
      settings: { kubeconfig: cp.kubeconfigPath, context: 'tool', validation: { debounceMs: 20 } },
    });
    const uri = pathToFileURL(appFile).href;
    const deployText = () => {
      const s = client.statuses.at(-1);
      return s?.uri === uri ? s.binding?.deployStatus : undefined;
    };
    try {
      // The workspace scan finds the Kustomization that binds apps/prod.
      await client.open(uri, readFileSync(appFile, 'utf8'));
      await client.connection.sendNotification(lspNotification(ActiveDocumentNotification), { uri });
      await client.waitFor(() => deployText() === '1 commit behind' || undefined, 'the status "1 commit behind"', 30_000);
      const origin = client.statuses.at(-1)?.binding?.origin;
      assert.equal(origin, 'flux-kustomization');

      // From here on the client sends nothing: each change reaches the status bar through the watch.
      await setStatus({ lastAppliedRevision: `main@sha1:${head}` });
      await client.waitFor(() => deployText() === 'deployed' || undefined, 'the status "deployed" after the agent applied HEAD', 30_000);

      await setStatus({ conditions: [ready('False', 'BuildFailed', 'kustomize build failed: missing resource')] });
      await client.waitFor(
        () => deployText() === 'reconcile failed: BuildFailed: kustomize build failed: missing resource' || undefined,
        'the status "reconcile failed"',
        30_000,
      );
      assert.ok(
        !client.logs.some((l) => /Could not compute the cluster status/.test(l)),
        client.logs.filter((l) => /cluster status/.test(l)).join('\n'),
      );
    } finally {
      await client.stop();
    }
  });
});
