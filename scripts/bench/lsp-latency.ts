/**
 * didChange → publishDiagnostics latency of one language server on a
 * 200-document file, driven by the protocol tests' client
 * (test/protocol/lsp-test-client.ts). Run by scripts/bench-validate.ts once
 * per server, in its own process, because the client reads the server to
 * start from GITOPS_LENS_SERVER_BUNDLE when it is loaded:
 *
 *   GITOPS_LENS_SERVER_BUNDLE=<server main> node --import tsx scripts/bench/lsp-latency.ts <config.json>
 *
 * config.json: { server: 'gitops-lens' | 'yaml-language-server', file, edits,
 * warmup, debounceMs, schemaUri?, plantedLines, editLines }.
 * Prints one JSON line with the samples (ms, debounce already subtracted).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  ConfigurationRequest,
  DidChangeConfigurationNotification,
  PublishDiagnosticsNotification,
  type Diagnostic,
  type PublishDiagnosticsParams,
} from 'vscode-languageserver-protocol';
import { LspTestClient } from '../../test/protocol/lsp-test-client.js';

interface Config {
  server: 'gitops-lens' | 'yaml-language-server';
  file: string;
  edits: number;
  warmup: number;
  /** The server's own debounce, subtracted from every sample (0 when it was set to 0). */
  debounceMs: number;
  schemaUri?: string;
  /** 0-based lines that carry a planted error: the server must report each of them. */
  plantedLines: number[];
  /** 0-based line of each document's `acme.io/bench-rev` annotation value, which the edits change. */
  editLines: number[];
}

const config = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as Config;
const text = readFileSync(config.file, 'utf8');
const lines = text.split('\n');
const uri = pathToFileURL(config.file).href;

const yamlSettings = {
  validate: true,
  hover: false,
  completion: false,
  format: { enable: false },
  schemaStore: { enable: false },
  kubernetesCRDStore: { enable: false },
  schemas: config.schemaUri ? { [config.schemaUri]: ['*.yaml'] } : {},
  maxItemsComputed: 5000,
};

async function main(): Promise<void> {
  const { client } = await LspTestClient.start({
    folders: [path.dirname(config.file)],
    trusted: false,
    settings: { validation: { enable: true, debounceMs: 0 } },
  });

  // The harness answers only the gitopsLens section; yaml-language-server pulls `yaml`,
  // `http`, `[yaml]` and `editor`, so answer those too (null stays null for gitops-lens).
  client.connection.onRequest(ConfigurationRequest.type, (params) => params.items.map((item) => {
    if (item.section === 'gitopsLens') return { validation: { enable: true, debounceMs: 0 } };
    if (item.section === 'yaml') return yamlSettings;
    if (item.section === 'http') return { proxy: '', proxyStrictSSL: false };
    if (item.section === '[yaml]' || item.section === 'editor') return {};
    return null;
  }));

  // Record every publish with its arrival time; the harness's own map is kept up to date too.
  const publishes: Array<{ at: number; params: PublishDiagnosticsParams }> = [];
  client.connection.onNotification(PublishDiagnosticsNotification.type, (p) => {
    client.diagnostics.set(p.uri, p);
    if (p.uri === uri) publishes.push({ at: performance.now(), params: p });
  });
  await client.connection.sendNotification(DidChangeConfigurationNotification.type, { settings: { yaml: yamlSettings } });

  const onLine = (d: Diagnostic[], line: number) => d.some((x) => x.range.start.line <= line && x.range.end.line >= line);

  // Open and wait until the first publish that reports every planted error: that proves the
  // server really validates against the schema (yaml-language-server may first publish
  // before its settings arrive).
  const openedAt = performance.now();
  await client.open(uri, text);
  const first = await client.waitFor(() => {
    const p = publishes.at(-1);
    return p && config.plantedLines.every((l) => onLine(p.params.diagnostics, l)) ? p : undefined;
  }, 'diagnostics on every planted error', 60_000);
  const openMs = first.at - openedAt;
  const initialDiagnostics = first.params.diagnostics.map((d) => ({ line: d.range.start.line, message: (typeof d.message === 'string' ? d.message : d.message.value).slice(0, 160) }));

  const samples: number[] = [];
  let version = 1;
  for (let i = 0; i < config.warmup + config.edits; i++) {
    const line = config.editLines[(i * 37) % config.editLines.length]!;
    const old = lines[line]!;
    const col = old.indexOf('"');
    const value = `"${i + 1}-${'x'.repeat(i % 7)}"`;
    lines[line] = old.slice(0, col) + value;
    const before = publishes.length;
    const sentAt = performance.now();
    version = await client.change(uri, [{ range: { start: { line, character: col }, end: { line, character: old.length } }, text: value }]);
    const p = await client.waitFor(() => {
      for (let j = before; j < publishes.length; j++) {
        const pub = publishes[j]!;
        if (pub.params.version === undefined || pub.params.version === version) return pub;
      }
      return undefined;
    }, `diagnostics for edit ${i + 1}`, 60_000);
    if (i >= config.warmup) samples.push(p.at - sentAt - config.debounceMs);
  }
  const finalDiagnostics = client.diagnostics.get(uri)?.diagnostics.length ?? 0;
  await client.stop();
  console.log(JSON.stringify({ server: config.server, openMs, samples, initialDiagnostics, finalDiagnostics }));
}

main().catch((err) => {
  console.error(err instanceof Error ? err.stack ?? err.message : String(err));
  process.exit(1);
});
