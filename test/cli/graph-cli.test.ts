/**
 * The `graph` CLI verb on the reference fixtures (text, DOT, JSON, exit
 * codes, usage errors) and the broken-reference findings that `validate`
 * reports with the same engine as the editor (`--no-references` turns them
 * off).
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { runCli, type CliIo } from '../../server/src/cli/main.js';

const repoRoot = path.resolve(__dirname, '../..');
const fixtures = path.join(repoRoot, 'test/fixtures/references');
const valid = path.join(fixtures, 'valid');
const broken = path.join(fixtures, 'broken');

async function cli(args: string[], cwd = repoRoot): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), cwd, env: {} };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}

test('graph prints the dependency tree of a repository as text', async () => {
  const r = await cli(['graph', '--root', valid, valid]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^cluster argocd\n {2}Application argocd\/root → argocd\/apps {2}\(argocd\/root-app\.yaml:4\)\n/);
  assert.match(r.stdout, /\n {4}Kustomization flux-system\/apps → apps\/production {2}\(clusters\/production\/apps\.yaml:4\)\n {8}depends on Kustomization flux-system\/infra-configs\n/);
});

test('graph --output json and dot describe the same graph', async () => {
  const json = await cli(['graph', '--root', valid, '-o', 'json', valid]);
  assert.equal(json.code, 0);
  const graph = JSON.parse(json.stdout) as { nodes: Array<{ id: string; name: string; kind: string; dependsOn: Array<{ id?: string }> }>; cycles: string[][] };
  const apps = graph.nodes.find((n) => n.name === 'apps')!;
  assert.deepEqual(apps.dependsOn.map((e) => e.id), ['production|Kustomization|flux-system|infra-configs']);
  assert.deepEqual(graph.nodes.filter((n) => n.kind === 'HelmRelease').map((n) => n.name), ['metrics']);
  const dot = await cli(['graph', '--root', valid, '--output=dot', valid]);
  assert.equal(dot.code, 0);
  assert.match(dot.stdout, /"production\|Kustomization\|flux-system\|apps" -> "production\|Kustomization\|flux-system\|infra-configs" \[style=dashed, label="dependsOn"\];/);
});

test('graph exits 1 and lists the cycles when dependsOn loops', async () => {
  const r = await cli(['graph', '--root', broken, broken]);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /\ndependsOn cycles:\n {2}flux-system\/cycle-a → flux-system\/cycle-b → flux-system\/cycle-a\n$/);
  assert.match(r.stdout, /depends on Kustomization flux-system\/nowhere \(missing\)/);
});

test('graph refuses a bad output format and a missing path', async () => {
  const bad = await cli(['graph', '-o', 'svg', valid]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--output must be text, dot or json \(got "svg"\)/);
  const missing = await cli(['graph', path.join(valid, 'nope')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /no such file or folder/);
});

test('validate reports broken references with the editor\'s checks; --no-references turns them off', async () => {
  const r = await cli(['validate', '--root', broken, '-o', 'json', broken]);
  const report = JSON.parse(r.stdout) as { files: Array<{ path: string; findings: Array<{ line: number; column: number; code: string; severity: string }> }> };
  const refs = report.files.flatMap((f) => f.findings.filter((x) => /not-found|missing|cycle|denied|matches-nothing/.test(x.code)).map((x) => `${f.path.replace(/^.*references\/broken\//, '')}:${x.line}:${x.column} ${x.code}`));
  assert.equal(refs.length, 18, refs.join('\n'));
  assert.ok(refs.includes('clusters/dev/flux.yaml:34:13 depends-on-not-found'));
  assert.ok(refs.includes('apps/kustomization.yaml:9:5 kustomize-entry-missing'));
  assert.equal(r.code, 1, 'kustomize entries, cycles and denied destinations are errors');
  const off = await cli(['validate', '--root', broken, '--no-references', '-o', 'json', broken]);
  const quiet = JSON.parse(off.stdout) as typeof report;
  assert.deepEqual(quiet.files.flatMap((f) => f.findings.filter((x) => /not-found|missing|cycle|denied|matches-nothing/.test(x.code))), []);
});

test('validate reports no broken reference where the links are valid', async () => {
  const r = await cli(['validate', '--root', valid, '-o', 'json', valid]);
  const report = JSON.parse(r.stdout) as { files: Array<{ findings: Array<{ code: string }> }> };
  assert.deepEqual(report.files.flatMap((f) => f.findings.map((x) => x.code)).filter((c) => /not-found|missing|cycle|denied|matches-nothing/.test(c)), []);
});
