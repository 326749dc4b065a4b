/**
 * Bindings as the preview sees them: which agent reconciles a folder, under
 * which name (the value of its ownership labels), into which namespace, with
 * which field manager and which postBuild variables. They come from the Flux
 * Kustomization and Argo CD Application objects found in the repository, or
 * from explicit settings.
 */
import * as path from 'node:path';
import { argoBuildEnv, argoDirectoryOptions, argoKustomizeOptions, stringMap, type ArgoSourceOptions } from './argo-source.js';

/** Which GitOps agent a binding belongs to. */
export type AgentKind = 'flux' | 'argo';

/** The default field managers of the agents' server-side apply. */
export const DEFAULT_FIELD_MANAGER: Record<AgentKind, string> = {
  flux: 'kustomize-controller',
  argo: 'argocd-controller',
};

/** Flux's ownership labels. */
export const FLUX_NAME_LABEL = 'kustomize.toolkit.fluxcd.io/name';
export const FLUX_NAMESPACE_LABEL = 'kustomize.toolkit.fluxcd.io/namespace';
/** Flux's per-object prune opt-out. */
export const FLUX_PRUNE_ANNOTATION = 'kustomize.toolkit.fluxcd.io/prune';
/** Argo CD's label tracking (the default before v3) and annotation tracking (the default since v3). */
export const ARGO_INSTANCE_LABEL = 'app.kubernetes.io/instance';
export const ARGO_TRACKING_ANNOTATION = 'argocd.argoproj.io/tracking-id';
/** Argo CD's per-object sync options, where `Prune=false` disables pruning. */
export const ARGO_SYNC_OPTIONS_ANNOTATION = 'argocd.argoproj.io/sync-options';

/** A folder reconciled by an agent. */
export interface PreviewBinding {
  agent: AgentKind;
  /** Flux Kustomization or Argo CD Application name: the value of the ownership label. */
  name: string;
  /** Namespace of the Flux Kustomization or Argo CD Application object itself. */
  namespace: string;
  /** Absolute folder the agent renders. */
  folder: string;
  /** Flux `spec.targetNamespace` / Argo `spec.destination.namespace`: the namespace given to namespaced objects that lack one. */
  targetNamespace?: string;
  /** Field manager of the agent's apply; defaults per agent. */
  fieldManager?: string;
  /** Whether the agent prunes at all (Flux `spec.prune`; Argo `syncPolicy.automated.prune`, shown regardless as Argo's diff does). */
  prune: boolean;
  /** Flux `spec.postBuild.substitute`. */
  substitute?: Record<string, string>;
  /** Flux `spec.postBuild.substituteFrom` references (ConfigMaps are resolved from the cluster; Secrets are not). */
  substituteFrom?: Array<{ kind: string; name: string; optional?: boolean }>;
  /** Argo CD tracking method; `annotation` is Argo CD 3's default. */
  trackingMethod?: 'label' | 'annotation' | 'annotation+label';
  /** Set when the source is a Helm chart (Argo CD `spec.source.chart`/`helm`): rendered with helm when it is local and helm exists (render-helm.ts). */
  helm?: boolean;
  /** Flux Kustomization build settings that kustomize-controller writes into the path's kustomization.yaml (flux-build.ts). */
  build?: FluxBuildOptions;
  /** Argo CD `spec.source.kustomize` / `directory` options that the repo-server applies before rendering (argo-source.ts). */
  argo?: ArgoSourceOptions;
  /** For a multi-source Argo CD Application: the index of this binding's source in `spec.sources`. */
  sourceIndex?: number;
}

/** A Flux `spec.patches` entry: an inline strategic-merge or JSON 6902 patch and the objects it targets. */
export interface FluxPatch {
  patch: string;
  target?: { group?: string; version?: string; kind?: string; name?: string; namespace?: string; labelSelector?: string; annotationSelector?: string };
}

/** A Flux `spec.images` entry (kustomize's image override). */
export interface FluxImage {
  name: string;
  newName?: string;
  newTag?: string;
  digest?: string;
}

