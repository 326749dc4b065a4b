/**
 * Hostile and odd input through the real language server (dist/server.js
 * over stdio): a billion-laughs alias bomb, a 50 MB file, 10,000 anchors,
 * deeply nested flow collections, invalid UTF-8, a binary file named .yaml
 * and 5,000 documents in one file. Each file lives in its own workspace
 * folder (so the workspace scan reads it from disk too) and is opened in a
 * fresh server, whose peak memory (VmHWM from /proc/<pid>/status) is then
 * attributable to that file. Asserted: a clear diagnostic with the expected
 * code, the server still answers (hover, gitops/stats), it did not exit,
 * and its peak memory stays under a generous sanity bound. No timings are
 * asserted; figures are printed with the prefix `[reliability]` for
 * docs/RELIABILITY.md. The big files are generated here, never committed.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { Diagnostic } from 'vscode-languageserver-protocol';
import * as hostile from '../fixtures/hostile/generate-hostile.js';
import { ensureBundle, LspTestClient } from './lsp-test-client.js';

/** Peak and current resident memory of a process, in MB (Linux /proc). */
function memoryOf(pid: number): { hwmMb: number; rssMb: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { hwmMb: Math.round(kb('VmHWM') / 1024), rssMb: Math.round(kb('VmRSS') / 1024) };
  } catch {
    return undefined;
  }
}

interface Case {
  name: string;
  file: string;
  bytes: () => Buffer;
  /** The diagnostic code that must be reported, or null when the file is fine and nothing may be an error. */
  code: string | null;
  settings?: Record<string, unknown>;
  /** Generous sanity bound on the server's peak RSS. */
  maxPeakMb: number;
}

const cases: Case[] = [
  { name: 'billion-laughs alias bomb', file: 'bomb.yaml', bytes: hostile.billionLaughs, code: 'yaml-alias-limit', maxPeakMb: 400 },
  { name: '50 MB file (default maxFileSizeKB)', file: 'huge.yaml', bytes: () => hostile.hugeFile(50), code: 'file-too-large', maxPeakMb: 1200 },
  { name: '50 MB file with maxFileSizeKB raised to 100 MB (engine cap)', file: 'huge.yaml', bytes: () => hostile.hugeFile(50), code: 'file-too-large', settings: { maxFileSizeKB: 100 * 1024 }, maxPeakMb: 1200 },
  { name: '10,000 anchors (and aliases)', file: 'anchors.yaml', bytes: () => hostile.manyAnchors(10_000), code: 'yaml-alias-limit', maxPeakMb: 500 },
  { name: 'flow collections nested 10,000 deep', file: 'deep.yaml', bytes: () => hostile.deepFlow(10_000), code: 'yaml-unparsable', maxPeakMb: 400 },
  { name: 'invalid UTF-8', file: 'latin1.yaml', bytes: hostile.invalidUtf8, code: 'invalid-utf8', maxPeakMb: 400 },
  { name: 'binary file named .yaml', file: 'image.yaml', bytes: () => hostile.binaryFile(256 * 1024), code: 'binary-content', maxPeakMb: 400 },
  { name: '5,000 documents in one file', file: 'many.yaml', bytes: () => hostile.manyDocuments(5_000), code: null, maxPeakMb: 800 },
];

