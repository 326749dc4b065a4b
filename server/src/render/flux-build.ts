/**
 * Builds a Flux Kustomization's path the way kustomize-controller does when
 * the Kustomization sets build fields of its own (`spec.patches`,
 * `spec.images`, `spec.components`, `spec.namePrefix`, `spec.nameSuffix`):
 * the controller edits the path's kustomization.yaml (or the one it generates
 * for a plain folder) in its working copy of the source, adding those fields,
 * then runs kustomize build. The preview must never write into the user's
 * repository, so the edited file goes into a mirror of the path: a temporary
 * tree whose folders on the way from the repository root to the path are real
 * and everything else is a link to the original. Relative references
 * (`../base`, components, patch files) therefore resolve exactly as they do in
 * the controller's copy. `spec.commonMetadata` is not a kustomize field: it is
 * set on the built objects after postBuild substitution ({@link applyCommonMetadata}).
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import type { KubeObject } from '../cluster/cluster-types.js';
import type { FluxBuildOptions, PreviewBinding } from './binding.js';

/** The file names kustomize recognizes, in its order of preference. */
export const KUSTOMIZATION_FILE_NAMES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

/** True when the binding's build differs from a plain kustomize build of its folder (commonMetadata aside). */
export function needsFluxBuild(binding: PreviewBinding | undefined): boolean {
  const b = binding?.agent === 'flux' ? binding.build : undefined;
  return !!b && !!(b.patches?.length || b.images?.length || b.components?.length || b.namePrefix || b.nameSuffix);
}