/**
 * The Flux Kustomization fields that change how the path is built. All but
 * `commonMetadata` go into the build's kustomization.yaml; `commonMetadata` is
 * set on each built object's own metadata after postBuild substitution, as
 * kustomize-controller does.
 */
export interface FluxBuildOptions {
  patches?: FluxPatch[];
  images?: FluxImage[];
  /** Component folders, relative to the Kustomization's path. */
  components?: string[];
  /** `spec.ignoreMissingComponents`: components whose folder does not exist are skipped instead of failing the build. */
  ignoreMissingComponents?: boolean;
  namePrefix?: string;
  nameSuffix?: string;
  commonMetadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
}

/** A short, stable label for a binding, used as the plan's `binding` field and in entry ids. */
export function bindingLabel(binding: PreviewBinding | undefined): string {
  if (!binding) return 'unbound';
  return `${binding.agent === 'flux' ? 'Kustomization' : 'Application'} ${binding.namespace}/${binding.name}`;
}

/** The field manager the preview applies as for this binding. */
export function fieldManagerFor(binding: PreviewBinding | undefined, override?: Partial<Record<AgentKind, string>>): string {
  if (!binding) return override?.flux ?? DEFAULT_FIELD_MANAGER.flux;
  return binding.fieldManager ?? override?.[binding.agent] ?? DEFAULT_FIELD_MANAGER[binding.agent];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * Reads a binding from a Flux Kustomization or an Argo CD Application object.
 * `sourceRoot` is the folder that the agent's source paths are relative to
 * (the repository root). Returns undefined for other objects or when the
 * source is not this repository's folder tree. A multi-source Application
 * gives its first rendered source; {@link bindingsFromObject} gives them all.
 */
export function bindingFromObject(value: unknown, sourceRoot: string): PreviewBinding | undefined {
  return bindingsFromObject(value, sourceRoot)[0];
}

/**
 * Every binding of an object: one for a Flux Kustomization or a
 * single-source Application, one per rendered source (a `path` or a `chart`;
 * `ref`-only sources just provide value files) of a multi-source
 * Application. All of an Application's bindings share its name, so the plan
 * groups and prunes them together, as Argo CD does.
 */
export function bindingsFromObject(value: unknown, sourceRoot: string): PreviewBinding[] {
  if (isObj(value) && value.kind === 'Application' && isObj(value.spec) && !isObj(value.spec.source) && Array.isArray(value.spec.sources)) {
    const out: PreviewBinding[] = [];
    value.spec.sources.forEach((source, i) => {
      if (!isObj(source) || (typeof source.path !== 'string' && typeof source.chart !== 'string')) return;
      const b = singleBinding({ ...value, spec: { ...(value.spec as Obj), source, sources: undefined } }, sourceRoot);
      if (b) out.push({ ...b, sourceIndex: i });
    });
    return out;
  }
  const b = singleBinding(value, sourceRoot);
  return b ? [b] : [];
}

function singleBinding(value: unknown, sourceRoot: string): PreviewBinding | undefined {
  if (!isObj(value) || !isObj(value.metadata) || !isObj(value.spec)) return undefined;
  const apiVersion = str(value.apiVersion) ?? '';
  const kind = value.kind;
  const name = str(value.metadata.name);
  if (!name) return undefined;
  const spec = value.spec;
  if (kind === 'Kustomization' && apiVersion.startsWith('kustomize.toolkit.fluxcd.io/')) {
    // Only a GitRepository source is this repository's tree; OCI, bucket and generated artifacts have their own layout.
    const sourceKind = isObj(spec.sourceRef) ? str(spec.sourceRef.kind) : undefined;
    if (sourceKind && sourceKind !== 'GitRepository') return undefined;
    const relative = str(spec.path) ?? './';
    const postBuild = isObj(spec.postBuild) ? spec.postBuild : {};
    const substitute: Record<string, string> = {};
    if (isObj(postBuild.substitute)) {
      for (const [k, v] of Object.entries(postBuild.substitute)) substitute[k] = String(v);
    }
    const substituteFrom = Array.isArray(postBuild.substituteFrom)
      ? postBuild.substituteFrom.filter(isObj).map((r) => ({ kind: String(r.kind), name: String(r.name), optional: r.optional === true }))
      : undefined;
    const build = fluxBuildOptions(spec);
    return {
      agent: 'flux',
      name,
      namespace: str(value.metadata.namespace) ?? 'flux-system',
      folder: path.resolve(sourceRoot, relative),
      targetNamespace: str(spec.targetNamespace),
      prune: spec.prune === true,
      substitute,
      substituteFrom,
      ...(build ? { build } : {}),
    };
  }
  if (kind === 'Application' && apiVersion.startsWith('argoproj.io/')) {
    const source = isObj(spec.source) ? spec.source : Array.isArray(spec.sources) && isObj(spec.sources[0]) ? spec.sources[0] : undefined;
    if (!source) return undefined;
    const destination = isObj(spec.destination) ? spec.destination : {};
    const relative = str(source.path);
    const kustomize = argoKustomizeOptions(source);
    const directory = argoDirectoryOptions(source);
    return {
      agent: 'argo',
      name,
      namespace: str(value.metadata.namespace) ?? 'argocd',
      folder: path.resolve(sourceRoot, relative ?? '.'),
      targetNamespace: str(destination.namespace),
      // Argo CD lists objects that "require pruning" even without automated prune, so the plan shows them.
      prune: true,
      helm: typeof source.chart === 'string' || isObj(source.helm),
      ...(kustomize || directory ? { argo: { ...(kustomize ? { kustomize } : {}), ...(directory ? { directory } : {}), env: argoBuildEnv(value, source) } } : {}),
    };
  }
  return undefined;
}

/** The build settings of a Flux Kustomization's spec; undefined when it sets none. Malformed entries are skipped (the API server would have rejected them). */
export function fluxBuildOptions(spec: Record<string, unknown>): FluxBuildOptions | undefined {
  const out: FluxBuildOptions = {};
  if (Array.isArray(spec.patches)) {
    const patches = spec.patches.filter(isObj).flatMap((p): FluxPatch[] => {
      const patch = str(p.patch);
      if (!patch) return [];
      const t = isObj(p.target) ? p.target : undefined;
      const target = t
        ? Object.fromEntries(
            ['group', 'version', 'kind', 'name', 'namespace', 'labelSelector', 'annotationSelector'].flatMap((k) => (str(t[k]) !== undefined ? [[k, str(t[k])!]] : [])),
          )
        : undefined;
      return [{ patch, ...(target ? { target } : {}) }];
    });
    if (patches.length) out.patches = patches;
  }
  if (Array.isArray(spec.images)) {
    const images = spec.images.filter(isObj).flatMap((i): FluxImage[] => {
      const name = str(i.name);
      if (!name) return [];
      return [{ name, ...(str(i.newName) ? { newName: str(i.newName) } : {}), ...(i.newTag !== undefined && i.newTag !== null ? { newTag: String(i.newTag) } : {}), ...(str(i.digest) ? { digest: str(i.digest) } : {}) }];
    });
    if (images.length) out.images = images;
  }
  if (Array.isArray(spec.components)) {
    const components = spec.components.filter((c): c is string => typeof c === 'string' && c.length > 0);
    if (components.length) out.components = components;
  }
  if (spec.ignoreMissingComponents === true) out.ignoreMissingComponents = true;
  if (str(spec.namePrefix)) out.namePrefix = str(spec.namePrefix);
  if (str(spec.nameSuffix)) out.nameSuffix = str(spec.nameSuffix);
  if (isObj(spec.commonMetadata)) {
    const labels = stringMap(spec.commonMetadata.labels);
    const annotations = stringMap(spec.commonMetadata.annotations);
    if (labels || annotations) out.commonMetadata = { ...(labels ? { labels } : {}), ...(annotations ? { annotations } : {}) };
  }
  const { ignoreMissingComponents: _ignore, ...settings } = out;
  return Object.keys(settings).length ? out : undefined;
}
