/**
 * The `validate` CLI on the real GitOps repositories in ../shared/corpora,
 * on the demo repository, and on its own usage errors and output formats.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { runCli, type CliIo } from '../../server/src/cli/main.js';

const repoRoot = path.resolve(__dirname, '../..');
const corpora = path.resolve(repoRoot, '../shared/corpora');
const flux = path.join(corpora, 'flux2-kustomize-helm-example');
const argo = path.join(corpora, 'argocd-example-apps');

async function cli(args: string[], cwd = repoRoot): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), cwd, env: {} };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}

interface JsonReport {
  summary: { files: number; errors: number; warnings: number; information: number };
  files: { path: string; findings: { line: number; column: number; severity: string; code: string; message: string }[] }[];
}

async function json(args: string[], cwd = repoRoot): Promise<{ code: number; report: JsonReport }> {
  const r = await cli(['validate', '--output', 'json', ...args], cwd);
  return { code: r.code, report: JSON.parse(r.stdout) };
}

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-lens-cli-'));
}

const corporaPresent = fs.existsSync(flux) && fs.existsSync(argo);
const skipCorpora = corporaPresent ? false : process.env.CI === 'true' ? false : `corpora not found at ${corpora}`;

test('the corpora are present (required in CI)', { skip: skipCorpora }, () => {
  assert.ok(corporaPresent, `test data missing: ${corpora} must hold flux2-kustomize-helm-example and argocd-example-apps`);
});

test('flux2-kustomize-helm-example: no errors or warnings; only the flux schema plugin\'s config file is unvalidated (cert-manager, Gateway API and Flux source-watcher come from the catalog)', { skip: skipCorpora }, async () => {
  const { code, report } = await json([flux], corpora);
  assert.equal(code, 0);
  assert.equal(report.summary.errors, 0);
  assert.equal(report.summary.warnings, 0);
  const info = report.files.flatMap((f) => f.findings.map((x) => `${f.path}:${x.line}:${x.column} ${x.code} ${x.message.split('.')[0]}`));
  assert.deepEqual(info.sort(), [
    'flux2-kustomize-helm-example/.fluxschema.yml:2:7 no-schema Not validated: no schema for schema',
  ].sort());
  for (const f of report.files) for (const x of f.findings) assert.equal(x.severity, 'information');
});

test('argocd-example-apps: no findings at all (Helm charts, values files, kustomizations and plain objects)', { skip: skipCorpora }, async () => {
  const { code, report } = await json([argo], corpora);
  assert.equal(code, 0);
  assert.deepEqual(report.files.filter((f) => f.findings.length > 0), []);
  assert.ok(report.summary.files > 40);
});

test('Flux resources are validated against their CRD schema: a mutated HelmRelease gets the CRD error', { skip: skipCorpora }, async () => {
  const dir = tempDir();
  const release = fs.readFileSync(path.join(flux, 'apps/base/podinfo/release.yaml'), 'utf8');
  assert.match(release, /^ {2}interval: /m);
  fs.writeFileSync(path.join(dir, 'release.yaml'), release.replace(/^ {2}interval: /m, '  intervall: '));
  const { code, report } = await json([dir]);
  assert.equal(code, 1);
  const codes = report.files[0].findings.map((x) => `${x.code}: ${x.message}`);
  assert.ok(codes.includes('unknown-field: Unknown field "intervall" in HelmRelease.spec. Did you mean "interval"?'), codes.join('\n'));
  assert.ok(codes.includes('missing-required: Missing required field "interval" in HelmRelease.spec.'), codes.join('\n'));
});

test('kustomize patches are partial objects: the corpus patch is clean in place, but not as a standalone object', { skip: skipCorpora }, async () => {
  const inPlace = await json([path.join(flux, 'apps/staging/podinfo-values.yaml')]);
  assert.equal(inPlace.code, 0);
  assert.deepEqual(inPlace.report.files[0].findings, []);
  const dir = tempDir();
  fs.copyFileSync(path.join(flux, 'apps/staging/podinfo-values.yaml'), path.join(dir, 'podinfo-values.yaml'));
  const alone = await json([dir]);
  assert.equal(alone.code, 1);
  assert.ok(alone.report.files[0].findings.every((x) => x.code === 'missing-required'));
});

test('Argo CD resources are validated against their CRD schema', async () => {
  const dir = tempDir();
  const app = `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: guestbook
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://example.invalid/argocd-example-apps.git
    targetRevision: HEAD
    path: guestbook
  destination:
    server: https://kubernetes.default.svc
    namespace: guestbook
  syncPolicy:
    automated:
      prune: true
      selfHeal: true
`;
  fs.writeFileSync(path.join(dir, 'app.yaml'), app);
  assert.equal((await json([dir])).code, 0);
  fs.writeFileSync(path.join(dir, 'app.yaml'), app.replace('    targetRevision: HEAD\n', '    targetRevison: HEAD\n'));
  const { code, report } = await json([dir]);
  assert.equal(code, 1);
  assert.deepEqual(report.files[0].findings.map((x) => [x.line, x.column, x.code, x.message]), [
    [10, 5, 'unknown-field', 'Unknown field "targetRevison" in Application.spec.source. Did you mean "targetRevision"?'],
  ]);
});

test('the demo repository reports its deliberate mistakes in file:line:col form with exit code 1', async () => {
  const { code, stdout } = await cli(['validate', 'examples']);
  assert.equal(code, 1);
  assert.equal(stdout, [
    'examples/apps/podinfo/deployment.yaml:8:3: error: Unknown field "replica" in Deployment.spec. Did you mean "replicas"? [unknown-field]',
    'examples/apps/podinfo/deployment.yaml:20:28: error: Invalid value "Allways" at spec.template.spec.containers[0].imagePullPolicy. Allowed: "Always", "IfNotPresent", "Never". Did you mean "Always"? [invalid-enum]',
    'examples/apps/podinfo/deployment.yaml:23:30: error: Expected integer (int32) at spec.template.spec.containers[0].ports[0].containerPort, got string "http". [type-mismatch]',
    'examples/apps/podinfo/pdb.yaml:2:7: error: Unknown kind "PodDisruptionBudjet" for apiVersion policy/v1. Did you mean "PodDisruptionBudget"? [unknown-kind]',
    '10 files checked: 4 errors, 0 warnings, 0 information.',
    // The PodDisruptionBudjet has no schema: its kind is a typo.
    'Schema coverage: 7 of 8 objects (87.5%) had a schema.',
    '',
  ].join('\n'));
});

test('SARIF output is SARIF 2.1.0 with one result per finding', async () => {
  const { code, stdout } = await cli(['validate', '-o', 'sarif', 'examples/apps/podinfo']);
  assert.equal(code, 1);
  const sarif = JSON.parse(stdout);
  assert.equal(sarif.version, '2.1.0');
  const run = sarif.runs[0];
  assert.equal(run.tool.driver.name, 'gitops-lens');
  assert.equal(run.results.length, 4);
  const first = run.results[0];
  assert.equal(first.ruleId, 'unknown-field');
  assert.equal(first.level, 'error');
  assert.equal(run.tool.driver.rules[first.ruleIndex].id, 'unknown-field');
  assert.deepEqual(first.locations[0].physicalLocation, {
    artifactLocation: { uri: 'examples/apps/podinfo/deployment.yaml', uriBaseId: '%SRCROOT%' },
    region: { startLine: 8, startColumn: 3, endLine: 8, endColumn: 10 },
  });
});

test('valid input exits 0; usage errors exit 2 with a message', async () => {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\ndata: {a: b}\n');
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.writeFileSync(path.join(dir, 'node_modules', 'bad.yaml'), 'apiVersion: v1\nkind: Nope\n');
  const ok = await cli(['validate', dir]);
  assert.equal(ok.code, 0, ok.stdout);
  assert.match(ok.stdout, /^1 file checked: 0 errors, 0 warnings, 0 information\.\nSchema coverage: 1 of 1 object \(100%\) had a schema\.\n$/);
  const none = await cli(['validate']);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /no paths given/);
  const bad = await cli(['validate', '--bogus', dir]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /unknown option --bogus/);
  const missing = await cli(['validate', path.join(dir, 'nope')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /no such file or folder/);
  const format = await cli(['validate', '--output', 'xml', dir]);
  assert.equal(format.code, 2);
  const unknown = await cli(['frobnicate']);
  assert.equal(unknown.code, 2);
  const help = await cli(['validate', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: gitops-lens validate/);
  const top = await cli(['--help']);
  assert.equal(top.code, 0);
  assert.match(top.stdout, /validate {2}Validate Kubernetes manifests/);
});

test('huge, binary and bomb files get one clear finding each and no crash', async () => {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'huge.yaml'), 'a: 1\n'.repeat(300_000));
  fs.writeFileSync(path.join(dir, 'binary.yaml'), Buffer.from([0x61, 0x3a, 0x00, 0xff, 0xfe]));
  fs.writeFileSync(path.join(dir, 'bomb.yaml'), 'a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n');
  const { code, report } = await json([dir, '--max-file-size', '1000']);
  assert.equal(code, 1);
  assert.deepEqual(report.files.map((f) => [f.path.split('/').pop(), f.findings.map((x) => x.code)]), [
    ['binary.yaml', ['binary-content']],
    ['bomb.yaml', ['yaml-alias-limit']],
    ['huge.yaml', ['file-too-large']],
  ]);
});

test('worker threads give the same report as one thread', { skip: skipCorpora }, async () => {
  const one = await cli(['validate', '-o', 'json', '--jobs', '1', corpora]);
  const two = await cli(['validate', '-o', 'json', '--jobs', '2', corpora]);
  // The corpora hold true defects (see validate-corpora.test.ts), so the exit code is 1 or 0 alike.
  assert.equal(two.code, one.code);
  assert.notEqual(one.code, 2, one.stderr);
  assert.ok(JSON.parse(one.stdout).summary.files > 800);
  assert.equal(two.stdout, one.stdout);
  const bad = await cli(['validate', '--jobs', '0', corpora]);
  assert.equal(bad.code, 2);
});
