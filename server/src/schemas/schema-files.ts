/**
 * The on-disk layout of the committed schemas, read lazily: the bundle
 * (`schemas/index.json`, `schemas/definitions/`, `schemas/kustomize.json`), the
 * CRD catalog (`schemas/catalog/`) and older Kubernetes versions
 * (`schemas/kubernetes/`). Only index files are read up front; a definitions
 * file is read the first time one of its definitions is needed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CatalogIndex } from './catalog-types.js';
import type { KubernetesVersionDiff, KubernetesVersionsIndex } from './kubernetes-versions.js';
import type { BundleIndex, DefinitionMap, KindEntry } from './schema-types.js';

/** The CRD catalog (`schemas/catalog/`): its index is read on first use, each group/version file when needed. */
export interface CatalogData {
  index(): CatalogIndex;
  readPackage(pkg: string): DefinitionMap | undefined;
}

/** The data of a bundle: index plus a way to read a definition package. */
export interface BundleData {
  index: BundleIndex;
  readPackage(pkg: string): DefinitionMap | undefined;
  /** Extra hand-written definitions and kinds (the kustomization schema). */
  extra?: { definitions: DefinitionMap; kinds: KindEntry[] };
  /** The ecosystem's CRDs. */
  catalog?: CatalogData;
  /** Older Kubernetes versions (diffs against this bundle) and the API lifecycle table. */
  kubernetes?: KubernetesData;
}

/** `schemas/kubernetes/`: read on first use. */
export interface KubernetesData {
  index(): KubernetesVersionsIndex;
  readVersion(file: string): KubernetesVersionDiff;
}

/** Reads `schemas/kubernetes/` lazily; undefined when there is none. */
export function readKubernetesDirectory(dir: string): KubernetesData | undefined {
  const indexFile = path.join(dir, 'index.json');
  if (!fs.existsSync(indexFile)) return undefined;
  let index: KubernetesVersionsIndex | undefined;
  const diffs = new Map<string, KubernetesVersionDiff>();
  return {
    index: () => (index ??= JSON.parse(fs.readFileSync(indexFile, 'utf8')) as KubernetesVersionsIndex),
    readVersion(file) {
      let d = diffs.get(file);
      if (!d) diffs.set(file, (d = JSON.parse(fs.readFileSync(path.join(dir, path.basename(file)), 'utf8')) as KubernetesVersionDiff));
      return d;
    },
  };
}

/** Reads the catalog folder lazily; undefined when there is none. */
export function readCatalogDirectory(dir: string): CatalogData | undefined {
  const indexFile = path.join(dir, 'index.json');
  if (!fs.existsSync(indexFile)) return undefined;
  let index: CatalogIndex | undefined;
  let packages: Set<string> | undefined;
  const load = (): CatalogIndex => {
    index ??= JSON.parse(fs.readFileSync(indexFile, 'utf8')) as CatalogIndex;
    packages ??= new Set(index.packages);
    return index;
  };
  return {
    index: load,
    readPackage(pkg) {
      load();
      if (!packages!.has(pkg)) return undefined;
      return JSON.parse(fs.readFileSync(path.join(dir, `${pkg}.json`), 'utf8'));
    },
  };
}

/** Reads a bundle from a `schemas/` folder (index.json, definitions/*.json, kustomize.json). */
export function readBundleDirectory(dir: string): BundleData {
  const indexFile = path.join(dir, 'index.json');
  const index: BundleIndex = fs.existsSync(indexFile)
    ? JSON.parse(fs.readFileSync(indexFile, 'utf8'))
    : { format: 1, kubernetesVersion: 'unknown', source: 'none', crds: [], kinds: [], packages: [] };
  const packages = new Set(index.packages);
  let extra: BundleData['extra'];
  const kustomizeFile = path.join(dir, 'kustomize.json');
  if (fs.existsSync(kustomizeFile)) extra = JSON.parse(fs.readFileSync(kustomizeFile, 'utf8'));
  return {
    index,
    extra,
    catalog: readCatalogDirectory(path.join(dir, 'catalog')),
    kubernetes: readKubernetesDirectory(path.join(dir, 'kubernetes')),
    readPackage(pkg) {
      if (!packages.has(pkg)) return undefined;
      return JSON.parse(fs.readFileSync(path.join(dir, 'definitions', `${pkg}.json`), 'utf8'));
    },
  };
}

/** Finds the `schemas/` folder: next to the bundle (dist/), or at the repository root when run from source. */
export function findSchemasDir(): string | undefined {
  const candidates: string[] = [];
  if (process.env.GITOPS_LENS_SCHEMAS) candidates.push(process.env.GITOPS_LENS_SCHEMAS);
  let dir = typeof __dirname === 'string' ? __dirname : process.cwd();
  for (let i = 0; i < 6; i++) {
    candidates.push(path.join(dir, 'schemas'));
    dir = path.dirname(dir);
  }
  candidates.push(path.join(process.cwd(), 'schemas'));
  return candidates.find((c) => fs.existsSync(path.join(c, 'index.json')));
}
