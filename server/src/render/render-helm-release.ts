/**
 * A Flux HelmRelease whose chart is in this repository, rendered as helm-controller would:
 * `valuesFrom` resolved against the cluster, the chart rendered with helm, objects without a
 * namespace given the release namespace. Values from Secrets never reach helm: they are
 * replaced by placeholder tokens (secret-placeholders.ts), and the chart is rendered three
 * times (tokens A, tokens A again, tokens B of another length). A field that differs between
 * A and B but not between A and A again was derived from a Secret, whatever the chart did to
 * the value (`upper`, `b64enc | b64enc`, `printf`, a hash): it is marked "derived from Secret
 * X: not compared". Fields that differ between A and A again are the chart's own randomness.
 */
import * as path from 'node:path';
import type { KubeObject } from '../cluster/cluster-types.js';
import type { Range } from '../findings.js';
import { registerSecretValue } from '../secrets/mask-secrets.js';
import { SecretPlaceholders, type SecretDerivedField } from '../secrets/secret-placeholders.js';
import { checkChartSources } from './helm-confinement.js';
import { resolveValuesFrom, type ValuesSourceReader } from './helm-values-from.js';
import { helmSourceOf, renderHelmChart, type HelmRenderedObject, type LocalHelmChart } from './render-helm.js';
import type { DesiredObject, RenderOptions, RenderProblem, Rendered, RenderUnit } from './render-types.js';
import { ConfinementError } from './source-confinement.js';

const FILE_START: Range = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);

/** What rendering one HelmRelease adds to the render. */
export interface HelmReleaseResult {
  objects: DesiredObject[];
  problems: RenderProblem[];
  notes: string[];
  /** Real Secret values used (only without placeholders, i.e. never from a preview with a cluster): masked in messages. */
  maskValues: string[];
}

/** A reader that asks the cluster once per object, however often the values are resolved. */
function memoized(read: ValuesSourceReader): ValuesSourceReader {
  const seen = new Map<string, ReturnType<ValuesSourceReader>>();
  return (kind, namespace, name) => {
    const k = `${kind}/${namespace}/${name}`;
    let p = seen.get(k);
    if (!p) seen.set(k, (p = read(kind, namespace, name)));
    return p;
  };
}

const keyOf = (o: KubeObject) => `${o.apiVersion}|${o.kind}|${o.metadata?.namespace ?? ''}|${o.metadata?.name ?? ''}`;

/** The leaf paths where `a` and `b` differ (a whole subtree when its shape differs). */
function differingPaths(a: unknown, b: unknown, at: Array<string | number>, out: Array<Array<string | number>>): void {
  if (a === b) return;
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    a.forEach((x, i) => differingPaths(x, b[i], [...at, i], out));
    return;
  }
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) differingPaths((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], [...at, k], out);
    return;
  }
  out.push(at);
}

function valueAt(o: unknown, p: Array<string | number>): unknown {
  let v = o;
  for (const k of p) v = v && typeof v === 'object' ? (v as Record<string | number, unknown>)[k] : undefined;
  return v;
}

/** The Secret-derived fields of each object of render `a` (see the file comment). */
function derivedFields(a: HelmRenderedObject[], again: HelmRenderedObject[], b: HelmRenderedObject[], placeholders: SecretPlaceholders): Map<HelmRenderedObject, SecretDerivedField[]> {
  const byKey = (list: HelmRenderedObject[]) => new Map(list.map((h) => [keyOf(h.object), h.object]));
  const againByKey = byKey(again);
  const bByKey = byKey(b);
  const all = placeholders.secrets().join(', ');
  const out = new Map<HelmRenderedObject, SecretDerivedField[]>();
  for (const h of a) {
    const key = keyOf(h.object);
    const other = bByKey.get(key);
    // An object whose identity depends on a Secret: all of it is derived.
    if (!other) {
      out.set(h, [{ path: [], secret: all }]);
      continue;
    }
    const changed: Array<Array<string | number>> = [];
    differingPaths(h.object, other, [], changed);
    const random: Array<Array<string | number>> = [];
    differingPaths(h.object, againByKey.get(key), [], random);
    const randomKeys = new Set(random.map((p) => JSON.stringify(p)));
    const fields = changed
      .filter((p) => !randomKeys.has(JSON.stringify(p)))
      .map((p) => ({ path: p, secret: placeholders.secretsIn(String(valueAt(h.object, p) ?? '')).join(', ') || all }));
    if (fields.length) out.set(h, fields);
  }
  return out;
}

