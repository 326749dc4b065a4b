/**
 * `textDocument/references` and `textDocument/codeLens` over the repository
 * graph. On an object's name or a reference: every value in the repository
 * that names that object. Elsewhere: the kustomization entries and agent
 * paths that include the file. The lens above a document says which builds
 * and clusters it belongs to ("built by apps/production, apps/staging ·
 * cluster production") and opens those includes in the references peek.
 */
import type { CodeLens, CodeLensParams, Location, ReferenceParams } from 'vscode-languageserver/node';
import { builtByLenses, referencesAt } from '../graph/navigation.js';
import { SHOW_REFERENCES_COMMAND } from '../protocol/protocol.js';
import type { ReferenceIndexes } from './reference-indexes.js';
import { pathToUri, uriToPath } from '../util/uri-path.js';

/** Answers find-references. */
export function references(indexes: ReferenceIndexes, params: ReferenceParams): Location[] {
  const found = indexes.forUri(params.textDocument.uri);
  if (!found) return [];
  return referencesAt(found.index.graph(), uriToPath(params.textDocument.uri), params.position, params.context.includeDeclaration).map((l) => ({ uri: pathToUri(l.file), range: l.range }));
}

/** The "built by" lenses of a file; each runs the client's show-references command with the includes. */
export function codeLenses(indexes: ReferenceIndexes, params: CodeLensParams): CodeLens[] {
  const found = indexes.forUri(params.textDocument.uri);
  if (!found) return [];
  return builtByLenses(found.index.graph(), uriToPath(params.textDocument.uri)).map((lens) => ({
    range: lens.range,
    command: {
      title: lens.title,
      command: SHOW_REFERENCES_COMMAND,
      arguments: [params.textDocument.uri, lens.range.start, lens.locations.map((l) => ({ uri: pathToUri(l.file), range: l.range }))],
    },
  }));
}
