/**
 * The client side of the "built by …" CodeLens: the server sends LSP-shaped
 * arguments (URI strings, positions, locations), which VS Code's references
 * peek (`editor.action.showReferences`) does not accept; this command
 * converts them and opens the peek.
 */
import * as vscode from 'vscode';
import { SHOW_REFERENCES_COMMAND } from '../../server/src/protocol/protocol.js';

interface LspPosition {
  line: number;
  character: number;
}
interface LspLocation {
  uri: string;
  range: { start: LspPosition; end: LspPosition };
}

const position = (p: LspPosition) => new vscode.Position(p.line, p.character);

/** Registers the command the lenses run. */
export function registerShowReferences(): vscode.Disposable {
  return vscode.commands.registerCommand(SHOW_REFERENCES_COMMAND, async (uri: string, at: LspPosition, locations: LspLocation[]) => {
    if (typeof uri !== 'string' || !at || !Array.isArray(locations)) return;
    const converted = locations.map((l) => new vscode.Location(vscode.Uri.parse(l.uri), new vscode.Range(position(l.range.start), position(l.range.end))));
    await vscode.commands.executeCommand('editor.action.showReferences', vscode.Uri.parse(uri), position(at), converted);
  });
}
