/**
 * The "GitOps" commands. Each is a thin request to the server plus the UI
 * around it: progress with cancel for previews, a quick pick for contexts,
 * and messages only when the user can act on them.
 */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import {
  ADD_IGNORE_DIFFERENCE_COMMAND,
  ListContextsRequest,
  PreviewSyncRequest,
  SelectContextRequest,
  type AddIgnoreDifferenceArgs,
  type Plan,
} from '../../server/src/protocol/protocol.js';
import { formatPlanMarkdown, planSummaryLine } from '../../server/src/protocol/plan-summary.js';
import type { PlanDocumentProvider } from './plan-documents.js';
import { openPlanEntry, openPlanEntrySource, type PlanNode, type PlanTreeProvider } from './plan-view.js';
import { lspRequest, lspRequest0 } from './lsp-messages.js';

/** What the commands need from the rest of the extension. */
export interface CommandDeps {
  client: () => LanguageClient | undefined;
  restartClient: () => Promise<void>;
  output: vscode.LogOutputChannel;
  planTree: PlanTreeProvider;
  planDocuments: PlanDocumentProvider;
}

/** Command ids, as contributed in package.json. */
export const COMMANDS = {
  previewSync: 'gitopsLens.previewSync',
  previewSyncChanged: 'gitopsLens.previewSyncChanged',
  selectContext: 'gitopsLens.selectContext',
  showOutput: 'gitopsLens.showOutput',
  restartServer: 'gitopsLens.restartServer',
  openPlanEntry: 'gitopsLens.openPlanEntry',
  openPlanEntrySource: 'gitopsLens.openPlanEntrySource',
  clearPlan: 'gitopsLens.clearPlan',
  copyPlanSummary: 'gitopsLens.copyPlanSummary',
  addIgnoreDifference: ADD_IGNORE_DIFFERENCE_COMMAND,
} as const;

/** Registers every command. */
export function registerCommands(deps: CommandDeps): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand(COMMANDS.previewSync, (uri?: vscode.Uri, uris?: vscode.Uri[]) =>
      previewSync(deps, scopeOf(uri, uris), false),
    ),
    vscode.commands.registerCommand(COMMANDS.previewSyncChanged, (uri?: vscode.Uri, uris?: vscode.Uri[]) =>
      previewSync(deps, scopeOf(uri, uris), true),
    ),
    vscode.commands.registerCommand(COMMANDS.selectContext, () => selectContext(deps)),
    vscode.commands.registerCommand(COMMANDS.showOutput, () => deps.output.show(true)),
    vscode.commands.registerCommand(COMMANDS.restartServer, async () => {
      deps.output.info('Restarting the GitOps Lens server.');
      await deps.restartClient();
    }),
    vscode.commands.registerCommand(COMMANDS.openPlanEntry, (node?: PlanNode) => openPlanEntry(deps.planDocuments, node)),
    vscode.commands.registerCommand(COMMANDS.openPlanEntrySource, (node?: PlanNode) => openPlanEntrySource(node)),
    vscode.commands.registerCommand(COMMANDS.clearPlan, () => deps.planTree.setPlan(undefined)),
    vscode.commands.registerCommand(COMMANDS.copyPlanSummary, () => copyPlanSummary(deps)),
    vscode.commands.registerCommand(COMMANDS.addIgnoreDifference, (args?: AddIgnoreDifferenceArgs) => addIgnoreDifference(deps, args)),
  ];
}

/**
 * The URIs a preview covers: the explorer selection, else the clicked
 * resource (editor title), else the active editor's file, else everything.
 */
function scopeOf(uri: vscode.Uri | undefined, uris: vscode.Uri[] | undefined): vscode.Uri[] {
  if (uris && uris.length > 0) return uris;
  if (uri instanceof vscode.Uri) return [uri];
  return [];
}

function runningClient(deps: CommandDeps): LanguageClient | undefined {
  const client = deps.client();
  if (client?.isRunning()) return client;
  void vscode.window.showErrorMessage('The GitOps Lens server is not running. Run "GitOps: Restart Server" and see "GitOps: Show Output".');
  return undefined;
}

async function previewSync(deps: CommandDeps, scope: vscode.Uri[], onlyChanged: boolean): Promise<void> {
  if (!vscode.workspace.isTrusted) {
    const manage = 'Manage Workspace Trust';
    const answer = await vscode.window.showWarningMessage(
      'Preview Sync reads the cluster, so it needs a trusted folder. Validation keeps working in Restricted Mode.',
      manage,
    );
    if (answer === manage) await vscode.commands.executeCommand('workbench.trust.manage');
    return;
  }
  const client = runningClient(deps);
  if (!client) return;
  const uris = scope.map((u) => u.toString());
  const label = onlyChanged ? 'uncommitted changes' : uris.length ? uris.map((u) => vscode.workspace.asRelativePath(vscode.Uri.parse(u))).join(', ') : 'workspace';
  let plan: Plan | undefined;
  try {
    plan = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `GitOps: previewing sync of ${label}`, cancellable: true },
      (_progress, token) => client.sendRequest(lspRequest(PreviewSyncRequest), { uris, onlyChanged }, token),
    );
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (/cancel/i.test(message)) {
      deps.output.info('Preview Sync cancelled.');
      return;
    }
    deps.output.error(`Preview Sync failed: ${message}`);
    void vscode.window.showErrorMessage(`Preview Sync failed: ${message}`);
    return;
  }
  if (!plan) return;
  deps.planTree.setPlan(plan);
  await vscode.commands.executeCommand('gitopsLens.plan.focus');
  const c = plan.counts;
  const summary = `Plan: ${c.create} to create, ${c.update} to update, ${c.prune} to prune, ${c.unchanged} unchanged${c.error ? `, ${c.error} errors` : ''}.`;
  deps.output.info(summary);
  for (const note of plan.notes ?? []) deps.output.info(`Plan note: ${note}`);
  if (plan.notes?.length) {
    const show = 'Show Notes';
    void vscode.window.showInformationMessage(`${summary} ${plan.notes.length} note(s) about what was not previewed.`, show).then((a) => {
      if (a === show) deps.output.show(true);
    });
  } else if (c.error) void vscode.window.showWarningMessage(summary);
  else void vscode.window.setStatusBarMessage(summary, 5000);
}

