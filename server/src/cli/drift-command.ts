/**
 * `gitops-lens drift <paths…>`: compares the manifests under the given paths
 * with the live cluster, once, with plain GETs (no watch), and prints the
 * same findings the editor shows. Exit codes: 0 no drift, 1 drift, 2 error
 * (including "could not tell": no access, unreachable cluster).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import type { Finding } from '../findings.js';
import type { KubeObject } from '../cluster/cluster-types.js';
import { gvkOf } from '../cluster/cluster-types.js';
import { ClusterClient, isClusterError } from '../cluster/read-only-transport.js';
import { kubeconfigPaths, loadKubeconfig, transportOptionsFor } from '../cluster/kubeconfig.js';
import { agentSourcesOf, resolveBinding } from '../cluster/bindings.js';
import { computeDrift, type DesiredDocument, type LiveLookup } from '../drift/compute-drift.js';
import { desiredDocuments } from '../drift/desired-documents.js';
import { KustomizeNamespaces } from '../manifests/kustomize-namespaces.js';
import { renderForDrift, withRendered } from '../drift/rendered-desired.js';
import { isKustomizationFile, WorkspaceIndex } from '../manifests/classify-document.js';
import { rulesFromSetting } from '../drift/ignore-rules.js';
import { redact } from '../secrets/mask-secrets.js';
import { ALLOW_EXEC_HELP, EXIT, UsageError, parseOptions, type CliCommand, type CliIo } from './cli-types.js';

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

const YAML_FILE = /\.ya?ml$/i;
const SKIP_DIRS = new Set(['.git', 'node_modules', '.terraform']);

function collectFiles(p: string, out: string[]): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(p);
  } catch {
    throw new UsageError(`${p}: no such file or folder`);
  }
  if (st.isFile()) {
    out.push(p);
    return;
  }
  if (!st.isDirectory()) return;
  for (const e of fs.readdirSync(p, { withFileTypes: true })) {
    if (e.isDirectory()) {
      if (!SKIP_DIRS.has(e.name)) collectFiles(path.join(p, e.name), out);
    } else if (e.isFile() && YAML_FILE.test(e.name)) out.push(path.join(p, e.name));
  }
}

function gitTopLevel(cwd: string): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', '--show-toplevel'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** One file's result, as printed in JSON. */
export interface DriftFileResult {
  path: string;
  context: string;
  binding: string;
  findings: Array<Pick<Finding, 'range' | 'severity' | 'message' | 'code'>>;
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
    const root = path.resolve(cwd, (options.root as string | undefined) ?? gitTopLevel(cwd) ?? cwd);
    const files: string[] = [];
    for (const p of positionals) collectFiles(path.resolve(cwd, p), files);

    // Bindings come from the agent objects of the whole repo, not only the given paths.
    const agentFiles: string[] = [];
    try {
      collectFiles(root, agentFiles);
    } catch {
      // An unreadable root only means no discovered bindings.
    }
    // Kustomizations and Helm charts of the repo (and of the given paths) tell patches and chart files from objects.
    const index = new WorkspaceIndex();
    // The same kustomizations give objects without metadata.namespace the namespace kustomize would.
    const kustomizeNamespaces = new KustomizeNamespaces();
    for (const f of new Set([...agentFiles, ...files])) {
      if (!isKustomizationFile(f) && !/^Chart\.ya?ml$/.test(path.basename(f))) continue;
      try {
        const text = fs.readFileSync(f, 'utf8');
        index.updateFile(f, text);
        kustomizeNamespaces.updateFile(f, text);
      } catch {
        // An unreadable kustomization only means its patches are not recognised.
      }
    }
    const agents = agentSourcesOf(
      agentFiles.flatMap((f) => {
        let text: string;
        try {
          text = fs.readFileSync(f, 'utf8');
        } catch {
          return [];
        }
        if (!/kustomize\.toolkit\.fluxcd\.io|argoproj\.io/.test(text)) return [];
        return desiredDocuments(text).map((d) => ({ file: path.relative(root, f).replace(/\\/g, '/'), value: d.value }));
      }),
    );

