/**
 * Holds the current diagnostics of every URI, one set per source, and
 * publishes their union. Schema validation and drift are computed by
 * different engines at different times; publishing per URI replaces the
 * whole list, so each source must see the other's latest set.
 */
import type { Diagnostic } from 'vscode-languageserver/node';

/** Sends one URI's complete diagnostics to the client. */
export type PublishFn = (uri: string, diagnostics: Diagnostic[], version?: number) => void;

/** Per-URI, per-source diagnostics with merged publishing. */
export class DiagnosticsStore {
  private readonly byUri = new Map<string, Map<string, Diagnostic[]>>();

  /**
   * @param publish sends one URI's diagnostics.
   * @param versionOf the open document's current version, attached when a
   *   source does not give one (drift publishes from watch events, not edits).
   */
  constructor(
    private readonly publish: PublishFn,
    private readonly versionOf: (uri: string) => number | undefined = () => undefined,
  ) {}

  /**
   * Replaces the diagnostics of one source for one URI and publishes the
   * union of all sources. An empty list clears that source only.
   *
   * @param source e.g. `gitops-lens` or `gitops-lens-drift`.
   * @param version the document version the diagnostics were computed for, if any.
   */
  set(uri: string, source: string, diagnostics: Diagnostic[], version = this.versionOf(uri)): void {
    let sources = this.byUri.get(uri);
    if (!sources) {
      if (diagnostics.length === 0) {
        // Nothing stored and nothing new: still publish once so a client that
        // showed diagnostics from an earlier server run gets them cleared.
        this.publish(uri, [], version);
        return;
      }
      sources = new Map();
      this.byUri.set(uri, sources);
    }
    if (diagnostics.length === 0) sources.delete(source);
    else sources.set(source, diagnostics);
    if (sources.size === 0) this.byUri.delete(uri);
    this.publish(uri, this.get(uri), version);
  }

  /** Clears one source on every URI (e.g. drift when the cluster disconnects). */
  clearSource(source: string): void {
    for (const [uri, sources] of [...this.byUri]) {
      if (sources.delete(source)) {
        if (sources.size === 0) this.byUri.delete(uri);
        this.publish(uri, this.get(uri), this.versionOf(uri));
      }
    }
  }

  /** Clears every source of one URI. */
  clearUri(uri: string): void {
    if (this.byUri.delete(uri)) this.publish(uri, []);
  }

  /** The merged diagnostics of a URI. */
  get(uri: string): Diagnostic[] {
    const sources = this.byUri.get(uri);
    return sources ? [...sources.values()].flat() : [];
  }

  /** The diagnostics of one source for a URI (for code actions and hovers of that source). */
  getSource(uri: string, source: string): Diagnostic[] {
    return this.byUri.get(uri)?.get(source) ?? [];
  }
}
