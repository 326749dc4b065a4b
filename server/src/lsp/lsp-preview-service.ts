/**
 * Adapts the {@link PreviewService} engine facade to the LSP layer's preview
 * contract (server/src/lsp/preview-handlers.ts): URIs in, a protocol Plan
 * out, cancellation tokens turned into an AbortSignal, and documents served
 * from the kept plans for the client's read-only diff editor.
 */
import { uriToPath } from '../util/uri-path.js';
import type { GitOpsLensSettings } from '../protocol/settings.js';
import {
  parsePreviewDocumentUri,
  type Plan,
  type PreviewDocumentParams,
  type PreviewDocumentResult,
  type PreviewSyncParams,
} from '../protocol/protocol.js';
import type { PreviewResult, PreviewService } from '../preview/preview-service.js';

/** The part of vscode-languageserver's CancellationToken the adapter uses. */
export interface CancellationTokenLike {
  readonly isCancellationRequested: boolean;
  onCancellationRequested(listener: () => void): unknown;
}

/** What the adapter needs from the server wiring. */
export interface LspPreviewDeps {
  service: PreviewService;
  /** Workspace folder URIs, previewed when the request names none. */
  workspaceFolders(): string[];
  /** Settings for a resource (pulled with workspace/configuration). */
  settingsFor(uri: string | undefined): Promise<Pick<GitOpsLensSettings, 'kubeconfig' | 'context' | 'preview'>>;
  /** The context chosen with gitops/selectContext, which wins over the setting; null for none. */
  selectedContext?(): string | null;
  /** Progress of the running preview, for a `$/progress` report or a log line. */
  onProgress?(done: number, total: number): void;
}

/** A protocol Plan plus the notes (things not previewed); the extra field is ignored by clients that do not know it. */
export type PlanWithNotes = Plan & { notes: string[] };

/** Strips the server-side documents and details from a computed plan. */
export function toProtocolPlan(plan: PreviewResult): PlanWithNotes {
  return {
    planId: plan.planId,
    createdAt: plan.createdAt,
    context: plan.context,
    counts: plan.counts,
    notes: plan.notes,
    entries: plan.entries.map(({ liveText: _l, afterText: _a, changedPaths: _c, ...entry }) => entry),
  };
}


/** Creates the object registered with `PreviewHandlers.register`. */
export function createLspPreviewService(deps: LspPreviewDeps) {
  return {
    async previewSync(params: PreviewSyncParams, token: CancellationTokenLike): Promise<Plan> {
      const uris = params.uris.length ? params.uris : deps.workspaceFolders();
      const settings = await deps.settingsFor(uris[0]);
      const controller = new AbortController();
      token.onCancellationRequested(() => controller.abort());
      if (token.isCancellationRequested) controller.abort();
      const plan = await deps.service.preview({
        paths: uris.map(uriToPath),
        onlyChanged: params.onlyChanged,
        context: deps.selectedContext?.() || settings.context || undefined,
        kubeconfig: settings.kubeconfig || undefined,
        fieldManager: settings.preview.fieldManager || undefined,
        signal: controller.signal,
        onProgress: deps.onProgress,
      });
      return toProtocolPlan(plan);
    },

    async previewDocument(params: PreviewDocumentParams, _token: CancellationTokenLike): Promise<PreviewDocumentResult> {
      const ref = parsePreviewDocumentUri(params.uri);
      const doc = ref && deps.service.document(ref.planId, ref.index, ref.side);
      // A plan that is no longer kept yields an explanatory document rather than an error popup.
      return doc ?? { text: '# This preview is no longer available. Run "GitOps: Preview Sync" again.\n' };
    },
  };
}
