/**
 * Issue 18, finding 1, the pure parts: agent paths are confined as the agents confine them
 * (Flux clamps like SecureJoin, Argo CD refuses), files and trees outside the repository (links
 * included), devices, FIFOs and oversized files are refused, and tools get a minimal
 * environment. The renderer and the CLI on a hostile repository are tested in
 * test/unit/security-render-confinement.test.ts and test/cluster/security-renderer.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { argoSourcePath, checkSourceFile, checkSourceTree, ConfinementError, fluxSourcePath } from '../../server/src/render/source-confinement.js';
import { minimalToolEnv } from '../../server/src/util/tool-env.js';

const base = mkdtempSync(join(tmpdir(), 'gitops-lens-confine-'));
const root = join(base, 'repo');
mkdirSync(join(root, 'apps'), { recursive: true });
writeFileSync(join(base, 'outside.yaml'), 'outside: true\n');
writeFileSync(join(root, 'apps', 'ok.yaml'), 'ok: true\n');
symlinkSync(join(base, 'outside.yaml'), join(root, 'apps', 'link-out.yaml'));
symlinkSync(join(root, 'apps', 'ok.yaml'), join(root, 'apps', 'link-in.yaml'));
symlinkSync('/dev/zero', join(root, 'zero'));
test.after(() => rmSync(base, { recursive: true, force: true }));

test('Flux spec.path is clamped to the repository like SecureJoin; Argo CD source.path outside or absolute is refused', () => {
  assert.deepEqual(fluxSourcePath(root, './apps'), { folder: join(root, 'apps'), clamped: false });
  assert.deepEqual(fluxSourcePath(root, '../'), { folder: root, clamped: true });
  assert.deepEqual(fluxSourcePath(root, '../../etc'), { folder: join(root, 'etc'), clamped: true });
  assert.deepEqual(fluxSourcePath(root, '/tmp/x'), { folder: join(root, 'tmp', 'x'), clamped: true });
  assert.deepEqual(argoSourcePath(root, 'apps'), { folder: join(root, 'apps') });
  assert.match((argoSourcePath(root, '/tmp/x') as { error: string }).error, /absolute/);
  assert.match((argoSourcePath(root, '../x') as { error: string }).error, /leaves the repository/);
});

test('files outside the repository, links out of it, devices and oversized files are refused', async () => {
  await checkSourceFile(root, join(root, 'apps', 'ok.yaml'));
  await checkSourceFile(root, join(root, 'apps', 'link-in.yaml'));
  await assert.rejects(checkSourceFile(root, join(base, 'outside.yaml'), 'valuesFiles'), (e: Error) => e instanceof ConfinementError && /valuesFiles .*outside the repository/.test(e.message));
  await assert.rejects(checkSourceFile(root, '/proc/self/environ'), ConfinementError);
  await assert.rejects(checkSourceFile(root, join(root, 'apps', 'link-out.yaml')), /is a link to .*outside the repository/);
  await assert.rejects(checkSourceFile(root, join(root, 'zero')), /outside the repository/);
  const fifo = join(root, 'pipe');
  execFileSync('mkfifo', [fifo]);
  await assert.rejects(checkSourceFile(root, fifo), /is a FIFO/);
  rmSync(fifo);
  const big = join(root, 'big.yaml');
  writeFileSync(big, '');
  truncateSync(big, 17 * 1024 * 1024);
  await assert.rejects(checkSourceFile(root, big), /17 MiB; the preview reads files up to 16 MiB/);
  rmSync(big);
});

test('a folder tree is checked entry by entry', async () => {
  await assert.rejects(checkSourceTree(root, join(root, 'apps'), 'chart'), /chart entry "apps\/link-out.yaml" is a link/);
  rmSync(join(root, 'apps', 'link-out.yaml'));
  await checkSourceTree(root, join(root, 'apps'), 'chart');
  await assert.rejects(checkSourceTree(root, base, 'chart'), /outside the repository/);
});

test('tools get a minimal environment: no tokens, no KUBECONFIG, a private HOME', () => {
  const env = minimalToolEnv({ from: { PATH: '/usr/bin', HOME: '/home/u', GITHUB_TOKEN: 'ghp_x', AWS_SECRET_ACCESS_KEY: 'k', KUBECONFIG: '/home/u/.kube/config', LANG: 'C.UTF-8' } });
  assert.equal(env.PATH, '/usr/bin');
  assert.equal(env.LANG, 'C.UTF-8');
  for (const gone of ['GITHUB_TOKEN', 'AWS_SECRET_ACCESS_KEY', 'KUBECONFIG']) assert.equal(env[gone], undefined, gone);
  assert.notEqual(env.HOME, '/home/u');
  assert.equal(env.GIT_CONFIG_NOSYSTEM, '1');
  assert.equal(env.GIT_TERMINAL_PROMPT, '0');
  const git = minimalToolEnv({ userHome: true, from: { PATH: '/usr/bin', HOME: '/home/u', GITHUB_TOKEN: 'ghp_x' } });
  assert.equal(git.HOME, '/home/u');
  assert.equal(git.GITHUB_TOKEN, undefined);
});
