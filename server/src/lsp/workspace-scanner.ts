/**
 * Keeps the engine's view of the workspace files that other files depend on
 * (kustomizations, which say which files are patches; Chart.yaml, which
 * marks a Helm chart; CustomResourceDefinitions, which give custom resources
 * their schema).
 *
 * At startup it walks each workspace folder once, bounded in file count and
 * size and skipping node_modules and VCS folders; afterwards it follows the
 * client's file watcher and the open editors (an open document's text wins
 * over the file on disk).
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { basename, join } from 'node:path';
import { FileChangeType, type FileEvent } from 'vscode-languageserver/node';
import type { ValidationEnginePort } from './engine-port.js';
import type { SettingsService } from './settings-service.js';
import { pathToUri, uriToPath } from '../util/uri-path.js';

const SKIPPED_DIRECTORIES = new Set(['node_modules', '.git', '.hg', '.svn', '.vscode-test']);
const YAML_FILE = /\.ya?ml$/i;
const INDEXED_FILE = /^(?:kustomization\.ya?ml|Kustomization|Chart\.ya?ml)$/;
const CRD_KIND = /^kind:[ \t]*["']?CustomResourceDefinition["']?[ \t]*(?:#.*)?$/m;

/** True for kustomizations and Chart.yaml, the files that decide how other files are classified. */
export function isClassifyingFile(path: string): boolean {
  return INDEXED_FILE.test(basename(path));
}

/** Whether other files' validation may depend on this file. */
export function isWorkspaceRelevant(path: string, text: string): boolean {
  return isClassifyingFile(path) || CRD_KIND.test(text);
}

/** Feeds kustomizations and CRDs of the workspace to the engine. */
export class WorkspaceScanner {
  /** Paths currently fed to the engine, with a hash of the text fed, so an unchanged file is not fed twice. */
  private readonly fed = new Map<string, string>();
  private cancelled = false;
  private readonly fileListeners: Array<(uri: string, text: string | undefined) => void> = [];
  private readonly scanListeners: Array<(folderUris: string[]) => void> = [];

  constructor(
    private readonly engine: ValidationEnginePort,
    private readonly settings: SettingsService,
    private readonly isOpen: (uri: string) => boolean,
    /** Called after a relevant file was added, changed or removed, so open files get re-validated. */
    private readonly onRelevantChange: () => void,
    private readonly log: (message: string) => void,
  ) {}

  /** Number of files the engine currently knows from the workspace. */
  get fileCount(): number {
    return this.fed.size;
  }

  /**
   * Runs `listener` for every workspace YAML file the scan or the file
   * watcher reads (and with `undefined` when one is deleted or too large),
   * so other features can index files of their own, e.g. drift's Flux
   * Kustomizations and Argo CD Applications for bindings.
   */
  onWorkspaceFile(listener: (uri: string, text: string | undefined) => void): void {
    this.fileListeners.push(listener);
  }

  /** Runs `listener` when a scan of folders has read all their files (features that index every file wait for it). */
  onScanDone(listener: (folderUris: string[]) => void): void {
    this.scanListeners.push(listener);
  }

  private notify(path: string, text: string | undefined): void {
    const uri = pathToUri(path);
    for (const l of this.fileListeners) {
      try {
        l(uri, text);
      } catch (err) {
        this.log(`A workspace file listener failed on ${path}: ${String(err)}`);
      }
    }
  }

  /** Stops a running scan (on shutdown). */
  dispose(): void {
    this.cancelled = true;
  }

