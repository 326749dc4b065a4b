/**
 * Answers `textDocument/codeAction`. Engines attach ready-made edits to a
 * finding (`data.fixes`, see FindingFix in protocol.ts) or the data to make
 * one (`data.suggestion`, `data.allowed`), so quick fixes need little
 * knowledge here; features with fixes that need more context (drift's
 * "Adopt live value", "Ignore this field") add a contributor.
 */
import {
  CodeActionKind,
  type CancellationToken,
  type CodeAction,
  type CodeActionParams,
  type TextEdit,
} from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { fixesOf } from './finding-conversion.js';
import { VALIDATION_SOURCE } from '../protocol/protocol.js';

/** Produces code actions for a request. */
export type CodeActionContributor = (
  params: CodeActionParams,
  document: TextDocument,
  token: CancellationToken,
) => CodeAction[] | Promise<CodeAction[]>;

/** Quick fixes from the `data.fixes` of the diagnostics in the request's context. */
export const findingFixActions: CodeActionContributor = (params) => {
  const actions: CodeAction[] = [];
  for (const diagnostic of params.context.diagnostics) {
    for (const fix of fixesOf(diagnostic.data) ?? []) {
      const edits: TextEdit[] = fix.edits.map((e) => ({ range: e.range, newText: e.newText }));
      const action: CodeAction = {
        title: fix.title,
        kind: CodeActionKind.QuickFix,
        diagnostics: [diagnostic],
        edit: { changes: { [params.textDocument.uri]: edits } },
      };
      if (fix.isPreferred) action.isPreferred = true;
      actions.push(action);
    }
  }
  return actions;
};

/**
 * Quick fixes from the validation engine's structured data: a did-you-mean
 * (`data.suggestion`, on unknown fields and kinds) replaces the flagged text,
 * and an enum finding (`data.allowed`) offers each allowed value.
 */
export const validationDataActions: CodeActionContributor = (params) => {
  const actions: CodeAction[] = [];
  for (const diagnostic of params.context.diagnostics) {
    if (diagnostic.source !== VALIDATION_SOURCE || diagnostic.data === null || typeof diagnostic.data !== 'object') continue;
    const data = diagnostic.data as { suggestion?: unknown; allowed?: unknown };
    const replace = (title: string, newText: string, isPreferred: boolean): CodeAction => ({
      title,
      kind: CodeActionKind.QuickFix,
      diagnostics: [diagnostic],
      isPreferred,
      edit: { changes: { [params.textDocument.uri]: [{ range: diagnostic.range, newText }] } },
    });
    if (typeof data.suggestion === 'string' && data.suggestion) {
      actions.push(replace(`Change to "${data.suggestion}"`, data.suggestion, true));
    } else if (diagnostic.code === 'invalid-enum' && Array.isArray(data.allowed)) {
      for (const value of data.allowed.slice(0, 20)) {
        if (typeof value === 'string') actions.push(replace(`Change to "${value}"`, yamlScalar(value), false));
      }
    }
  }
  return actions;
};

/** A string as a YAML scalar, quoted when plain style would read as another type or break the syntax. */
function yamlScalar(value: string): string {
  const plainSafe = /^[A-Za-z_/][\w./-]*$/.test(value) && !/^(?:true|false|yes|no|on|off|null|~)$/i.test(value);
  return plainSafe ? value : JSON.stringify(value);
}

/** The code action request handler. */
export class CodeActionHandler {
  private readonly contributors: CodeActionContributor[] = [findingFixActions, validationDataActions];

  constructor(
    private readonly getDocument: (uri: string) => TextDocument | undefined,
    private readonly log: (message: string) => void,
  ) {}

  /** Adds a contributor, e.g. drift's quick fixes. */
  add(contributor: CodeActionContributor): void {
    this.contributors.push(contributor);
  }

  /** Handles one request; a failing contributor is logged and skipped. */
  async handle(params: CodeActionParams, token: CancellationToken): Promise<CodeAction[]> {
    const document = this.getDocument(params.textDocument.uri);
    if (!document) return [];
    const actions: CodeAction[] = [];
    for (const contributor of this.contributors) {
      if (token.isCancellationRequested) return [];
      try {
        actions.push(...(await contributor(params, document, token)));
      } catch (err) {
        this.log(`Code actions for ${params.textDocument.uri} failed: ${String(err)}`);
      }
    }
    return actions;
  }
}
