/**
 * Bindings: which cluster context and namespace a file deploys to, and
 * whether the local commit is what the agent last applied. Resolution order:
 * the `gitopsLens.bindings` setting, then the repo's own Flux Kustomizations
 * and Argo CD Applications, then the current context.
 */
import * as path from 'node:path';
import type { ClusterClient } from './read-only-transport.js';
import type { KubeObject } from './cluster-types.js';
import { rulesFromApplication, type IgnoreRule } from './ignore-rules.js';
import { git } from '../util/git.js';

/** One `gitopsLens.bindings` entry (same shape as the settings interface's BindingSetting). */
export interface BindingRule {
  /** Glob relative to the workspace folder, e.g. `clusters/production/**`. */
  glob: string;
  context: string;
  namespace?: string;
}

/** The agent object that deploys a folder, found in the repo. */
export interface AgentSource {
  kind: 'flux-kustomization' | 'argocd-application';
  /** apiVersion of the agent object, e.g. `kustomize.toolkit.fluxcd.io/v1`. */
  apiVersion: string;
  name: string;
  /** Namespace the agent object lives in (flux-system, argocd). */
  namespace: string;
  /** The folder it deploys, relative to the repo root, without `./` or a trailing slash. */
  path: string;
  /** targetNamespace / destination.namespace. */
  targetNamespace?: string;
  /** Argo CD Applications' ignoreDifferences. */
  ignore: IgnoreRule[];
  /** The file that declares it, for messages. */
  declaredIn: string;
}

/** A resolved binding for a file. */
export interface Binding {
  /** Empty means "the kubeconfig's current context". */
  context: string;
  /** Namespace for objects that don't set one; undefined means the context's default. */
  namespace?: string;
  source: 'setting' | 'flux-kustomization' | 'argocd-application' | 'current-context';
  /** The agent object when the binding came from the repo. */
  agent?: AgentSource;
  /** Human-readable origin, shown in the status bar tooltip / CodeLens. */
  description: string;
}

function normalizeRel(p: string): string {
  return p.replace(/\\/g, '/').replace(/^\.\/+/, '').replace(/^\/+/, '').replace(/\/+$/, '');
}

/**
 * Finds Flux Kustomizations and Argo CD Applications among plain objects of
 * the repo (the caller parses files; `file` is relative to the repo root).
 */
export function agentSourcesOf(objects: ReadonlyArray<{ file: string; value: unknown }>): AgentSource[] {
  const out: AgentSource[] = [];
  const artifacts = artifactCopiesOf(objects);
  for (const { file, value } of objects) {
    const o = value as KubeObject | undefined;
    if (!o || typeof o !== 'object' || typeof o.apiVersion !== 'string') continue;
    const spec = (o.spec ?? {}) as Record<string, any>;
    const name = o.metadata?.name ?? '';
    if (o.kind === 'Kustomization' && o.apiVersion.startsWith('kustomize.toolkit.fluxcd.io/') && typeof spec.path === 'string') {
      out.push({
        kind: 'flux-kustomization',
        apiVersion: o.apiVersion,
        name,
        namespace: o.metadata?.namespace ?? 'flux-system',
        path: spec.sourceRef?.kind === 'ExternalArtifact' ? artifactPathToRepo(artifacts.get(`${path.posix.dirname(file)}|${spec.sourceRef?.name}`) ?? artifacts.get(`|${spec.sourceRef?.name}`) ?? [], normalizeRel(spec.path)) : normalizeRel(spec.path),
        targetNamespace: typeof spec.targetNamespace === 'string' ? spec.targetNamespace : undefined,
        ignore: [],
        declaredIn: file,
      });
    } else if (o.kind === 'Application' && o.apiVersion.startsWith('argoproj.io/')) {
      const sources = [spec.source, ...(Array.isArray(spec.sources) ? spec.sources : [])].filter((s) => s && typeof s.path === 'string');
      for (const s of sources) {
        out.push({
          kind: 'argocd-application',
          apiVersion: o.apiVersion,
          name,
          namespace: o.metadata?.namespace ?? 'argocd',
          path: normalizeRel(s.path),
          targetNamespace: typeof spec.destination?.namespace === 'string' ? spec.destination.namespace : undefined,
          ignore: rulesFromApplication(o as Record<string, unknown>),
          declaredIn: file,
        });
      }
    }
  }
  return out;
}

