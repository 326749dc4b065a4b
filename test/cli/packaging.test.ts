/**
 * The .vsix holds only what the extension needs at run time: the bundles, the
 * schemas, the manifest, README and LICENSE (`.vscodeignore` is an allowlist).
 * `vsce ls` lists exactly the files `vsce package` would put in it. The
 * end-to-end tier installs the packaged .vsix itself into code-server.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { it } from 'node:test';

const root = path.resolve(import.meta.dirname, '..', '..');

it('the .vsix holds only the bundles, schemas, manifest, README and LICENSE', () => {
  const vsce = path.join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
  const r = spawnSync(process.execPath, [vsce, 'ls', '--no-dependencies'], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, `vsce ls failed: ${r.stderr}`);
  const files = r.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  const allowed = /^(dist\/[^/]+\.(js|js\.map|json)|schemas\/.+\.json|package\.json|README\.md|LICENSE)$/;
  assert.deepEqual(files.filter((f) => !allowed.test(f)), [], 'files outside the allowlist');
  for (const needed of ['package.json', 'README.md', 'LICENSE', 'dist/extension.js', 'dist/server.js', 'dist/cli.js', 'schemas/index.json']) {
    assert.ok(files.includes(needed), `${needed} is missing from the .vsix`);
  }
});