/** fluxcd/pkg's rule for `spec.components`: local paths relative to the Kustomization's path, never remote or absolute. */
export function isLocalRelativePath(p: string): boolean {
  const lower = p.toLowerCase();
  for (const prefix of ['git::', 'gh:', 'ssh://', 'https://', 'http://', 'git@', 'github.com:', 'github.com/']) {
    if (prefix.length < p.length && lower.startsWith(prefix)) return false;
  }
  return !path.isAbsolute(p) && !path.isAbsolute(lower.replace(/^file:\/\//, ''));
}

/**
 * The kustomization kustomize-controller builds: `kustomization` (the path's
 * own file, parsed, or a generated one) with the Kustomization's settings.
 * `targetNamespace` becomes `namespace`, `namePrefix`/`nameSuffix` replace the
 * file's own, patches and components are appended, and an image override
 * replaces the file's entry with the same name or is appended. Throws, as the
 * controller does, for a component that is not a local relative path.
 * `componentExists` is consulted only with `ignoreMissingComponents`.
 */
export function editKustomization(
  kustomization: Record<string, unknown>,
  options: FluxBuildOptions,
  targetNamespace: string | undefined,
  componentExists: (component: string) => boolean = () => true,
): Record<string, unknown> {
  const k: Record<string, unknown> = { ...kustomization };
  const resources = k.resources;
  if (!Array.isArray(resources) || resources.length === 0) {
    // kustomize refuses an empty kustomization; this keeps one with only generators or components buildable, as Flux does.
    if (!Array.isArray(k.buildMetadata)) k.buildMetadata = ['originAnnotations'];
  }
  if (targetNamespace) k.namespace = targetNamespace;
  if (options.namePrefix) k.namePrefix = options.namePrefix;
  if (options.nameSuffix) k.nameSuffix = options.nameSuffix;
  if (options.patches?.length) {
    const patches = Array.isArray(k.patches) ? [...k.patches] : [];
    for (const p of options.patches) patches.push({ patch: p.patch, ...(p.target ? { target: { ...p.target } } : {}) });
    k.patches = patches;
  }
  if (options.components?.length) {
    const components = Array.isArray(k.components) ? [...k.components] : [];
    for (const c of options.components) {
      if (!isLocalRelativePath(c)) throw new Error(`component path '${c}' must be local and relative`);
      if (options.ignoreMissingComponents && !componentExists(c)) continue;
      components.push(c);
    }
    k.components = components;
  }
  if (options.images?.length) {
    const images = Array.isArray(k.images) ? [...(k.images as unknown[])] : [];
    for (const image of options.images) {
      const entry = { name: image.name, ...(image.newName ? { newName: image.newName } : {}), ...(image.newTag ? { newTag: image.newTag } : {}), ...(image.digest ? { digest: image.digest } : {}) };
      const i = images.findIndex((x) => !!x && typeof x === 'object' && (x as { name?: unknown }).name === image.name);
      if (i >= 0) images[i] = entry;
      else images.push(entry);
    }
    k.images = images;
  }
  return k;
}

/**
 * The kustomization kustomize-controller generates for a folder without one:
 * every `.yaml`/`.yml` file beneath it, and each subfolder that has its own
 * kustomization file as one resource (not descended into). Paths are relative
 * (`./apps/web.yaml`), in walk order.
 */
export async function generatedKustomization(dir: string, signal?: AbortSignal): Promise<Record<string, unknown>> {
  const resources: string[] = [];
  const walk = async (current: string): Promise<void> => {
    signal?.throwIfAborted();
    const entries = (await fs.readdir(current, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      const p = path.join(current, e.name);
      const rel = `./${path.relative(dir, p).split(path.sep).join('/')}`;
      if (e.isDirectory()) {
        if (e.name.startsWith('.')) continue;
        const names = new Set(await fs.readdir(p));
        if (KUSTOMIZATION_FILE_NAMES.some((n) => names.has(n))) resources.push(rel);
        else await walk(p);
      } else if (e.isFile() && /\.ya?ml$/.test(e.name) && !e.name.startsWith('.')) resources.push(rel);
    }
  };
  await walk(dir);
  return { apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources };
}

/** Creates a link to `target` at `at`; where symbolic links need privileges (Windows), a junction or a copy. */
async function linkTo(target: string, at: string, isDir: boolean): Promise<void> {
  try {
    await fs.symlink(target, at, isDir ? 'dir' : 'file');
  } catch (e) {
    if (process.platform !== 'win32') throw e;
    if (isDir) await fs.symlink(target, at, 'junction');
    else await fs.copyFile(target, at);
  }
}

/** A mirror of a folder with its own kustomization file; remove it with `dispose`. */
export interface BuildMirror {
  /** The folder to run kustomize build in. */
  dir: string;
  /** The temporary root, to replace by {@link BuildMirror.base} in kustomize's messages. */
  root: string;
  /** The real folder the temporary root stands for. */
  base: string;
  dispose(): Promise<void>;
}

/**
 * Mirrors `dir` under a temporary folder: the folders from `base` (the
 * repository root) down to `dir` are real, every other entry on the way is a
 * link to the original, and `dir` holds `kustomizationText` as its only
 * kustomization file. Only `dir` and its ancestors up to `base` are read.
 */
export async function mirrorForBuild(base: string, dir: string, kustomizationText: string, signal?: AbortSignal): Promise<BuildMirror> {
  const rel = path.relative(base, dir);
  const from = rel.startsWith('..') || path.isAbsolute(rel) ? path.parse(dir).root : base;
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'gitops-lens-flux-build-'));
  const dispose = () => fs.rm(root, { recursive: true, force: true });
  try {
    const parts = path.relative(from, dir).split(path.sep).filter(Boolean);
    let original = from;
    let mirror = root;
    for (let i = 0; i <= parts.length; i++) {
      signal?.throwIfAborted();
      const keep = parts[i];
      for (const e of await fs.readdir(original, { withFileTypes: true })) {
        if (e.name === keep) continue;
        // In the folder itself, its own kustomization file is replaced by the edited one.
        if (i === parts.length && KUSTOMIZATION_FILE_NAMES.includes(e.name)) continue;
        let isDir = e.isDirectory();
        if (e.isSymbolicLink()) isDir = await fs.stat(path.join(original, e.name)).then((s) => s.isDirectory(), () => false);
        await linkTo(path.join(original, e.name), path.join(mirror, e.name), isDir);
      }
      if (keep === undefined) break;
      original = path.join(original, keep);
      mirror = path.join(mirror, keep);
      await fs.mkdir(mirror);
    }
    await fs.writeFile(path.join(mirror, 'kustomization.yaml'), kustomizationText);
    return { dir: mirror, root, base: from, dispose };
  } catch (e) {
    await dispose();
    throw e;
  }
}

/**
 * The text of the kustomization kustomize-controller builds for `dir`:
 * its own kustomization file (or the generated one) edited with the binding's
 * settings.
 */
export async function fluxKustomizationText(dir: string, binding: PreviewBinding, signal?: AbortSignal): Promise<string> {
  const kustomization = (await readOwnKustomization(dir)) ?? (await generatedKustomization(dir, signal));
  const components = await existingComponents(dir, binding.build?.components);
  const edited = editKustomization(kustomization, binding.build ?? {}, binding.targetNamespace, (c) => components.has(c));
  return stringify(edited, { lineWidth: 0 });
}

/** The folder's own kustomization file, parsed (a file that is not a map reads as empty); undefined when it has none. */
export async function readOwnKustomization(dir: string): Promise<Record<string, unknown> | undefined> {
  for (const name of KUSTOMIZATION_FILE_NAMES) {
    const text = await fs.readFile(path.join(dir, name), 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    const parsed = parseYaml(text) as unknown;
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  }
  return undefined;
}

/** The components (relative to `dir`) whose path exists. */
export async function existingComponents(dir: string, components: readonly string[] = []): Promise<Set<string>> {
  const existing = new Set<string>();
  for (const c of components) if (await fs.stat(path.resolve(dir, c)).then(() => true, () => false)) existing.add(c);
  return existing;
}

/**
 * Sets a Flux Kustomization's `commonMetadata` on an object's own metadata
 * (never on templates or selectors); an existing key is overridden, as
 * kustomize-controller does after the build and the postBuild substitution.
 */
export function applyCommonMetadata(object: KubeObject, common: FluxBuildOptions['commonMetadata']): KubeObject {
  if (!common || (!common.labels && !common.annotations)) return object;
  const metadata = { ...object.metadata };
  if (common.labels) metadata.labels = { ...(metadata.labels ?? {}), ...common.labels };
  if (common.annotations) metadata.annotations = { ...(metadata.annotations ?? {}), ...common.annotations };
  return { ...object, metadata };
}
