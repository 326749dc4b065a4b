/**
 * Maps LSP document URIs to the paths the engine works with. Files get their
 * file-system path; other schemes (untitled:, vscode-vfs:) keep the URI,
 * which still ends with a file name the engine can classify.
 */
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The engine path of a document URI. */
export function uriToPath(uri: string): string {
  if (uri.startsWith('file:')) {
    try {
      return fileURLToPath(uri);
    } catch {
      return uri;
    }
  }
  return uri;
}

/** The file URI of an absolute path. */
export function pathToUri(path: string): string {
  return pathToFileURL(path).href;
}
