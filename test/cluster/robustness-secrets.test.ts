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
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
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

const cp = testCluster();
const skip = cp ? false : NO_TEST_CLUSTER_REASON;
const M = `MRKR${randomBytes(6).toString('hex')}`;
const NS = `robust-secrets-${randomBytes(3).toString('hex')}`;
const b64 = (s: string) => Buffer.from(s).toString('base64');

/** Every value a Secret in this test holds, as plain text and base64. */
const VALUES = [`desired-token-${M}`, `desired-data-${M}`, `live-token-${M}`, `live-data-${M}`, `live-only-${M}`, `invalid-${M}`];
const FORBIDDEN = [M, ...VALUES.map(b64), ...VALUES];

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

describe('Secret values appear on no output path', { skip }, () => {
  const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-lens-secrets-'));
  const apps = path.join(repo, 'apps');
  const files = { creds: path.join(apps, 'creds.yaml'), broken: path.join(apps, 'broken.yaml') };

  before(async () => {
    ensureBundle();
    fs.mkdirSync(apps, { recursive: true });
    fs.writeFileSync(files.creds, desiredSecret);
    fs.writeFileSync(files.broken, invalidSecret);
    const ns = await cp!.kubectl(['create', 'namespace', NS]);
    assert.equal(ns.code, 0, ns.stderr);
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
      const uris = { creds: pathToFileURL(files.creds).href, broken: pathToFileURL(files.broken).href };
      await client.open(uris.creds, desiredSecret);
      await client.open(uris.broken, invalidSecret);
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
      for (const [name, text] of [['creds', desiredSecret], ['broken', invalidSecret]] as const) {
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
