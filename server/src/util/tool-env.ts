/**
 * The environment kustomize, helm and git are started with. A preview renders a repository
 * that may be hostile (a pull request in CI, a colleague's branch), and every variable of the
 * previewing process would otherwise be one `configMapGenerator` (or exec plugin, or chart
 * `lookup`) away from the plan: CI tokens, cloud credentials, KUBECONFIG. So the tools get
 * only what they need to run: PATH, locale, time zone and temp folder, a private empty HOME
 * (no ~/.gitconfig credential helpers, ~/.kube/config or helm repositories of the user), git
 * told to ignore system and global configuration and never to prompt. Nothing else.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Variables passed through unchanged: what a program needs to start, read text and find temp space. */
const PASSED = ['PATH', 'LANG', 'LC_ALL', 'LC_CTYPE', 'LC_MESSAGES', 'TZ', 'TMPDIR', 'TEMP', 'TMP', 'SystemRoot', 'SYSTEMROOT', 'windir', 'ComSpec', 'PATHEXT'];

let privateHome: string | undefined;

/** An empty folder used as HOME for the tools, made once per process and removed when it exits. */
function toolHome(): string {
  if (privateHome && fs.existsSync(privateHome)) return privateHome;
  privateHome = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-lens-tool-home-'));
  const made = privateHome;
  process.once('exit', () => fs.rmSync(made, { recursive: true, force: true }));
  return made;
}

/** Options of {@link minimalToolEnv}. */
export interface ToolEnvOptions {
  /** Variables one tool needs on top (never a credential). */
  extra?: Record<string, string>;
  /**
   * Keep the user's HOME and global git configuration: for our own read-only git calls in
   * the user's repository (`safe.directory`, excludes); the dangerous knobs are switched off
   * on the command line (git.ts). Default false: a private empty HOME.
   */
  userHome?: boolean;
  /** The environment to pick from (tests). */
  from?: NodeJS.ProcessEnv;
}

/** The minimal environment for a tool run on repository content. */
export function minimalToolEnv(opts: ToolEnvOptions = {}): NodeJS.ProcessEnv {
  const from = opts.from ?? process.env;
  const env: NodeJS.ProcessEnv = {};
  for (const name of PASSED) if (from[name] !== undefined) env[name] = from[name];
  if (opts.userHome) {
    for (const name of ['HOME', 'USERPROFILE', 'XDG_CONFIG_HOME']) if (from[name] !== undefined) env[name] = from[name];
  } else {
    const home = toolHome();
    env.HOME = home;
    env.USERPROFILE = home;
    env.XDG_CONFIG_HOME = path.join(home, '.config');
    env.XDG_CACHE_HOME = path.join(home, '.cache');
    env.XDG_DATA_HOME = path.join(home, '.local', 'share');
    env.GIT_CONFIG_GLOBAL = os.devNull;
  }
  // git (ours, and kustomize's): no system configuration, no prompts, no pager.
  env.GIT_CONFIG_NOSYSTEM = '1';
  env.GIT_TERMINAL_PROMPT = '0';
  env.GIT_PAGER = 'cat';
  env.PAGER = 'cat';
  return { ...env, ...(opts.extra ?? {}) };
}
