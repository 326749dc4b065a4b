/**
 * Renders local Helm charts the way Argo CD and Flux's helm-controller would:
 * `helm template` over a chart folder of this repository, with the values the
 * Application or HelmRelease declares. Charts from remote repositories are
 * never fetched (the preview makes no network calls besides the cluster).
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../cluster/cluster-types.js';

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
}

/** What a HelmRelease or Argo CD Application's Helm source is. */
export type HelmSource =
  | { kind: 'local'; chart: LocalHelmChart }
  | { kind: 'remote'; chart: string }
  | { kind: 'invalid'; message: string };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);

/** True for a Flux HelmRelease or an Argo CD Application whose (first) source is a Helm chart. */
export function isHelmObject(object: KubeObject): boolean {
  if (object.kind === 'HelmRelease' && object.apiVersion.startsWith('helm.toolkit.fluxcd.io/')) return true;
  if (object.kind !== 'Application' || !object.apiVersion.startsWith('argoproj.io/')) return false;
  const source = argoSource(object);
  return !!source && (typeof source.chart === 'string' || isObj(source.helm));
}

function argoSource(object: KubeObject): Obj | undefined {
  const spec = object.spec as Obj | undefined;
  if (!isObj(spec)) return undefined;
  if (isObj(spec.source)) return spec.source;
  return Array.isArray(spec.sources) && isObj(spec.sources[0]) ? spec.sources[0] : undefined;
}

/**
 * Reads the chart a HelmRelease or Argo CD Application renders. `root` is the
 * repository root that the agent's paths are relative to. Returns undefined
 * for objects without a Helm source. Does not check that the chart folder exists.
 */
export function helmSourceOf(object: KubeObject, root: string): HelmSource | undefined {
  if (!isHelmObject(object)) return undefined;
  const spec = (object.spec ?? {}) as Obj;
  const name = object.metadata.name ?? '';
  if (object.kind === 'Application') {
    const source = argoSource(object)!;
    const relative = str(source.path);
    if (!relative) return { kind: 'remote', chart: str(source.chart) ?? str(source.repoURL) ?? name };
    const chartDir = path.resolve(root, relative);
    const helm = isObj(source.helm) ? source.helm : {};
    const destination = isObj(spec.destination) ? spec.destination : {};
    // Argo CD resolves valueFiles relative to the source path.
    const valueFiles = (Array.isArray(helm.valueFiles) ? helm.valueFiles : []).filter((f): f is string => typeof f === 'string').map((f) => path.resolve(chartDir, f));
    const parameters = (Array.isArray(helm.parameters) ? helm.parameters : [])
      .filter(isObj)
      .filter((p) => typeof p.name === 'string')
      .map((p) => ({ name: String(p.name), value: String(p.value ?? ''), ...(p.forceString === true ? { forceString: true } : {}) }));
    const values = isObj(helm.valuesObject) ? helm.valuesObject : str(helm.values);
    return {
      kind: 'local',
      chart: { chartDir, releaseName: str(helm.releaseName) ?? name, namespace: str(destination.namespace), valueFiles, values, parameters },
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
  return {
    kind: 'local',
    chart: {
      chartDir,
      releaseName,
      namespace: targetNamespace ?? object.metadata.namespace,
      valueFiles,
      values: isObj(spec.values) ? spec.values : undefined,
      parameters: [],
    },
  };
}

/** The `helm template` arguments for a chart; `inlineValuesFile` is the temporary file holding its inline values. */
export function helmTemplateArgs(chart: LocalHelmChart, inlineValuesFile?: string): string[] {
  const args = ['template', chart.releaseName, chart.chartDir];
  if (chart.namespace) args.push('--namespace', chart.namespace);
  for (const f of chart.valueFiles) args.push('--values', f);
  if (inlineValuesFile) args.push('--values', inlineValuesFile);
  for (const p of chart.parameters) args.push(p.forceString ? '--set-string' : '--set', `${p.name}=${p.value}`);
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
    for (const doc of parseAllDocuments(part) as Array<{ errors: unknown[]; toJS(o?: { maxAliasCount?: number }): unknown }>) {
      if (doc.errors.length) continue;
      let v: unknown;
      try {
        v = doc.toJS({ maxAliasCount: 100 });
      } catch {
        continue;
      }
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
    const args = helmTemplateArgs(chart, valuesFile);
    const output = await new Promise<string>((resolve, reject) => {
      // `helm template` of a local chart reads no repository and contacts no cluster, so no network is used.
      execFile(helmPath, args, { cwd: chart.chartDir, maxBuffer: 256 * 1024 * 1024, timeout: 120_000, signal, env: process.env }, (err, stdout, stderr) => {
        if (err) reject(new Error(String(stderr || err.message).trim().split('\n').slice(-5).join('\n')));
        else resolve(stdout);
      });
    });
    return parseHelmOutput(output, chart.chartDir);
  } finally {
    if (tmpDir) await fs.rm(tmpDir, { recursive: true, force: true });
  }
}
