/**
 * The shape of the CRD catalog under `schemas/catalog/`: CRD schemas of the
 * ecosystem's projects (Flux, Argo CD, cert-manager, Gateway API, …), generated
 * from each project's Go module by `npm run schemas:update`. Shared by the
 * writer (scripts) and the reader (the registry), so both agree on the layout.
 */
import type { KindEntry, RetiredKind } from './schema-types.js';

/** One project of the catalog, at the version its schemas come from. */
export interface CatalogProject {
  /** Short id used by kinds and messages, e.g. `cert-manager`. */
  id: string;
  /** Name for people, e.g. `cert-manager`, `Flux helm-controller`. */
  name: string;
  /** Go module the CRDs were read from. */
  module: string;
  /** Pinned module version, e.g. `v1.21.2`. */
  version: string;
}

/** A kind of the catalog, with the project that defines it. */
export interface CatalogKind extends KindEntry {
  project: string;
}

/** A version a project no longer serves, with the project that dropped it. */
export interface CatalogRetiredKind extends RetiredKind {
  project: string;
}

/**
 * `schemas/catalog/index.json`. Definitions live in `schemas/catalog/<package>.json`, one
 * file per group/version (the package of a CRD definition name, e.g. `io.cert-manager.v1`),
 * read only when a document of that group/version is validated.
 */
export interface CatalogIndex {
  format: 1;
  projects: CatalogProject[];
  kinds: CatalogKind[];
  retired: CatalogRetiredKind[];
  packages: string[];
}
