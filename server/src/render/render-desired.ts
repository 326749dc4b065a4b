/**
 * Renders the desired state of a repository the way the GitOps agent would:
 * folders with a kustomization.yaml are built with kustomize, Flux
 * `postBuild.substitute` variables are applied, plain folders and files are
 * read as they are. Every rendered object remembers the file and range that
 * declares it so the plan can jump back to the source.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { KubeObject } from '../cluster/cluster-types.js';
import type { Range } from '../findings.js';
import { registerSecretValue } from '../secrets/mask-secrets.js';
import { Limiter, mapLimit } from '../util/concurrency.js';
import type { PreviewBinding } from './binding.js';
import { applyCommonMetadata, needsFluxBuild } from './flux-build.js';
import { resolveValuesFrom } from './helm-values-from.js';
import { detectTools, matchSource, NO_KUSTOMIZE_MESSAGE, parseStream, run } from './kustomize-build.js';
import { argoBuild, needsArgoBuild, renderArgoDirectory } from './render-argo.js';
import { fluxBuild, substituteObject } from './render-flux.js';
import { helmSourceOf, isHelmObject, renderHelmChart, type HelmRenderedObject } from './render-helm.js';
import { asIs, BUILD_CONCURRENCY, FileTexts, isYaml, kustomizationFileOf, READ_CONCURRENCY, readSourceDocs, SKIP_DIRS, within } from './repo-files.js';
import { indexWith, resolveUnits, withSiblingSources } from './repo-index.js';
import type { DesiredObject, RenderOptions, RenderProblem, RenderResult, Rendered, RenderTools, RenderUnit, UnitContext } from './render-types.js';
import type { SourceDocument } from './source-documents.js';

// The render pipeline's entry points and types, from the files that own them.
export type { DesiredObject, RenderOptions, RenderProblem, RenderResult, RenderTools, RenderUnit, SourceRef } from './render-types.js';
export { detectTools, findOnPath, NO_KUSTOMIZE_MESSAGE } from './kustomize-build.js';
export { kustomizationFileOf } from './repo-files.js';
export { indexRepository, resolveUnits, type RepoIndex } from './repo-index.js';
export { needsArgoBuild } from './render-argo.js';

const FILE_START: Range = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };

/** Says what of a HelmRelease / Argo CD Helm source is not previewed; undefined when its local chart(s) are rendered. */
function helmNote(object: KubeObject, tools: RenderTools, root: string): string | undefined {
  if (!isHelmObject(object)) return undefined;
  if (!tools.helm) return 'chart contents not previewed: needs helm';
  const sources = (object.spec as { sources?: unknown[]; source?: unknown } | undefined)?.sources;
  const indexes = object.kind === 'Application' && Array.isArray(sources) && !(object.spec as { source?: unknown }).source ? sources.map((_, i) => i) : [undefined];
  for (const i of indexes) {
    const source = helmSourceOf(object, root, i);
    if (source?.kind === 'remote') return `chart contents not previewed: chart ${source.chart} comes from a remote repository`;
    if (source?.kind === 'invalid') return `chart contents not previewed: ${source.message}`;
  }
  return undefined;
}

/** The document of `file` that declares the binding (Flux Kustomization or Argo CD Application of that name and namespace). */
async function bindingDocument(file: string, binding: PreviewBinding, texts: FileTexts, signal?: AbortSignal): Promise<SourceDocument | undefined> {
  const kind = binding.agent === 'flux' ? 'Kustomization' : 'Application';
  const docs = await readSourceDocs([file], texts, signal);
  const named = docs.filter((d) => d.kind === kind && d.name === binding.name && !d.apiVersion?.startsWith('kustomize.config.k8s.io/'));
  return named.find((d) => (d.namespace ?? (binding.agent === 'flux' ? 'flux-system' : 'argocd')) === binding.namespace) ?? named[0];
}

/** Helm output mapped to its template file (start of file: templates are not YAML), else to the declaring document. */
function fromHelm(rendered: HelmRenderedObject[], declaring: SourceDocument | undefined): Rendered[] {
  return rendered.map(({ object, templateFile }) =>
    templateFile ? { object, mapped: true, file: templateFile } : { object, doc: declaring, mapped: true },
  );
}

