/**
 * Secrets never shown, on every output path. A repo Secret and its live
 * counterpart (created with client-side `kubectl apply`, so it also carries
 * the last-applied annotation with the values) hold distinctive marker
 * strings; a second Secret is invalid (not base64) and is rejected by the
 * API server's dry-run. Then every output is collected and searched for the
 * marker and for the base64 form of every value:
 *
 * - over the real LSP connection: diagnostics, hovers on every value, the
 *   Preview Sync plan, both diff documents of every plan entry, every
 *   window/logMessage and the server's stderr;
 * - the CLI: validate, drift and preview, text and JSON, stdout and stderr.
 *
 * Issue 18 extended the sweep to error paths and Secret-derived values: a Secret with a
 * mapping under stringData (a forgotten `|`) and one with an unquoted number under data (the
 * API server's dry-run error echoes such values), a kustomize secretGenerator literal that
 * kustomize rejects (its error echoes the literal), a HelmRelease whose chart transforms a
 * valuesFrom Secret value (upper, double base64, embedded) and a Flux postBuild.substituteFrom
 * Secret variable. Every value is searched in plain text, base64, double base64, upper case
 * and reversed, in every output including the markdown plan.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { NO_TEST_CLUSTER_REASON, testCluster } from '../support/control-plane.js';
import { runCli } from '../../server/src/cli/main.js';
import { PreviewDocumentRequest, PreviewSyncRequest, previewDocumentUri } from '../../server/src/protocol/protocol.js';
import { ensureBundle, LspTestClient } from '../protocol/lsp-test-client.js';
import { lspRequest } from '../../server/src/lsp/lsp-messages.js';
import { helmBinaryPath } from '../../scripts/build-helm.mjs';

// helm renders the HelmRelease's chart; the CLI and the language server find it on PATH.
const helmDir = path.dirname(helmBinaryPath());
if (!fs.existsSync(helmBinaryPath()) && process.env.CI === 'true') throw new Error(`helm not found at ${helmBinaryPath()}`);
process.env.PATH = `${helmDir}${path.delimiter}${process.env.PATH ?? ''}`;

const cp = testCluster();
const skip = cp ? false : NO_TEST_CLUSTER_REASON;
const M = `MRKR${randomBytes(6).toString('hex')}`;
const NS = `robust-secrets-${randomBytes(3).toString('hex')}`;
const b64 = (s: string) => Buffer.from(s).toString('base64');

/** A numeric Secret value (an unquoted number under data), which no text marker can stand for. */
const NUM = String(randomInt(100_000_000_000, 999_999_999_999));
/** Every value a Secret in this test holds. */
const VALUES = [
  `desired-token-${M}`, `desired-data-${M}`, `live-token-${M}`, `live-data-${M}`, `live-only-${M}`, `invalid-${M}`,
  `nested-${M}`, NUM, `gen-literal-${M}`, `hr-secret-${M}`, `subst-${M}`,
];
const reversed = (s: string) => [...s].reverse().join('');
/** Each value as plain text, base64, double base64, upper case and reversed: what a chart or an error may make of it. */
const FORBIDDEN = [M, M.toUpperCase(), ...VALUES.flatMap((v) => [v, b64(v), b64(b64(v)), v.toUpperCase(), reversed(v)])];

function assertNoSecret(where: string, text: string): void {
  for (const f of FORBIDDEN) assert.ok(!text.includes(f), `${where} shows a Secret value (${f}):\n${text.slice(Math.max(0, text.indexOf(f) - 300), text.indexOf(f) + 100)}`);
}

const desiredSecret = `apiVersion: v1
kind: Secret
metadata:
  name: creds
  namespace: ${NS}
type: Opaque
stringData:
  token: desired-token-${M}
data:
  password: ${b64(`desired-data-${M}`)}
`;
const liveSecret = {
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'creds', namespace: NS },
  type: 'Opaque',
  data: { token: b64(`live-token-${M}`), password: b64(`live-data-${M}`), extra: b64(`live-only-${M}`) },
};
const invalidSecret = `apiVersion: v1
kind: Secret
metadata:
  name: broken
  namespace: ${NS}
type: Opaque
data:
  key: invalid-${M}!!
`;

