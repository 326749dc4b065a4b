/**
 * One-shot drift: compares the manifests of the given files with the live
 * cluster, once, with plain GETs (no watch, no cache), and returns the same
 * findings the editor shows. The CLI's `drift` command is its face, as
 * PreviewService is the preview's; the editor uses the long-lived DriftService.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Finding } from '../findings.js';
import type { KubeObject } from '../cluster/cluster-types.js';
import { gvkOf } from '../cluster/cluster-types.js';
import { ClusterClient, isClusterError } from '../cluster/read-only-transport.js';
import { transportOptionsFor, type LoadedKubeconfig } from '../cluster/kubeconfig.js';
import { agentSourcesOf, resolveBinding } from '../cluster/bindings.js';
import { rulesFromSetting } from '../cluster/ignore-rules.js';
import { isKustomizationFile, WorkspaceIndex } from '../manifests/classify-document.js';
import { KustomizeNamespaces } from '../manifests/kustomize-namespaces.js';
import { redact } from '../secrets/mask-secrets.js';
import { computeDrift, type DesiredDocument, type LiveLookup } from './compute-drift.js';
import { desiredDocuments } from './desired-documents.js';
import { renderForDrift, withRendered } from './rendered-desired.js';

/** One file's result, as printed in JSON. */
export interface DriftFileResult {
  path: string;
  context: string;
  binding: string;
  findings: Array<Pick<Finding, 'range' | 'severity' | 'message' | 'code'>>;
}

/** Options of {@link checkDriftOnce}. */
export interface DriftOnceOptions {
  /** The repository root: bindings and kustomizations are found under it, paths are relative to it. */
  root: string;
  /** The files to check (absolute paths). */
  files: string[];
  /** The YAML files of the whole repository: its Flux Kustomizations and Argo CD Applications bind the checked files. */
  repoFiles: string[];
  kubeconfig: LoadedKubeconfig;
  /** Context for files no binding names; the kubeconfig's current context when absent. */
  context?: string;
  /** Runs kubeconfig exec / auth-provider credential plugins without asking. */
  allowExec: boolean;
  /** How a file is named in the results (e.g. relative to the working directory). */
  displayPath: (file: string) => string;
  /** Reports a file that could not be read (the result is then undetermined). */
  warn: (message: string) => void;
}

/** What {@link checkDriftOnce} found: per file findings, and whether there was drift or something could not be told. */
export interface DriftOnceResult {
  drift: boolean;
  undetermined: boolean;
  files: DriftFileResult[];
}

/** Checks the files against the cluster once. Cluster errors become findings (undetermined), never exceptions. */
export async function checkDriftOnce(opts: DriftOnceOptions): Promise<DriftOnceResult> {
  const { root, files, repoFiles } = opts;
  // Kustomizations and Helm charts of the repo (and of the given paths) tell patches and chart files from objects.
  const index = new WorkspaceIndex();
  // The same kustomizations give objects without metadata.namespace the namespace kustomize would.
  const kustomizeNamespaces = new KustomizeNamespaces();
  for (const f of new Set([...repoFiles, ...files])) {
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
    repoFiles.flatMap((f) => {
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

  const clients = new Map<string, { client?: ClusterClient; error?: string; namespace: string }>();
    const clientFor = async (context: string) => {
    let c = clients.get(context);
    if (c) return c;
    try {
      const rc = opts.kubeconfig.resolve(context || undefined);
      const topts = await transportOptionsFor(rc, {
        trusted: true,
        approve: async () => opts.allowExec,
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
        opts.warn(`cannot read ${file}: ${(e as Error).message}`);
        undetermined = true;
        continue;
      }
      const docs = withRendered(rendered, file, desiredDocuments(text, { filePath: file, index, patches: true })).filter(
        // A patch is compared only through the rendered object it patches (identity and name prefix come from the render).
        (d) => d.apiVersion && d.kind && d.name && !(d.kind === 'Kustomization' && d.apiVersion?.startsWith('kustomize.config.k8s.io')) && (!d.patch || d.rendered),
      );
      if (!docs.length) continue;
      const rel = path.relative(root, file).replace(/\\/g, '/');
      const binding = resolveBinding(rel, { bindings: [], context: opts.context ?? '' }, agents);
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
      const shown = opts.displayPath(file);
      results.push({ path: shown, context: binding.context || opts.kubeconfig.currentContext || '', binding: binding.description, findings: report.findings.map(({ range, severity, message, code }) => ({ range, severity, message, code })) });
    }
  } finally {
    for (const c of clients.values()) c.client?.dispose();
  }
  return { drift, undetermined, files: results };
}
