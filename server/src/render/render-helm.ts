/**
 * Renders local Helm charts the way Argo CD and Flux's helm-controller would:
 * `helm template` over a chart folder of this repository, with the values the
 * Application or HelmRelease declares. Charts from remote repositories are
 * never fetched (the preview makes no network calls besides the cluster).
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../cluster/cluster-types.js';
import { argoBuildEnv, argoEnvsubst } from './argo-source.js';
import { runFile } from '../util/exec-file.js';

/** A chart folder of this repository and how the agent renders it. */
export interface LocalHelmChart {
  /** Absolute chart folder (it holds Chart.yaml). */
  chartDir: string;
  releaseName: string;
  /** The release namespace (`--namespace`). */
  namespace?: string;
  /** Absolute values files, in order. */
  valueFiles: string[];
  /** Inline values (Argo `helm.values`/`valuesObject`, Flux `spec.values`), passed last as a temporary values file. */
  values?: unknown;
  /** Argo CD `helm.parameters`: `--set` or `--set-string`. */
  parameters: Array<{ name: string; value: string; forceString?: boolean }>;
  /** Argo CD `helm.fileParameters`: `--set-file name=<absolute path>`. */
  fileParameters?: Array<{ name: string; path: string }>;
  /** `--include-crds`: Argo CD renders the chart's crds/ folder unless `helm.skipCrds`. */
  includeCrds?: boolean;
  /** Argo CD `helm.skipTests`: `--skip-tests`. */
  skipTests?: boolean;
  /** Argo CD `helm.skipSchemaValidation`: `--skip-schema-validation`. */
  skipSchemaValidation?: boolean;
  /** Argo CD `helm.kubeVersion` / `helm.apiVersions`: `--kube-version`, `--api-versions`. */
  kubeVersion?: string;
  apiVersions?: string[];
  /** Argo CD `helm.ignoreMissingValueFiles`: value files that do not exist are left out instead of failing. */
  ignoreMissingValueFiles?: boolean;
  /** Flux HelmRelease `spec.valuesFrom`, resolved against the cluster before rendering (helm-values-from.ts). */
  valuesFrom?: ValuesReference[];
  /** Namespace the `valuesFrom` ConfigMaps and Secrets are read in (the HelmRelease's). */
  valuesFromNamespace?: string;
}

/** A Flux HelmRelease `spec.valuesFrom` entry. */
export interface ValuesReference {
  kind: 'ConfigMap' | 'Secret';
  name: string;
  /** Data key holding the values; default `values.yaml`. */
  valuesKey?: string;
  /** Where the key's value goes (Helm `--set` path syntax); without it the value is a YAML document merged at the root. */
  targetPath?: string;
  /** A missing ConfigMap/Secret is ignored (a missing key or a bad path still fails, as in helm-controller). */
  optional?: boolean;
}

/** What a HelmRelease or Argo CD Application's Helm source is. */
export type HelmSource =
  | { kind: 'local'; chart: LocalHelmChart }
  | { kind: 'remote'; chart: string }
  | { kind: 'invalid'; message: string };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);

/**
 * True for a Flux HelmRelease or an Argo CD Application with a Helm source:
 * the source at `sourceIndex` of a multi-source Application, else any of them.
 */
export function isHelmObject(object: KubeObject, sourceIndex?: number): boolean {
  if (object.kind === 'HelmRelease' && object.apiVersion.startsWith('helm.toolkit.fluxcd.io/')) return true;
  if (object.kind !== 'Application' || !object.apiVersion.startsWith('argoproj.io/')) return false;
  const isHelm = (source: Obj | undefined) => !!source && (typeof source.chart === 'string' || isObj(source.helm));
  const spec = object.spec as Obj | undefined;
  if (sourceIndex === undefined && isObj(spec) && !isObj(spec.source) && Array.isArray(spec.sources)) return spec.sources.some((x) => isObj(x) && isHelm(x));
  return isHelm(argoSource(object, sourceIndex));
}

/** `spec.source`, or the source at `sourceIndex` (default the first) of `spec.sources`. */
function argoSource(object: KubeObject, sourceIndex = 0): Obj | undefined {
  const spec = object.spec as Obj | undefined;
  if (!isObj(spec)) return undefined;
  if (isObj(spec.source)) return spec.source;
  return Array.isArray(spec.sources) && isObj(spec.sources[sourceIndex]) ? spec.sources[sourceIndex] : undefined;
}