describe('hostile input over the real LSP connection', () => {
  const root = mkdtempSync(join(tmpdir(), 'gitops-lens-hostile-'));
  const figures: string[] = [];

  before(() => ensureBundle());
  after(() => {
    rmSync(root, { recursive: true, force: true });
    for (const f of figures) console.log(f);
  });

  for (const c of cases) {
    it(`${c.name}: a clear diagnostic, no crash, no hang, bounded memory`, async () => {
      const folder = mkdtempSync(join(root, 'case-'));
      const path = join(folder, c.file);
      const bytes = c.bytes();
      writeFileSync(path, bytes);
      const uri = pathToFileURL(path).href;
      const { client } = await LspTestClient.start({ folders: [folder], trusted: false, settings: { validation: { debounceMs: 0 }, ...(c.settings ?? {}) } });
      const pid = client.process.pid!;
      try {
        const baseline = memoryOf(pid);
        // What VS Code sends for a file that is not UTF-8: the bytes decoded with U+FFFD replacements.
        await client.open(uri, bytes.toString('utf8'));
        const diagnostics: Diagnostic[] = await client.diagnosticsFor(uri, 1, 120_000);
        if (c.code) {
          const d = diagnostics.find((x) => x.code === c.code);
          assert.ok(d, `expected a "${c.code}" diagnostic, got ${JSON.stringify(diagnostics.map((x) => [x.code, x.message]))}`);
          const message = typeof d.message === 'string' ? d.message : d.message.value;
          assert.ok(message.length > 20 && /\.\s|\.$/.test(message), `the message says what happened and what to do: ${message}`);
        } else {
          assert.deepEqual(diagnostics.filter((x) => x.severity === 1), [], 'no error on valid documents');
        }
        // Still responsive: a hover on the file and a custom request both answer.
        await client.hover(uri, 0, 1);
        const stats = await client.stats();
        assert.ok(stats, 'gitops/stats answered');
        assert.equal(client.process.exitCode, null, 'the server is still running');
        const mem = memoryOf(pid);
        if (mem) {
          figures.push(`[reliability] ${c.name}: ${(bytes.length / 1024 / 1024).toFixed(2)} MB file, server peak RSS ${mem.hwmMb} MB (at start ${baseline?.hwmMb} MB), RSS after ${mem.rssMb} MB`);
          assert.ok(mem.hwmMb < c.maxPeakMb, `peak RSS ${mem.hwmMb} MB under the sanity bound of ${c.maxPeakMb} MB`);
        }
      } finally {
        assert.equal(await client.stop(), 0, 'clean exit');
        rmSync(folder, { recursive: true, force: true });
      }
    });
  }

  it('duplicate keys, empty documents, Helm templates, kustomize patches and JSON-as-YAML are handled as validation specifies', async () => {
    const folder = mkdtempSync(join(root, 'odd-'));
    mkdirSync(join(folder, 'chart', 'templates'), { recursive: true });
    mkdirSync(join(folder, 'overlay'), { recursive: true });
    const files: Record<string, string> = {
      'dup.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dup\n  name: dup2\ndata: {}\n',
      'empty.yaml': '---\n---\n# only a comment\n---\n',
      'chart/Chart.yaml': 'apiVersion: v2\nname: demo\nversion: 0.1.0\n',
      'chart/templates/deployment.yaml':
        'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ include "demo.fullname" . }}\nspec:\n  replicas: {{ .Values.replicas }}\n  {{- with .Values.selector }}\n  selector: {{ toYaml . | nindent 4 }}\n  {{- end }}\n',
      'overlay/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [../base]\npatches:\n  - path: replicas.yaml\n',
      'overlay/replicas.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 5\n',
      'json.yaml': JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'from-json' }, data: { a: 'b' }, bogusField: 1 }, null, 2) + '\n',
    };
    for (const [name, text] of Object.entries(files)) writeFileSync(join(folder, name), text);
    const { client } = await LspTestClient.start({ folders: [folder], trusted: false, settings: { validation: { debounceMs: 0 } } });
    try {
      // Let the workspace scan learn the kustomization and the chart before the files are opened.
      await client.waitFor(async () => (await client.stats()) !== undefined, 'server ready');
      const diag = async (name: string) => {
        const uri = pathToFileURL(join(folder, name)).href;
        await client.open(uri, files[name]);
        return client.diagnosticsFor(uri, 1, 30_000);
      };
      const dup = await diag('dup.yaml');
      const d = dup.find((x) => x.code === 'duplicate-key');
      assert.ok(d, JSON.stringify(dup));
      assert.deepEqual(d.range, { start: { line: 4, character: 2 }, end: { line: 4, character: 6 } }, 'on the whole second key');
      assert.deepEqual(await diag('empty.yaml'), [], 'empty documents are not reported');
      assert.deepEqual((await diag('chart/templates/deployment.yaml')).filter((x) => x.severity === 1), [], 'Helm templates are not parsed as YAML');
      assert.deepEqual((await diag('overlay/replicas.yaml')).filter((x) => x.severity === 1), [], 'a kustomize patch needs no required fields');
      const json = await diag('json.yaml');
      assert.ok(json.some((x) => /bogusField/.test(JSON.stringify(x.message))), `JSON is YAML and is validated: ${JSON.stringify(json)}`);
      assert.equal(json.filter((x) => x.severity === 1 && !/bogusField/.test(JSON.stringify(x.message))).length, 0);
    } finally {
      assert.equal(await client.stop(), 0);
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
