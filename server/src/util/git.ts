/**
 * The git helpers: running git (execFile, no shell, so paths with spaces or
 * quotes are safe), the top of a work tree, and "only what my uncommitted
 * changes touch": the files that differ between the git working tree and
 * HEAD, plus untracked files.
 */
import * as path from 'node:path';
import { runFile } from './exec-file.js';

/** Runs git (no shell) and resolves its stdout; rejects with git's message. */
export function git(args: string[], cwd: string, opts: { signal?: AbortSignal; timeout?: number; maxBuffer?: number; firstLineOnly?: boolean } = {}): Promise<string> {
  return runFile('git', args, { cwd, maxBuffer: opts.maxBuffer ?? 64 * 1024 * 1024, timeout: opts.timeout ?? 60_000, signal: opts.signal, firstLineOnly: opts.firstLineOnly });
}

/** The top folder of the git work tree containing `dir`, or undefined outside a repository or without git. */
export async function gitTopLevel(dir: string, signal?: AbortSignal): Promise<string | undefined> {
  try {
    return (await git(['rev-parse', '--show-toplevel'], dir, { signal })).trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Absolute paths of files changed against HEAD (staged or not, deleted
 * included) and untracked files (ignored ones excluded). In a repository
 * without commits every tracked and untracked file counts as changed.
 * Throws with git's message when `dir` is not in a git work tree.
 */
export async function changedFiles(dir: string, signal?: AbortSignal): Promise<Set<string>> {
  const top = await gitTopLevel(dir, signal);
  if (!top) throw new Error(`${dir} is not inside a git work tree, so "only changed" cannot tell what changed. Preview the folder instead.`);
  let diff: string;
  try {
    diff = await git(['diff', '--name-only', '-z', 'HEAD', '--'], top, { signal });
  } catch {
    // No HEAD yet (fresh repository): everything in the index is new.
    diff = await git(['ls-files', '-z', '--cached'], top, { signal });
  }
  const untracked = await git(['ls-files', '-z', '--others', '--exclude-standard'], top, { signal });
  const out = new Set<string>();
  for (const rel of [...diff.split('\0'), ...untracked.split('\0')]) if (rel) out.add(path.resolve(top, rel));
  return out;
}