/** The `ref` names of a multi-source Application's sources, for `$ref/...` value files. */
function argoRefs(object: KubeObject): Set<string> {
  const spec = object.spec as Obj | undefined;
  const sources = isObj(spec) && Array.isArray(spec.sources) ? spec.sources : [];
  return new Set(sources.filter(isObj).map((x) => str(x.ref)).filter((r): r is string => !!r));
}

/**
 * Reads the chart a HelmRelease or Argo CD Application renders (for a
 * multi-source Application, its source at `sourceIndex`, default the first;
 * `chartDetected` when the Application's path is a chart folder without a `helm` field).
 * `root` is the repository root that the agent's paths are relative to.
 * Returns undefined for objects without a Helm source. Does not check that
 * the chart folder exists.
 */
export function helmSourceOf(object: KubeObject, root: string, sourceIndex?: number, chartDetected = false): HelmSource | undefined {
  if (!chartDetected && !isHelmObject(object, sourceIndex ?? 0)) return undefined;
  const spec = (object.spec ?? {}) as Obj;
  const name = object.metadata.name ?? '';
  if (object.kind === 'Application') {
    const source = argoSource(object, sourceIndex)!;
    const refs = argoRefs(object);
    const relative = str(source.path);
    if (!relative) return { kind: 'remote', chart: str(source.chart) ?? str(source.repoURL) ?? name };
    const chartDir = path.resolve(root, relative);
    const helm = isObj(source.helm) ? source.helm : {};
    const destination = isObj(spec.destination) ? spec.destination : {};
    const env = argoBuildEnv(object as unknown as Obj, source);
    const valueFiles: string[] = [];
    for (const f of Array.isArray(helm.valueFiles) ? helm.valueFiles : []) {
      if (typeof f !== 'string') continue;
      const resolved = resolveArgoFilePath(f, chartDir, root, env, refs);
      if (typeof resolved !== 'string') return resolved;
      valueFiles.push(resolved);
    }
    const fileParameters: Array<{ name: string; path: string }> = [];
    for (const p of (Array.isArray(helm.fileParameters) ? helm.fileParameters : []).filter(isObj)) {
      if (typeof p.name !== 'string' || typeof p.path !== 'string') continue;
      const resolved = resolveArgoFilePath(p.path, chartDir, root, env, refs);
      if (typeof resolved !== 'string') return resolved;
      fileParameters.push({ name: p.name, path: resolved });
    }
    // Argo CD keeps parameters in a map (the last one of a name wins) and substitutes the build environment in their values.
    const byName = new Map<string, { name: string; value: string; forceString?: boolean }>();
    for (const p of (Array.isArray(helm.parameters) ? helm.parameters : []).filter(isObj)) {
      if (typeof p.name !== 'string') continue;
      byName.delete(p.name);
      byName.set(p.name, { name: p.name, value: argoEnvsubst(String(p.value ?? ''), env), ...(p.forceString === true ? { forceString: true } : {}) });
    }
    // valuesObject wins over values (Argo CD's ValuesYAML).
    const values = isObj(helm.valuesObject) ? helm.valuesObject : str(helm.values);
    const apiVersions = (Array.isArray(helm.apiVersions) ? helm.apiVersions : []).filter((v): v is string => typeof v === 'string' && v.length > 0);
    return {
      kind: 'local',
      chart: {
        chartDir,
        releaseName: str(helm.releaseName) ?? name,
        // `helm.namespace` overrides the destination namespace (Argo CD's GetNamespaceOrDefault).
        namespace: str(helm.namespace) ?? str(destination.namespace),
        valueFiles,
        values,
        parameters: [...byName.values()],
        ...(fileParameters.length ? { fileParameters } : {}),
        includeCrds: helm.skipCrds !== true,
        ...(helm.skipTests === true ? { skipTests: true } : {}),
        ...(helm.skipSchemaValidation === true ? { skipSchemaValidation: true } : {}),
        ...(str(helm.kubeVersion) ? { kubeVersion: str(helm.kubeVersion) } : {}),
        ...(apiVersions.length ? { apiVersions } : {}),
        ...(helm.ignoreMissingValueFiles === true ? { ignoreMissingValueFiles: true } : {}),
      },
    };
  }
  // Flux HelmRelease: spec.chart.spec.{chart, sourceRef, valuesFiles}, or spec.chartRef (OCIRepository / HelmChart).
  const chartSpec = isObj(spec.chart) && isObj(spec.chart.spec) ? spec.chart.spec : undefined;
  if (!chartSpec) {
    const ref = isObj(spec.chartRef) ? `${String(spec.chartRef.kind)} ${String(spec.chartRef.name)}` : name;
    return { kind: 'remote', chart: ref };
  }
  const chart = str(chartSpec.chart);
  if (!chart) return { kind: 'invalid', message: `HelmRelease ${name} has no spec.chart.spec.chart` };
  const sourceKind = isObj(chartSpec.sourceRef) ? str(chartSpec.sourceRef.kind) : undefined;
  if (sourceKind !== 'GitRepository') return { kind: 'remote', chart };
  const chartDir = path.resolve(root, chart);
  // helm-controller reads valuesFiles relative to the source root.
  const valueFiles = (Array.isArray(chartSpec.valuesFiles) ? chartSpec.valuesFiles : []).filter((f): f is string => typeof f === 'string').map((f) => path.resolve(root, f));
  const targetNamespace = str(spec.targetNamespace);
  const releaseName = str(spec.releaseName) ?? (targetNamespace ? `${targetNamespace}-${name}` : name);
  const valuesFrom = (Array.isArray(spec.valuesFrom) ? spec.valuesFrom : []).filter(isObj).flatMap((r): ValuesReference[] => {
    const kind = r.kind === 'ConfigMap' || r.kind === 'Secret' ? r.kind : undefined;
    const refName = str(r.name);
    if (!kind || !refName) return [];
    return [{ kind, name: refName, ...(str(r.valuesKey) ? { valuesKey: str(r.valuesKey) } : {}), ...(str(r.targetPath) ? { targetPath: str(r.targetPath) } : {}), ...(r.optional === true ? { optional: true } : {}) }];
  });
  return {
    kind: 'local',
    chart: {
      chartDir,
      releaseName,
      namespace: targetNamespace ?? object.metadata.namespace,
      valueFiles,
      values: isObj(spec.values) ? spec.values : undefined,
      parameters: [],
      ...(valuesFrom.length ? { valuesFrom, valuesFromNamespace: object.metadata.namespace ?? 'default' } : {}),
    },
  };
}

