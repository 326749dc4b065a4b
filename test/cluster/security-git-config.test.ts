/**
 * Issue 18, finding 8: `preview --only-changed` ran git in the repository with its own
 * configuration, so a repository-local `core.fsmonitor` command (or a hook, a pager, an
 * external diff) ran without `--allow-exec`. Every git call of ours now runs with a safe
 * configuration; a marker file proves the repository's commands never ran.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { runCli } from '../../server/src/cli/main.js';
import { changedFiles, gitTopLevel } from '../../server/src/util/git.js';
import { NO_TEST_CLUSTER_REASON, testCluster } from '../support/control-plane.js';

const cp = testCluster();

/** A repository whose .git/config runs a command (fsmonitor, hooks, pager, external diff) that touches `marker`. */
function hostileRepo(): { root: string; marker: string; remove(): void } {
  const base = mkdtempSync(path.join(os.tmpdir(), 'gitops-lens-git-config-'));
  const root = path.join(base, 'repo');
  const marker = path.join(base, 'ran');
  mkdirSync(path.join(root, 'apps'), { recursive: true });
  const git = (...args: string[]) => execFileSync('git', args, { cwd: root, env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: base } });
  git('init', '-q');
  writeFileSync(path.join(root, 'apps/cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: git-config, namespace: default}\ndata: {k: v}\n');
  git('add', '.');
  git('-c', 'user.name=t', '-c', 'user.email=t@example.invalid', 'commit', '-qm', 'init');
  const hook = path.join(base, 'hook.sh');
  writeFileSync(hook, `#!/bin/sh\ntouch ${marker}\nexit 0\n`);
  chmodSync(hook, 0o755);
  mkdirSync(path.join(base, 'hooks'));
  for (const h of ['post-index-change', 'reference-transaction', 'pre-commit']) {
    writeFileSync(path.join(base, 'hooks', h), `#!/bin/sh\ntouch ${marker}\n`);
    chmodSync(path.join(base, 'hooks', h), 0o755);
  }
  git('config', 'core.fsmonitor', hook);
  git('config', 'core.hooksPath', path.join(base, 'hooks'));
  git('config', 'core.pager', hook);
  git('config', 'diff.external', hook);
  // The change that --only-changed looks for.
  writeFileSync(path.join(root, 'apps/cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: git-config, namespace: default}\ndata: {k: changed}\n');
  return { root, marker, remove: () => rmSync(base, { recursive: true, force: true }) };
}

test('our git helpers never run the repository\'s fsmonitor, hooks, pager or external diff', async () => {
  const r = hostileRepo();
  try {
    assert.equal(await gitTopLevel(path.join(r.root, 'apps')), r.root);
    const changed = await changedFiles(r.root);
    assert.deepEqual([...changed].map((f) => path.relative(r.root, f)), ['apps/cm.yaml']);
    assert.equal(existsSync(r.marker), false, 'a command from .git/config ran');
  } finally {
    r.remove();
  }
});

test('preview --only-changed (no --allow-exec) runs no command of the repository', { skip: cp ? false : NO_TEST_CLUSTER_REASON, timeout: 120_000 }, async () => {
  const r = hostileRepo();
  try {
    let out = '';
    const code = await runCli(['preview', '.', '--only-changed', '--context', 'tool', '--kubeconfig', cp!.kubeconfigPath], {
      stdout: (t) => void (out += t),
      stderr: (t) => void (out += t),
      cwd: r.root,
      env: { ...process.env, KUBECONFIG: '' },
    });
    assert.ok(code === 0 || code === 1, `exit ${code}\n${out}`);
    assert.match(out, /git-config/, 'the changed ConfigMap was previewed');
    assert.equal(existsSync(r.marker), false, 'a command from .git/config ran');
  } finally {
    r.remove();
  }
});
