/**
 * Folder routing for drift: one drift service per workspace folder (keyed by
 * folder URI; '' when the server has no folder), because bindings,
 * Flux/Argo CD paths and git are relative to the folder's root and each
 * folder reads its own resource-scoped settings. A service is created when
 * the first file of its folder is followed (the cluster code is loaded then,
 * never earlier) and disposed when the folder is removed; open documents move
 * with their folder.
 */
import type { DriftService } from '../drift/drift-service.js';
import { uriToPath } from '../util/uri-path.js';

type Module = typeof import('../drift/drift-service.js');

/**
 * The workspace folder (URI) a document belongs to: the innermost folder
 * that contains it; a file outside every folder goes with the first folder,
 * as it did when there was only one; '' when there is no folder at all.
 */
export function folderOfUri(uri: string, folders: readonly string[]): string {
  let best: string | undefined;
  for (const f of folders) if (isInFolder(uri, f) && (best === undefined || uriToPath(f).length > uriToPath(best).length)) best = f;
  return best ?? folders[0] ?? '';
}

/** True when the document `uri` lies in the workspace folder `folder` (both URIs; compared as paths). */
export function isInFolder(uri: string, folder: string): boolean {
  const file = uriToPath(uri);
  const dir = uriToPath(folder).replace(/[\\/]+$/, '');
  return file === dir || file.startsWith(`${dir}/`) || file.startsWith(`${dir}\\`);
}

/** What the folder routing needs from the server. */
export interface DriftFoldersOptions {
  /** The workspace folder URIs, in order. */
  workspaceFolders: () => string[];
  /** Loads the drift module (and with it the cluster code); undefined when it cannot be loaded. */
  loadModule: () => Promise<Module | undefined>;
  /** Creates the service of a folder. */
  create: (mod: Module, folder: string) => DriftService;
  /** Reports a failed drift computation. */
  warn: (message: string) => void;
}

/** The drift services of the workspace folders and which open document goes to which. */
export class DriftFolders {
  readonly services = new Map<string, DriftService>();
  /** Followed (open) documents. */
  readonly open = new Set<string>();
  /** Agent and kustomization files of folders whose service does not exist yet, by URI. */
  private readonly pendingFiles = new Map<string, string>();
  /** The folder each followed document was given to, so that a folder change can move it. */
  private readonly routed = new Map<string, string>();
  private disposed = false;

  constructor(private readonly opts: DriftFoldersOptions) {}

  /** The folder a document belongs to now. */
  folderOf(uri: string): string {
    return folderOfUri(uri, this.opts.workspaceFolders());
  }

  /** The service a document was given to (or would be). */
  serviceOf(uri: string): DriftService | undefined {
    return this.services.get(this.routed.get(uri) ?? this.folderOf(uri));
  }

  /** True when `s` is still the service of the open document `uri` (a closed or moved file must not get its findings). */
  owns(s: DriftService, uri: string): boolean {
    const folder = this.routed.get(uri);
    return this.open.has(uri) && folder !== undefined && this.services.get(folder) === s;
  }

  /** The service of a folder, created on first use with the files the scan already reported for it. */
  async serviceFor(folder: string): Promise<DriftService | undefined> {
    const existing = this.services.get(folder);
    if (existing) return existing;
    const mod = await this.opts.loadModule();
    if (!mod || this.disposed) return undefined;
    // Another caller may have created it while the module loaded.
    const raced = this.services.get(folder);
    if (raced) return raced;
    const s = this.opts.create(mod, folder);
    this.services.set(folder, s);
    for (const [uri, text] of [...this.pendingFiles]) {
      if (this.folderOf(uri) !== folder) continue;
      s.updateWorkspaceFile(uri, text);
      this.pendingFiles.delete(uri);
    }
    return s;
  }

  /** Gives a settled document text to its folder's service (moving it there from another folder's service). */
  follow(uri: string, text: string, allowed: boolean): void {
    this.open.add(uri);
    if (!this.services.size && !allowed) return;
    const folder = this.folderOf(uri);
    const before = this.routed.get(uri);
    this.routed.set(uri, folder);
    if (before !== undefined && before !== folder) this.services.get(before)?.closeDocument(uri);
    void this.serviceFor(folder)
      .then((s) => (this.routed.get(uri) === folder ? s?.setDocuments(uri, text) : undefined))
      .catch((err) => this.opts.warn(`Drift of ${uri} failed: ${String(err)}`));
  }

  /** Forgets a closed document. */
  close(uri: string): void {
    this.open.delete(uri);
    this.serviceOf(uri)?.closeDocument(uri);
    this.routed.delete(uri);
  }

  /** A workspace file changed: relevant ones (agent objects, kustomizations, charts) go to their folder's service, or wait for it. */
  updateWorkspaceFile(uri: string, text: string | undefined): void {
    const s = this.services.get(this.folderOf(uri));
    if (s) s.updateWorkspaceFile(uri, text);
    else if (text !== undefined) this.pendingFiles.set(uri, text);
    else this.pendingFiles.delete(uri);
  }

  /**
   * Workspace folders were removed (or added): their services are disposed,
   * their pending files forgotten, and the open documents that now belong to
   * another folder are returned, to be followed again there.
   */
  foldersChanged(removed: readonly string[]): string[] {
    for (const folder of removed) {
      this.services.get(folder)?.dispose();
      this.services.delete(folder);
    }
    // Files of a removed folder are no longer the workspace's (a re-added folder is scanned again).
    for (const uri of [...this.pendingFiles.keys()]) if (removed.some((f) => isInFolder(uri, f))) this.pendingFiles.delete(uri);
    const moved: string[] = [];
    for (const uri of this.open) {
      const was = this.routed.get(uri);
      if (was !== undefined && was !== this.folderOf(uri)) moved.push(uri);
    }
    return moved;
  }

  /** Disposes every service; later loads create none. */
  dispose(): void {
    this.disposed = true;
    for (const s of this.services.values()) s.dispose();
    this.services.clear();
  }
}
