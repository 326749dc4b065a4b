/**
 * `gitops-lens drift <paths…>`: compares the manifests under the given paths
 * with the live cluster, once, with plain GETs (no watch), and prints the
 * same findings the editor shows. Exit codes: 0 no drift, 1 drift, 2 error
 * (including "could not tell": no access, unreachable cluster).
 */
import * as path from 'node:path';
import { kubeconfigPaths, loadKubeconfig } from '../cluster/kubeconfig.js';
import { checkDriftOnce } from '../drift/drift-once.js';
import { redact } from '../secrets/mask-secrets.js';
import { collectYamlFiles } from '../util/collect-files.js';
import { gitTopLevel } from '../util/git.js';
import { ALLOW_EXEC_HELP, EXIT, UsageError, parseOptions, type CliCommand, type CliIo } from './cli-types.js';

export type { DriftFileResult } from '../drift/drift-once.js';

export const DRIFT_USAGE = `Usage: gitops-lens drift <path>... [options]

Compares the Kubernetes manifests under the given files or folders with the
live cluster and reports drift: declared fields whose live value differs
(with the field manager that changed them) and declared objects that are
missing. Read-only: only GET requests are sent.

The context and namespace of each file come from its binding: Flux
Kustomizations (spec.path, targetNamespace) and Argo CD Applications
(spec.source.path, destination.namespace) found under --root, else --context
or the kubeconfig's current context. An object without metadata.namespace in
a file that a kustomization.yaml builds gets that kustomization's namespace:
(the outermost overlay's); a Flux targetNamespace overrides it.
Such files are also rendered with kustomize (kubectl kustomize) as the agent
would: a declared field's desired value is its value after the overlay
("desired 5 (after kustomize overlay apps/production)"); when the file maps to
more than one different rendered object, or the build fails, it is compared as
written.

Options:
  --context NAME        kubeconfig context (default: current context)
  --kubeconfig PATH     kubeconfig file (default: KUBECONFIG or ~/.kube/config)
  --output text|json    output format (default: text)
  --root DIR            repository root that Flux/Argo CD paths are relative to (default: git top level, else the current folder)
${ALLOW_EXEC_HELP}
  -h, --help            show this help

Kustomize strategic-merge patch files (listed under patches: or
patchesStrategicMerge:) are compared field by field: a field a patch declares
whose live value differs from the rendered desired value is reported on the
patch file. Kustomization files, Helm chart files and generator inputs are not
objects and are not compared. An object whose kind the cluster does not
serve (misspelled kind, CRD not installed) is reported as "Drift not checked"
(information) and does not change the exit code.

Exit codes: 0 no drift, 1 drift found, 2 error or drift could not be determined (no access, unreachable).`;

const SKIP_DIRS = new Set(['.git', 'node_modules', '.terraform']);

/** The YAML files under `p`; a path that does not exist is a usage error. */
function collectFiles(p: string, out: string[]): void {
  let files: string[];
  try {
    files = collectYamlFiles(p, SKIP_DIRS);
  } catch {
    throw new UsageError(`${p}: no such file or folder`);
  }
  out.push(...files);
}

/** The `drift` subcommand. */
export const driftCommand: CliCommand = {
  name: 'drift',
  summary: 'Compare manifests with the live cluster (read-only); exit 1 on drift',
  help: DRIFT_USAGE,
  async run(argv: string[], io: CliIo): Promise<number> {
    const { options, positionals } = parseOptions(argv, { values: ['context', 'kubeconfig', 'output', 'root'], flags: ['allow-exec', 'help'], aliases: { '-h': 'help', '-o': 'output' } });
    if (options.help) {
      io.stdout(`${DRIFT_USAGE}\n`);
      return EXIT.ok;
    }
    const output = (options.output as string | undefined) ?? 'text';
    if (output !== 'text' && output !== 'json') throw new UsageError(`--output must be text or json, not "${output}"`);
    if (!positionals.length) throw new UsageError('give at least one file or folder');
    const cwd = io.cwd;
    const root = path.resolve(cwd, (options.root as string | undefined) ?? (await gitTopLevel(cwd)) ?? cwd);
    const files: string[] = [];
    for (const p of positionals) collectFiles(path.resolve(cwd, p), files);

    // Bindings come from the agent objects of the whole repo, not only the given paths.
    const agentFiles: string[] = [];
    try {
      collectFiles(root, agentFiles);
    } catch {
      // An unreadable root only means no discovered bindings.
    }
    let kc;
    try {
      kc = loadKubeconfig(kubeconfigPaths(options.kubeconfig as string | undefined, io.env as NodeJS.ProcessEnv));
    } catch (e) {
      io.stderr(`gitops-lens drift: ${redact((e as Error).message)}\n`);
      return EXIT.usage;
    }
    const { drift, undetermined, files: results } = await checkDriftOnce({
      root,
      files,
      repoFiles: agentFiles,
      kubeconfig: kc,
      context: options.context as string | undefined,
      allowExec: options['allow-exec'] === true,
      displayPath: (file) => path.relative(cwd, file) || file,
      warn: (message) => io.stderr(`gitops-lens drift: ${message}\n`),
    });

    if (output === 'json') {
      io.stdout(`${redact(JSON.stringify({ drift, undetermined, files: results }, null, 2))}\n`);
    } else {
      let count = 0;
      for (const r of results) {
        for (const f of r.findings) {
          count++;
          io.stdout(redact(`${r.path}:${f.range.start.line + 1}:${f.range.start.character + 1}: ${f.severity} ${f.code}: ${f.message}\n`));
        }
      }
      const checked = results.length;
      io.stdout(count ? `\n${count} finding(s) in ${checked} file(s).\n` : `No drift in ${checked} file(s).\n`);
    }
    return drift ? EXIT.findings : undetermined ? EXIT.usage : EXIT.ok;
  },
};
