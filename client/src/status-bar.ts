/**
 * The status bar item for cluster state: which context and namespace the
 * current file is bound to and whether the cluster is reachable. Its tooltip
 * explains the state and what to do, including that cluster features are
 * off until the folder is trusted.
 */
import * as vscode from 'vscode';
import type { ConnectionStatusParams, SchemaSource } from '../../server/src/protocol/protocol.js';
import type { ConnectionState } from '../../server/src/protocol/protocol.js';

/** Presentation of one connection state. */
interface StatePresentation {
  icon: string;
  label: string;
  explanation: string;
  background?: vscode.ThemeColor;
}

/** Maps a connection state to icon, label and explanation; exported for tests. */
export function presentState(state: ConnectionState): StatePresentation {
  switch (state.kind) {
    case 'connected':
      return { icon: '$(cloud)', label: 'connected', explanation: `Connected${state.serverVersion ? ` (Kubernetes ${state.serverVersion})` : ''}.` };
    case 'connecting':
      return { icon: '$(sync~spin)', label: 'connecting', explanation: 'Connecting to the cluster…' };
    case 'unreachable':
      return {
        icon: '$(debug-disconnect)',
        label: 'unreachable',
        explanation: `The cluster is unreachable: ${state.reason}. Drift is shown as unknown until it is back.`,
        background: new vscode.ThemeColor('statusBarItem.warningBackground'),
      };
    case 'unauthorized':
      return {
        icon: '$(lock)',
        label: 'unauthorized',
        explanation: `The cluster refused the credentials: ${state.reason}. Log in again (refresh the kubeconfig credentials), then run "GitOps: Restart Server".`,
        background: new vscode.ThemeColor('statusBarItem.errorBackground'),
      };
    case 'needs-approval':
      return {
        icon: '$(key)',
        label: 'needs approval',
        explanation: `${state.reason} Approve the kubeconfig credential command to connect.`,
        background: new vscode.ThemeColor('statusBarItem.warningBackground'),
      };
    case 'disabled':
    default:
      return { icon: '$(circle-slash)', label: 'cluster off', explanation: state.reason };
  }
}

function describeSchemaSource(source: SchemaSource | undefined): string | undefined {
  if (!source) return undefined;
  const version = source.kubernetesVersion ? ` (Kubernetes ${source.kubernetesVersion})` : '';
  switch (source.kind) {
    case 'bundled':
      return `Schemas: bundled${version}.`;
    case 'cluster':
      return `Schemas: from context "${source.context}"${version}.`;
    case 'cluster-cache':
      return `Schemas: cached from context "${source.context}"${version}${source.cachedAt ? `, fetched ${source.cachedAt}` : ''}.`;
  }
}

/** Owns the status bar item and renders connection status and trust into it. */
export class ClusterStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('gitopsLens.cluster', vscode.StatusBarAlignment.Left, 50);
  private status: ConnectionStatusParams | undefined;

  constructor(private trusted: boolean) {
    this.item.name = 'GitOps Lens Cluster';
    this.item.command = 'gitopsLens.selectContext';
    this.render();
    this.item.show();
  }

  /** Applies a `gitops/connectionStatus` notification. */
  update(status: ConnectionStatusParams): void {
    this.status = status;
    this.render();
  }

  /** Applies a change of workspace trust. */
  setTrusted(trusted: boolean): void {
    this.trusted = trusted;
    this.render();
  }

  /** The text currently shown; for tests. */
  get text(): string {
    return this.item.text;
  }

  dispose(): void {
    this.item.dispose();
  }

  private render(): void {
    const tooltip = new vscode.MarkdownString(undefined, true);
    if (!this.trusted) {
      this.item.text = '$(workspace-untrusted) GitOps: restricted';
      this.item.backgroundColor = undefined;
      this.item.command = 'workbench.trust.manage';
      tooltip.appendMarkdown(
        '**GitOps Lens: Restricted Mode**\n\nCluster features (drift, preview, cluster schemas) are off until the folder is trusted. ' +
          'Validation keeps working with the bundled schemas. Workspace values of the kubeconfig, context and bindings settings are ignored.\n\n' +
          'Click to manage workspace trust.',
      );
      this.item.tooltip = tooltip;
      this.item.accessibilityInformation = { label: 'GitOps Lens: cluster features are off until the folder is trusted' };
      return;
    }
    this.item.command = 'gitopsLens.selectContext';
    const status = this.status;
    const state: ConnectionState = status?.state ?? { kind: 'disabled', reason: 'Waiting for the GitOps Lens server…' };
    const p = presentState(state);
    const binding = status?.binding;
    const where = binding ? `${binding.context}${binding.namespace ? ` · ${binding.namespace}` : ''}` : `GitOps: ${p.label}`;
    const deploy = binding?.deployStatus ? ` · ${binding.deployStatus}` : '';
    this.item.text = `${p.icon} ${where}${deploy}`;
    this.item.backgroundColor = p.background;
    tooltip.appendMarkdown(`**GitOps Lens: ${p.label === 'cluster off' ? p.label : `cluster ${p.label}`}**\n\n`);
    tooltip.appendText(p.explanation);
    if (binding) {
      const origin = {
        setting: 'the gitopsLens.bindings setting',
        'flux-kustomization': 'a Flux Kustomization',
        'argocd-application': 'an Argo CD Application',
        'current-context': 'the kubeconfig current context',
      }[binding.origin];
      tooltip.appendMarkdown('\n\n');
      tooltip.appendText(
        `This file deploys to context "${binding.context}"${binding.namespace ? `, namespace "${binding.namespace}"` : ''} (from ${origin}).`,
      );
      if (binding.deployStatus) tooltip.appendText(` Deploy status: ${binding.deployStatus}.`);
    }
    if (status?.noAccess?.length) {
      tooltip.appendMarkdown('\n\n');
      tooltip.appendText(`No access (the identity may not list these kinds, so their drift is not shown): ${status.noAccess.join(', ')}.`);
    }
    const schemas = describeSchemaSource(status?.schemaSource);
    if (schemas) {
      tooltip.appendMarkdown('\n\n');
      tooltip.appendText(schemas);
    }
    tooltip.appendMarkdown('\n\nClick to select the context.');
    this.item.tooltip = tooltip;
    this.item.accessibilityInformation = { label: `GitOps Lens: ${binding ? `${where}, ` : ''}${p.label}` };
  }
}