/**
 * Flux ArtifactGenerator `copy` rules by artifact name: a Kustomization whose
 * sourceRef is an ExternalArtifact has a spec.path inside that artifact,
 * which these rules map back to a folder of the repo.
 */
function artifactCopiesOf(objects: ReadonlyArray<{ file: string; value: unknown }>): Map<string, Array<{ from: string; to: string }>> {
  // Keyed by folder + artifact name (clusters/production and clusters/staging
  // each declare an artifact "apps"), and by name alone as a fallback.
  const out = new Map<string, Array<{ from: string; to: string }>>();
  for (const { file, value } of objects) {
    const o = value as KubeObject | undefined;
    if (!o || o.kind !== 'ArtifactGenerator' || typeof o.apiVersion !== 'string' || !o.apiVersion.startsWith('source.extensions.fluxcd.io/')) continue;
    const artifacts = ((o.spec ?? {}) as Record<string, any>).artifacts;
    for (const a of Array.isArray(artifacts) ? artifacts : []) {
      if (!a?.name || !Array.isArray(a.copy)) continue;
      const rules = a.copy
        .filter((c: any) => typeof c?.from === 'string' && typeof c?.to === 'string')
        .map((c: any) => ({
          from: normalizeRel(String(c.from).replace(/^@[^/]+\/?/, '').replace(/\*\*.*$/, '').replace(/\*.*$/, '')),
          to: normalizeRel(String(c.to).replace(/^@artifact\/?/, '')),
        }));
      out.set(`${path.posix.dirname(file.replace(/\\/g, '/'))}|${a.name}`, rules);
      if (!out.has(`|${a.name}`)) out.set(`|${a.name}`, rules);
    }
  }
  return out;
}