  /** Walks the workspace folders once; resolves when done. */
  async scan(folderUris: string[]): Promise<void> {
    const started = Date.now();
    let changed = false;
    for (const folderUri of folderUris) {
      if (!folderUri.startsWith('file:')) continue;
      const settings = await this.settings.get(folderUri);
      const maxBytes = settings.maxFileSizeKB * 1024;
      let budget = settings.workspaceScan.maxFiles;
      const stack = [uriToPath(folderUri)];
      while (stack.length > 0 && !this.cancelled) {
        const dir = stack.pop()!;
        let entries;
        try {
          entries = await fs.readdir(dir, { withFileTypes: true });
        } catch (err) {
          this.log(`Workspace scan: cannot read ${dir}: ${(err as Error).message}`);
          continue;
        }
        for (const entry of entries) {
          // Symbolic links are not followed: they can loop and can leave the workspace.
          if (entry.isDirectory()) {
            if (!SKIPPED_DIRECTORIES.has(entry.name)) stack.push(join(dir, entry.name));
          } else if (entry.isFile() && YAML_FILE.test(entry.name) || entry.isFile() && entry.name === 'Kustomization') {
            if (budget-- <= 0) {
              this.log(
                `Workspace scan of ${folderUri} stopped after ${settings.workspaceScan.maxFiles} YAML files ` +
                  '(gitopsLens.workspaceScan.maxFiles); CRDs and kustomizations beyond that are picked up when opened.',
              );
              stack.length = 0;
              break;
            }
            const path = join(dir, entry.name);
            if (this.isOpen(pathToUri(path))) continue;
            if ((await this.readAndFeed(path, maxBytes)) === 'changed') changed = true;
          }
        }
      }
    }
    this.log(`Workspace scan done in ${Date.now() - started} ms: ${this.fed.size} kustomization/CRD files.`);
    if (changed) this.onRelevantChange();
    for (const l of this.scanListeners) l(folderUris);
  }

  /** Applies file watcher events (files changed on disk, outside the editor or by git). */
  async filesChanged(events: FileEvent[]): Promise<void> {
    let changed = false;
    for (const event of events) {
      if (!event.uri.startsWith('file:') || this.isOpen(event.uri)) continue;
      const path = uriToPath(event.uri);
      if (event.type === FileChangeType.Deleted) {
        this.notify(path, undefined);
        if (this.remove(path)) changed = true;
      } else {
        const settings = await this.settings.get(event.uri);
        if ((await this.readAndFeed(path, settings.maxFileSizeKB * 1024)) === 'changed') changed = true;
      }
    }
    if (changed) this.onRelevantChange();
  }

  /**
   * An open document's text replaces the file's disk content in the engine's
   * view. Called by the scheduler right before it validates the document
   * (so after the debounce, not on every keystroke); returns whether other
   * files need re-validation, and leaves scheduling that to the caller.
   */
  documentChanged(uri: string, text: string): boolean {
    return this.feed(uriToPath(uri), text) === 'changed';
  }

  /** When an editor closes without saving, the disk content is what counts again. */
  async documentClosed(uri: string): Promise<void> {
    if (!uri.startsWith('file:')) {
      if (this.remove(uri)) this.onRelevantChange();
      return;
    }
    const settings = await this.settings.get(uri);
    if ((await this.readAndFeed(uriToPath(uri), settings.maxFileSizeKB * 1024)) === 'changed') this.onRelevantChange();
  }

  private async readAndFeed(path: string, maxBytes: number): Promise<'changed' | 'unchanged'> {
    try {
      const stat = await fs.stat(path);
      if (stat.size > maxBytes) {
        this.notify(path, undefined);
        return this.remove(path) ? 'changed' : 'unchanged';
      }
      const text = await fs.readFile(path, 'utf8');
      this.notify(path, text);
      return this.feed(path, text);
    } catch {
      // Gone between the listing and the read, or unreadable: treat as absent.
      this.notify(path, undefined);
      return this.remove(path) ? 'changed' : 'unchanged';
    }
  }

  private feed(path: string, text: string): 'changed' | 'unchanged' {
    if (!isWorkspaceRelevant(path, text)) return this.remove(path) ? 'changed' : 'unchanged';
    const hash = createHash('sha1').update(text).digest('base64');
    if (this.fed.get(path) === hash) return 'unchanged';
    try {
      this.engine.updateWorkspaceFile(path, text);
      this.fed.set(path, hash);
      return 'changed';
    } catch (err) {
      this.log(`The engine could not take workspace file ${path}: ${String(err)}`);
      return 'unchanged';
    }
  }

  private remove(path: string): boolean {
    if (!this.fed.delete(path)) return false;
    try {
      this.engine.updateWorkspaceFile(path, undefined);
    } catch (err) {
      this.log(`The engine could not drop workspace file ${path}: ${String(err)}`);
    }
    return true;
  }
}
