/**
 * `gitops-lens graph [path]`: prints the dependency graph of a repository's
 * Flux Kustomizations, HelmReleases and Argo CD Applications (dependsOn,
 * sources, app-of-apps nesting, sync waves) as a text tree, Graphviz DOT or
 * JSON: the same graph as the editor's "GitOps Dependencies" view, from the
 * same engine (server/src/graph). `--live` adds each node's Ready state and
 * revision from a cluster, read-only.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { dependencyGraph } from '../graph/depends-on.js';
import { formatGraphDot, formatGraphJson, formatGraphText, type NodeStatus } from '../graph/graph-format.js';
import { liveStatus } from '../graph/live-status.js';
import { loadRepository, repositoryRootOf } from '../graph/reference-index.js';
import { ALLOW_EXEC_HELP, EXIT, parseOptions, UsageError, type CliCommand, type CliIo } from './cli-types.js';

export const graphCommand: CliCommand = {
  name: 'graph',
  summary: 'Print the dependency graph of Flux Kustomizations, HelmReleases and Argo CD Applications',
  help: `Usage: gitops-lens graph [options] [path]

Prints how the repository's GitOps objects depend on each other, from the
rendered desired state (kustomize namespaces and prefixes applied): each Flux
Kustomization and Argo CD Application under the one whose path renders it,
with its dependsOn and its sources, in sync-wave and dependency order.
dependsOn cycles are listed at the end (and make the exit code 1).

The path (default: the current folder) selects the repository; its root is the
nearest folder above with a .git, or the path itself.

Options:
  -o, --output <format>   text (default): an indented tree per cluster
                          dot: Graphviz (render with \`dot -Tsvg\`)
                          json: nodes with their edges, for scripts
      --root <dir>        the repository root (Flux and Argo CD paths are relative to it)
      --live              add each node's Ready state and revision from the cluster (read-only GETs)
      --context <name>    kubeconfig context for --live (default: the current context)
      --kubeconfig <file> kubeconfig for --live (default: KUBECONFIG or ~/.kube/config)
${ALLOW_EXEC_HELP}
  -h, --help              show this help

Exit codes: 0 graph printed, 1 dependsOn cycles found, 2 usage or internal error.
`,
  async run(args: string[], io: CliIo): Promise<number> {
    const { options, positionals } = parseOptions(args, {
      values: ['output', 'root', 'context', 'kubeconfig'],
      flags: ['help', 'live', 'allow-exec'],
      aliases: { '-o': 'output', '-h': 'help' },
    });
    if (options.help) {
      io.stdout(this.help);
      return EXIT.ok;
    }
    const output = (options.output as string | undefined) ?? 'text';
    if (!['text', 'dot', 'json'].includes(output)) throw new UsageError(`--output must be text, dot or json (got "${output}")`);
    if (positionals.length > 1) throw new UsageError('give at most one path');
    const target = path.resolve(io.cwd, positionals[0] ?? '.');
    if (!fs.existsSync(target)) throw new UsageError(`${positionals[0]}: no such file or folder`);
    const root = options.root ? path.resolve(io.cwd, options.root as string) : repositoryRootOf(target);
    const index = loadRepository(root);
    const graph = dependencyGraph(index.graph());
    let status: Map<string, NodeStatus> | undefined;
    if (options.live) {
      const { connectGetter } = await import('../graph/cluster-getter.js');
      let getter;
      try {
        getter = await connectGetter({
          kubeconfig: options.kubeconfig as string | undefined,
          context: options.context as string | undefined,
          trusted: true,
          approve: async () => options['allow-exec'] === true,
        });
      } catch (e) {
        io.stderr(`gitops-lens graph: cannot connect for --live: ${(e as Error).message}\n`);
        return EXIT.usage;
      }
      try {
        status = await liveStatus(graph, getter.get);
      } finally {
        getter.dispose();
      }
    }
    if (output === 'json') io.stdout(formatGraphJson(graph, root, status));
    else if (output === 'dot') io.stdout(formatGraphDot(graph, status));
    else io.stdout(formatGraphText(graph, root, status));
    return graph.cycles.length ? EXIT.findings : EXIT.ok;
  },
};
