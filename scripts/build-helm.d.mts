/** Types of build-helm.mjs for the TypeScript tests. */
export declare const HELM_VERSION: string;
/** The helm binary the tests use: GITOPS_LENS_HELM, else the cached build (which may not exist yet). */
export declare function helmBinaryPath(): string;
/** Builds helm into the cache unless it is already there; returns its path. */
export declare function ensureHelm(options?: { force?: boolean }): string;
