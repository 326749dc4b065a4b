/**
 * `textDocument/documentSymbol` (the outline and breadcrumbs of
 * multi-document files: `Kind name` per document with its top-level keys)
 * and `workspace/symbol` (`kind/name` of every object of the workspace,
 * generated ConfigMaps and Secrets included).
 */
import { SymbolKind, type DocumentSymbol, type DocumentSymbolParams, type SymbolInformation, type WorkspaceSymbolParams } from 'vscode-languageserver/node';
import { outlineOf, workspaceSymbols, type OutlineSymbol } from '../graph/symbols.js';
import type { ReferenceIndexes } from './reference-indexes.js';
import { pathToUri, uriToPath } from '../util/uri-path.js';

const KIND: Record<OutlineSymbol['type'], SymbolKind> = {
  object: SymbolKind.Class,
  kustomization: SymbolKind.Module,
  list: SymbolKind.Array,
  section: SymbolKind.Field,
  document: SymbolKind.Object,
};

function toDocumentSymbol(s: OutlineSymbol): DocumentSymbol {
  return {
    name: s.name,
    ...(s.detail ? { detail: s.detail } : {}),
    kind: KIND[s.type],
    range: s.range,
    selectionRange: s.selectionRange,
    ...(s.children ? { children: s.children.map(toDocumentSymbol) } : {}),
  };
}

/** The outline of a file. */
export function documentSymbols(indexes: ReferenceIndexes, params: DocumentSymbolParams): DocumentSymbol[] {
  const found = indexes.forUri(params.textDocument.uri);
  const file = found?.index.files.files.get(uriToPath(params.textDocument.uri));
  return file ? outlineOf(file).map(toDocumentSymbol) : [];
}

/** Objects of every workspace folder whose `kind/name` matches the query. */
export function symbols(indexes: ReferenceIndexes, params: WorkspaceSymbolParams): SymbolInformation[] {
  const out: SymbolInformation[] = [];
  for (const { index } of indexes.all()) {
    for (const s of workspaceSymbols(index.graph(), params.query)) {
      out.push({ name: s.name, kind: SymbolKind.Class, containerName: s.container, location: { uri: pathToUri(s.location.file), range: s.location.range } });
    }
  }
  return out;
}
