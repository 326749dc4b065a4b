/**
 * The `gitops-lens` command line: a table of subcommands over the same engine
 * as the editor. This file only dispatches; each subcommand lives in its own
 * file and is added to {@link commands}.
 */
import { isMainThread } from 'node:worker_threads';
import { EXIT, UsageError, type CliCommand, type CliIo } from './cli-types.js';
import { validateCommand } from './validate-command.js';
import { previewCommand } from './preview-command.js';
import { driftCommand } from './drift-command.js';
import { graphCommand } from './graph-command.js';
import { redact } from '../secrets/mask-secrets.js';

export type { CliCommand, CliIo } from './cli-types.js';

/** The subcommands; `drift` and `preview` are added here. */
export const commands: CliCommand[] = [validateCommand, driftCommand, previewCommand, graphCommand];

/** Adds a subcommand (for commands that live outside this folder). */
export function registerCommand(command: CliCommand): void {
  const i = commands.findIndex((c) => c.name === command.name);
  if (i >= 0) commands[i] = command;
  else commands.push(command);
}

function mainHelp(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return `Usage: gitops-lens <command> [options]

Commands:
${commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Run "gitops-lens <command> --help" for a command's options.
Exit codes: 0 success, 1 problems found, 2 usage or internal error.
`;
}

/** The process's own io. */
export function processIo(): CliIo {
  return {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    cwd: process.cwd(),
    env: process.env,
  };
}

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. Never rejects. */
export async function runCli(argv: string[], io: CliIo = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? io.stderr : io.stdout)(mainHelp());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version') {
    io.stdout('gitops-lens\n');
    return EXIT.ok;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    io.stderr(`gitops-lens: unknown command "${name}"\n\n${mainHelp()}`);
    return EXIT.usage;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`gitops-lens ${command.name}: ${err.message}\nRun "gitops-lens ${command.name} --help" for usage.\n`);
      return EXIT.usage;
    }
    io.stderr(`gitops-lens ${command.name}: internal error: ${redact(err instanceof Error ? err.stack ?? err.message : String(err))}\n`);
    return EXIT.usage;
  }
}

/**
 * Exit code 1 means "problems found" (drift, changes, invalid manifests), so an error that
 * escapes every handler (an exception in a socket event handler, a rejected promise nobody
 * awaited) must never end the process with Node's default exit code 1: it is reported as an
 * internal error, with the secrets redacted, and the exit code is 2.
 */
export function exitTwoOnEscapedErrors(io: Pick<CliIo, 'stderr'> = processIo()): void {
  const fail = (what: string) => (err: unknown) => {
    try {
      io.stderr(`gitops-lens: internal error (${what}): ${redact(err instanceof Error ? err.stack ?? err.message : String(err))}\n`);
    } finally {
      process.exit(EXIT.usage);
    }
  };
  process.on('uncaughtException', fail('uncaught exception'));
  process.on('unhandledRejection', fail('unhandled rejection'));
}

// A worker thread started from the bundle loads this file too; only the main thread runs the CLI.
if (require.main === module && isMainThread) {
  exitTwoOnEscapedErrors();
  runCli(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