/** A Secret whose stringData value is a mapping (the `|` was forgotten): the API server's error echoes it. */
const nestedSecret = `apiVersion: v1
kind: Secret
metadata:
  name: nested
  namespace: ${NS}
stringData:
  url:
    dsn: postgres://app:nested-${M}@db
`;
/** A Secret with an unquoted number under data. */
const numberSecret = `apiVersion: v1
kind: Secret
metadata:
  name: number
  namespace: ${NS}
data:
  pin: ${NUM}
`;
/** Everything else the sweep renders: a rejected generator literal, a HelmRelease and a Flux substitution fed by Secrets. */
const extraFiles: Record<string, string> = {
  'gen/kustomization.yaml': `namespace: ${NS}\nsecretGenerator:\n- name: gen\n  literals: ["gen-literal-${M}"]\n`,
  'charts/echo/Chart.yaml': 'apiVersion: v2\nname: echo\nversion: 0.1.0\n',
  'charts/echo/values.yaml': 'password: none\n',
  'charts/echo/templates/cm.yaml': [
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata:',
    '  name: echo-derived',
    'data:',
    '  plain: {{ .Values.password | quote }}',
    '  upper: {{ .Values.password | upper | quote }}',
    '  double: {{ .Values.password | b64enc | b64enc | quote }}',
    '  embedded: {{ printf "url=https://user:%s@host" .Values.password | quote }}',
    '  constant: "kept"',
    '',
  ].join('\n'),
  'apps/release.yaml': `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: echo, namespace: ${NS}}
spec:
  interval: 10m
  chart:
    spec:
      chart: ./charts/echo
      sourceRef: {kind: GitRepository, name: flux-system, namespace: flux-system}
  valuesFrom:
    - {kind: Secret, name: hr-values}
`,
  'clusters/subst.yaml': `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: subst, namespace: ${NS}}
spec:
  interval: 10m
  path: ./subst
  prune: false
  sourceRef: {kind: GitRepository, name: flux-system}
  postBuild:
    substituteFrom:
      - {kind: Secret, name: subst-vars}
`,
  'subst/cm.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: subst-cm\n  namespace: ${NS}\ndata:\n  url: postgres://app:\${DB_PASSWORD}@db\n  plain: kept\n`,
};

