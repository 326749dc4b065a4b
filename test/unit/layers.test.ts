/**
 * The layer rule, enforced: every import of client/src and server/src is read
 * with the TypeScript parser and checked against LAYERS below, the one place
 * where the allowed directions are written (ARCHITECTURE.md quotes it). An
 * import that runs against them fails this test with the file, the import and
 * the rule it breaks. The test also keeps `vscode` out of the engine, LSP
 * libraries out of server/src/protocol at runtime, the client away from
 * server internals, and the runtime import graph free of cycles.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Which folder may import which (runtime or type-only). Folders are under
 * server/src unless they start with `client/`; `findings` is server/src/findings.ts.
 * Read top-down: a folder may import only folders listed for it, never one above it.
 */
export const LAYERS: Record<string, readonly string[]> = {
  // Faces: the VS Code client (protocol only), the language server and the CLI.
  'client/src': ['protocol'],
  lsp: ['preview', 'drift', 'validation', 'graph', 'render', 'protocol', 'cluster', 'schemas', 'manifests', 'secrets', 'util', 'findings'],
  cli: ['preview', 'drift', 'validation', 'graph', 'render', 'protocol', 'cluster', 'schemas', 'manifests', 'secrets', 'util', 'findings'],
  // Features: preview and drift share the render pipeline and never import each other.
  preview: ['render', 'protocol', 'cluster', 'schemas', 'manifests', 'secrets', 'util', 'findings'],
  drift: ['render', 'protocol', 'cluster', 'schemas', 'manifests', 'secrets', 'util', 'findings'],
  validation: ['cel', 'schemas', 'manifests', 'util', 'findings'],
  // CRD CEL rules, evaluated for validation (bundled apart as dist/cel.js).
  cel: ['schemas', 'util', 'findings'],
  // The repository graph (navigation, broken references, the dependency graph): an engine of its own beside the features.
  graph: ['render', 'protocol', 'cluster', 'manifests', 'util', 'findings'],
  render: ['cluster', 'manifests', 'secrets', 'util', 'findings'],
  // The wire contract: plain types and pure functions (cluster types by `import type` only).
  protocol: ['cluster', 'findings'],
  // Foundations.
  cluster: ['secrets', 'util', 'findings'],
  schemas: ['manifests', 'util', 'findings'],
  manifests: ['util', 'findings'],
  secrets: ['util'],
  util: [],
  findings: [],
};

/** Layers that may use these folders through `import type` only (nothing of theirs runs in the importer). */
const TYPE_ONLY: Record<string, readonly string[]> = { protocol: ['cluster'] };

/**
 * Runtime cycles that exist today and are owned elsewhere: listed so that the
 * test still fails on any new one. Remove an entry when its cycle is broken.
 */
const KNOWN_CYCLES: readonly string[] = [
  // classify-document.ts and kustomize-namespaces.ts use each other (is-kustomization, path normalization ↔ the namespace index).
  'server/src/manifests/classify-document.ts → server/src/manifests/kustomize-namespaces.ts → server/src/manifests/classify-document.ts',
];

/** Packages the protocol folder may load at runtime: none; it is bundled into the client and the server alike. */
const PROTOCOL_RUNTIME_PACKAGES: readonly string[] = [];

interface Import {
  from: string;
  spec: string;
  /** Resolved repository path for relative imports. */
  target?: string;
  typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const rel = path.posix.join(dir, e.name);
    if (e.isDirectory()) out.push(...sourceFiles(rel));
    else if (e.name.endsWith('.ts')) out.push(rel);
  }
  return out;
}

