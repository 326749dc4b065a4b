/**
 * The one typed view of GitOps Lens' settings (`gitopsLens.*` in VS Code).
 * The server pulls them per resource with `workspace/configuration`
 * (see settings-service.ts) and normalizes whatever arrives here, so a
 * hand-edited settings.json with a wrong type degrades to the default instead
 * of breaking validation. Pure code: the client can import it too.
 */
import { allChecksOn, REFERENCE_CHECK_CODES, type ReferenceCheck } from './reference-check-codes.js';

/** A folder-to-cluster mapping from `gitopsLens.bindings`. */
export interface BindingSetting {
  /** Glob relative to the workspace folder, e.g. `clusters/production/**`. */
  glob: string;
  context: string;
  namespace?: string;
}

/** A field drift should ignore, from `gitopsLens.ignoreDifferences` (Argo CD's ignoreDifferences shape). */
export interface IgnoreDifferencesSetting {
  group?: string;
  kind: string;
  name?: string;
  namespace?: string;
  /** RFC 6901 pointers into the object, e.g. `/spec/replicas`. */
  jsonPointers: string[];
}

/** Value of `gitopsLens.trace.server`. */
export type TraceSetting = 'off' | 'messages' | 'verbose';

/** All of GitOps Lens' settings, as the server sees them for one resource. */
export interface GitOpsLensSettings {
  /** Path of the kubeconfig file; empty means `KUBECONFIG` or `~/.kube/config`. Machine scope. */
  kubeconfig: string;
  /** Context to use when no binding applies; empty means the kubeconfig's current context. */
  context: string;
  bindings: BindingSetting[];
  validation: {
    enable: boolean;
    /** Delay between the last keystroke and validation. */
    debounceMs: number;
  };
  drift: {
    enable: boolean;
  };
  preview: {
    /** Field manager for the dry-run apply; empty means the agent's own (`kustomize-controller` for Flux, `argocd-controller` for Argo CD). */
    fieldManager: string;
  };
  ignoreDifferences: IgnoreDifferencesSetting[];
  /** Broken-reference checks (server/src/graph): all on by default, each can be switched off. */
  references: {
    enable: boolean;
    checks: Record<ReferenceCheck, boolean>;
  };
  trace: {
    server: TraceSetting;
  };
  /** Files larger than this are neither validated nor scanned. */
  maxFileSizeKB: number;
  workspaceScan: {
    /** Upper bound on files read by the startup scan of each workspace folder. */
    maxFiles: number;
  };
  /** Kubernetes minor that built-in kinds are validated for (`1.34`); empty means the bound cluster's version, else the newest bundled. */
  kubernetesVersion: string;
}

/** The defaults; they match the `default`s in package.json's `contributes.configuration`. */
export const DEFAULT_SETTINGS: GitOpsLensSettings = {
  kubeconfig: '',
  context: '',
  bindings: [],
  validation: { enable: true, debounceMs: 150 },
  drift: { enable: true },
  preview: { fieldManager: '' },
  ignoreDifferences: [],
  references: { enable: true, checks: allChecksOn() },
  trace: { server: 'off' },
  maxFileSizeKB: 1024,
  workspaceScan: { maxFiles: 20000 },
  kubernetesVersion: '',
};

function obj(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}
function str(v: unknown, d: string): string {
  return typeof v === 'string' ? v.trim() : d;
}
function bool(v: unknown, d: boolean): boolean {
  return typeof v === 'boolean' ? v : d;
}
function num(v: unknown, d: number, min: number, max: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? Math.min(max, Math.max(min, v)) : d;
}

/**
 * Turns the raw `gitopsLens` section (nested objects, as VS Code returns a
 * section) into complete settings. Wrong types fall back to the default,
 * numbers are clamped and malformed list entries are dropped.
 */
export function normalizeSettings(raw: unknown): GitOpsLensSettings {
  const r = obj(raw);
  const d = DEFAULT_SETTINGS;
  const validation = obj(r.validation);
  const drift = obj(r.drift);
  const preview = obj(r.preview);
  const trace = obj(r.trace);
  const scan = obj(r.workspaceScan);
  const bindings: BindingSetting[] = Array.isArray(r.bindings)
    ? r.bindings.flatMap((b) => {
        const o = obj(b);
        if (typeof o.glob !== 'string' || typeof o.context !== 'string' || !o.glob || !o.context) return [];
        return [{ glob: o.glob, context: o.context, ...(typeof o.namespace === 'string' && o.namespace ? { namespace: o.namespace } : {}) }];
      })
    : [];
  const ignoreDifferences: IgnoreDifferencesSetting[] = Array.isArray(r.ignoreDifferences)
    ? r.ignoreDifferences.flatMap((e) => {
        const o = obj(e);
        if (typeof o.kind !== 'string' || !Array.isArray(o.jsonPointers)) return [];
        const entry: IgnoreDifferencesSetting = {
          kind: o.kind,
          jsonPointers: o.jsonPointers.filter((p): p is string => typeof p === 'string' && p.startsWith('/')),
        };
        if (typeof o.group === 'string') entry.group = o.group;
        if (typeof o.name === 'string') entry.name = o.name;
        if (typeof o.namespace === 'string') entry.namespace = o.namespace;
        return [entry];
      })
    : [];
  const references = obj(r.references);
  const checks = obj(references.checks);
  const traceServer = trace.server === 'messages' || trace.server === 'verbose' ? trace.server : 'off';
  return {
    kubeconfig: str(r.kubeconfig, d.kubeconfig),
    context: str(r.context, d.context),
    bindings,
    validation: {
      enable: bool(validation.enable, d.validation.enable),
      debounceMs: num(validation.debounceMs, d.validation.debounceMs, 0, 5000),
    },
    drift: { enable: bool(drift.enable, d.drift.enable) },
    preview: { fieldManager: str(preview.fieldManager, d.preview.fieldManager) },
    ignoreDifferences,
    references: {
      enable: bool(references.enable, d.references.enable),
      checks: Object.fromEntries(REFERENCE_CHECK_CODES.map((c) => [c, bool(checks[c], true)])) as Record<ReferenceCheck, boolean>,
    },
    trace: { server: traceServer },
    maxFileSizeKB: num(r.maxFileSizeKB, d.maxFileSizeKB, 1, 1024 * 1024),
    workspaceScan: { maxFiles: num(scan.maxFiles, d.workspaceScan.maxFiles, 0, 1_000_000) },
    kubernetesVersion: /^v?\d+\.\d+(\.\d+)?$/.test(str(r.kubernetesVersion, '')) ? str(r.kubernetesVersion, '') : d.kubernetesVersion,
  };
}
