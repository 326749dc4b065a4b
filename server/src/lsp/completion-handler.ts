/**
 * Answers `textDocument/completion` with keys and enum values from the
 * schemas, computed by the validation engine.
 */
import {
  CompletionItemKind,
  InsertTextFormat,
  MarkupKind,
  type CancellationToken,
  type CompletionItem,
  type CompletionList,
  type CompletionParams,
} from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { CompletionCandidate, ValidationEnginePort } from './engine-port.js';
import { uriToPath } from '../util/uri-path.js';
import type { SettingsService } from './settings-service.js';

/** One engine candidate as an LSP completion item. */
export function candidateToItem(candidate: CompletionCandidate): CompletionItem {
  const item: CompletionItem = {
    label: candidate.label,
    kind: candidate.kind === 'property' ? CompletionItemKind.Property : CompletionItemKind.EnumMember,
  };
  if (candidate.detail) item.detail = candidate.detail;
  if (candidate.documentation) item.documentation = { kind: MarkupKind.Markdown, value: candidate.documentation };
  if (candidate.insertText !== undefined) {
    item.insertText = candidate.insertText;
    // Engines may use snippet placeholders (`$1`) to put the cursor after `key: `.
    if (/\$(?:\d|\{)/.test(candidate.insertText)) item.insertTextFormat = InsertTextFormat.Snippet;
  }
  return item;
}

/** The completion request handler. */
export class CompletionHandler {
  constructor(
    private readonly engine: ValidationEnginePort,
    private readonly getDocument: (uri: string) => TextDocument | undefined,
    private readonly settings: SettingsService,
    private readonly log: (message: string) => void,
  ) {}

  /** Handles one completion request; never throws. */
  async handle(params: CompletionParams, token: CancellationToken): Promise<CompletionList | null> {
    const document = this.getDocument(params.textDocument.uri);
    if (!document) return null;
    const settings = await this.settings.get(params.textDocument.uri);
    if (token.isCancellationRequested || !settings.validation.enable) return null;
    const text = document.getText();
    if (Buffer.byteLength(text, 'utf8') > settings.maxFileSizeKB * 1024) return null;
    try {
      const candidates = this.engine.complete(uriToPath(params.textDocument.uri), text, params.position);
      if (token.isCancellationRequested) return null;
      return { isIncomplete: false, items: candidates.map(candidateToItem) };
    } catch (err) {
      this.log(`Completion at ${params.textDocument.uri}:${params.position.line + 1} failed: ${String(err)}`);
      return null;
    }
  }
}
