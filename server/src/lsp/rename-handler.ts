/**
 * `textDocument/prepareRename` and `textDocument/rename` of a ConfigMap,
 * Secret or Service name: the declaration (or the kustomize generator entry)
 * and every reference to it in the bindings that render it, as one
 * workspace edit. The edits carry a change annotation that needs
 * confirmation, so VS Code shows them in its refactor preview first.
 */
import { ResponseError, ErrorCodes, type PrepareRenameParams, type Range, type RenameParams, type TextDocumentEdit, type WorkspaceEdit } from 'vscode-languageserver/node';
import { prepareRenameAt, renameEdits } from '../graph/navigation.js';
import type { ReferenceIndexes } from './reference-indexes.js';
import { pathToUri, uriToPath } from '../util/uri-path.js';

const ANNOTATION = 'gitops-lens-rename';

/** The range and placeholder of a rename; an error when the position names something rename does not handle. */
export function prepareRename(indexes: ReferenceIndexes, params: PrepareRenameParams): { range: Range; placeholder: string } | null {
  const found = indexes.forUri(params.textDocument.uri);
  if (!found) return null;
  const r = prepareRenameAt(found.index.graph(), uriToPath(params.textDocument.uri), params.position);
  if (!r) return null;
  if ('error' in r) throw new ResponseError(ErrorCodes.InvalidRequest, r.error);
  return { range: r.range, placeholder: r.name };
}

/** The workspace edit of a rename. */
export function rename(indexes: ReferenceIndexes, params: RenameParams, documentVersion: (uri: string) => number | null, annotations: boolean): WorkspaceEdit | null {
  const found = indexes.forUri(params.textDocument.uri);
  if (!found) return null;
  const edits = renameEdits(found.index.graph(), uriToPath(params.textDocument.uri), params.position, params.newName);
  if ('error' in edits) throw new ResponseError(ErrorCodes.InvalidRequest, edits.error);
  if (!annotations) {
    return { changes: Object.fromEntries([...edits].map(([file, list]) => [pathToUri(file), list])) };
  }
  const documentChanges: TextDocumentEdit[] = [...edits].map(([file, list]) => ({
    textDocument: { uri: pathToUri(file), version: documentVersion(pathToUri(file)) },
    edits: list.map((e) => ({ ...e, annotationId: ANNOTATION })),
  }));
  return {
    documentChanges,
    changeAnnotations: { [ANNOTATION]: { label: `Rename to ${params.newName}`, needsConfirmation: true, description: 'GitOps Lens: the declaration and its references in the same bindings' } },
  };
}
