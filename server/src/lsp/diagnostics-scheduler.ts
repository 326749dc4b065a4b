/**
 * Decides when each open file is validated and publishes the result.
 *
 * Edits are debounced per file, and a run whose document got a newer
 * version meanwhile publishes nothing, so typing never shows stale results.
 * The engine re-validates only the YAML documents whose text changed (it
 * keeps a cache per document); the counts of validated and reused documents
 * are kept for `gitops/stats`. An engine exception becomes one diagnostic on
 * the file, never a crash.
 */
import { DiagnosticSeverity, type Diagnostic } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { Finding } from '../findings.js';
import type { ValidationEnginePort } from './engine-port.js';
import type { DiagnosticsStore } from './diagnostics-store.js';
import { findingToDiagnostic } from './finding-conversion.js';
import { VALIDATION_SOURCE, type DocumentStats } from '../protocol/protocol.js';
import type { SettingsService } from './settings-service.js';
import { splitYamlDocuments } from './yaml-segments.js';
import { uriToPath } from '../util/uri-path.js';

interface FileState {
  timer?: NodeJS.Timeout;
  stats: DocumentStats;
}

/** Schedules, runs and publishes validation of open documents. */
export class DiagnosticsScheduler {
  private readonly files = new Map<string, FileState>();
  private readonly settledListeners: Array<(uri: string, text: string) => void> = [];

  constructor(
    private readonly engine: ValidationEnginePort,
    private readonly getDocument: (uri: string) => TextDocument | undefined,
    private readonly store: DiagnosticsStore,
    private readonly settings: SettingsService,
    private readonly log: (message: string) => void,
    /**
     * Runs before each validation with the document's text; returns true
     * when the document is one other files depend on (CRD, kustomization) and
     * it changed, so every other open file must be re-validated.
     */
    private readonly beforeValidate?: (uri: string, text: string) => boolean,
  ) {}

  /**
   * Validates `uri` after its debounce delay (or `delayMs` when given),
   * replacing any pending run.
   */
  schedule(uri: string, delayMs?: number): void {
    const state = this.state(uri);
    if (state.timer) clearTimeout(state.timer);
    const start = (delay: number) => {
      state.timer = setTimeout(() => {
        state.timer = undefined;
        void this.run(uri);
      }, delay);
    };
    if (delayMs !== undefined) start(delayMs);
    else
      void this.settings.get(uri).then(
        (s) => start(s.validation.debounceMs),
        () => start(150),
      );
  }

  /**
   * Runs `listener` with a file's text once its edits have settled (after the
   * debounce, and only for files within gitopsLens.maxFileSizeKB), whether
   * or not schema validation is enabled. Drift uses it to follow edits at
   * the same pace as validation.
   */
  onDocumentSettled(listener: (uri: string, text: string) => void): void {
    this.settledListeners.push(listener);
  }

  /** Forgets a closed file and clears its schema diagnostics. */
  close(uri: string): void {
    const state = this.files.get(uri);
    if (state?.timer) clearTimeout(state.timer);
    this.files.delete(uri);
    this.store.set(uri, VALIDATION_SOURCE, []);
  }

  /**
   * Re-validates every open file from scratch; used when a workspace file
   * they may depend on, or the settings, changed.
   */
  revalidateAll(): void {
    for (const uri of this.files.keys()) this.schedule(uri, 0);
  }

  /** Counters for `gitops/stats`. */
  stats(): DocumentStats[] {
    return [...this.files.values()].map((s) => ({ ...s.stats, lastRun: { ...s.stats.lastRun } }));
  }

  private state(uri: string): FileState {
    let s = this.files.get(uri);
    if (!s) {
      s = {
        stats: { uri, version: 0, documents: 0, validatedTotal: 0, lastRun: { validated: 0, reused: 0 }, runs: 0 },
      };
      this.files.set(uri, s);
    }
    return s;
  }

  /** One validation run of one file; publishes unless a newer version arrived meanwhile. */
  private async run(uri: string): Promise<void> {
    const doc = this.getDocument(uri);
    const state = this.files.get(uri);
    if (!doc || !state) return;
    const version = doc.version;
    const stale = () => this.getDocument(uri)?.version !== version || this.files.get(uri) !== state;
    try {
      const settings = await this.settings.get(uri);
      if (stale()) return;
      const text = doc.getText();
      const sizeKB = Buffer.byteLength(text, 'utf8') / 1024;
      if (sizeKB > settings.maxFileSizeKB) {
        this.store.set(uri, VALIDATION_SOURCE, [tooLargeDiagnostic(sizeKB, settings.maxFileSizeKB)], version);
        return;
      }
      for (const listener of this.settledListeners) {
        try {
          listener(uri, text);
        } catch (err) {
          this.log(`A listener of ${uri} failed: ${errorText(err)}`);
        }
      }
      if (!settings.validation.enable) {
        this.store.set(uri, VALIDATION_SOURCE, [], version);
        return;
      }
      if (this.beforeValidate?.(uri, text)) {
        for (const other of this.files.keys()) if (other !== uri) this.schedule(other, 0);
      }
      const path = uriToPath(uri);
      // A changed setting changes the registry's generation, so cached results of the old version are not reused.
      this.engine.setKubernetesVersion?.(settings.kubernetesVersion);
      const findings = this.validateFile(path, text, uri);
      if (stale()) return;
      const documents = splitYamlDocuments(text).length;
      // The engine keeps a cache per YAML document and reports how many it
      // really validated; an engine without that counter validated them all.
      const reported = this.engine.lastValidatedDocuments;
      const validated = typeof reported === 'number' ? Math.min(reported, documents) : documents;
      const diagnostics = findings.map(findingToDiagnostic);
      state.stats.version = version;
      state.stats.documents = documents;
      state.stats.validatedTotal += validated;
      state.stats.lastRun = { validated, reused: documents - validated };
      state.stats.runs++;
      this.store.set(uri, VALIDATION_SOURCE, diagnostics, version);
    } catch (err) {
      // Only reachable through a bug in this file; never let it take the server down.
      this.log(`Validation run for ${uri} failed: ${errorText(err)}`);
    }
  }

  /** Validates one file; an engine exception becomes one diagnostic that points at the log. */
  private validateFile(path: string, text: string, uri: string): Finding[] {
    try {
      return this.engine.validate(path, text);
    } catch (err) {
      this.log(`Validation of ${uri} threw: ${errorText(err)}`);
      const firstLineLength = text.split('\n', 1)[0]!.replace(/\r$/, '').length;
      return [
        {
          range: { start: { line: 0, character: 0 }, end: { line: 0, character: firstLineLength } },
          severity: 'error',
          message:
            'Validation of this file failed because of an internal error. ' +
            'See "GitOps: Show Output" for details and please report it.',
          code: 'validation-failed',
          source: 'gitops-lens',
        },
      ];
    }
  }
}

function tooLargeDiagnostic(sizeKB: number, limitKB: number): Diagnostic {
  return {
    range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
    severity: DiagnosticSeverity.Information,
    source: VALIDATION_SOURCE,
    code: 'file-too-large',
    message:
      `Not validated: this file is ${Math.ceil(sizeKB)} KB, larger than gitopsLens.maxFileSizeKB (${limitKB} KB). ` +
      'Raise that setting to validate it.',
  };
}

/** A one-line description of a thrown value, with the stack for the log. */
export function errorText(err: unknown): string {
  if (err instanceof Error) return err.stack ?? `${err.name}: ${err.message}`;
  return String(err);
}
