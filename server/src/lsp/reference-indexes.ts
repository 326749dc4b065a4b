/**
 * One reference index (server/src/graph) per workspace folder, fed with what
 * the workspace scan and the file watcher read and with open documents'
 * texts (which win over the disk). Edits are indexed lazily: a keystroke
 * only marks the file, and the next request or diagnostics run re-indexes
 * it, so typing never pays for parsing a file twice.
 */
import { ReferenceIndex } from '../graph/reference-index.js';
import { folderOfUri } from './drift-folders.js';
import { uriToPath } from '../util/uri-path.js';

/** A folder's index. */
export interface FolderIndex {
  /** The workspace folder URI. */
  folder: string;
  index: ReferenceIndex;
}

/** The reference indexes of the workspace folders. */
export class ReferenceIndexes {
  private readonly byFolder = new Map<string, ReferenceIndex>();
  /** Folders whose first scan is complete: before that, a reference may be "missing" only because its file was not read yet. */
  private readonly ready = new Set<string>();
  /** Open documents edited since they were last indexed: URI → current text getter. */
  private readonly pending = new Map<string, () => string | undefined>();
  private readonly listeners: Array<(folder: string) => void> = [];

  constructor(private readonly folders: () => string[]) {}

  /** The folder a file URI belongs to, or undefined outside every folder (or not a file). */
  folderOf(uri: string): string | undefined {
    if (!uri.startsWith('file:')) return undefined;
    const folders = this.folders();
    const folder = folderOfUri(uri, folders);
    if (!folder) return undefined;
    const dir = uriToPath(folder).replace(/[\\/]+$/, '');
    const file = uriToPath(uri);
    return file.startsWith(dir) ? folder : undefined;
  }

  /** The index of a folder URI, created on first use. */
  indexOfFolder(folder: string): ReferenceIndex {
    let index = this.byFolder.get(folder);
    if (!index) {
      index = new ReferenceIndex(uriToPath(folder));
      this.byFolder.set(folder, index);
    }
    return index;
  }

  /** The up-to-date index of the folder holding `uri`. */
  forUri(uri: string): FolderIndex | undefined {
    const folder = this.folderOf(uri);
    if (!folder) return undefined;
    this.flush(folder);
    return { folder, index: this.indexOfFolder(folder) };
  }

  /** A folder's up-to-date index. */
  forFolder(folder: string): ReferenceIndex {
    this.flush(folder);
    return this.indexOfFolder(folder);
  }

  /** Every folder's up-to-date index. */
  all(): FolderIndex[] {
    const out: FolderIndex[] = [];
    for (const folder of this.folders()) {
      this.flush(folder);
      out.push({ folder, index: this.indexOfFolder(folder) });
    }
    return out;
  }

  /** A file's text as read from disk (undefined: deleted or too large). */
  fileRead(uri: string, text: string | undefined): void {
    const folder = this.folderOf(uri);
    if (!folder) return;
    if (this.indexOfFolder(folder).update(uriToPath(uri), text)) this.changed(folder);
  }

  /** An open document changed: indexed on next use. */
  documentChanged(uri: string, text: () => string | undefined): void {
    const folder = this.folderOf(uri);
    if (!folder) return;
    this.pending.set(uri, text);
    this.changed(folder);
  }

  /** The folders' first scan is done. */
  scanDone(folderUris: string[]): void {
    for (const f of folderUris) {
      this.ready.add(f);
      this.changed(f);
    }
  }

  isReady(folder: string): boolean {
    return this.ready.has(folder);
  }

  /** Forgets a removed folder. */
  removeFolder(folder: string): void {
    this.byFolder.delete(folder);
    this.ready.delete(folder);
  }

  /** Runs `listener` with the folder URI after its files changed. */
  onChange(listener: (folder: string) => void): void {
    this.listeners.push(listener);
  }

  private changed(folder: string): void {
    for (const l of this.listeners) l(folder);
  }

  private flush(folder: string): void {
    for (const [uri, text] of [...this.pending]) {
      if (this.folderOf(uri) !== folder) continue;
      this.pending.delete(uri);
      const t = text();
      if (t !== undefined) this.indexOfFolder(folder).update(uriToPath(uri), t);
    }
  }
}
