/**
 * The shape every CLI subcommand implements. Subcommands are registered in
 * one table (see main.ts), so `drift` and `preview` plug in by adding an
 * entry.
 */

/** Where a command writes and what it runs in; tests pass their own. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Working folder that relative paths are resolved against and printed relative to. */
  cwd: string;
  env: Record<string, string | undefined>;
}

/** One subcommand. */
export interface CliCommand {
  name: string;
  /** One line for the command list of `--help`. */
  summary: string;
  /** The full help text of `gitops-lens <name> --help`. */
  help: string;
  /** Runs the command with the arguments after its name; resolves to the exit code. */
  run(args: string[], io: CliIo): Promise<number>;
}

/** Exit codes shared by all commands. */
export const EXIT = { ok: 0, findings: 1, usage: 2 } as const;

/** A usage error: printed with the command's help hint, exit code 2. */
export class UsageError extends Error {}

/** A tiny option parser: `--name value`, `--name=value`, flags and positionals. */
export function parseOptions(args: string[], spec: { values: string[]; flags: string[]; aliases?: Record<string, string> }): { options: Record<string, string | true>; positionals: string[] } {
  const options: Record<string, string | true> = {};
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    let arg = args[i];
    if (arg === '--') {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    let inline: string | undefined;
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq > 0) {
      inline = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    const name = spec.aliases?.[arg] ?? arg.replace(/^--?/, '');
    if (spec.flags.includes(name)) {
      if (inline !== undefined) throw new UsageError(`option --${name} takes no value`);
      options[name] = true;
    } else if (spec.values.includes(name)) {
      const value = inline ?? args[++i];
      if (value === undefined) throw new UsageError(`option --${name} needs a value`);
      options[name] = value;
    } else {
      throw new UsageError(`unknown option ${arg}`);
    }
  }
  return { options, positionals };
}

/** The help of `--allow-exec`, shared by the commands that talk to a cluster (drift, preview). */
export const ALLOW_EXEC_HELP = `  --allow-exec          allow kubeconfig exec / auth-provider credential commands to run, and
                        approve credential files (token file, client certificate/key, CA) kept
                        outside the usual folders (~/.kube, ~/.minikube, /etc/kubernetes, …)
                        for a server that is not on this machine
                        (the CLI has no approval prompt; without this flag such users fail with exit 2)`;
