/**
 * Issue 18, finding 6 through the built CLI: an API server answering with a body larger than
 * V8 can hold (700 MiB, over the ~512 MiB string limit) used to crash `gitops-lens drift` with
 * an uncaught ERR_STRING_TOO_LONG and exit code 1, which means "drift found". Now the answer is
 * cut at the bound, the object's drift is "unknown" with a clear reason, and the exit code is 2.
 * And whatever internal error escapes, the CLI exits 2, never 1. The fake API server is the
 * attacker here (test/support/hostile-api-server.ts).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ensureBundle, repoRoot } from '../protocol/lsp-test-client.js';
import { endlessList, startHostileApiServer } from '../support/hostile-api-server.js';

function runCli(args: string[], cwd: string, env: Record<string, string>, nodeArgs: string[] = []): Promise<{ code: number | null; stdout: string; stderr: string; peakMb: number }> {
  const child = spawn(process.execPath, [...nodeArgs, join(repoRoot, 'dist', 'cli.js'), ...args], { cwd, env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  let peakMb = 0;
  const sample = setInterval(() => {
    try {
      const kb = Number(/VmHWM:\s+(\d+)/.exec(require('node:fs').readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0);
      peakMb = Math.max(peakMb, Math.round(kb / 1024));
    } catch {
      // The process is gone.
    }
  }, 100);
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(killer);
      clearInterval(sample);
      resolve({ code, stdout, stderr, peakMb });
    }),
  );
}

test('drift against a server that answers with 700 MiB: exit 2 with a clear reason, no crash', async () => {
  ensureBundle();
  const dir = mkdtempSync(join(tmpdir(), 'gitops-lens-oversized-cli-'));
  const api = await startHostileApiServer();
  let written = () => 0;
  api.route((req, res) => {
    if (!req.url?.startsWith('/api/v1/namespaces/default/configmaps')) return false;
    written = endlessList(res, 700 * 1024 * 1024).written;
  });
  try {
    const kubeconfig = join(dir, 'kubeconfig');
    api.writeKubeconfig(kubeconfig, 'tok-oversized');
    writeFileSync(join(dir, 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-config\n  namespace: default\ndata:\n  a: b\n');
    const r = await runCli(['drift', 'cm.yaml', '--kubeconfig', kubeconfig, '--root', dir], dir, { KUBECONFIG: '' });
    console.log(`[reliability] drift CLI against a 700 MiB answer: exit ${r.code}, peak RSS ${r.peakMb} MB, server wrote ${Math.round(written() / 1024 / 1024)} MiB`);
    assert.equal(r.code, 2, `exit ${r.code}\n${r.stdout}\n${r.stderr.slice(0, 2000)}`);
    assert.doesNotMatch(r.stderr, /ERR_STRING_TOO_LONG|internal error/);
    assert.match(r.stdout, /larger than 128 MiB/);
  } finally {
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an internal error that escapes every handler still exits 2 ("error"), never 1 ("drift found")', async () => {
  ensureBundle();
  const dir = mkdtempSync(join(tmpdir(), 'gitops-lens-internal-error-'));
  try {
    // A preload that throws from a timer once the CLI runs: the same kind of escape as an exception in a socket event handler.
    const preload = join(dir, 'throw-later.cjs');
    writeFileSync(preload, "setTimeout(() => { throw new RangeError('Invalid string length (simulated ERR_STRING_TOO_LONG)'); }, 50);\n");
    writeFileSync(join(dir, 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n');
    // validate of a folder with many files keeps the process alive long enough; a hung exec would too.
    for (let i = 0; i < 200; i++) writeFileSync(join(dir, `cm-${i}.yaml`), `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a${i}\ndata: { k: v }\n`);
    const r = await runCli(['validate', dir], dir, {}, ['--require', preload]);
    assert.equal(r.code, 2, `exit ${r.code}\n${r.stderr}`);
    assert.match(r.stderr, /internal error/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
