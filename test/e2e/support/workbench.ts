/**
 * Drives the VS Code workbench the way a person does (keyboard shortcuts, the command palette,
 * Quick Open, the Problems panel, hovers, the status bar) and reads back what is on screen.
 * Every read goes through the DOM the person sees, never through VS Code's API, so a scenario
 * fails when the person would not see the thing.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { repoRoot } from './prerequisites.js';
import { waitFor, type WaitOptions } from '../../support/wait.ts';

/** One row of the Problems panel, parsed from the row's accessible label. */
export interface ProblemRow {
  /** The file the problem is listed under (its base name). */
  file: string;
  severity: 'Error' | 'Warning' | 'Info' | 'Hint' | string;
  message: string;
  /** 1-based, as VS Code shows it. */
  line: number;
  column: number;
  source?: string;
  /** The accessible label as rendered, for failure messages. */
  label: string;
}

/** One status bar entry. `icons` lists the codicons it renders, e.g. `cloud` for `$(cloud)`. */
export interface StatusBarEntry {
  id: string;
  text: string;
  ariaLabel: string;
  icons: string[];
}

/**
 * The little of the DOM that the page functions below use. The project's tsconfig has no DOM
 * library (it is a Node project), so page functions type their elements with this instead.
 */
interface DomElement {
  innerText: string;
  offsetParent: unknown;
  style: { top: string };
  classList: ArrayLike<string>;
  getAttribute(name: string): string | null;
  querySelector(selector: string): DomElement | null;
  querySelectorAll(selector: string): ArrayLike<DomElement>;
}

/** The folder screenshots go to; printed by each scenario. */
export const screenshotDir = path.join(repoRoot, 'test-results', 'e2e');

const mod = process.platform === 'darwin' ? 'Meta' : 'Control';

export class Workbench {
  constructor(readonly page: Page) {}

  /** Waits until the workbench has rendered its parts and the explorer shows the folder. */
  async ready(options: WaitOptions = { timeout: 60_000 }): Promise<void> {
    await waitFor(
      'the workbench to render',
      () => this.page.locator('.monaco-workbench .part.statusbar').isVisible(),
      (v) => v,
      options,
    );
    // The explorer lists the folder once the workspace (and so the extension host) is up.
    await waitFor(
      'the explorer to list the folder',
      () => this.page.locator('.explorer-folders-view .monaco-list-row').count(),
      (n) => n > 0,
      options,
    );
  }

  /** Opens a file by its workspace-relative path through Quick Open (Ctrl+P). */
  async openFile(relativePath: string): Promise<void> {
    const base = path.basename(relativePath);
    await this.page.keyboard.press(`${mod}+P`);
    const input = this.page.locator('.quick-input-widget .quick-input-box input');
    await waitFor('Quick Open to show', () => input.isVisible(), (v) => v);
    await input.fill(relativePath);
    // Click the matching row rather than pressing Enter: the first row may still be a recently
    // opened file while Quick Open filters.
    const row = this.page
      .locator('.quick-input-list .monaco-list-row')
      .filter({ has: this.page.locator('.label-name', { hasText: new RegExp(`^${escapeRe(base)}$`) }) })
      .first();
    await waitFor(`Quick Open to list ${relativePath}`, () => row.isVisible(), (v) => v);
    await row.click();
    await waitFor(
      `${base} to be the active editor`,
      () => this.page.locator('.editor-group-container.active .tabs-container .tab.active').first().getAttribute('aria-label'),
      (t) => !!t && (t === base || t.startsWith(`${base},`) || t.startsWith(`${base} `)),
    );
    await waitFor(
      `the editor to show ${base}'s text`,
      () => this.page.locator('.editor-group-container.active .monaco-editor .view-lines').first().textContent(),
      (t) => !!t && t.trim().length > 0,
    );
  }

  /** Runs a command by its palette title (F1), e.g. "GitOps: Preview Sync". */
  async runCommand(title: string): Promise<void> {
    await this.page.keyboard.press('F1');
    const input = this.page.locator('.quick-input-widget .quick-input-box input');
    await waitFor('the command palette to show', () => input.isVisible(), (v) => v);
    await input.fill(`>${title}`);
    const row = this.page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
    await waitFor(`the palette to list "${title}"`, () => row.isVisible(), (v) => v);
    await row.click();
  }

  /** Whether a quick pick (after a command asked something) is open. */
  async quickPickOpen(): Promise<boolean> {
    return this.page.locator('.quick-input-widget .quick-input-box input').isVisible();
  }

  /** The rows of an open quick pick. */
  async quickPickRows(): Promise<string[]> {
    return (await this.page.locator('.quick-input-list .monaco-list-row').allTextContents()).map((s) => s.trim());
  }

