/**
 * The one way the engine starts a program: execFile (never a shell, so paths
 * and arguments with spaces or quotes are safe), with a timeout and a buffer
 * limit, and failures turned into an Error carrying the program's own message.
 */
import { execFile } from 'node:child_process';

/** Options of {@link runFile}. */
export interface RunFileOptions {
  cwd: string;
  /** Milliseconds before the process is killed. */
  timeout: number;
  /** Largest stdout accepted, in bytes. */
  maxBuffer: number;
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
  /** How many of the last lines of stderr (or of the error message) the thrown Error keeps; default all. */
  errorLines?: number;
  /** Keep the first line instead of the last ones (git's messages put the reason first). */
  firstLineOnly?: boolean;
}

/** Runs `command args` and resolves its stdout; rejects with stderr (trimmed, shortened as asked) when it fails. */
export function runFile(command: string, args: readonly string[], opts: RunFileOptions): Promise<string> {
  const { cwd, timeout, maxBuffer, signal, env } = opts;
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd, timeout, maxBuffer, signal, ...(env ? { env } : {}) }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const text = String(stderr || err.message).trim();
      const lines = text.split('\n');
      const kept = opts.firstLineOnly ? lines[0]! : opts.errorLines ? lines.slice(-opts.errorLines).join('\n') : text;
      reject(new Error(kept));
    });
  });
}
