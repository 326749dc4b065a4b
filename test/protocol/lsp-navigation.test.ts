/**
 * Protocol tests of repository navigation over the real LSP (stdio, bundled
 * server), on the reference fixtures (test/fixtures/references): go to
 * definition, document links, find references, the "built by" CodeLens,
 * document and workspace symbols, rename, the broken-reference diagnostics
 * with their settings and ignore comments, and gitops/dependencyGraph. Every
 * location is asserted exactly (file and range).
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import {
  CodeLensRequest,
  DefinitionRequest,
  DocumentLinkRequest,
  DocumentSymbolRequest,
  PrepareRenameRequest,
  ReferencesRequest,
  RenameRequest,
  WorkspaceSymbolRequest,
  type Diagnostic,
  type DocumentSymbol,
  type Location,
  type Range,
  type SymbolInformation,
  type WorkspaceEdit,
} from 'vscode-languageserver-protocol';
import { DependencyGraphRequest, SHOW_REFERENCES_COMMAND } from '../../server/src/protocol/protocol.js';
import { lspRequest } from '../../server/src/lsp/lsp-messages.js';
import { ensureBundle, LspTestClient, repoRoot } from './lsp-test-client.js';

const FIXTURES = join(repoRoot, 'test', 'fixtures', 'references');

describe('repository navigation (stdio, bundled server)', () => {
  let tmp: string;
  let valid: string;
  let broken: string;
  let client: LspTestClient;
  let capabilities: Awaited<ReturnType<typeof LspTestClient.start>>['init']['capabilities'];
  const settings: Record<string, unknown> = { validation: { debounceMs: 0 } };

  const uri = (root: string, rel: string) => pathToFileURL(join(root, rel)).href;
  const text = (root: string, rel: string) => readFileSync(join(root, rel), 'utf8');
  /** The range of the `occurrence`-th `needle` in a file (0-based lines and characters). */
  const at = (root: string, rel: string, needle: string, occurrence = 0): Range => {
    const lines = text(root, rel).split('\n');
    let seen = 0;
    for (let line = 0; line < lines.length; line++) {
      for (let i = lines[line].indexOf(needle); i >= 0; i = lines[line].indexOf(needle, i + 1)) {
        if (seen++ === occurrence) return { start: { line, character: i }, end: { line, character: i + needle.length } };
      }
    }
    throw new Error(`${needle} not found in ${rel}`);
  };
  const loc = (root: string, rel: string, range: Range): Location => ({ uri: uri(root, rel), range });
  const fileStart = (root: string, rel: string): Location => loc(root, rel, { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } });
  const definition = (root: string, rel: string, range: Range) =>
    client.connection.sendRequest(DefinitionRequest.type, { textDocument: { uri: uri(root, rel) }, position: range.start }) as Promise<Location[]>;
  const sortLocations = (l: Location[]) => [...l].sort((a, b) => a.uri.localeCompare(b.uri) || a.range.start.line - b.range.start.line);
  const referenceDiagnostics = (root: string, rel: string): Diagnostic[] => (client.diagnostics.get(uri(root, rel))?.diagnostics ?? []).filter((d) => d.source === 'gitops-lens' && /not-found|missing|cycle|denied|matches-nothing/.test(String(d.code)));

  before(async () => {
    ensureBundle();
    tmp = mkdtempSync(join(tmpdir(), 'gitops-lens-navigation-'));
    valid = join(tmp, 'valid');
    broken = join(tmp, 'broken');
    cpSync(join(FIXTURES, 'valid'), valid, { recursive: true });
    cpSync(join(FIXTURES, 'broken'), broken, { recursive: true });
    const started = await LspTestClient.start({ folders: [valid, broken], trusted: false, settings, env: { KUBECONFIG: join(tmp, 'no-kubeconfig') } });
    client = started.client;
    capabilities = started.init.capabilities;
    // Reference diagnostics are published once each folder's scan is complete.
    await client.waitFor(() => client.diagnostics.get(uri(broken, 'apps/kustomization.yaml')), 'the broken folder\'s reference diagnostics', 20_000);
  });

  after(async () => {
    const code = await client?.stop();
    assert.equal(code, 0);
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('announces definition, references, links, lenses, symbols and rename', () => {
    assert.equal(capabilities.definitionProvider, true);
    assert.equal(capabilities.referencesProvider, true);
    assert.deepEqual(capabilities.documentLinkProvider, { resolveProvider: false });
    assert.deepEqual(capabilities.codeLensProvider, { resolveProvider: false });
    assert.ok(capabilities.documentSymbolProvider);
    assert.equal(capabilities.workspaceSymbolProvider, true);
    assert.deepEqual(capabilities.renameProvider, { prepareProvider: true });
  });

  it('goes from kustomization entries and Flux paths to the file or the folder\'s kustomization', async () => {
    const k = 'apps/production/kustomization.yaml';
    assert.deepEqual(await definition(valid, k, at(valid, k, '../base/web')), [fileStart(valid, 'apps/base/web/kustomization.yaml')]);
    assert.deepEqual(await definition(valid, k, at(valid, k, 'ingress.yaml')), [fileStart(valid, 'apps/production/ingress.yaml')]);
    assert.deepEqual(await definition(valid, k, at(valid, k, 'replicas-patch.yaml')), [fileStart(valid, 'apps/production/replicas-patch.yaml')]);
    const gen = 'infrastructure/controllers/kustomization.yaml';
    assert.deepEqual(await definition(valid, gen, at(valid, gen, 'metrics-values.yaml')), [fileStart(valid, 'infrastructure/controllers/metrics-values.yaml')]);
    assert.deepEqual(await definition(valid, 'clusters/production/apps.yaml', at(valid, 'clusters/production/apps.yaml', './apps/production')), [fileStart(valid, 'apps/production/kustomization.yaml')]);
  });

  it('goes from Flux references to the declaring documents (sourceRef, dependsOn, chartRef, valuesFrom)', async () => {
    const apps = 'clusters/production/apps.yaml';
    const infra = 'clusters/production/infrastructure.yaml';
    assert.deepEqual(await definition(valid, apps, at(valid, apps, 'infra-configs')), [loc(valid, infra, at(valid, infra, 'infra-configs'))]);
    assert.deepEqual(await definition(valid, apps, at(valid, apps, 'flux-system', 1)), [loc(valid, 'clusters/production/flux-system/gotk-sync.yaml', at(valid, 'clusters/production/flux-system/gotk-sync.yaml', 'flux-system'))]);
    const hr = 'infrastructure/controllers/helmrelease.yaml';
    assert.deepEqual(await definition(valid, hr, at(valid, hr, 'metrics', 1)), [loc(valid, 'infrastructure/controllers/ocirepository.yaml', at(valid, 'infrastructure/controllers/ocirepository.yaml', 'metrics'))]);
    // valuesFrom names a generated ConfigMap: the definition is the generator entry.
    const k = 'infrastructure/controllers/kustomization.yaml';
    assert.deepEqual(await definition(valid, hr, at(valid, hr, 'metrics-values')), [loc(valid, k, at(valid, k, 'metrics-values'))]);
  });

  it('resolves pod template references and backends in the rendered build (generator hash, namePrefix, ExternalSecret)', async () => {
    const d = 'apps/base/web/deployment.yaml';
    const k = 'apps/base/web/kustomization.yaml';
    assert.deepEqual(await definition(valid, d, at(valid, d, 'web-config')), [loc(valid, k, at(valid, k, 'web-config'))]);
    assert.deepEqual(await definition(valid, d, at(valid, d, 'web-secret')), [loc(valid, 'apps/base/web/externalsecret.yaml', at(valid, 'apps/base/web/externalsecret.yaml', 'web-secret'))]);
    assert.deepEqual(await definition(valid, d, at(valid, d, 'name: web', 2)), []);
    const sa = at(valid, d, 'serviceAccountName: web');
    const saValue = { start: { line: sa.start.line, character: sa.end.character - 3 }, end: sa.end };
    assert.deepEqual(await definition(valid, d, saValue), [loc(valid, 'apps/base/web/serviceaccount.yaml', at(valid, 'apps/base/web/serviceaccount.yaml', 'web'))]);
    const ing = 'apps/production/ingress.yaml';
    const backend = at(valid, ing, 'name: web', 1);
    assert.deepEqual(await definition(valid, ing, { start: { line: backend.start.line, character: backend.end.character - 3 }, end: backend.end }), [loc(valid, 'apps/base/web/service.yaml', at(valid, 'apps/base/web/service.yaml', 'web'))]);
  });

  it('goes from an Argo CD project to the AppProject', async () => {
    const app = 'argocd/apps/guestbook.yaml';
    assert.deepEqual(await definition(valid, app, at(valid, app, 'team')), [loc(valid, 'argocd/apps/team-project.yaml', at(valid, 'argocd/apps/team-project.yaml', 'team'))]);
  });

  it('lists document links with exact ranges, folders included', async () => {
    const k = 'apps/production/kustomization.yaml';
    const links = await client.connection.sendRequest(DocumentLinkRequest.type, { textDocument: { uri: uri(valid, k) } });
    assert.deepEqual(links?.map((l) => ({ range: l.range, target: l.target })), [
      { range: at(valid, k, '../base/web'), target: uri(valid, 'apps/base/web/kustomization.yaml') },
      { range: at(valid, k, 'ingress.yaml'), target: uri(valid, 'apps/production/ingress.yaml') },
      { range: at(valid, k, 'replicas-patch.yaml'), target: uri(valid, 'apps/production/replicas-patch.yaml') },
    ]);
    const app = 'argocd/apps/guestbook.yaml';
    const argo = await client.connection.sendRequest(DocumentLinkRequest.type, { textDocument: { uri: uri(valid, app) } });
    assert.deepEqual(argo?.map((l) => ({ range: l.range, target: l.target })), [{ range: at(valid, app, 'guestbook', 1), target: uri(valid, 'guestbook') }]);
  });

  it('finds the references of an object (through namePrefix) and who includes a file', async () => {
    const svc = 'apps/base/web/service.yaml';
    const refs = (await client.connection.sendRequest(ReferencesRequest.type, { textDocument: { uri: uri(valid, svc) }, position: at(valid, svc, 'web').start, context: { includeDeclaration: true } })) as Location[];
    const ing = 'apps/production/ingress.yaml';
    const backend = at(valid, ing, 'name: web', 1);
    assert.deepEqual(sortLocations(refs), sortLocations([loc(valid, svc, at(valid, svc, 'web')), loc(valid, ing, { start: { line: backend.start.line, character: backend.end.character - 3 }, end: backend.end })]));
    const dep = 'apps/base/web/deployment.yaml';
    const includes = (await client.connection.sendRequest(ReferencesRequest.type, { textDocument: { uri: uri(valid, dep) }, position: { line: 0, character: 0 }, context: { includeDeclaration: false } })) as Location[];
    assert.deepEqual(includes, [loc(valid, 'apps/base/web/kustomization.yaml', at(valid, 'apps/base/web/kustomization.yaml', 'deployment.yaml'))]);
    const base = 'apps/base/web/kustomization.yaml';
    const folder = (await client.connection.sendRequest(ReferencesRequest.type, { textDocument: { uri: uri(valid, base) }, position: { line: 0, character: 0 }, context: { includeDeclaration: false } })) as Location[];
    assert.deepEqual(folder, [loc(valid, 'apps/production/kustomization.yaml', at(valid, 'apps/production/kustomization.yaml', '../base/web'))]);
  });

  it('shows a "built by" CodeLens that opens the includes', async () => {
    const dep = 'apps/base/web/deployment.yaml';
    const lenses = await client.connection.sendRequest(CodeLensRequest.type, { textDocument: { uri: uri(valid, dep) } });
    assert.equal(lenses?.length, 1);
    const lens = lenses![0];
    assert.deepEqual(lens.range, { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } });
    assert.equal(lens.command?.title, 'built by apps/production · cluster production');
    assert.equal(lens.command?.command, SHOW_REFERENCES_COMMAND);
    assert.deepEqual(lens.command?.arguments, [uri(valid, dep), { line: 0, character: 0 }, [loc(valid, 'apps/base/web/kustomization.yaml', at(valid, 'apps/base/web/kustomization.yaml', 'deployment.yaml'))]]);
  });

  it('outlines multi-document files as Kind name with their top-level keys', async () => {
    const f = 'clusters/production/flux-system/gotk-sync.yaml';
    const symbols = (await client.connection.sendRequest(DocumentSymbolRequest.type, { textDocument: { uri: uri(valid, f) } })) as DocumentSymbol[];
    assert.deepEqual(symbols.map((s) => [s.name, s.detail, s.selectionRange, s.children?.map((c) => c.name)]), [
      ['GitRepository flux-system', 'flux-system · source.toolkit.fluxcd.io/v1', at(valid, f, 'flux-system', 0), ['apiVersion', 'kind', 'metadata', 'spec']],
      ['Kustomization flux-system', 'flux-system · kustomize.toolkit.fluxcd.io/v1', at(valid, f, 'flux-system', 2), ['apiVersion', 'kind', 'metadata', 'spec']],
    ]);
    assert.deepEqual(symbols[0].range, { start: { line: 0, character: 0 }, end: { line: 10, character: 0 } });
    assert.deepEqual(symbols[0].children![3].range, { start: { line: 5, character: 0 }, end: { line: 9, character: 16 } });
  });

  it('finds objects by kind/name across the workspace', async () => {
    const found = (await client.connection.sendRequest(WorkspaceSymbolRequest.type, { query: 'Deployment/web' })) as SymbolInformation[];
    assert.deepEqual(found.map((s) => [s.name, s.containerName, s.location]), [
      ['Deployment/web', 'web · apps/base/web/deployment.yaml', loc(valid, 'apps/base/web/deployment.yaml', at(valid, 'apps/base/web/deployment.yaml', 'web'))],
    ]);
    const generated = (await client.connection.sendRequest(WorkspaceSymbolRequest.type, { query: 'ConfigMap/web-config' })) as SymbolInformation[];
    assert.deepEqual(generated.map((s) => [s.name, s.containerName]), [['ConfigMap/web-config', 'generated · apps/base/web/kustomization.yaml']]);
  });

  it('renames a generated ConfigMap in its generator and its references, and refuses other kinds', async () => {
    const d = 'apps/base/web/deployment.yaml';
    const k = 'apps/base/web/kustomization.yaml';
    const prepared = await client.connection.sendRequest(PrepareRenameRequest.type, { textDocument: { uri: uri(valid, d) }, position: at(valid, d, 'web-config').start });
    assert.deepEqual(prepared, { range: at(valid, d, 'web-config'), placeholder: 'web-config' });
    const edit = (await client.connection.sendRequest(RenameRequest.type, { textDocument: { uri: uri(valid, d) }, position: at(valid, d, 'web-config').start, newName: 'web-settings' })) as WorkspaceEdit;
    assert.deepEqual(edit.changes, {
      [uri(valid, k)]: [{ range: at(valid, k, 'web-config'), newText: 'web-settings' }],
      [uri(valid, d)]: [{ range: at(valid, d, 'web-config'), newText: 'web-settings' }],
    });
    await assert.rejects(
      client.connection.sendRequest(PrepareRenameRequest.type, { textDocument: { uri: uri(valid, d) }, position: at(valid, d, 'web', 0).start }),
      /Rename updates ConfigMap, Secret and Service names; this is a Deployment/,
    );
    await assert.rejects(
      client.connection.sendRequest(RenameRequest.type, { textDocument: { uri: uri(valid, d) }, position: at(valid, d, 'web-config').start, newName: 'Bad_Name' }),
      /not a valid ConfigMap name/,
    );
  });

  it('publishes no reference diagnostic on the valid fixture', () => {
    const ours = [...client.diagnostics.entries()].filter(([u]) => u.startsWith(pathToFileURL(valid).href)).flatMap(([u, p]) => p.diagnostics.map((d) => `${u}: ${d.message}`));
    assert.deepEqual(ours, []);
  });

  it('reports every kind of broken reference on the exact value, with its severity and code', () => {
    const got = (rel: string) => referenceDiagnostics(broken, rel).map((d) => [d.code, d.severity, d.range]);
    const k = 'apps/kustomization.yaml';
    assert.deepEqual(got(k), [
      ['kustomize-entry-missing', 1, at(broken, k, 'missing.yaml')],
      ['kustomize-entry-missing', 1, at(broken, k, './nokustomization')],
      ['kustomize-entry-missing', 1, at(broken, k, '../components/none')],
      ['kustomize-entry-missing', 1, at(broken, k, 'missing.properties')],
    ]);
    const d = 'apps/deployment.yaml';
    // created-by-hand carries `# gitops-lens-ignore workload-ref-not-found`; maybe-later is optional.
    assert.deepEqual(got(d), [
      ['workload-ref-not-found', 2, at(broken, d, 'shop-sa')],
      ['workload-ref-not-found', 2, at(broken, d, 'app-settings')],
      ['workload-ref-not-found', 2, at(broken, d, 'tls-certs')],
      ['workload-ref-not-found', 2, at(broken, d, 'shop-data')],
    ]);
    assert.deepEqual(got('apps/service.yaml'), [['selector-matches-nothing', 2, at(broken, 'apps/service.yaml', 'selector')]]);
    assert.deepEqual(got('apps/ingress.yaml'), [['backend-not-found', 2, at(broken, 'apps/ingress.yaml', 'shop-api')]]);
    assert.deepEqual(got('apps/httproute.yaml'), [['backend-not-found', 2, at(broken, 'apps/httproute.yaml', 'shop-frontend')]]);
    assert.deepEqual(got('jobs/cleanup.yaml'), [['workload-ref-not-found', 2, at(broken, 'jobs/cleanup.yaml', 'shop-settings')]]);
    const flux = 'clusters/dev/flux.yaml';
    assert.deepEqual(got(flux), [
      ['source-not-found', 2, at(broken, flux, 'missing-artifact')],
      ['depends-on-not-found', 2, at(broken, flux, 'nowhere')],
      ['depends-on-cycle', 1, at(broken, flux, 'cycle-b', 0)],
      ['depends-on-cycle', 1, at(broken, flux, 'cycle-a', 1)],
    ]);
    const argo = 'argo/project.yaml';
    assert.deepEqual(got(argo), [
      ['argo-destination-denied', 1, at(broken, argo, 'kube-system')],
      ['argo-project-not-found', 2, at(broken, argo, 'platform')],
    ]);
    const messages = (rel: string) => referenceDiagnostics(broken, rel).map((m) => String(m.message));
    assert.match(messages('jobs/cleanup.yaml')[0], /ConfigMap "shop-settings" is generated by kustomize with a content-hash suffix \(shop-settings-<hash>\).*disableNameSuffixHash/);
    assert.match(messages(flux)[2], /^dependsOn cycle: flux-system\/cycle-a → flux-system\/cycle-b → flux-system\/cycle-a\./);
    assert.match(messages(d)[1], /^ConfigMap "app-settings" in namespace "shop" is neither rendered nor produced by the repository \(rendered by Kustomization flux-system\/apps, apps\): pods that use it do not start\. /);
  });

  it('updates a binding\'s references after an edit', async () => {
    const flux = 'clusters/dev/flux.yaml';
    const u = uri(broken, flux);
    await client.open(u, text(broken, flux));
    const r = at(broken, flux, 'nowhere');
    await client.change(u, [{ range: r, text: 'apps' }]);
    await client.waitFor(() => !referenceDiagnostics(broken, flux).some((d) => d.code === 'depends-on-not-found') || undefined, 'the dependsOn diagnostic to go after the edit');
    await client.change(u, [{ range: { start: r.start, end: { line: r.start.line, character: r.start.character + 4 } }, text: 'nowhere' }]);
    await client.waitFor(() => referenceDiagnostics(broken, flux).some((d) => d.code === 'depends-on-not-found') || undefined, 'the dependsOn diagnostic to come back');
    await client.close(u);
  });

  it('switches a check off by setting, and all of them', async () => {
    await client.setSettings({ ...settings, references: { checks: { 'selector-matches-nothing': false } } });
    await client.waitFor(() => referenceDiagnostics(broken, 'apps/service.yaml').length === 0 || undefined, 'the selector diagnostic to go');
    assert.equal(referenceDiagnostics(broken, 'apps/ingress.yaml').length, 1, 'other checks stay on');
    await client.setSettings({ ...settings, references: { enable: false } });
    await client.waitFor(() => referenceDiagnostics(broken, 'apps/kustomization.yaml').length === 0 || undefined, 'every reference diagnostic to go');
    await client.setSettings(settings);
    await client.waitFor(() => referenceDiagnostics(broken, 'apps/service.yaml').length === 1 || undefined, 'the diagnostics to come back');
  });

  it('answers gitops/dependencyGraph with the dependsOn chain, the nesting and the cycles', async () => {
    const graph = await client.connection.sendRequest(lspRequest(DependencyGraphRequest), {});
    const byName = (folder: number, name: string) => graph.nodes.find((n) => n.id.startsWith(`${folder}:`) && n.name === name)!;
    const apps = byName(0, 'apps');
    assert.deepEqual(apps.dependsOn.map((e) => e.id), [byName(0, 'infra-configs').id]);
    assert.deepEqual(byName(0, 'infra-configs').dependsOn.map((e) => e.id), [byName(0, 'infra-controllers').id]);
    assert.equal(apps.parent, byName(0, 'flux-system').id);
    assert.equal(apps.uri, uri(valid, 'clusters/production/apps.yaml'));
    assert.deepEqual(apps.range, at(valid, 'clusters/production/apps.yaml', 'apps'));
    assert.equal(apps.path, 'apps/production');
    assert.equal(byName(0, 'metrics').kind, 'HelmRelease');
    assert.equal(byName(0, 'metrics').parent, byName(0, 'infra-controllers').id);
    assert.equal(byName(0, 'guestbook').wave, 1);
    assert.equal(byName(0, 'guestbook').parent, byName(0, 'root').id);
    assert.deepEqual(graph.cycles, [[byName(1, 'cycle-a').id, byName(1, 'cycle-b').id]]);
    assert.deepEqual(byName(1, 'waits').dependsOn, [{ kind: 'Kustomization', name: 'nowhere', namespace: 'flux-system', missing: true }]);
  });
});
