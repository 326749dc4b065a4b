/**
 * Issue 18, finding 10: cyclic and self-referencing kustomizations were skipped silently ("no
 * Kubernetes manifests found", exit 0) where kustomize says "cycle detected". Now each cycle is
 * a render problem on the kustomization, naming the cycle.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { renderDesired } from '../../server/src/render/render-desired.js';

function repo(files: Record<string, string>): { root: string; remove(): void } {
  const root = mkdtempSync(path.join(os.tmpdir(), 'gitops-lens-cycles-'));
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), text);
  }
  return { root, remove: () => rmSync(root, { recursive: true, force: true }) };
}

test('a two-folder cycle and a self-reference are reported on their kustomizations', async () => {
  const r = repo({
    'a/kustomization.yaml': 'resources: [../b, cm.yaml]\n',
    'a/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n',
    'b/kustomization.yaml': 'resources: [../a]\n',
    'self/kustomization.yaml': 'resources: [., ./cm.yaml]\n',
    'self/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: s}\n',
    'ok/kustomization.yaml': 'resources: [cm.yaml]\n',
    'ok/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n',
  });
  try {
    const result = await renderDesired({ paths: [], root: r.root });
    const problems = result.problems.map((p) => `${path.relative(r.root, p.file)}: ${p.message}`).sort();
    assert.equal(problems.length, 2, problems.join('\n'));
    assert.match(problems[0]!, /^a\/kustomization\.yaml: kustomization cycle: a → b → a/);
    assert.match(problems[1]!, /^self\/kustomization\.yaml: kustomization cycle: self → self/);
    assert.deepEqual(result.objects.map((o) => o.object.metadata.name), ['ok']);
  } finally {
    r.remove();
  }
});
