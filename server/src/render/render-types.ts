/**
 * The shared types of the render pipeline: what a render is asked
 * (RenderOptions), what it renders (RenderUnit), what comes out
 * (DesiredObject, RenderProblem, RenderResult), and the context the Flux,
 * Argo CD and plain kustomize renderers share for one render. Types only, so
 * the renderers can all use them without importing each other.
 */
import type { KubeObject } from '../cluster/cluster-types.js';
import type { Range } from '../findings.js';
import type { Limiter } from '../util/concurrency.js';
import type { PreviewBinding } from './binding.js';
import type { ValuesSourceReader } from './helm-values-from.js';
import type { LocalHelmChart } from './render-helm.js';
import type { FileTexts } from './repo-files.js';
import type { SourceDocument } from './source-documents.js';

/** Where a rendered object came from. */
export interface SourceRef {
  /** Absolute path of the file. */
  file: string;
  range: Range;
  /** The source document, to map a field path to a range; absent when the mapping is unknown. */
  document?: SourceDocument;
  /** True when the object came out of kustomize or helm and was matched back to this file (best effort). */
  mapped?: boolean;
  /** Kustomize patches that target the object: a field they set is reported on the patch. */
  patches?: SourceDocument[];
}

/** One object of the desired state. */
export interface DesiredObject {
  object: KubeObject;
  source?: SourceRef;
  binding?: PreviewBinding;
  /** The folder or file that was rendered to produce it. */
  unit: string;
  /** A note for the plan entry, e.g. that a HelmRelease's chart is not previewed. */
  note?: string;
  /** Values that came from Secrets (HelmRelease `valuesFrom`) and may appear in this object: masked in everything shown. */
  maskValues?: string[];
}

/** Something the preview could not render, for the plan. */
export interface RenderProblem {
  /** The unit (folder or file) that failed. */
  unit: string;
  /** The unit relative to the repository root, for display. */
  label: string;
  /** The file to point at, e.g. the kustomization.yaml. */
  file: string;
  /** The range in `file` to point at (e.g. the binding's document); the start of the file when absent. */
  range?: Range;
  message: string;
  binding?: PreviewBinding;
}

/** What a unit is. */
export interface RenderUnit {
  /** Absolute folder (kustomize, plain or Helm chart) or file. */
  root: string;
  kind: 'kustomize' | 'folder' | 'file' | 'helm';
  binding?: PreviewBinding;
  /** For `helm` units: the chart and how the Argo CD Application renders it. */
  helm?: LocalHelmChart;
  /**
   * The file declaring the unit's binding (Flux Kustomization / Argo CD Application), when found in the repository.
   * Helm errors and unmapped chart objects point there, and so do build errors caused by the binding's own build fields.
   */
  declaredIn?: string;
  /** Every file whose change can change the unit's output. */
  files: Set<string>;
}

/** The result of rendering. */
export interface RenderResult {
  objects: DesiredObject[];
  problems: RenderProblem[];
  /** Informational notes, e.g. "not previewed: needs helm". */
  notes: string[];
  units: RenderUnit[];
  bindings: PreviewBinding[];
  /** Every value read from a Secret for rendering (HelmRelease `valuesFrom`): masked in messages. */
  maskValues: string[];
}

/** Options of {@link renderDesired}. */
export interface RenderOptions {
  /** Files or folders to preview (absolute). Empty means the whole root. */
  paths: string[];
  /** The repository root: agents' source paths are relative to it, and binding discovery scans it. */
  root: string;
  /** Extra bindings (for example from settings), used before discovered ones. */
  bindings?: PreviewBinding[];
  /** Restricts units to those containing one of these files (absolute); see changed-files.ts. */
  onlyFiles?: Set<string>;
  /** Values for Flux `substituteFrom` ConfigMaps, keyed `namespace/name`; resolved by the caller from the cluster. */
  substituteFromValues?: (binding: PreviewBinding) => Promise<Record<string, string>>;
  /**
   * Reads the ConfigMaps and Secrets of Flux HelmRelease `valuesFrom` (GET through the read-only client).
   * Without it (no cluster), HelmReleases are rendered with `spec.values` only and the plan notes say so.
   */
  readValuesSource?: ValuesSourceReader;
  signal?: AbortSignal;
  /** Overrides the PATH lookup of tools, for tests. */
  tools?: Partial<RenderTools>;
}

/** The external tools rendering may use. */
export interface RenderTools {
  /** Command and leading args that build a kustomization dir given as the last argument; undefined when neither kustomize nor kubectl exists. */
  kustomize?: { command: string; args: string[] };
  /** The helm binary (`helm` on PATH; tests inject a built one); undefined means charts are not rendered. */
  helm?: string;
}

export type Rendered = { object: KubeObject; doc?: SourceDocument; mapped: boolean; patches?: SourceDocument[]; file?: string };

/** What rendering a unit needs besides the unit: shared by all units of one render. */
export interface UnitContext {
  tools: RenderTools;
  /** Files that kustomizations use as patches. */
  patchFiles: Set<string>;
  texts: FileTexts;
  /** Bounds the kustomize / helm processes running at once. */
  builds: Limiter;
  /** The repository root: the build mirror of a Flux Kustomization's path starts there (flux-build.ts). */
  root: string;
  /** Notes found while rendering a unit, keyed by the unit's root, added to the plan's notes in unit order. */
  unitNotes: Map<string, string[]>;
  signal?: AbortSignal;
}
