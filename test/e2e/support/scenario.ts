/**
 * What every scenario starts with: its prerequisites checked in one place (skip outside CI,
 * fail in CI), and small helpers shared by the cluster scenarios.
 */
import type { TestContext } from 'node:test';
import { e2eCluster, type E2ECluster } from './cluster.js';
import { bundlesMissing, chromiumMissing, codeServerLauncher, requireAll } from './prerequisites.js';
import type { StatusBarEntry, Workbench } from './workbench.js';

export interface Prerequisites {
  launcher: string;
  cluster?: E2ECluster;
}

/**
 * Checks code-server, chromium, the built bundles and, when `needsCluster`, the test control
 * plane. Returns undefined when the test was skipped.
 */
export async function scenarioPrerequisites(t: TestContext, { needsCluster }: { needsCluster: boolean }): Promise<Prerequisites | undefined> {
  const cs = await codeServerLauncher();
  const cl = needsCluster ? await e2eCluster() : {};
  if (!requireAll(t, [cs.missing, chromiumMissing(), bundlesMissing(), cl.missing])) return undefined;
  return { launcher: cs.launcher!, cluster: cl.cluster };
}

/** A namespace name unique to this run, so scenarios never see each other's objects. */
export function uniqueNamespace(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
}

/** The status bar entries that belong to GitOps Lens (by extension id, or by its cloud icon). */
export async function gitopsStatus(workbench: Workbench): Promise<StatusBarEntry[]> {
  const all = await workbench.statusBar();
  return all.filter((e) => e.id.toLowerCase().startsWith('gitops-lens.gitops-lens') || /gitops/i.test(e.text) || /gitops/i.test(e.ariaLabel));
}

/**
 * One line per GitOps Lens status entry: icons, text and accessible label, and with `tooltip`
 * the tooltip a person gets by hovering it (where the state is explained).
 */
export async function gitopsStatusText(workbench: Workbench, { tooltip = false }: { tooltip?: boolean } = {}): Promise<string> {
  const lines: string[] = [];
  for (const e of await gitopsStatus(workbench)) {
    let line = `${e.icons.map((i) => `$(${i})`).join(' ')} ${e.text} | ${e.ariaLabel}`;
    if (tooltip && e.id) line += ` | tooltip: ${(await workbench.statusTooltip(e.id).catch(() => '')).replace(/\s+/g, ' ')}`;
    lines.push(line);
  }
  return lines.join('\n');
}