/**
 * Resolves an Argo CD value file or file parameter path the way the
 * repo-server does: build environment substituted, relative to the source
 * path, an absolute path taken from the repository root, and never outside
 * the repository. `$ref/path` (a multi-source Application's `ref` source) is
 * taken from the repository root, like every source path of the preview.
 * URLs are not fetched and an unknown `$ref` is not resolved: the chart is
 * then not previewed (an `invalid` source with the reason).
 */
function resolveArgoFilePath(raw: string, chartDir: string, root: string, env: Record<string, string>, refs: Set<string>): string | HelmSource {
  if (raw.startsWith('$')) {
    const ref = raw.slice(1).split('/')[0]!;
    if (!refs.has(ref)) return { kind: 'invalid', message: `value file ${raw} refers to a source that is not a ref source of this Application` };
    const rel = argoEnvsubst(raw.slice(ref.length + 2), env);
    const resolved = path.join(root, rel);
    const back = path.relative(root, resolved);
    if (back.startsWith('..') || path.isAbsolute(back)) return { kind: 'invalid', message: `value file ${raw} resolved to outside the repository root` };
    return resolved;
  }
  const p = argoEnvsubst(raw, env);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(p)) return { kind: 'invalid', message: `value file ${p} is a URL, which the preview does not fetch` };
  const resolved = path.isAbsolute(p) ? path.join(root, p) : path.resolve(chartDir, p);
  const rel = path.relative(root, resolved);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return { kind: 'invalid', message: `value file ${p} resolved to outside the repository root` };
  return resolved;
}

/**
 * Argo CD's `cleanSetParameters`: commas are escaped so a value stays one
 * value for `--set`, except a `{a,b}` list, which Helm reads as a list.
 */
export function escapeSetValue(value: string): string {
  if (value.startsWith('{') && value.endsWith('}')) return value;
  return value.replace(/(?<!\\),/g, '\\,');
}

/** The `helm template` arguments for a chart; `inlineValuesFile` is the temporary file holding its inline values. */
export function helmTemplateArgs(chart: LocalHelmChart, inlineValuesFile?: string): string[] {
  const args = ['template', chart.releaseName, chart.chartDir];
  if (chart.namespace) args.push('--namespace', chart.namespace);
  for (const f of chart.valueFiles) args.push('--values', f);
  if (inlineValuesFile) args.push('--values', inlineValuesFile);
  for (const p of chart.parameters) args.push(p.forceString ? '--set-string' : '--set', `${p.name}=${escapeSetValue(p.value)}`);
  for (const p of chart.fileParameters ?? []) args.push('--set-file', `${p.name}=${escapeSetValue(p.path)}`);
  if (chart.includeCrds) args.push('--include-crds');
  if (chart.skipTests) args.push('--skip-tests');
  if (chart.skipSchemaValidation) args.push('--skip-schema-validation');
  if (chart.kubeVersion) args.push('--kube-version', chart.kubeVersion);
  for (const v of chart.apiVersions ?? []) args.push('--api-versions', v);
  return args;
}

