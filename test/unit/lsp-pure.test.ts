/**
 * Unit tests of the pure parts of the LSP layer: settings normalization,
 * YAML document splitting, merged diagnostics per source, preview document
 * URIs and which workspace files the engine needs to know.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Diagnostic } from 'vscode-languageserver/node';
import { DiagnosticsStore } from '../../server/src/lsp/diagnostics-store.js';
import { parsePreviewDocumentUri, previewDocumentUri } from '../../server/src/protocol/protocol.js';
import { DEFAULT_SETTINGS, normalizeSettings } from '../../server/src/protocol/settings.js';
import { isWorkspaceRelevant } from '../../server/src/lsp/workspace-scanner.js';
import { splitYamlDocuments } from '../../server/src/lsp/yaml-segments.js';

describe('normalizeSettings', () => {
  it('fills defaults for a missing section', () => {
    assert.deepEqual(normalizeSettings(undefined), DEFAULT_SETTINGS);
    assert.deepEqual(normalizeSettings(null), DEFAULT_SETTINGS);
  });

  it('keeps valid values, drops malformed entries and clamps numbers', () => {
    const s = normalizeSettings({
      kubeconfig: ' ~/.kube/other ',
      context: 'prod',
      bindings: [{ glob: 'clusters/prod/**', context: 'prod', namespace: 'web' }, { glob: 'x' }, 'nonsense'],
      validation: { enable: false, debounceMs: -5 },
      drift: { enable: 'yes' },
      ignoreDifferences: [{ group: 'apps', kind: 'Deployment', jsonPointers: ['/spec/replicas', 'bad', 3] }, { kind: 'X' }],
      trace: { server: 'loud' },
      maxFileSizeKB: 0,
    });
    assert.equal(s.kubeconfig, '~/.kube/other');
    assert.deepEqual(s.bindings, [{ glob: 'clusters/prod/**', context: 'prod', namespace: 'web' }]);
    assert.deepEqual(s.validation, { enable: false, debounceMs: 0 });
    assert.equal(s.drift.enable, true, 'a non-boolean falls back to the default');
    assert.deepEqual(s.ignoreDifferences, [{ group: 'apps', kind: 'Deployment', jsonPointers: ['/spec/replicas'] }]);
    assert.equal(s.trace.server, 'off');
    assert.equal(s.maxFileSizeKB, 1);
  });
});

describe('splitYamlDocuments', () => {
  it('splits on marker lines, keeps leading comments with the next document and concatenates back', () => {
    const text = '# header\n---\na: 1\n---\nb: |\n  ---not a marker\n...\n--- # c\nc: 3\n';
    const segments = splitYamlDocuments(text);
    assert.deepEqual(
      segments.map((s) => s.startLine),
      [0, 3, 7],
    );
    assert.equal(segments.map((s) => s.text).join(''), text);
  });

  it('returns one empty segment for an empty file', () => {
    assert.deepEqual(splitYamlDocuments(''), [{ startLine: 0, text: '' }]);
  });
});

describe('DiagnosticsStore', () => {
  const d = (message: string): Diagnostic => ({ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } }, message });

  it('publishes the union of all sources and clears one source independently', () => {
    const published: Array<[string, string[]]> = [];
    const store = new DiagnosticsStore((uri, diagnostics) => published.push([uri, diagnostics.map((x) => String(x.message))]));
    store.set('file:///a.yaml', 'gitops-lens', [d('schema')]);
    store.set('file:///a.yaml', 'gitops-lens-drift', [d('drift')]);
    store.clearSource('gitops-lens-drift');
    store.set('file:///a.yaml', 'gitops-lens', []);
    assert.deepEqual(published, [
      ['file:///a.yaml', ['schema']],
      ['file:///a.yaml', ['schema', 'drift']],
      ['file:///a.yaml', ['schema']],
      ['file:///a.yaml', []],
    ]);
  });
});

describe('preview document URIs', () => {
  it('round-trip, with and without a namespace', () => {
    const namespaced = { planId: 'p1', index: 3, side: 'live' as const, kind: 'Deployment', name: 'web-1', namespace: 'prod' };
    assert.equal(previewDocumentUri(namespaced), 'gitops-lens:/p1/3/live/prod/Deployment-web-1.yaml');
    assert.deepEqual(parsePreviewDocumentUri(previewDocumentUri(namespaced)), namespaced);
    const cluster = { planId: 'p 2', index: 0, side: 'after' as const, kind: 'ClusterRole', name: 'system:view' };
    assert.deepEqual(parsePreviewDocumentUri(previewDocumentUri(cluster)), cluster);
    assert.equal(parsePreviewDocumentUri('gitops-lens:/p1/3/sideways/ns/A-b.yaml'), undefined);
    assert.equal(parsePreviewDocumentUri('file:///x.yaml'), undefined);
  });
});

describe('isWorkspaceRelevant', () => {
  it('selects kustomizations, Chart.yaml and CRDs only', () => {
    assert.equal(isWorkspaceRelevant('/r/apps/kustomization.yaml', ''), true);
    assert.equal(isWorkspaceRelevant('/r/apps/Kustomization', ''), true);
    assert.equal(isWorkspaceRelevant('/r/charts/web/Chart.yaml', ''), true);
    assert.equal(isWorkspaceRelevant('/r/crds/widget.yaml', 'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n'), true);
    assert.equal(isWorkspaceRelevant('/r/apps/deploy.yaml', 'kind: Deployment\n# kind: CustomResourceDefinition in a comment\n'), false);
  });
});
