/**
 * One scenario's world: a copy of a fixture GitOps repo as the folder, code-server serving the
 * workbench with the built extension installed, and a fresh headless chromium looking at it.
 * `close()` always ends chromium and code-server (with its extension host and language server),
 * and keeps code-server's log next to the screenshots when the scenario failed.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, copyFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { startCodeServer, type CodeServer } from './code-server.js';
import { chromiumPath, repoRoot } from './prerequisites.js';
import { Workbench, screenshotDir } from './workbench.js';

export interface SessionOptions {
  /** Scenario name: screenshots and logs are named after it. */
  name: string;
  /** The code-server launcher. */
  launcher: string;
  /** Folder under test/e2e/fixtures/ to copy as the workspace. */
  fixture: string;
  /** Text replacements applied to every copied file, e.g. { __NAMESPACE__: 'e2e-drift-1' }. */
  replace?: Record<string, string>;
  /** Trusted folder (--disable-workspace-trust) or Restricted Mode. */
  trusted: boolean;
  /** Kubeconfig and context for the extension's user settings (and KUBECONFIG). */
  kubeconfig?: string;
  context?: string;
  /** More user settings. */
  settings?: Record<string, unknown>;
}

export interface Session {
  workbench: Workbench;
  /** The workspace folder (the fixture's copy). */
  folder: string;
  codeServer: CodeServer;
  /** Reads a workspace file. */
  read(relativePath: string): string;
  /** Ends chromium and code-server; keeps logs when `failed`. */
  close(failed?: boolean): Promise<void>;
}

/** The 1-based line of the first line of `text` that contains `needle`. */
export function lineOf(text: string, needle: string, from = 1): number {
  const lines = text.split('\n');
  for (let i = from - 1; i < lines.length; i++) if (lines[i].includes(needle)) return i + 1;
  throw new Error(`"${needle}" not found after line ${from}`);
}

/** The 1-based column where `needle` starts on 1-based `line`. */
export function columnOf(text: string, line: number, needle: string): number {
  const c = text.split('\n')[line - 1].indexOf(needle);
  if (c < 0) throw new Error(`"${needle}" not on line ${line}`);
  return c + 1;
}

function copyFixture(from: string, to: string, replace: Record<string, string>): void {
  mkdirSync(to, { recursive: true });
  for (const name of readdirSync(from)) {
    const src = path.join(from, name);
    const dst = path.join(to, name);
    if (statSync(src).isDirectory()) {
      copyFixture(src, dst, replace);
      continue;
    }
    let text = readFileSync(src, 'utf8');
    for (const [k, v] of Object.entries(replace)) text = text.split(k).join(v);
    writeFileSync(dst, text);
  }
}

/** Starts code-server and chromium on a copy of the fixture and waits for the workbench. */
export async function openSession(opts: SessionOptions): Promise<Session> {
  const scratch = mkdtempSync(path.join(tmpdir(), `gitops-lens-e2e-${opts.name}-`));
  const folder = path.join(scratch, 'workspace', opts.fixture);
  copyFixture(path.join(repoRoot, 'test/e2e/fixtures', opts.fixture), folder, opts.replace ?? {});

  const settings: Record<string, unknown> = { ...opts.settings };
  if (opts.kubeconfig) settings['gitopsLens.kubeconfig'] = opts.kubeconfig;
  if (opts.context) settings['gitopsLens.context'] = opts.context;

  const codeServer = await startCodeServer({
    launcher: opts.launcher,
    scratch,
    folder,
    trusted: opts.trusted,
    settings,
    // KUBECONFIG too, so that nothing falls back to the machine's own ~/.kube/config.
    env: opts.kubeconfig ? { KUBECONFIG: opts.kubeconfig } : { KUBECONFIG: path.join(scratch, 'no-kubeconfig') },
  });

  let browser: Browser | undefined;
  const consoleErrors: string[] = [];
  const close = async (failed = false) => {
    await browser?.close().catch(() => undefined);
    await codeServer.stop();
    if (failed) {
      mkdirSync(screenshotDir, { recursive: true });
      const kept = path.join(screenshotDir, `${opts.name}.code-server.log`);
      copyFileSync(codeServer.logFile, kept);
      writeFileSync(path.join(screenshotDir, `${opts.name}.console.log`), consoleErrors.join('\n'));
      console.log(`[e2e] kept code-server log: ${kept} (workspace and user data: ${scratch})`);
    } else {
      rmSync(scratch, { recursive: true, force: true });
    }
  };

  try {
    browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
    });
    const context = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
    const page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    await page.goto(codeServer.url, { waitUntil: 'domcontentloaded' });
    const workbench = new Workbench(page);
    await workbench.ready();
    return {
      workbench,
      folder,
      codeServer,
      read: (p) => readFileSync(path.join(folder, p), 'utf8'),
      close,
    };
  } catch (err) {
    await close(true);
    throw err;
  }
}

/**
 * Runs `body` with a session and always closes it; on failure a screenshot named
 * `<name>.failure.png` shows the moment it failed.
 */
export async function withSession(opts: SessionOptions, body: (s: Session) => Promise<void>): Promise<void> {
  console.log(`[e2e] screenshots for "${opts.name}" go to ${screenshotDir}`);
  const s = await openSession(opts);
  let failed = true;
  try {
    await body(s);
    failed = false;
  } catch (err) {
    await s.workbench.screenshot(`${opts.name}.failure`).catch(() => undefined);
    // What the workbench told the person is often the reason: print it with the failure.
    const notes = await s.workbench.allNotifications().catch(() => [] as string[]);
    if (notes.length) console.log(`[e2e] notifications at failure:\n${notes.map((n) => `#   ${n}`).join('\n')}`);
    throw err;
  } finally {
    await s.close(failed);
  }
}
