/**
 * What the end-to-end tier needs before a scenario can run, and the one rule for when something
 * is missing: outside CI the scenario skips and prints why; in CI (CI=true) it fails with the
 * same message, because a green CI run must mean the scenario really ran.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { TestContext } from 'node:test';

/** The repository root. */
export const repoRoot = path.resolve(__dirname, '../../..');

/** True when running in CI, where nothing may be skipped. */
export const inCI = process.env.CI === 'true' || process.env.CI === '1';

/** Debian's chromium, the only browser these machines can install. */
export const chromiumPath = process.env.GITOPS_LENS_E2E_CHROMIUM ?? '/usr/bin/chromium';

/** A prerequisite that is not met: `what` names it, `fix` says how to get it. */
export interface Missing {
  what: string;
  fix: string;
}

/**
 * Skips the test (outside CI) or fails it (in CI) when anything is missing.
 * Returns true when the test may go on.
 */
export function requireAll(t: TestContext, missing: (Missing | undefined)[]): boolean {
  const gaps = missing.filter((m): m is Missing => !!m);
  if (gaps.length === 0) return true;
  const text = gaps.map((m) => `${m.what} (${m.fix})`).join('; ');
  if (inCI) throw new Error(`CI: end-to-end prerequisite missing: ${text}`);
  console.log(`[e2e] skipped ${t.name}: ${text}`);
  t.skip(text);
  return false;
}

/** Where scripts/install-code-server.mjs put code-server, or why it is not there. */
export async function codeServerLauncher(): Promise<{ launcher?: string; missing?: Missing }> {
  const override = process.env.GITOPS_LENS_CODE_SERVER;
  if (override) {
    return existsSync(override)
      ? { launcher: override }
      : { missing: { what: `code-server at GITOPS_LENS_CODE_SERVER=${override}`, fix: 'the path does not exist' } };
  }
  const installer = (await import(path.join(repoRoot, 'scripts/install-code-server.mjs'))) as {
    installedPaths: () => { ok: boolean; launcher: string; dir: string };
  };
  const p = installer.installedPaths();
  if (p.ok && existsSync(p.launcher)) return { launcher: p.launcher };
  return { missing: { what: `code-server is not installed in ${p.dir}`, fix: 'run "npm run e2e:install"' } };
}

/** Debian's chromium, or why it is not there. */
export function chromiumMissing(): Missing | undefined {
  return existsSync(chromiumPath)
    ? undefined
    : { what: `chromium is not installed at ${chromiumPath}`, fix: 'run "npm run e2e:install" (apt-get install chromium)' };
}

/** The extension's bundles, built by `npm run build`, or why they are not there. */
export function bundlesMissing(): Missing | undefined {
  const root = process.env.GITOPS_LENS_E2E_EXTENSION_ROOT ?? repoRoot;
  const need = ['dist/extension.js', 'dist/server.js'].filter((f) => !existsSync(path.join(root, f)));
  return need.length === 0 ? undefined : { what: `${need.join(' and ')} not built`, fix: 'run "npm run build"' };
}

/** The extension manifest (package.json) as built. */
export function extensionManifest(root = process.env.GITOPS_LENS_E2E_EXTENSION_ROOT ?? repoRoot): {
  publisher: string;
  name: string;
  version: string;
  contributes?: { commands?: { command: string; title: string; category?: string }[]; views?: Record<string, { id: string; name: string }[]> };
} {
  return JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
}

/**
 * A feature this scenario exercises, checked in the manifest: a command whose palette title is
 * `title` (e.g. "GitOps: Preview Sync"). Missing features are failures everywhere, not skips:
 * they are product gaps, not machine gaps.
 */
export function assertCommandContributed(title: string, issue: string): void {
  const m = extensionManifest();
  const found = (m.contributes?.commands ?? []).some((c) => (c.category ? `${c.category}: ${c.title}` : c.title) === title);
  if (!found) {
    throw new Error(`package.json contributes no command titled "${title}" yet (${issue}): this scenario cannot run until it exists.`);
  }
}