describe('Secret values appear on no output path', { skip }, () => {
  const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-lens-secrets-'));
  const apps = path.join(repo, 'apps');
  const files = { creds: path.join(apps, 'creds.yaml'), broken: path.join(apps, 'broken.yaml'), nested: path.join(apps, 'nested.yaml'), number: path.join(apps, 'number.yaml') };

  before(async () => {
    ensureBundle();
    fs.mkdirSync(apps, { recursive: true });
    fs.writeFileSync(files.creds, desiredSecret);
    fs.writeFileSync(files.broken, invalidSecret);
    fs.writeFileSync(files.nested, nestedSecret);
    fs.writeFileSync(files.number, numberSecret);
    for (const [rel, text] of Object.entries(extraFiles)) {
      fs.mkdirSync(path.dirname(path.join(repo, rel)), { recursive: true });
      fs.writeFileSync(path.join(repo, rel), text);
    }
    const ns = await cp!.kubectl(['create', 'namespace', NS]);
    assert.equal(ns.code, 0, ns.stderr);
    const sources = await cp!.kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [
          { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'hr-values', namespace: NS }, stringData: { 'values.yaml': `password: hr-secret-${M}\n` } },
          { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'subst-vars', namespace: NS }, stringData: { DB_PASSWORD: `subst-${M}` } },
        ],
      }),
    });
    assert.equal(sources.code, 0, sources.stderr);
    // Client-side apply: the live object also carries kubectl.kubernetes.io/last-applied-configuration with every value.
    const r = await cp!.kubectl(['apply', '-f', '-'], { input: JSON.stringify(liveSecret) });
    assert.equal(r.code, 0, r.stderr);
    const live = JSON.parse((await cp!.kubectl(['get', 'secret', 'creds', '-n', NS, '-o', 'json'])).stdout);
    assert.ok(JSON.stringify(live.metadata.annotations).includes(b64(`live-token-${M}`)), 'the last-applied annotation holds the values');
  });

  after(async () => {
    await cp?.kubectl(['delete', 'namespace', NS, '--wait=false']);
    fs.rmSync(repo, { recursive: true, force: true });
  });

  test('LSP: diagnostics, hovers, plan, diff documents, log messages and stderr', async () => {
    const { client } = await LspTestClient.start({
      folders: [repo],
      trusted: true,
      settings: { kubeconfig: cp!.kubeconfigPath, context: 'tool', validation: { debounceMs: 0 }, trace: { server: 'verbose' } },
    });
    try {
      const uris = { creds: pathToFileURL(files.creds).href, broken: pathToFileURL(files.broken).href, nested: pathToFileURL(files.nested).href, number: pathToFileURL(files.number).href };
      await client.open(uris.creds, desiredSecret);
      await client.open(uris.broken, invalidSecret);
      await client.open(uris.nested, nestedSecret);
      await client.open(uris.number, numberSecret);
      const drift = await client.waitFor(
        () => {
          const d = client.diagnostics.get(uris.creds)?.diagnostics.filter((x) => x.source === 'gitops-lens-drift' && x.code === 'drift-value');
          return d?.length ? d : undefined;
        },
        'drift on the Secret values',
        30_000,
      );
      assert.ok(drift.every((d) => JSON.stringify(d.message).includes('***')));
      const brokenDiags = await client.diagnosticsFor(uris.broken, 1, 20_000);
      assert.ok(brokenDiags.length > 0, 'the invalid Secret gets a diagnostic');
      const outputs: Array<[string, string]> = [];
      for (const [name, uri] of Object.entries(uris)) outputs.push([`diagnostics of ${name}`, JSON.stringify(client.diagnostics.get(uri))]);
      // Hover on every line and every character position of interest (keys and values).
      for (const [name, text] of [['creds', desiredSecret], ['broken', invalidSecret], ['nested', nestedSecret], ['number', numberSecret]] as const) {
        const lines = text.split('\n');
        for (let line = 0; line < lines.length; line++) {
          for (const character of [2, lines[line].indexOf(':') + 3]) {
            if (character < 0 || character > lines[line].length) continue;
            const hover = await client.hover(uris[name], line, character);
            if (hover) outputs.push([`hover ${name}:${line}:${character}`, JSON.stringify(hover)]);
          }
        }
      }
      assert.ok(outputs.some(([w, t]) => w.startsWith('hover creds') && t.includes('***')), 'a drift hover with masked values was produced');
      const plan = await client.connection.sendRequest(lspRequest(PreviewSyncRequest), { uris: [pathToFileURL(repo).href] });
      outputs.push(['plan', JSON.stringify(plan)]);
      const credsEntry = plan.entries.find((e) => e.name === 'creds');
      const brokenEntry = plan.entries.find((e) => e.name === 'broken');
      // Error paths: the API server's errors for malformed Secrets keep their reason and field path only.
      const nestedEntry = plan.entries.find((e) => e.name === 'nested');
      const numberEntry = plan.entries.find((e) => e.name === 'number');
      assert.equal(nestedEntry?.action, 'error', JSON.stringify(nestedEntry));
      assert.match(nestedEntry.message ?? '', /stringData/, 'the field path is kept');
      assert.match(nestedEntry.message ?? '', /message is not shown/, 'the value part of the message is dropped');
      assert.equal(numberEntry?.action, 'error', JSON.stringify(numberEntry));
      assert.match(numberEntry.message ?? '', /data/);
      // The generator literal kustomize rejected: the problem is reported without the literal.
      assert.ok(plan.entries.some((e) => e.action === 'error' && /kustomize build failed/.test(e.message ?? '')), JSON.stringify(plan.entries.map((e) => e.message)));
      assert.ok(plan.entries.some((e) => e.kind === 'ConfigMap' && e.name === 'echo-derived'), JSON.stringify(plan.entries.map((e) => `${e.action} ${e.kind} ${e.name}`)));
      assert.equal(credsEntry?.action, 'update', JSON.stringify(plan.entries));
      assert.equal(brokenEntry?.action, 'error', `the server rejects the invalid Secret: ${JSON.stringify(brokenEntry)}`);
      assert.match(brokenEntry.message ?? '', /rejected|invalid|base64/i, 'the rejection is explained');
      console.log(`[reliability] invalid Secret rejected by the API server, as shown: ${brokenEntry.message}`);
      for (let index = 0; index < plan.entries.length; index++) {
        const e = plan.entries[index]!;
        for (const side of ['live', 'after'] as const) {
          const doc = await client.connection.sendRequest(lspRequest(PreviewDocumentRequest), {
            uri: previewDocumentUri({ planId: plan.planId!, index, side, kind: e.kind, name: e.name, namespace: e.namespace }),
          });
          outputs.push([`diff document ${e.name}/${side}`, doc.text]);
        }
      }
      assert.ok(outputs.some(([w, t]) => w === 'diff document creds/live' && /\*\*\*/.test(t)), 'the live side is there, masked');
      // Secret-derived values: the fields they reach are marked and not compared.
      const after = (name: string) => outputs.find(([w]) => w === `diff document ${name}/after`)?.[1] ?? '';
      const derived = after('echo-derived');
      assert.match(derived, new RegExp(`plain: .*derived from Secret ${NS}/hr-values: not compared`), derived);
      assert.match(derived, /upper: .*derived from Secret/);
      assert.match(derived, /double: .*derived from Secret/);
      assert.match(derived, /embedded: .*derived from Secret/);
      assert.match(derived, /constant: kept/);
      const subst = after('subst-cm');
      assert.match(subst, new RegExp(`url: .*derived from Secret ${NS}/subst-vars: not compared`), subst);
      assert.match(subst, /plain: kept/);
      outputs.push(['window/logMessage', client.logs.join('\n')]);
      await client.stop();
      outputs.push(['server stderr', (client as unknown as { stderr: string }).stderr]);
      for (const [where, text] of outputs) assertNoSecret(where, text);
    } finally {
      if (client.process.exitCode === null) await client.stop();
    }
  });

  test('CLI: validate, drift and preview, text and JSON, stdout and stderr', async () => {
    const env = { ...process.env, KUBECONFIG: cp!.kubeconfigPath };
    const runs: Array<[string, string[]]> = [
      ['validate text', ['validate', 'apps']],
      ['validate json', ['validate', 'apps', '--output', 'json']],
      ['drift text', ['drift', 'apps', '--context', 'tool']],
      ['drift json', ['drift', 'apps', '--context', 'tool', '--output', 'json']],
      ['preview text', ['preview', 'apps', '--context', 'tool', '--kubeconfig', cp!.kubeconfigPath, '--root', repo]],
      ['preview json', ['preview', 'apps', '--context', 'tool', '--kubeconfig', cp!.kubeconfigPath, '--root', repo, '--output', 'json']],
      ['preview markdown', ['preview', '.', '--context', 'tool', '--kubeconfig', cp!.kubeconfigPath, '--root', repo, '--output', 'markdown']],
      ['preview all json', ['preview', '.', '--context', 'tool', '--kubeconfig', cp!.kubeconfigPath, '--root', repo, '--output', 'json']],
      ['preview all text', ['preview', '.', '--context', 'tool', '--kubeconfig', cp!.kubeconfigPath, '--root', repo]],
    ];
    for (const [name, args] of runs) {
      let stdout = '';
      let stderr = '';
      const code = await runCli(args, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), cwd: repo, env });
      assert.ok(code === 1 || code === 2, `${name}: exit ${code} reports the problems (${stderr})`);
      assert.ok(stdout.length > 0, `${name} printed a report (exit ${code}, stderr: ${stderr})`);
      assertNoSecret(`${name} stdout`, stdout);
      assertNoSecret(`${name} stderr`, stderr);
      if (name.startsWith('preview')) assert.match(stdout, /broken/, `${name} lists the rejected Secret`);
    }
  });
});