async function renderUnit(unit: RenderUnit, ctx: UnitContext): Promise<Rendered[]> {
  const { tools, patchFiles, texts, signal } = ctx;
  if (unit.kind === 'file') {
    const docs = await readSourceDocs([unit.root], texts, signal);
    return asIs(docs);
  }
  if (unit.kind === 'helm') {
    if (!tools.helm || !unit.helm) return [];
    const helm = tools.helm;
    const chart = unit.helm;
    const [rendered, declaring] = await Promise.all([
      ctx.builds.run(() => renderHelmChart(helm, chart, signal)),
      unit.declaredIn && unit.binding ? bindingDocument(unit.declaredIn, unit.binding, texts, signal) : undefined,
    ]);
    return fromHelm(rendered, declaring);
  }
  // A Flux Kustomization with build settings of its own: built like the controller does, plain folder or not.
  const flux = (unit.kind === 'kustomize' || unit.kind === 'folder') && needsFluxBuild(unit.binding);
  const argo = (unit.kind === 'kustomize' || unit.kind === 'folder') && needsArgoBuild(unit.binding);
  if (unit.kind === 'folder' && unit.binding?.agent === 'argo' && !argo) return renderArgoDirectory(unit, ctx);
  if (unit.kind === 'kustomize' || flux || argo) {
    if (!tools.kustomize) throw new Error(NO_KUSTOMIZE_MESSAGE);
    const kustomize = tools.kustomize;
    // The build and the reading of its sources (for the source mapping) are independent: overlap them.
    const [out, all] = await Promise.all([
      ctx.builds.run(() =>
        flux ? fluxBuild(unit, kustomize, ctx) : argo ? argoBuild(unit, kustomize, ctx) : run(kustomize.command, [...kustomize.args, unit.root], unit.root, signal),
      ),
      readSourceDocs(unit.files, texts, signal),
    ]);
    const isPatch = (d: SourceDocument) => patchFiles.has(d.file);
    const declarations = all.filter((d) => !isPatch(d));
    const patchDocs = all.filter(isPatch);
    return parseStream(out).map((object) => {
      const doc = matchSource(object, declarations) ?? matchSource(object, patchDocs);
      const patches = patchDocs.filter((p) => p.kind === object.kind && p.name && (object.metadata.name ?? '').includes(p.name));
      return { object, doc, mapped: true, patches };
    });
  }
  // A plain folder: Flux generates a kustomization over it; nested kustomizations are built, other YAML read as is.
  // The folder is walked first (in name order) and its parts rendered in parallel; results keep the walk order.
  const parts: RenderUnit[] = [];
  const visit = async (dir: string): Promise<void> => {
    signal?.throwIfAborted();
    if (dir !== unit.root && (await kustomizationFileOf(dir))) {
      const files = [...unit.files].filter((f) => within(f, dir));
      parts.push({ root: dir, kind: 'kustomize', files: new Set(files) });
      return;
    }
    const entries = (await fs.readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory() && !SKIP_DIRS.has(e.name) && !e.name.startsWith('.')) await visit(p);
      else if (e.isFile() && isYaml(e.name)) parts.push({ root: p, kind: 'file', files: new Set([p]) });
    }
  };
  await visit(unit.root);
  return (await mapLimit(parts, READ_CONCURRENCY, (part) => renderUnit(part, ctx), signal)).flat();
}

/**
 * Renders the desired state of the selected paths. Rendering failures
 * (kustomize errors, no kustomize) become {@link RenderProblem}s, never exceptions;
 * only cancellation throws.
 */