/**
 * "GitOps: Copy Plan Summary": the latest plan as Markdown (counts per binding,
 * creates, prunes, errors, update diffs with Secret values masked) on the
 * clipboard, ready to paste into a pull request.
 */
async function copyPlanSummary(deps: CommandDeps): Promise<void> {
  const plan = deps.planTree.current;
  if (!plan) {
    const preview = 'Preview Sync';
    const answer = await vscode.window.showInformationMessage('There is no plan to copy yet: run "GitOps: Preview Sync" first.', preview);
    if (answer === preview) await vscode.commands.executeCommand(COMMANDS.previewSync);
    return;
  }
  const markdown = formatPlanMarkdown(plan, {
    sourceLabel: (e) => {
      if (!e.sourceUri) return undefined;
      const file = vscode.workspace.asRelativePath(vscode.Uri.parse(e.sourceUri), false);
      return `${file}:${(e.sourceRange?.start.line ?? 0) + 1}`;
    },
  });
  try {
    await vscode.env.clipboard.writeText(markdown);
  } catch (err) {
    deps.output.error(`Could not copy the plan summary: ${err instanceof Error ? err.message : String(err)}`);
    void vscode.window.showErrorMessage('Could not write to the clipboard. The plan summary is in "GitOps: Show Output".');
    deps.output.info(`Plan summary:\n${markdown}`);
    return;
  }
  const lines = markdown.trimEnd().split('\n').length;
  const message = `Copied the plan summary (Markdown, ${lines} lines) to the clipboard: ${planSummaryLine(plan.counts)}.`;
  deps.output.info(message);
  vscode.window.setStatusBarMessage(`$(clippy) ${message}`, 10_000);
}

async function selectContext(deps: CommandDeps): Promise<void> {
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage('Selecting a cluster context needs a trusted folder: cluster features are off in Restricted Mode.');
    return;
  }
  const client = runningClient(deps);
  if (!client) return;
  const result = await client.sendRequest(lspRequest0(ListContextsRequest));
  if (result.error && result.contexts.length === 0) {
    void vscode.window.showErrorMessage(`Could not read the kubeconfig: ${result.error}`);
    return;
  }
  type Item = vscode.QuickPickItem & { context: string | null };
  const items: Item[] = [
    { label: '$(home) Kubeconfig current context', description: 'follow current-context', context: null },
    ...result.contexts.map((c) => ({
      label: `${c.name === result.active ? '$(check) ' : ''}${c.name}`,
      description: [c.cluster, c.namespace].filter(Boolean).join(' · '),
      detail: c.current ? 'current-context of the kubeconfig' : undefined,
      context: c.name,
    })),
  ];
  const picked = await vscode.window.showQuickPick(items, {
    title: 'GitOps: Select Context',
    placeHolder: `Contexts from ${result.kubeconfigPaths.join(', ')}`,
  });
  if (!picked) return;
  const target = vscode.workspace.workspaceFolders?.length ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  await vscode.workspace.getConfiguration('gitopsLens').update('context', picked.context ?? undefined, target);
  await client.sendRequest(lspRequest(SelectContextRequest), { context: picked.context });
}

/**
 * Drift's "Ignore this field": appends the entry to the workspace value of
 * `gitopsLens.ignoreDifferences` (merging pointers into an existing entry for
 * the same object), so the choice is shared through the repo's settings. In a
 * multi-root workspace it goes to the settings of the drifted file's folder,
 * which drift reads for that folder (a folder value would hide a workspace one).
 */
async function addIgnoreDifference(deps: CommandDeps, args: AddIgnoreDifferenceArgs | undefined): Promise<void> {
  if (!args?.entry) return;
  const resource = args.uri ? vscode.Uri.parse(args.uri) : undefined;
  const folder = resource ? vscode.workspace.getWorkspaceFolder(resource) : undefined;
  const config = vscode.workspace.getConfiguration('gitopsLens', resource);
  const multiRoot = (vscode.workspace.workspaceFolders?.length ?? 0) > 1;
  const target = folder && multiRoot
    ? vscode.ConfigurationTarget.WorkspaceFolder
    : vscode.workspace.workspaceFolders?.length ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  const inspected = config.inspect<AddIgnoreDifferenceArgs['entry'][]>('ignoreDifferences');
  const current = [...((target === vscode.ConfigurationTarget.WorkspaceFolder ? inspected?.workspaceFolderValue
    : target === vscode.ConfigurationTarget.Workspace ? inspected?.workspaceValue : inspected?.globalValue) ?? [])];
  const e = args.entry;
  const same = current.find((c) => c.kind === e.kind && (c.group ?? '') === (e.group ?? '') && c.name === e.name && c.namespace === e.namespace);
  if (same) same.jsonPointers = [...new Set([...same.jsonPointers, ...e.jsonPointers])];
  else current.push(e);
  await config.update('ignoreDifferences', current, target);
  deps.output.info(`Drift now ignores ${e.jsonPointers.join(', ')} of ${e.kind} ${e.name ?? ''} (gitopsLens.ignoreDifferences).`);
}
