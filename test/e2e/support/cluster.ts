/**
 * The end-to-end tier's view of the test control plane (test/support/control-plane.ts, owned by
 * the control-plane work): a kubeconfig with the contexts admin/tool/restricted, kubectl as a
 * given identity, and the audit log. Loaded lazily so scenarios that need no cluster still run
 * when the harness is absent, and so a missing control plane is a clear skip (or CI failure).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { repoRoot, type Missing } from './prerequisites.js';

/** One audit event, as far as these tests read it. */
export interface AuditEvent {
  /** Username, e.g. "gitops-lens-tool". */
  user: string;
  verb: string;
  requestURI: string;
}

/** What the scenarios need from a running control plane. */
export interface E2ECluster {
  kubeconfigPath: string;
  /** The identity the extension uses (context "tool"). */
  toolUser: string;
  /** False for a user-provided cluster (GITOPS_LENS_TEST_KUBECONFIG), which has no audit log to read. */
  hasAuditLog: boolean;
  /** Every audit event, or those of one user. */
  auditEvents(filter?: { user?: string; sinceMs?: number }): Promise<AuditEvent[]>;
  /** Runs kubectl with the control plane's kubeconfig; throws with stderr on failure. */
  kubectl(args: string[], options?: { context?: string; input?: string }): string;
}

interface HarnessModule {
  testCluster?: (...args: unknown[]) => unknown;
}

interface HarnessCluster {
  kubeconfigPath: string;
  users?: { tool?: string };
  auditEvents?: (filter?: { user?: string; sinceMs?: number }) => unknown;
  external?: boolean;
}

let cached: Promise<{ cluster?: E2ECluster; missing?: Missing }> | undefined;

/** The shared test control plane, or why it is not available. Started at most once per process. */
export function e2eCluster(): Promise<{ cluster?: E2ECluster; missing?: Missing }> {
  cached ??= load();
  return cached;
}

async function load(): Promise<{ cluster?: E2ECluster; missing?: Missing }> {
  const harnessFile = path.join(repoRoot, 'test/support/control-plane.ts');
  if (!existsSync(harnessFile)) {
    return { missing: { what: 'the test control plane harness (test/support/control-plane.ts) does not exist yet', fix: 'issue 2' } };
  }
  let handle: HarnessCluster | undefined;
  try {
    const mod = (await import(harnessFile)) as HarnessModule;
    if (typeof mod.testCluster !== 'function') {
      return { missing: { what: 'test/support/control-plane.ts exports no testCluster()', fix: 'issue 2' } };
    }
    handle = (await mod.testCluster()) as HarnessCluster | undefined;
  } catch (err) {
    return { missing: { what: `the test control plane could not start: ${(err as Error).message}`, fix: 'see test/support/control-plane.ts' } };
  }
  if (!handle || !handle.kubeconfigPath) {
    return { missing: { what: 'no test control plane is available', fix: 'run the suite with "npm test", or start one with "npm run cluster:up"' } };
  }
  const h = handle;
  const kubeconfigPath = h.kubeconfigPath;
  return {
    cluster: {
      kubeconfigPath,
      toolUser: h.users?.tool ?? 'gitops-lens-tool',
      hasAuditLog: !h.external,
      async auditEvents(filter) {
        if (typeof h.auditEvents !== 'function') throw new Error('the control plane harness has no auditEvents()');
        return (await h.auditEvents(filter)) as AuditEvent[];
      },
      kubectl(args, options = {}) {
        // kubectl is called directly (not through the harness) so that what the scenario does to
        // the cluster is spelled out in the scenario, exactly as a person would type it.
        const r = spawnSync('kubectl', ['--kubeconfig', kubeconfigPath, '--context', options.context ?? 'admin', ...args], {
          input: options.input,
          encoding: 'utf8',
          timeout: 60_000,
        });
        if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${r.stderr || r.error?.message}`);
        return r.stdout;
      },
    },
  };
}
