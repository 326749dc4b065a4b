/**
 * Issue 18, finding 5 through the built CLI: `gitops-lens validate` on a workspace whose CRD
 * has `pattern: ^(a+)+$` finishes with the pattern finding (exit 1), where a backtracking
 * engine ran at 100% CPU forever. The process is killed after 60 s, which fails the test.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ensureBundle, repoRoot } from '../protocol/lsp-test-client.js';
import { REDOS_VALUE, writeRedosWorkspace } from '../support/redos-fixture.js';

test('validate on a ReDoS CRD pattern ends with the pattern finding', async () => {
  ensureBundle();
  const dir = mkdtempSync(join(tmpdir(), 'gitops-lens-redos-cli-'));
  try {
    writeRedosWorkspace(dir);
    const child = spawn(process.execPath, [join(repoRoot, 'dist', 'cli.js'), 'validate', dir, '--output', 'json'], { cwd: dir });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    clearTimeout(killer);
    assert.equal(code, 1, `exit ${code} (null: killed after 60 s, the validator hung)`);
    const report = JSON.parse(stdout) as { files: { path: string; findings: { code: string; message: string }[] }[] };
    const findings = report.files.flatMap((f) => f.findings);
    const hit = findings.find((f) => f.code === 'pattern-mismatch');
    assert.ok(hit, JSON.stringify(findings));
    assert.ok(hit.message.includes(REDOS_VALUE));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