export async function renderDesired(opts: RenderOptions): Promise<RenderResult> {
  const texts = new FileTexts();
  const [detected, index] = await Promise.all([detectTools(), indexWith(opts.root, texts, opts.signal)]);
  const tools: RenderTools = { ...detected, ...(opts.tools ?? {}) };
  const { units: allUnits, notes } = resolveUnits(index, opts.paths, opts.bindings, { helm: !!tools.helm });
  // A folder unit is also touched by a file deleted from it (the index no longer lists that file).
  const touched = (u: RenderUnit) =>
    [...u.files].some((f) => opts.onlyFiles!.has(f)) || (u.kind !== 'file' && [...opts.onlyFiles!].some((f) => within(f, u.root)));
  const units = opts.onlyFiles ? withSiblingSources(allUnits.map((unit) => ({ unit, selected: touched(unit) }))) : allUnits;
  const objects: DesiredObject[] = [];
  const problems: RenderProblem[] = [];
  const maskValues = new Set<string>();
  const patchFiles = new Set([...index.kustomizations.values()].flatMap((k) => k.patchFiles));
  const ctx: UnitContext = { tools, patchFiles, texts, builds: new Limiter(BUILD_CONCURRENCY), root: opts.root, unitNotes: new Map(), signal: opts.signal };
  // Units are rendered concurrently (file reads and kustomize builds overlap); their results are used in unit order.
  const settled = await mapLimit(
    units,
    READ_CONCURRENCY,
    (unit) => renderUnit(unit, ctx).then(
      (rendered) => ({ rendered }),
      (error: unknown) => {
        if (opts.signal?.aborted) throw error;
        return { error };
      },
    ),
    opts.signal,
  );
  for (const [i, unit] of units.entries()) {
    opts.signal?.throwIfAborted();
    const result = settled[i]!;
    for (const n of ctx.unitNotes.get(unit.root) ?? []) if (!notes.includes(n)) notes.push(n);
    let rendered: Rendered[];
    if ('rendered' in result) rendered = result.rendered;
    else {
      const e = result.error;
      // A build that applies the binding's own fields (Flux build fields, Argo CD kustomize options) may fail because of
      // them, and the agent reports it on the binding: point at its document.
      const bindingDoc =
        unit.declaredIn && (unit.kind === 'helm' || needsFluxBuild(unit.binding) || needsArgoBuild(unit.binding))
          ? await bindingDocument(unit.declaredIn, unit.binding!, texts, opts.signal)
          : undefined;
      const file = bindingDoc
        ? bindingDoc.file
        : unit.kind === 'file' ? unit.root : unit.kind === 'helm' ? (unit.declaredIn ?? unit.root) : ((await kustomizationFileOf(unit.root)) ?? unit.root);
      problems.push({
        unit: unit.root,
        label: path.relative(opts.root, unit.root) || '.',
        file,
        ...(bindingDoc ? { range: bindingDoc.range } : {}),
        message: `${unit.kind === 'helm' ? 'helm template failed' : 'kustomize build failed'}: ${(e as Error).message}`,
        binding: unit.binding,
      });
      continue;
    }
    let vars: Record<string, string> | undefined;
    if (unit.binding?.agent === 'flux' && (unit.binding.substitute || unit.binding.substituteFrom?.length)) {
      vars = { ...(opts.substituteFromValues ? await opts.substituteFromValues(unit.binding) : {}), ...(unit.binding.substitute ?? {}) };
    }
    const unsetAll = new Set<string>();
    const common = unit.binding?.agent === 'flux' ? unit.binding.build?.commonMetadata : undefined;
    for (const r of rendered) {
      let object = r.object;
      if (vars) {
        const s = substituteObject(object, vars);
        object = s.object;
        for (const u of s.unset) unsetAll.add(u);
      }
      // kustomize-controller sets commonMetadata after the substitution (so it is not substituted itself).
      if (common) object = applyCommonMetadata(object, common);
      // For plain files the document is the exact source; with onlyFiles, loose files keep only their own objects.
      if (opts.onlyFiles && unit.kind === 'file' && !opts.onlyFiles.has(unit.root)) continue;
      objects.push({
        object,
        binding: unit.binding,
        unit: unit.root,
        source: r.doc
          ? { file: r.doc.file, range: r.doc.range, document: r.doc, mapped: r.mapped, ...(r.patches?.length ? { patches: r.patches } : {}) }
          : r.file
            ? { file: r.file, range: FILE_START, mapped: true }
            : undefined,
        note: helmNote(object, tools, opts.root),
      });
      // A Flux HelmRelease of a chart in this repository: helm-controller renders it; so does the preview.
      if (tools.helm && object.kind === 'HelmRelease' && isHelmObject(object)) {
        const source = helmSourceOf(object, opts.root);
        if (source?.kind !== 'local') continue;
        const release = `HelmRelease ${object.metadata.namespace ? `${object.metadata.namespace}/` : ''}${object.metadata.name}`;
        let chart = source.chart;
        let secretValues: string[] = [];
        // Reported on the HelmRelease's document.
        const helmProblem = (message: string) =>
          problems.push({
            unit: unit.root,
            label: path.relative(opts.root, source.chart.chartDir) || '.',
            file: r.doc?.file ?? unit.root,
            ...(r.doc ? { range: r.doc.range } : {}),
            message,
            binding: unit.binding,
          });
        if (chart.valuesFrom?.length) {
          if (!opts.readValuesSource) {
            notes.push(`${release}: valuesFrom not applied (no cluster access): rendered with spec.values only`);
          } else {
            try {
              // A HelmRelease's inline values are always a map (render-helm.ts reads nothing else).
              const inline = chart.values as Record<string, unknown> | undefined;
              const resolved = await resolveValuesFrom(chart.valuesFrom, chart.valuesFromNamespace ?? 'default', opts.readValuesSource, inline);
              chart = { ...chart, values: resolved.values };
              secretValues = resolved.secretValues;
              for (const v of secretValues) {
                registerSecretValue(v);
                maskValues.add(v);
              }
              for (const n of resolved.notes) notes.push(`${release}: ${n}`);
            } catch (e) {
              if (opts.signal?.aborted) throw e;
              helmProblem(`${release} cannot be rendered: ${(e as Error).message}`);
              continue;
            }
          }
        }
        try {
          for (const h of fromHelm(await renderHelmChart(tools.helm, chart, opts.signal), r.doc)) {
            objects.push({
              object: h.object,
              unit: unit.root,
              source: h.doc ? { file: h.doc.file, range: h.doc.range, document: h.doc, mapped: true } : h.file ? { file: h.file, range: FILE_START, mapped: true } : undefined,
              ...(secretValues.length ? { maskValues: secretValues } : {}),
            });
          }
        } catch (e) {
          if (opts.signal?.aborted) throw e;
          helmProblem(`helm template failed for HelmRelease ${object.metadata.name}: ${(e as Error).message}`);
        }
      }
    }
    for (const o of objects) {
      if (o.unit !== unit.root || !o.note) continue;
      const n = `${o.object.kind} ${o.object.metadata.namespace ? `${o.object.metadata.namespace}/` : ''}${o.object.metadata.name}: ${o.note}`;
      if (!notes.includes(n)) notes.push(n);
    }
    if (unsetAll.size) {
      notes.push(`${unit.root}: postBuild variables without a value were replaced by empty strings, as Flux does: ${[...unsetAll].sort().join(', ')}`);
    }
  }
  return { objects, problems, notes, units, bindings: index.bindings.map((b) => b.binding), maskValues: [...maskValues] };
}