  /** Opens the Problems panel (Ctrl+Shift+M). */
  async openProblems(): Promise<void> {
    const panel = this.page.locator('.markers-panel');
    if (!(await panel.isVisible())) await this.page.keyboard.press(`${mod}+Shift+M`);
    await waitFor('the Problems panel to show', () => panel.isVisible(), (v) => v);
  }

  /** Reads every row of the Problems panel, expanded, attributed to the file it is listed under. */
  async problems(): Promise<ProblemRow[]> {
    const labels = await this.page
      .locator('.markers-panel .monaco-list-row')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('aria-label') ?? ''));
    const out: ProblemRow[] = [];
    let file = '';
    // Resource rows read "N problems in file NAME of folder DIR"; marker rows read
    // "Error: MESSAGE at line L and character C. generated by SOURCE".
    const fileRe = /problems? in file (.+?) of folder/;
    const markerRe = /^(Error|Warning|Info|Hint)[^:]*: ([\s\S]*) at line (\d+) and character (\d+)\.([\s\S]*?)(?: generated by (.+))?$/;
    for (const label of labels) {
      const f = fileRe.exec(label);
      if (f) {
        file = f[1];
        continue;
      }
      const m = markerRe.exec(label);
      if (m) {
        out.push({
          file,
          severity: m[1],
          message: m[2].trim(),
          line: Number(m[3]),
          column: Number(m[4]),
          source: m[6]?.trim(),
          label,
        });
      }
    }
    return out;
  }

  /** Polls the Problems panel until `accept` holds. */
  async waitForProblems(
    what: string,
    accept: (rows: ProblemRow[]) => boolean,
    options: WaitOptions = { timeout: 60_000 },
  ): Promise<ProblemRow[]> {
    await this.openProblems();
    return waitFor(what, () => this.problems(), accept, options);
  }

  /** Moves the cursor to a 1-based line and column with Go to Line (Ctrl+G). */
  async goToLine(line: number, column = 1): Promise<void> {
    await this.focusEditor();
    await this.page.keyboard.press(`${mod}+G`);
    const input = this.page.locator('.quick-input-widget .quick-input-box input');
    await waitFor('Go to Line to show', () => input.isVisible(), (v) => v);
    await input.fill(`:${line}:${column}`);
    await this.page.keyboard.press('Enter');
    await waitFor('Go to Line to close', () => input.isVisible(), (v) => !v);
  }

  /** Gives keyboard focus to the active text editor. */
  async focusEditor(): Promise<void> {
    await this.page.locator('.editor-group-container.active .monaco-editor textarea').first().focus();
  }

  /**
   * Shows the hover at a 1-based line and column (Go to Line, then "Show or Focus Hover", the
   * keyboard path to the same widget the mouse opens) and returns its text once `accept` holds.
   */
  async hoverAt(line: number, column: number, accept: (text: string) => boolean = (t) => t.length > 0, options: WaitOptions = { timeout: 30_000 }): Promise<string> {
    return waitFor(
      `the hover at ${line}:${column} to show the expected text`,
      async () => {
        await this.page.keyboard.press('Escape');
        await this.goToLine(line, column);
        await this.page.keyboard.press(`${mod}+K`);
        await this.page.keyboard.press(`${mod}+I`);
        return waitFor('a hover to show', () => this.hoverText(), (t) => t.length > 0, { timeout: 5_000 });
      },
      accept,
      { interval: 500, ...options },
    );
  }

  /** The text of the editor hover widget on screen, or '' when none is shown. */
  async hoverText(): Promise<string> {
    const hovers = this.page.locator('.monaco-hover:not(.hidden) .monaco-hover-content');
    const texts = await hovers.evaluateAll((els) =>
      els.filter((e) => (e as DomElement).offsetParent !== null).map((e) => (e as DomElement).innerText),
    );
    return texts.join('\n').trim();
  }

  /** The status bar entries contributed by the given extension id (all entries when omitted). */
  async statusBar(extensionId?: string): Promise<StatusBarEntry[]> {
    const entries = await this.page.locator('.part.statusbar .statusbar-item').evaluateAll((els) =>
      els.map((e) => ({
        id: e.getAttribute('id') ?? '',
        text: ((e as DomElement).innerText ?? '').trim(),
        ariaLabel: e.querySelector('[aria-label]')?.getAttribute('aria-label') ?? e.getAttribute('aria-label') ?? '',
        icons: Array.from((e as DomElement).querySelectorAll('.codicon'))
          .flatMap((i) => Array.from(i.classList))
          .filter((c) => c.startsWith('codicon-'))
          .map((c) => c.slice('codicon-'.length)),
      })),
    );
    return extensionId ? entries.filter((e) => e.id.toLowerCase().startsWith(extensionId.toLowerCase())) : entries;
  }

  /**
   * Hovers a status bar entry (by DOM id) and returns its tooltip's text, as a person reads it
   * when the short label is not enough.
   */
  async statusTooltip(id: string, options: WaitOptions = { timeout: 10_000 }): Promise<string> {
    const item = this.page.locator(`.part.statusbar .statusbar-item[id="${id}"]`);
    const hover = this.page.locator('.workbench-hover, .monaco-hover:not(.hidden) .monaco-hover-content');
    return waitFor(
      `the tooltip of status bar entry ${id}`,
      async () => {
        await item.hover();
        return waitFor('a tooltip to show', async () => ((await hover.allInnerTexts())[0] ?? '').trim(), (t) => t.length > 0, { timeout: 3_000 });
      },
      (t) => t.length > 0,
      options,
    ).finally(() => this.page.mouse.move(800, 400).catch(() => undefined));
  }

  /** The tooltip-free text of the status bar, one entry per line, for failure messages. */
  async statusBarText(): Promise<string> {
    return (await this.statusBar()).map((e) => `${e.id}: ${e.icons.map((i) => `$(${i})`).join('')}${e.text} [${e.ariaLabel}]`).join('\n');
  }

  /** Messages of the notification toasts currently on screen. */
  async toasts(): Promise<string[]> {
    return (await this.page.locator('.notifications-toasts .notification-toast-container .notification-list-item-message').allTextContents()).map((s) => s.trim());
  }

  /**
   * Messages of every notification, on screen or collected in the notification center.
   * `whileOpen` runs with the center open (e.g. to take a screenshot of it).
   */
  async allNotifications(whileOpen?: () => Promise<unknown>): Promise<string[]> {
    await this.runCommand('Notifications: Show Notifications');
    const center = this.page.locator('.notifications-center.visible');
    await waitFor('the notification center to open', () => center.isVisible(), (v) => v);
    const rows = (await center.locator('.notification-list-item-message').allTextContents()).map((s) => s.trim());
    await whileOpen?.();
    await this.runCommand('Notifications: Hide Notifications');
    await waitFor('the notification center to close', () => center.isVisible(), (v) => !v);
    return rows;
  }

  /** A view pane (e.g. "GitOps Plan") by its title, and the text of its tree rows. */
  async viewRows(title: string): Promise<string[]> {
    const pane = this.page.locator('.pane', { has: this.page.locator('.pane-header .title', { hasText: new RegExp(`^${escapeRe(title)}$`, 'i') }) });
    if ((await pane.count()) === 0) return [];
    return pane
      .first()
      .locator('.pane-body .monaco-list-row')
      .evaluateAll((rows) => rows.map((r) => (r.getAttribute('aria-label') || (r as DomElement).innerText || '').trim()).filter((t) => t.length > 0));
  }

  /** The row element of a view pane whose text matches. */
  viewRow(title: string, text: RegExp): Locator {
    const pane = this.page.locator('.pane', { has: this.page.locator('.pane-header .title', { hasText: new RegExp(`^${escapeRe(title)}$`, 'i') }) });
    return pane.locator('.pane-body .monaco-list-row', { hasText: text }).first();
  }

  /**
   * The visible diff editor: the text of both sides, and the lines each side highlights as
   * changed (found by matching the change decorations to the rendered lines by position).
   */
  async diffEditor(): Promise<{ original: string; modified: string; inserted: string[]; removed: string[] } | undefined> {
    const diff = this.page.locator('.editor-group-container.active .monaco-diff-editor').first();
    if (!(await diff.isVisible())) return undefined;
    const side = (cls: 'original' | 'modified', mark: string) =>
      // No named helpers inside: tsx's keepNames would wrap them in __name(), unknown in the page.
      diff.locator(`.editor.${cls}`).first().evaluate((editor, mark) => {
        const lines = Array.from(editor.querySelectorAll('.view-lines .view-line')) as DomElement[];
        const text = lines
          .slice()
          .sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top))
          .map((l) => l.innerText.replace(/\u00a0/g, ' '))
          .join('\n');
        const tops = new Set(
          (Array.from(editor.querySelectorAll(`.view-overlays > div`)) as DomElement[])
            .filter((d) => d.querySelector(mark))
            .map((d) => d.style.top),
        );
        const changed = lines.filter((l) => tops.has(l.style.top)).map((l) => l.innerText.replace(/\u00a0/g, ' ').trim());
        return { text, changed };
      }, mark);
    const original = await side('original', '.char-delete, .line-delete');
    const modified = await side('modified', '.char-insert, .line-insert');
    return { original: original.text, modified: modified.text, inserted: modified.changed, removed: original.changed };
  }

  /** Saves a screenshot as test-results/e2e/<name>.png and returns its path. */
  async screenshot(name: string): Promise<string> {
    mkdirSync(screenshotDir, { recursive: true });
    const file = path.join(screenshotDir, `${name}.png`);
    await this.page.screenshot({ path: file });
    console.log(`[e2e] screenshot: ${file}`);
    return file;
  }
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
