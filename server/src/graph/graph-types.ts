/**
 * The plain shapes of the repository graph: what one YAML document links to
 * (reference sites with the exact range of the value), what a kustomization
 * file lists (entries with ranges), and the objects a build renders. They
 * carry absolute file paths and LSP-style ranges, nothing of any editor, so
 * the language server, the CLI and the tests share them as they are.
 */
import type { Range } from '../findings.js';

/** A place in a file. */
export interface FileLocation {
  /** Absolute path. */
  file: string;
  range: Range;
}

/**
 * What kind of link a reference site is. It decides the check (and its
 * setting) and how the target is looked up.
 */
export type SiteKind =
  /** A pod template naming a ConfigMap, Secret, ServiceAccount or PersistentVolumeClaim. */
  | 'workload'
  /** HelmRelease `valuesFrom`, Flux Kustomization `postBuild.substituteFrom` (navigation only, not checked). */
  | 'values-from'
  /** Flux `sourceRef` / `chartRef`. */
  | 'source'
  /** Flux `dependsOn`. */
  | 'depends-on'
  /** Ingress / Gateway API route backend Service. */
  | 'backend'
  /** Argo CD Application `spec.project`. */
  | 'argo-project'
  /** A name that only navigation and rename follow (StatefulSet `serviceName`). */
  | 'name-only';

/** One value of a document that names another object. */
export interface RefSite {
  kind: SiteKind;
  /** JSON path of the value inside the document. */
  path: Array<string | number>;
  /** Kinds the target may have; the first is the one messages name. */
  targetKinds: string[];
  /** API group of the target when the reference says (Gateway API backendRefs); undefined = the kind's usual group. */
  targetGroup?: string;
  /** The name as written. */
  name: string;
  /** A namespace written next to the name, if any (otherwise the referrer's). */
  namespace?: string;
  /** The exact range of the name's value. */
  range: Range;
  /** `optional: true` beside the reference: a missing target is fine. */
  optional?: boolean;
  /** The field in words, for messages (`envFrom.secretRef`, `dependsOn`). */
  field: string;
}

/** What a kustomization entry must point at. */
export type EntryExpectation = 'file' | 'dir' | 'file-or-dir';

/** One path listed in a kustomization file (or a Flux/Argo CD path field), with its range. */
export interface PathEntry {
  /** The field it is listed under: `resources`, `components`, `patches`, `configMapGenerator.files`, `spec.path`… */
  field: string;
  /** The path as written (a generator's `key=` prefix removed). */
  value: string;
  range: Range;
  expect: EntryExpectation;
  /** A remote URL (git, http, OCI): never resolved locally. */
  remote?: boolean;
  /** Linked when it exists, never reported missing (a kustomize `helmCharts` chart may be pulled from its repository instead). */
  optional?: boolean;
  /**
   * What the path is relative to: the kustomization's folder (`kustomization`),
   * the repository root (Flux `spec.path`, Argo CD `source.path`) or the
   * Flux Kustomization's path (`spec.components`).
   */
  base: 'kustomization' | 'root' | 'flux-path';
}

/** A kustomize configMapGenerator / secretGenerator entry. */
export interface GeneratorEntry {
  kind: 'ConfigMap' | 'Secret';
  name: string;
  namespace?: string;
  /** Range of the `name` value. */
  range: Range;
  /** True unless `disableNameSuffixHash` (entry options or generatorOptions). */
  hashed: boolean;
  behavior: 'create' | 'merge' | 'replace';
}

/** A kustomize `helmCharts` entry: rendered by helm, so its objects are not known. */
export interface HelmChartEntry {
  name: string;
  releaseName?: string;
  namespace?: string;
  range: Range;
}

/** A `nameReference` rule from a kustomization's `configurations` file: kustomize rewrites `path` of `referrerKind` to the final name of a `targetKind`. */
export interface NameReferenceRule {
  targetKind: string;
  referrerKind?: string;
  /** Slash-separated path without list indexes, as kustomize writes it (`spec/valuesFrom/name`). */
  path: string;
}

/** A top-level key of a document, for the outline. */
export interface DocumentSection {
  key: string;
  /** From the key to the end of its value. */
  range: Range;
  /** The key itself. */
  selectionRange: Range;
}
