/**
 * Serves the read-only documents of the `gitops-lens:` scheme that the diff
 * editor shows: one side (live, or after sync) of a plan entry, fetched from
 * the server with `gitops/previewDocument` (Secret values already masked),
 * or the entry's unified diff when the plan carries no per-side documents.
 */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import {
  PREVIEW_SCHEME,
  PreviewDocumentRequest,
  previewDocumentUri,
  type Plan,
  type PlanEntry,
  type PreviewSide,
} from '../../server/src/protocol/protocol.js';
import { lspRequest } from './lsp-messages.js';

const DIFF_PREFIX = '/unified-diff/';

/** Content provider for `gitops-lens:` URIs. */
export class PlanDocumentProvider implements vscode.TextDocumentContentProvider {
  private plan: Plan | undefined;
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  constructor(private readonly client: () => LanguageClient | undefined) {}

  /** Makes `plan` the one whose documents are served. */
  setPlan(plan: Plan | undefined): void {
    this.plan = plan;
  }

  /** URI of one side of an entry, in the server's format. */
  sideUri(index: number, entry: PlanEntry, side: PreviewSide): vscode.Uri | undefined {
    if (!this.plan?.planId) return undefined;
    return vscode.Uri.parse(
      previewDocumentUri({ planId: this.plan.planId, index, side, kind: entry.kind, name: entry.name, namespace: entry.namespace }),
    );
  }

  /** URI of an entry's unified diff, served from the plan held by the client. */
  diffUri(index: number, entry: PlanEntry): vscode.Uri {
    return vscode.Uri.from({ scheme: PREVIEW_SCHEME, path: `${DIFF_PREFIX}${index}/${entry.kind}-${entry.name}.diff` });
  }

  async provideTextDocumentContent(uri: vscode.Uri, token: vscode.CancellationToken): Promise<string> {
    if (uri.path.startsWith(DIFF_PREFIX)) {
      const index = Number(uri.path.slice(DIFF_PREFIX.length).split('/')[0]);
      return this.plan?.entries[index]?.diff ?? '# This plan entry has no diff.\n';
    }
    const client = this.client();
    if (!client?.isRunning()) return '# The GitOps Lens server is not running.\n';
    try {
      const result = await client.sendRequest(lspRequest(PreviewDocumentRequest), { uri: uri.toString() }, token);
      return result.text;
    } catch (err) {
      return `# Could not load this document: ${err instanceof Error ? err.message : String(err)}\n`;
    }
  }

  dispose(): void {
    this.changed.dispose();
  }
}
