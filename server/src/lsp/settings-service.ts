/**
 * Pulls settings from the client with `workspace/configuration`, one scope
 * per resource, and caches them until the client says they changed. Pulling
 * (instead of trusting pushed values) is what lets VS Code apply resource
 * scopes and Restricted Mode's `restrictedConfigurations` for us.
 */
import type { Connection } from 'vscode-languageserver/node';
import { DEFAULT_SETTINGS, normalizeSettings, type GitOpsLensSettings } from '../protocol/settings.js';

/** The configuration section that holds every GitOps Lens setting. */
export const SETTINGS_SECTION = 'gitopsLens';

/** Caches settings per scope URI; the key `''` is the window scope. */
export class SettingsService {
  private readonly cache = new Map<string, Promise<GitOpsLensSettings>>();
  private readonly listeners: Array<() => void> = [];

  /**
   * @param connection the server connection.
   * @param canPull whether the client announced `workspace.configuration`;
   *   without it every scope gets the defaults.
   * @param log where failures to read settings are reported.
   */
  constructor(
    private readonly connection: Connection,
    private readonly canPull: () => boolean,
    private readonly log: (message: string) => void,
  ) {}

  /** Settings for a document (resource scope) or, without a URI, for the window. */
  get(scopeUri?: string): Promise<GitOpsLensSettings> {
    const key = scopeUri ?? '';
    let entry = this.cache.get(key);
    if (!entry) {
      entry = this.pull(scopeUri);
      this.cache.set(key, entry);
    }
    return entry;
  }

  /** Drops a closed document's entry so the cache does not grow with every file ever opened. */
  forget(scopeUri: string): void {
    this.cache.delete(scopeUri);
  }

  /** Called on `workspace/didChangeConfiguration`: clears the cache and tells listeners to re-read. */
  invalidate(): void {
    this.cache.clear();
    for (const l of this.listeners) l();
  }

  /** Registers a callback run after every invalidation. */
  onDidChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  private async pull(scopeUri: string | undefined): Promise<GitOpsLensSettings> {
    if (!this.canPull()) return DEFAULT_SETTINGS;
    try {
      const raw: unknown = await this.connection.workspace.getConfiguration(
        scopeUri ? { scopeUri, section: SETTINGS_SECTION } : { section: SETTINGS_SECTION },
      );
      return normalizeSettings(raw);
    } catch (err) {
      // A client that fails the request must not stop validation; the
      // defaults are safe (no cluster settings), so fall back to them.
      this.log(`Could not read settings${scopeUri ? ` for ${scopeUri}` : ''}: ${String(err)}; using defaults.`);
      this.cache.delete(scopeUri ?? '');
      return DEFAULT_SETTINGS;
    }
  }
}