function artifactPathToRepo(rules: ReadonlyArray<{ from: string; to: string }>, p: string): string {
  // The most specific destination wins, as with overlapping copy rules.
  const sorted = [...rules].sort((a, b) => b.to.length - a.to.length);
  for (const r of sorted) {
    if (r.to === '' || p === r.to || p.startsWith(`${r.to}/`)) {
      const rest = r.to === '' ? p : p.slice(r.to.length).replace(/^\//, '');
      return normalizeRel([r.from, rest].filter(Boolean).join('/'));
    }
  }
  return p;
}

/**
 * Resolves the binding of a file (path relative to the workspace folder):
 * the first matching `gitopsLens.bindings` glob; else the agent object whose
 * path is the longest prefix of the file's folder; else the current context.
 */
export function resolveBinding(relFile: string, settings: { bindings: readonly BindingRule[]; context?: string }, agents: readonly AgentSource[]): Binding {
  const rel = normalizeRel(relFile);
  for (const b of settings.bindings ?? []) {
    if (b && typeof b.glob === 'string' && path.posix.matchesGlob(rel, normalizeRel(b.glob))) {
      return { context: b.context ?? '', namespace: b.namespace || undefined, source: 'setting', description: `gitopsLens.bindings "${b.glob}"` };
    }
  }
  const dir = path.posix.dirname(rel);
  let best: AgentSource | undefined;
  for (const a of agents) {
    const inside = a.path === '' || dir === a.path || dir.startsWith(`${a.path}/`);
    if (inside && (!best || a.path.length > best.path.length)) best = a;
  }
  if (best) {
    const what = best.kind === 'flux-kustomization' ? 'Flux Kustomization' : 'Argo CD Application';
    return {
      context: settings.context ?? '',
      namespace: best.targetNamespace,
      source: best.kind,
      agent: best,
      description: `${what} ${best.namespace}/${best.name} (${best.declaredIn})`,
    };
  }
  return { context: settings.context ?? '', source: 'current-context', description: settings.context ? `gitopsLens.context "${settings.context}"` : 'the kubeconfig current context' };
}

/** "Is my commit deployed?" */
export type DeployStatus =
  | { kind: 'deployed'; revision: string; text: string }
  | { kind: 'behind'; revision: string; commits: number; text: string }
  | { kind: 'ahead-of-local'; revision: string; text: string }
  | { kind: 'reconcile-failed'; reason: string; text: string }
  | { kind: 'unknown'; reason: string; text: string };

/** Extracts the commit SHA from a Flux revision (`main@sha1:abc`, `main/abc`, `abc`) or an Argo CD revision. */
export function commitOfRevision(revision: string): string | undefined {
  const m = /(?:sha1:|sha256:|@|\/)?([0-9a-f]{7,64})$/i.exec(revision.trim());
  return m ? m[1] : undefined;
}

async function runGit(args: string[], cwd: string): Promise<string> {
  return (await git(args, cwd, { timeout: 10_000, maxBuffer: 1024 * 1024, firstLineOnly: true })).trim();
}

/** Reads the agent object's status (Flux lastAppliedRevision + Ready, or Argo CD sync.revision) from the cluster. */
export function revisionOfAgent(obj: KubeObject | undefined): { revision?: string; failure?: string } {
  const st = (obj?.status ?? {}) as Record<string, any>;
  if (obj?.kind === 'Application') {
    const op = st.operationState;
    if (op && (op.phase === 'Failed' || op.phase === 'Error')) return { revision: st.sync?.revision, failure: String(op.message ?? op.phase) };
    return { revision: st.sync?.revision };
  }
  const ready = Array.isArray(st.conditions) ? st.conditions.find((c: any) => c?.type === 'Ready') : undefined;
  if (ready && ready.status === 'False') return { revision: st.lastAppliedRevision, failure: `${ready.reason ?? 'NotReady'}: ${ready.message ?? ''}`.trim() };
  return { revision: st.lastAppliedRevision };
}

/** The Kubernetes kind of an agent object: Flux `Kustomization` or Argo CD `Application`. */
export function agentKind(agent: AgentSource): string {
  return agent.kind === 'flux-kustomization' ? 'Kustomization' : 'Application';
}

/**
 * Compares the revision the agent last applied with local git HEAD:
 * `deployed`, `N commits behind`, or `reconcile failed: reason`. Git runs via
 * execFile (no shell); the revision is validated as hex before use.
 */
export async function deployStatus(client: ClusterClient, agent: AgentSource, repoRoot: string, signal?: AbortSignal): Promise<DeployStatus> {
  const [group, version] = agent.apiVersion.split('/');
  let obj: KubeObject | undefined;
  try {
    obj = await client.get({ group, version, kind: agentKind(agent) }, agent.namespace, agent.name, { signal });
  } catch (e) {
    return { kind: 'unknown', reason: (e as Error).message, text: `deploy status unknown: ${(e as Error).message}` };
  }
  return deployStatusOf(obj, agent, repoRoot);
}

/**
 * {@link deployStatus} for an agent object already read (e.g. from the live
 * cache, which follows its status through the watch); undefined means it is
 * not in the cluster.
 */
export async function deployStatusOf(obj: KubeObject | undefined, agent: AgentSource, repoRoot: string): Promise<DeployStatus> {
  if (!obj) return { kind: 'unknown', reason: 'not found', text: `${agent.name} is not in the cluster` };
  const { revision, failure } = revisionOfAgent(obj);
  if (failure) return { kind: 'reconcile-failed', reason: failure, text: `reconcile failed: ${failure}` };
  if (!revision) return { kind: 'unknown', reason: 'no revision yet', text: 'not reconciled yet' };
  const sha = commitOfRevision(revision);
  if (!sha || !/^[0-9a-f]+$/i.test(sha)) return { kind: 'unknown', reason: `unrecognised revision ${revision}`, text: `deployed revision ${revision}` };
  try {
    const behind = Number(await runGit(['rev-list', '--count', `${sha}..HEAD`], repoRoot));
    if (behind > 0) return { kind: 'behind', revision, commits: behind, text: `${behind} commit${behind === 1 ? '' : 's'} behind` };
    const ahead = Number(await runGit(['rev-list', '--count', `HEAD..${sha}`], repoRoot));
    if (ahead > 0) return { kind: 'ahead-of-local', revision, text: `cluster runs ${sha.slice(0, 7)}, ${ahead} commit${ahead === 1 ? '' : 's'} newer than local HEAD (pull?)` };
    return { kind: 'deployed', revision, text: 'deployed' };
  } catch (e) {
    return { kind: 'unknown', reason: (e as Error).message, text: `deployed revision ${sha.slice(0, 7)} is not in the local history (fetch?)` };
  }
}
