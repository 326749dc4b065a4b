/**
 * `gitops/previewSync` and `gitops/previewDocument`. The plan itself is
 * computed by the preview engine (server/src/preview), which registers a
 * {@link PreviewService} here; this file only adds what every request
 * needs: the trust check, cancellation and errors the user can act on.
 */
import { ErrorCodes, LSPErrorCodes, ResponseError, type CancellationToken } from 'vscode-languageserver/node';
import type { ClusterGate } from './cluster-gate.js';
import type { Plan, PreviewDocumentParams, PreviewDocumentResult, PreviewSyncParams } from '../protocol/protocol.js';

/** What the preview engine provides to the LSP layer. */
export interface PreviewService {
  previewSync(params: PreviewSyncParams, token: CancellationToken): Promise<Plan>;
  previewDocument(params: PreviewDocumentParams, token: CancellationToken): Promise<PreviewDocumentResult>;
}

/** Routes preview requests to the registered service. */
export class PreviewHandlers {
  private service: PreviewService | undefined;

  constructor(private readonly gate: ClusterGate) {}

  /** Called by the wiring once the preview engine is available. */
  register(service: PreviewService): void {
    this.service = service;
  }

  async previewSync(params: PreviewSyncParams, token: CancellationToken): Promise<Plan> {
    const service = this.check();
    let plan: Plan;
    try {
      plan = await service.previewSync(params, token);
    } catch (err) {
      if (token.isCancellationRequested) throw new ResponseError(LSPErrorCodes.RequestCancelled, 'Preview cancelled.');
      throw asResponseError(err);
    }
    if (token.isCancellationRequested) throw new ResponseError(LSPErrorCodes.RequestCancelled, 'Preview cancelled.');
    return plan;
  }

  async previewDocument(params: PreviewDocumentParams, token: CancellationToken): Promise<PreviewDocumentResult> {
    try {
      return await this.check().previewDocument(params, token);
    } catch (err) {
      throw asResponseError(err);
    }
  }

  private check(): PreviewService {
    if (!this.gate.isTrusted) {
      throw new ResponseError(
        ErrorCodes.InvalidRequest,
        'Preview Sync reads the cluster, so it needs a trusted folder. Trust this folder to use it.',
      );
    }
    if (!this.service) {
      throw new ResponseError(ErrorCodes.InternalError, 'Preview Sync is not available in this build of GitOps Lens.');
    }
    return this.service;
  }
}

/**
 * Keeps an engine error's own message (already safe to show: the preview
 * engine redacts secrets) instead of the library's generic "Request failed" wrapper.
 */
function asResponseError(err: unknown): ResponseError<void> {
  if (err instanceof ResponseError) return err;
  return new ResponseError(LSPErrorCodes.RequestFailed, err instanceof Error ? err.message : String(err));
}
