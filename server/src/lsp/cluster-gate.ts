/**
 * The server's single switch for cluster access: workspace trust, the
 * selected context, the connection status shown by the client, and the
 * approval of kubeconfig credential commands. The cluster and drift code
 * (server/src/cluster, server/src/drift) asks this gate before touching a
 * cluster and reports its state through it; in an untrusted workspace the
 * gate says no, and nothing else has to remember to check.
 */
import type { Connection } from 'vscode-languageserver/node';
import type { ConnectionState } from '../cluster/cluster-types.js';
import type { ExecApprovalRequest } from '../cluster/exec-credential.js';
import {
  ApproveCredentialsRequest,
  ConnectionStatusNotification,
  type ConnectionStatusParams,
} from '../protocol/protocol.js';
import { lspNotification, lspRequest } from './lsp-messages.js';

/** The state shown while the folder is not trusted. */
export const UNTRUSTED_STATE: ConnectionState = {
  kind: 'disabled',
  reason: 'Cluster features are off until the folder is trusted. Validation keeps working.',
};

/** The state shown while trusted but no cluster feature has reported a state yet. */
export const NOT_CONNECTED_STATE: ConnectionState = {
  kind: 'disabled',
  reason: 'No cluster connection has been started in this session.',
};

/** Trust, context selection and connection status, in one place. */
export class ClusterGate {
  private trusted: boolean;
  private selected: string | null = null;
  private last: ConnectionStatusParams;
  private readonly trustListeners: Array<(trusted: boolean) => void> = [];
  private readonly contextListeners: Array<(context: string | null) => void> = [];

  constructor(
    private readonly connection: Connection,
    initiallyTrusted: boolean,
    private readonly log: (message: string) => void,
  ) {
    this.trusted = initiallyTrusted;
    this.last = { state: initiallyTrusted ? NOT_CONNECTED_STATE : UNTRUSTED_STATE };
  }

  /** Whether cluster access is allowed at all. */
  get isTrusted(): boolean {
    return this.trusted;
  }

  /** The context picked with "GitOps: Select Context" in this session, if any (the setting is the persistent copy). */
  get selectedContext(): string | null {
    return this.selected;
  }

  /** The last status sent to the client. */
  get status(): ConnectionStatusParams {
    return this.last;
  }

  /** Applies `gitops/trustChanged`. */
  setTrusted(trusted: boolean): void {
    if (trusted === this.trusted) return;
    this.trusted = trusted;
    this.log(`Workspace trust changed: ${trusted ? 'trusted, cluster features allowed' : 'not trusted, cluster features off'}.`);
    this.publish({ state: trusted ? NOT_CONNECTED_STATE : UNTRUSTED_STATE });
    for (const l of this.trustListeners) l(trusted);
  }

  /** Applies `gitops/selectContext`. */
  selectContext(context: string | null): void {
    this.selected = context;
    this.log(`Context selected: ${context ?? '(kubeconfig current context)'}.`);
    for (const l of this.contextListeners) l(context);
  }

  /** Runs `listener` whenever trust changes; cluster code starts or stops its connections there. */
  onTrustChanged(listener: (trusted: boolean) => void): void {
    this.trustListeners.push(listener);
  }

  /** Runs `listener` whenever the user picks a context. */
  onContextSelected(listener: (context: string | null) => void): void {
    this.contextListeners.push(listener);
  }

  /**
   * Sends the connection status to the client. While untrusted, any state
   * other than the untrusted one is replaced by it, so a late report from
   * cluster code can never show "connected" in Restricted Mode.
   */
  publish(params: ConnectionStatusParams): void {
    const safe = this.trusted ? params : { ...params, state: UNTRUSTED_STATE };
    this.last = safe;
    void this.connection.sendNotification(lspNotification(ConnectionStatusNotification), safe).catch(() => undefined);
  }

  /**
   * Asks the user, through the client, to approve a kubeconfig credential
   * command. Always false while untrusted or when the client cannot ask.
   * Matches the cluster layer's ApproveExec type.
   */
  approveExec = async (request: ExecApprovalRequest & { user?: string }): Promise<boolean> => {
    if (!this.trusted) return false;
    try {
      const result = await this.connection.sendRequest(lspRequest(ApproveCredentialsRequest), request);
      return result?.approved === true;
    } catch (err) {
      this.log(`Could not ask for approval of ${request.command}: ${String(err)}`);
      return false;
    }
  };
}
