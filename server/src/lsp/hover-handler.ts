/**
 * Answers `textDocument/hover` by asking every hover contributor (schema
 * docs from the validation engine now; live-vs-desired from drift later) and
 * joining their markdown, so one hover shows everything known about a key.
 */
import type { CancellationToken, Hover, HoverParams } from 'vscode-languageserver/node';
import { MarkupKind } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { Position } from '../findings.js';
import type { HoverResult, ValidationEnginePort } from './engine-port.js';
import { uriToPath } from '../util/uri-path.js';
import type { SettingsService } from './settings-service.js';

/** What a hover contributor gets. */
export interface HoverContext {
  uri: string;
  /** The engine path of the document. */
  path: string;
  document: TextDocument;
  position: Position;
  token: CancellationToken;
}

/** Produces hover content for a position, or nothing. */
export type HoverContributor = (ctx: HoverContext) => HoverResult | undefined | Promise<HoverResult | undefined>;

/** Schema hover (description, type, allowed values) from the validation engine. */
export function validationHover(engine: ValidationEnginePort): HoverContributor {
  return ({ path, document, position }) => engine.hover(path, document.getText(), position);
}

/** The hover request handler. */
export class HoverHandler {
  private readonly contributors: HoverContributor[] = [];

  constructor(
    private readonly getDocument: (uri: string) => TextDocument | undefined,
    private readonly settings: SettingsService,
    private readonly log: (message: string) => void,
  ) {}

  /** Adds a contributor; hovers are shown in the order contributors were added. */
  add(contributor: HoverContributor): void {
    this.contributors.push(contributor);
  }

  /** Handles one hover request; never throws. */
  async handle(params: HoverParams, token: CancellationToken): Promise<Hover | null> {
    const document = this.getDocument(params.textDocument.uri);
    if (!document) return null;
    const settings = await this.settings.get(params.textDocument.uri);
    if (token.isCancellationRequested) return null;
    if (Buffer.byteLength(document.getText(), 'utf8') > settings.maxFileSizeKB * 1024) return null;
    const ctx: HoverContext = {
      uri: params.textDocument.uri,
      path: uriToPath(params.textDocument.uri),
      document,
      position: params.position,
      token,
    };
    const parts: HoverResult[] = [];
    for (const contributor of this.contributors) {
      if (token.isCancellationRequested) return null;
      try {
        const part = await contributor(ctx);
        if (part && part.markdown.trim()) parts.push(part);
      } catch (err) {
        this.log(`Hover at ${ctx.uri}:${ctx.position.line + 1}:${ctx.position.character + 1} failed: ${String(err)}`);
      }
    }
    if (parts.length === 0 || token.isCancellationRequested) return null;
    const hover: Hover = {
      contents: { kind: MarkupKind.Markdown, value: parts.map((p) => p.markdown).join('\n\n---\n\n') },
    };
    const range = parts.find((p) => p.range)?.range;
    if (range) hover.range = range;
    return hover;
  }
}