    let kc;
    try {
      kc = loadKubeconfig(kubeconfigPaths(options.kubeconfig as string | undefined, io.env as NodeJS.ProcessEnv));
    } catch (e) {
      io.stderr(`gitops-lens drift: ${redact((e as Error).message)}\n`);
      return EXIT.usage;
    }
    const clients = new Map<string, { client?: ClusterClient; error?: string; namespace: string }>();
    const allowExec = options['allow-exec'] === true;
    const clientFor = async (context: string) => {
      let c = clients.get(context);
      if (c) return c;
      try {
        const rc = kc.resolve(context || undefined);
        const topts = await transportOptionsFor(rc, {
          trusted: true,
          approve: async () => allowExec,
        });
        c = { client: ClusterClient.create({ ...topts, userAgent: 'gitops-lens-cli/drift' }), namespace: rc.namespace };
      } catch (e) {
        const msg = (e as Error).message + ((e as { reason?: string }).reason === 'NotApproved' ? ' Pass --allow-exec to approve it.' : '');
        c = { error: redact(msg), namespace: 'default' };
      }
      clients.set(context, c);
      return c;
    };

    // Files that a kustomization builds are compared with the rendered objects (overlay values), rendered once per unit.
    const kustomized = files.filter((f) => kustomizeNamespaces.isBuilt(f));
    const rendered = await renderForDrift(root, kustomized);

    const results: DriftFileResult[] = [];
    let drift = false;
    let undetermined = false;
    try {
      for (const file of files.sort()) {
        let text: string;
        try {
          text = fs.readFileSync(file, 'utf8');
        } catch (e) {
          io.stderr(`gitops-lens drift: cannot read ${file}: ${(e as Error).message}\n`);
          undetermined = true;
          continue;
        }
        const docs = withRendered(rendered, file, desiredDocuments(text, { filePath: file, index, patches: true })).filter(
          // A patch is compared only through the rendered object it patches (identity and name prefix come from the render).
          (d) => d.apiVersion && d.kind && d.name && !(d.kind === 'Kustomization' && d.apiVersion?.startsWith('kustomize.config.k8s.io')) && (!d.patch || d.rendered),
        );
        if (!docs.length) continue;
        const rel = path.relative(root, file).replace(/\\/g, '/');
        const binding = resolveBinding(rel, { bindings: [], context: (options.context as string | undefined) ?? '' }, agents);
        const conn = await clientFor(binding.context);
        // A kustomization's `namespace:` is set on the built objects, so it wins over the binding's default
        // (Argo CD's destination.namespace only fills objects still without one); Flux's targetNamespace wins over both.
        const namespace = kustomizeNamespaces.namespaceOf(file) ?? binding.namespace ?? conn.namespace;
        // Flux's targetNamespace overrides every namespaced object's namespace; Argo CD's destination only defaults it.
        const forced = binding.source === 'flux-kustomization' ? binding.agent?.targetNamespace : undefined;
        const live = new Map<DesiredDocument, LiveLookup>();
        const clusterScoped = new Set<string>();
        await Promise.all(
          docs.map(async (d) => {
            if (!conn.client) return live.set(d, { state: 'unknown', reason: conn.error ?? 'not connected' });
            const gvk = gvkOf(d.apiVersion!, d.kind!);
            try {
              const info = await conn.client.resourceFor(gvk);
              if (!info) return live.set(d, { state: 'not-served' });
              if (!info.namespaced) clusterScoped.add(`${d.apiVersion}|${d.kind}`);
              const obj: KubeObject | undefined = await conn.client.getWithManagedFields(gvk, info.namespaced ? forced ?? d.namespace ?? namespace : undefined, d.rendered?.name ?? d.name!);
              live.set(d, obj ? { state: 'present', object: obj } : { state: 'missing' });
            } catch (e) {
              if (isClusterError(e) && e.status === 403) live.set(d, { state: 'no-access', reason: `cannot get ${d.kind} (403 Forbidden)` });
              else live.set(d, { state: 'unknown', reason: redact((e as Error).message) });
            }
          }),
        );
        const ignore = binding.agent?.ignore ?? rulesFromSetting([]);
        const report = computeDrift({ text, documents: docs, defaultNamespace: namespace, forceNamespace: forced, clusterScoped: (a, k) => clusterScoped.has(`${a}|${k}`), lookup: (d) => live.get(d) ?? { state: 'unknown', reason: 'not fetched' }, ignore });
        for (const f of report.findings) {
          if (f.code === 'drift-value' || f.code === 'drift-missing') drift = true;
          // A kind the cluster does not serve is reported (information) but is neither drift nor an error of the check.
          else if (f.code !== 'drift-not-served') undetermined = true;
        }
        const shown = path.relative(cwd, file) || file;
        results.push({ path: shown, context: binding.context || kc.currentContext || '', binding: binding.description, findings: report.findings.map(({ range, severity, message, code }) => ({ range, severity, message, code })) });
      }
    } finally {
      for (const c of clients.values()) c.client?.dispose();
    }

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