function importsOf(file: string): Import[] {
  const text = fs.readFileSync(path.join(root, file), 'utf8');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const out: Import[] = [];
  const add = (spec: string, typeOnly: boolean) => {
    const target = spec.startsWith('.') ? path.posix.normalize(path.posix.join(path.posix.dirname(file), spec)).replace(/\.js$/, '.ts') : undefined;
    out.push({ from: file, spec, target, typeOnly });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const allTypes =
        !!clause &&
        (clause.isTypeOnly ||
          (!clause.name && !!clause.namedBindings && ts.isNamedImports(clause.namedBindings) && clause.namedBindings.elements.length > 0 && clause.namedBindings.elements.every((e) => e.isTypeOnly)));
      add(node.moduleSpecifier.text, allTypes);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      add(node.moduleSpecifier.text, node.isTypeOnly);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteral(node.arguments[0])) {
      add(node.arguments[0].text, false);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

/** The layer of a repository path, or undefined outside client/src and server/src. */
function layerOf(file: string): string | undefined {
  if (file.startsWith('client/src/')) return 'client/src';
  if (file === 'server/src/findings.ts') return 'findings';
  const m = /^server\/src\/([^/]+)\//.exec(file);
  return m ? m[1] : undefined;
}

const files = [...sourceFiles('server/src'), ...sourceFiles('client/src')];
const imports = files.flatMap(importsOf);

test('every engine and client folder has a place in the layer table', () => {
  const unknown = [...new Set(files.map((f) => layerOf(f) ?? f))].filter((l) => !(l in LAYERS));
  assert.deepEqual(unknown, [], 'add new folders to LAYERS in test/unit/layers.test.ts (and the table in ARCHITECTURE.md)');
});

test('imports only run downward, as LAYERS allows', () => {
  const broken: string[] = [];
  for (const i of imports) {
    if (!i.target) continue;
    const from = layerOf(i.from)!;
    const to = layerOf(i.target);
    if (to === undefined) {
      broken.push(`${i.from}: imports ${i.spec}, outside client/src and server/src`);
      continue;
    }
    if (from === to) continue;
    if (!LAYERS[from]?.includes(to)) broken.push(`${i.from}: imports ${i.spec} (${from} → ${to} is not allowed)`);
    else if (TYPE_ONLY[from]?.includes(to) && !i.typeOnly) broken.push(`${i.from}: imports ${i.spec} at runtime (${from} may only \`import type\` from ${to})`);
  }
  assert.deepEqual(broken, []);
});

test('no vscode import under server/src; the client imports nothing of the server but server/src/protocol', () => {
  const broken = imports
    .filter((i) =>
      i.from.startsWith('server/src/')
        ? i.spec === 'vscode' || i.spec.startsWith('vscode/')
        : !!i.target?.startsWith('server/') && !i.target.startsWith('server/src/protocol/'),
    )
    .map((i) => `${i.from}: ${i.spec}`);
  assert.deepEqual(broken, []);
});

test('server/src/protocol loads no package at runtime (no LSP library): plain types and pure functions', () => {
  const broken = imports
    .filter((i) => i.from.startsWith('server/src/protocol/') && !i.target && !i.typeOnly && !PROTOCOL_RUNTIME_PACKAGES.includes(i.spec))
    .map((i) => `${i.from}: ${i.spec}`);
  assert.deepEqual(broken, []);
});

test('the runtime import graph has no cycles (but the known ones listed above)', () => {
  const edges = new Map<string, string[]>();
  for (const i of imports) if (i.target && !i.typeOnly) edges.set(i.from, [...(edges.get(i.from) ?? []), i.target]);
  const state = new Map<string, 'open' | 'done'>();
  const cycles: string[] = [];
  const visit = (f: string, stack: string[]): void => {
    if (state.get(f) === 'done') return;
    if (state.get(f) === 'open') {
      cycles.push([...stack.slice(stack.indexOf(f)), f].join(' → '));
      return;
    }
    state.set(f, 'open');
    for (const t of edges.get(f) ?? []) visit(t, [...stack, f]);
    state.set(f, 'done');
  };
  for (const f of files) visit(f, []);
  assert.deepEqual(cycles.filter((c) => !KNOWN_CYCLES.includes(c)), []);
});

test('the checker sees what it checks: a known import of each kind is found', () => {
  assert.ok(imports.some((i) => i.from === 'client/src/status-bar.ts' && i.target === 'server/src/protocol/protocol.ts' && i.typeOnly));
  assert.ok(imports.some((i) => i.from === 'server/src/drift/rendered-desired.ts' && i.target?.startsWith('server/src/render/')));
  assert.ok(imports.some((i) => i.from === 'server/src/lsp/server.ts' && !i.target && i.spec.startsWith('vscode-languageserver')));
});