/** One object out of `helm template`, with the chart file its `# Source:` comment names. */
export interface HelmRenderedObject {
  object: KubeObject;
  /** Absolute path of the template that produced the object, when helm named it. */
  templateFile?: string;
}

const SOURCE_COMMENT = /^# Source: (.+)$/m;

/**
 * The values of a multi-document YAML stream (tool output), in order. A
 * document with errors, or with more alias expansions than the validation
 * engine allows (a YAML bomb), is skipped: the validation engine reports the source.
 */
export function yamlStreamValues(text: string): unknown[] {
  const out: unknown[] = [];
  for (const doc of parseAllDocuments(text) as Array<{ errors: unknown[]; toJS(o?: { maxAliasCount?: number }): unknown }>) {
    if (doc.errors.length) continue;
    try {
      out.push(doc.toJS({ maxAliasCount: 100 }));
    } catch {
      // Too many aliases or similar: skipped.
    }
  }
  return out;
}

/**
 * Parses `helm template` output. Helm writes `# Source: <chart>/templates/x.yaml`
 * before each document; the first path segment is the chart's name, the rest is
 * relative to the chart folder (subcharts are under `charts/<sub>/`).
 */
export function parseHelmOutput(output: string, chartDir: string): HelmRenderedObject[] {
  const out: HelmRenderedObject[] = [];
  // Documents are split at `---` lines, as the manifests parser does; each carries its own Source comment.
  for (const part of output.split(/^---[ \t]*$/m)) {
    const m = SOURCE_COMMENT.exec(part);
    let templateFile: string | undefined;
    if (m) {
      const rel = m[1].trim().split('/').slice(1).join('/');
      if (rel) templateFile = path.join(chartDir, ...rel.split('/'));
    }
    for (const v of yamlStreamValues(part)) {
      if (!isObj(v) || typeof v.apiVersion !== 'string' || typeof v.kind !== 'string' || !isObj(v.metadata) || typeof v.metadata.name !== 'string') continue;
      out.push({ object: v as unknown as KubeObject, ...(templateFile ? { templateFile } : {}) });
    }
  }
  return out;
}

/** Runs `helm template` (execFile, no shell, 120 s timeout) and parses its objects; throws with helm's own message. */
export async function renderHelmChart(helmPath: string, chart: LocalHelmChart, signal?: AbortSignal): Promise<HelmRenderedObject[]> {
  try {
    await fs.access(path.join(chart.chartDir, 'Chart.yaml'));
  } catch {
    throw new Error(`no Chart.yaml in ${chart.chartDir}`);
  }
  let tmpDir: string | undefined;
  try {
    let valuesFile: string | undefined;
    if (chart.values !== undefined && chart.values !== '') {
      tmpDir = await fs.mkdtemp(path.join(os.tmpdir(), 'gitops-lens-helm-'));
      valuesFile = path.join(tmpDir, 'values.yaml');
      // JSON is YAML; a string (Argo `helm.values`) is already YAML text.
      await fs.writeFile(valuesFile, typeof chart.values === 'string' ? chart.values : JSON.stringify(chart.values), { mode: 0o600 });
    }
    // Argo CD leaves out value files that do not exist when told to; helm itself fails on them.
    const valueFiles = chart.ignoreMissingValueFiles
      ? (await Promise.all(chart.valueFiles.map(async (f) => ((await fs.stat(f).then(() => true, () => false)) ? [f] : [])))).flat()
      : chart.valueFiles;
    const args = helmTemplateArgs({ ...chart, valueFiles }, valuesFile);
    // `helm template` of a local chart reads no repository and contacts no cluster, so no network is used.
    const output = await runFile(helmPath, args, { cwd: chart.chartDir, maxBuffer: 256 * 1024 * 1024, timeout: 120_000, signal, env: process.env, errorLines: 5 });
    return parseHelmOutput(output, chart.chartDir);
  } finally {
    if (tmpDir) await fs.rm(tmpDir, { recursive: true, force: true });
  }
}
