/**
 * The Argo CD seam of rendering: a kustomize source after the `kustomize edit`
 * commands the repo-server runs for `spec.source.kustomize`, and a directory
 * source read as the repo-server reads it (recurse, include/exclude, Jsonnet noted).
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { stringify as stringifyYaml } from 'yaml';
import { argoDirectoryIncludes, editArgoKustomization } from './argo-source.js';
import { bindingLabel, type PreviewBinding } from './binding.js';
import { existingComponents, readOwnKustomization } from './flux-build.js';
import { buildInMirror } from './kustomize-build.js';
import { asIs, readDocuments } from './repo-files.js';
import type { Rendered, RenderTools, RenderUnit, UnitContext } from './render-types.js';

/** True when an Argo CD Application's kustomize options change the build of its path (argo-source.ts). */
export function needsArgoBuild(binding: PreviewBinding | undefined): boolean {
  return binding?.agent === 'argo' && !!binding.argo?.kustomize;
}

/**
 * kustomize build of an Argo CD Application's path after the `kustomize edit`
 * commands the repo-server runs for `spec.source.kustomize`, in a mirror of
 * the path (flux-build.ts) so the repository is not written. Like Argo CD, it
 * fails when the path has no kustomization file to edit.
 */
export async function argoBuild(unit: RenderUnit, kustomize: NonNullable<RenderTools['kustomize']>, ctx: UnitContext): Promise<string> {
  const binding = unit.binding!;
  const own = await readOwnKustomization(unit.root);
  if (!own) throw new Error(`kustomization file not found in the path: Argo CD applies spec.source.kustomize with \`kustomize edit\`, which needs a kustomization.yaml in ${unit.root}`);
  const options = binding.argo!.kustomize!;
  const existing = await existingComponents(unit.root, options.components);
  const edited = editArgoKustomization(own, options, binding.argo!.env, (c) => existing.has(c));
  return buildInMirror(unit, stringifyYaml(edited, { lineWidth: 0 }), kustomize, ctx);
}

/** Directories an Argo CD directory source never descends into. */
export const ARGO_SKIP_DIRS = new Set(['.git']);

/**
 * An Argo CD directory source (a folder without kustomization or chart), as
 * the repo-server reads it: top-level manifests only unless `recurse`,
 * filtered by include/exclude, YAML and JSON parsed, Jsonnet noted as not previewed.
 */
export async function renderArgoDirectory(unit: RenderUnit, ctx: UnitContext): Promise<Rendered[]> {
  const options = unit.binding?.argo?.directory;
  const files: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    ctx.signal?.throwIfAborted();
    const entries = (await fs.readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      const p = path.join(dir, e.name);
      const rel = path.relative(unit.root, p).split(path.sep).join('/');
      if (e.isDirectory()) {
        if (options?.recurse && !ARGO_SKIP_DIRS.has(e.name)) await walk(p);
      } else if (e.isFile() && argoDirectoryIncludes(rel, options)) files.push(p);
    }
  };
  await walk(unit.root);
  const jsonnet = files.filter((f) => f.endsWith('.jsonnet'));
  if (jsonnet.length) {
    ctx.unitNotes.set(unit.root, [
      `${bindingLabel(unit.binding)}: Jsonnet files not previewed (${jsonnet.map((f) => path.relative(ctx.root, f)).join(', ')})`,
    ]);
  }
  const docs = await readDocuments(files.filter((f) => !f.endsWith('.jsonnet')), ctx.texts, ctx.signal);
  return asIs(docs);
}