/** Renders the chart of HelmRelease `object` (rendered as `r` in `unit`); problems are reported on its document. */
export async function renderHelmRelease(object: KubeObject, r: Rendered, unit: RenderUnit, opts: RenderOptions, helm: string): Promise<HelmReleaseResult> {
  const result: HelmReleaseResult = { objects: [], problems: [], notes: [], maskValues: [] };
  const source = helmSourceOf(object, opts.root);
  if (source?.kind !== 'local') return result;
  const release = `HelmRelease ${object.metadata.namespace ? `${object.metadata.namespace}/` : ''}${object.metadata.name}`;
  const problem = (message: string) =>
    result.problems.push({
      unit: unit.root,
      label: path.relative(opts.root, source.chart.chartDir) || '.',
      file: r.doc?.file ?? unit.root,
      ...(r.doc ? { range: r.doc.range } : {}),
      message,
      binding: unit.binding,
    });
  const chart: LocalHelmChart = source.chart;
  // helm-controller installs what the chart leaves without a namespace in the release namespace.
  const releaseNamespace = str((object.spec as Record<string, unknown> | undefined)?.targetNamespace) ?? object.metadata.namespace ?? unit.binding?.targetNamespace;
  const render = (values: unknown) => renderHelmChart(helm, { ...chart, values }, opts.signal);
  let rendered: HelmRenderedObject[];
  let derived = new Map<HelmRenderedObject, SecretDerivedField[]>();
  try {
    await checkChartSources(opts.root, chart, opts.signal);
    if (chart.valuesFrom?.length && !opts.readValuesSource) {
      result.notes.push(`${release}: valuesFrom not applied (no cluster access): rendered with spec.values only`);
      rendered = await render(chart.values);
    } else if (chart.valuesFrom?.length) {
      const read = memoized(opts.readValuesSource!);
      // A HelmRelease's inline values are always a map (render-helm.ts reads nothing else).
      const inline = chart.values as Record<string, unknown> | undefined;
      const namespace = chart.valuesFromNamespace ?? 'default';
      const a = new SecretPlaceholders();
      const b = new SecretPlaceholders('vb');
      let resolvedA;
      let resolvedB;
      try {
        resolvedA = await resolveValuesFrom(chart.valuesFrom, namespace, read, inline, a);
        resolvedB = await resolveValuesFrom(chart.valuesFrom, namespace, read, inline, b);
      } catch (e) {
        if (opts.signal?.aborted) throw e;
        problem(`${release} cannot be rendered: ${(e as Error).message}`);
        return result;
      }
      for (const n of resolvedA.notes) result.notes.push(`${release}: ${n}`);
      for (const v of resolvedA.secretValues) {
        registerSecretValue(v);
        result.maskValues.push(v);
      }
      rendered = await render(resolvedA.values);
      if (a.used) {
        const [again, other] = await Promise.all([render(resolvedA.values), render(resolvedB.values)]);
        derived = derivedFields(rendered, again, other, a);
      }
    } else {
      rendered = await render(chart.values);
    }
  } catch (e) {
    if (opts.signal?.aborted) throw e;
    problem(e instanceof ConfinementError ? `${release} cannot be rendered: ${e.message}` : `helm template failed for HelmRelease ${object.metadata.name}: ${(e as Error).message}`);
    return result;
  }
  for (const h of rendered) {
    const doc = h.templateFile ? undefined : r.doc;
    const fields = derived.get(h);
    result.objects.push({
      object: h.object,
      unit: unit.root,
      source: doc ? { file: doc.file, range: doc.range, document: doc, mapped: true } : h.templateFile ? { file: h.templateFile, range: FILE_START, mapped: true } : undefined,
      ...(result.maskValues.length ? { maskValues: result.maskValues } : {}),
      ...(releaseNamespace ? { releaseNamespace } : {}),
      ...(fields?.length ? { secretDerived: fields } : {}),
    });
  }
  return result;
}
