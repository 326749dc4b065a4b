// Types for scripts/build-control-plane.mjs, which stays plain JavaScript so it runs before
// anything is compiled; the TypeScript harness and test runner import it through this file.

/** Paths of one cached, ready-to-run control plane. */
export interface ControlPlaneBinaries {
  /** Absolute path of the kube-apiserver binary. */
  apiserver: string;
  /** Absolute path of the etcd binary. */
  etcd: string;
  /** Folder with one YAML file per Flux / Argo CD CRD. */
  crdDir: string;
  /** The pinned Kubernetes release, e.g. "v1.37.2". */
  version: string;
  /** The pinned etcd release, e.g. "v3.7.0". */
  etcdVersion: string;
  /** The cache folder of this version pair. */
  dir: string;
}

/** Contents of test/controlplane/versions.json. */
export interface ControlPlaneVersions {
  kubernetes: string;
  etcd: string;
  controllerTools: string;
  crdModules: { module: string; version: string; dir?: string; generate?: boolean }[];
  requiredCrds: string[];
}

/** An error whose message is meant for people. */
export class ControlPlaneBuildError extends Error {}

export const controlPlaneModuleDir: string;
export function readVersions(): ControlPlaneVersions;
export function cacheRoot(): string;
export function controlPlaneCacheDir(versions?: ControlPlaneVersions): string;
/** Builds (once) and returns the cached binaries and CRDs; fast when already cached. */
export function ensureControlPlane(options?: { force?: boolean }): Promise<ControlPlaneBinaries>;
/** `go mod download -json MODULE@VERSION` outside any module; returns the extracted folder (throws ControlPlaneBuildError with the proxy's answer). */
export function downloadModule(module: string, version: string): string;
/** Builds controller-gen of that controller-tools release once into the cache; returns its path. */
export function ensureControllerGen(version: string): string;
