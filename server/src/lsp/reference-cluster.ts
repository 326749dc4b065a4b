/**
 * The bound cluster, as the reference features ask it: does an object that
 * the repository lacks exist there, and what is each agent's Ready state.
 * Only in a trusted folder; the context is the one "GitOps: Select Context"
 * picked, else the `gitopsLens.bindings` entry matching the file, else
 * `gitopsLens.context`, else the kubeconfig's current context. The cluster
 * code is loaded on first use (dynamic import), answers are kept for 30 s,
 * and a context that cannot be reached is not retried for a minute, so an
 * unreachable cluster costs one timeout, not one per keystroke.
 */
import * as path from 'node:path';
import type { ClusterGetter } from '../graph/cluster-getter.js';
import type { ObjectGetter } from '../graph/live-status.js';
import type { ServerContext } from './server-context.js';
import { uriToPath } from '../util/uri-path.js';

const ANSWER_TTL_MS = 30_000;
const RETRY_AFTER_MS = 60_000;
const IDLE_DISPOSE_MS = 5 * 60_000;

/** A usable connection to one context. */
export interface BoundCluster {
  context: string;
  get: ObjectGetter;
}

/** Connections per kubeconfig + context, with cached answers. */
export class ReferenceCluster {
  private readonly connections = new Map<string, { getter?: ClusterGetter; error?: string; at: number; used: number; pending?: Promise<ClusterGetter | undefined> }>();
  private readonly answers = new Map<string, { at: number; value: Promise<Record<string, unknown> | undefined> }>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly ctx: ServerContext) {
    // A new trust decision, context or kubeconfig setting invalidates what was connected and answered.
    ctx.cluster.onTrustChanged(() => this.reset());
    ctx.cluster.onContextSelected(() => this.reset());
    ctx.settings.onDidChange(() => this.reset());
  }

  /** The cluster bound to a file of a folder, or undefined (untrusted, no kubeconfig, unreachable: the reason is logged once). */
  async forFile(folderUri: string, fileUri: string): Promise<BoundCluster | undefined> {
    if (!this.ctx.cluster.isTrusted) return undefined;
    const settings = await this.ctx.settings.get(fileUri);
    const rel = path.relative(uriToPath(folderUri), uriToPath(fileUri)).split(path.sep).join('/');
    const rule = settings.bindings.find((b) => path.posix.matchesGlob(rel, b.glob.replace(/^\.\/+/, '')));
    const context = this.ctx.cluster.selectedContext ?? rule?.context ?? settings.context;
    const key = `${settings.kubeconfig}\u0000${context}`;
    const getter = await this.connect(key, settings.kubeconfig, context);
    if (!getter) return undefined;
    return { context: getter.context, get: (apiVersion, kind, namespace, name) => this.cached(key, getter, apiVersion, kind, namespace, name) };
  }

  private async connect(key: string, kubeconfig: string, context: string): Promise<ClusterGetter | undefined> {
    const now = Date.now();
    const c = this.connections.get(key);
    if (c?.getter) {
      c.used = now;
      return c.getter;
    }
    if (c?.pending) return c.pending;
    if (c?.error && now - c.at < RETRY_AFTER_MS) return undefined;
    const pending = (async () => {
      try {
        const { connectGetter } = await import('../graph/cluster-getter.js');
        const getter = await connectGetter({ kubeconfig, context, trusted: this.ctx.cluster.isTrusted, approve: this.ctx.cluster.approveExec });
        this.connections.set(key, { getter, at: Date.now(), used: Date.now() });
        this.scheduleIdle();
        return getter;
      } catch (e) {
        const error = e instanceof Error ? e.message : String(e);
        if (this.connections.get(key)?.error !== error) this.ctx.log.info(`References: no cluster for context "${context || 'current'}" (${error}); broken references stay warnings.`);
        this.connections.set(key, { error, at: Date.now(), used: Date.now() });
        return undefined;
      }
    })();
    this.connections.set(key, { at: now, used: now, pending });
    return pending;
  }

  private cached(key: string, getter: ClusterGetter, apiVersion: string, kind: string, namespace: string, name: string): Promise<Record<string, unknown> | undefined> {
    const k = `${key}\u0000${apiVersion}\u0000${kind}\u0000${namespace}\u0000${name}`;
    const hit = this.answers.get(k);
    if (hit && Date.now() - hit.at < ANSWER_TTL_MS) return hit.value;
    const value = getter.get(apiVersion, kind, namespace, name);
    this.answers.set(k, { at: Date.now(), value });
    // A failure is not remembered as an answer.
    value.catch(() => this.answers.delete(k));
    if (this.answers.size > 5000) this.answers.clear();
    return value;
  }

  /** Forgets cached answers (e.g. before a refresh the user asked for). */
  forgetAnswers(): void {
    this.answers.clear();
  }

  private scheduleIdle(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      for (const [k, c] of this.connections) {
        if (c.getter && Date.now() - c.used > IDLE_DISPOSE_MS) {
          c.getter.dispose();
          this.connections.delete(k);
        }
      }
      if (![...this.connections.values()].some((c) => c.getter)) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    }, 60_000);
    this.timer.unref();
  }

  private reset(): void {
    for (const c of this.connections.values()) c.getter?.dispose();
    this.connections.clear();
    this.answers.clear();
  }

  dispose(): void {
    this.reset();
    if (this.timer) clearInterval(this.timer);
  }
}
