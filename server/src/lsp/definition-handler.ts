/**
 * `textDocument/definition` and `textDocument/documentLink` over the
 * repository graph: a kustomization entry, a Flux `spec.path` or an Argo CD
 * source path opens its file or folder; an object reference (sourceRef,
 * dependsOn, chartRef, valuesFrom, a pod template's ConfigMap…) opens the
 * declaration of the object it resolves to in the rendered desired state.
 */
import type { DefinitionParams, DocumentLink, DocumentLinkParams, Location } from 'vscode-languageserver/node';
import { definitionAt, linksOf } from '../graph/navigation.js';
import type { ReferenceIndexes } from './reference-indexes.js';
import { pathToUri, uriToPath } from '../util/uri-path.js';

/** Answers go-to-definition; empty when the position holds no link. */
export function definition(indexes: ReferenceIndexes, params: DefinitionParams): Location[] {
  const found = indexes.forUri(params.textDocument.uri);
  if (!found) return [];
  return definitionAt(found.index.graph(), uriToPath(params.textDocument.uri), params.position).map((l) => ({ uri: pathToUri(l.file), range: l.range }));
}

/** Answers document links: every path of the file whose target exists. */
export function documentLinks(indexes: ReferenceIndexes, params: DocumentLinkParams): DocumentLink[] {
  const found = indexes.forUri(params.textDocument.uri);
  if (!found) return [];
  return linksOf(found.index.graph(), uriToPath(params.textDocument.uri)).map((l) => ({ range: l.range, target: pathToUri(l.target), tooltip: l.tooltip }));
}
