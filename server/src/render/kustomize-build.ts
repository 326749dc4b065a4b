/**
 * Plain kustomize: finding the tools (kustomize, or `kubectl kustomize`, and
 * helm) without a shell, running a build (in a mirror of the path when the
 * agent edits the kustomization first), parsing its output stream and mapping
 * rendered objects back to the documents that declare them.
 */
import { promises as fs, constants as fsConstants } from 'node:fs';
import * as path from 'node:path';
import type { KubeObject } from '../cluster/cluster-types.js';
import { runFile } from '../util/exec-file.js';
import { mirrorForBuild } from './flux-build.js';
import { yamlStreamValues } from './render-helm.js';
import { isKubeObject } from './repo-files.js';
import type { RenderTools, RenderUnit, UnitContext } from './render-types.js';
import type { SourceDocument } from './source-documents.js';

/** Finds an executable on PATH without a shell. */
export async function findOnPath(name: string, envPath = process.env.PATH ?? ''): Promise<string | undefined> {
  for (const dir of envPath.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      await fs.access(candidate, fsConstants.X_OK);
      const st = await fs.stat(candidate);
      if (st.isFile()) return candidate;
    } catch {
      // Not here; keep looking.
    }
  }
  return undefined;
}

let toolsCache: { at: number; tools: Promise<RenderTools> } | undefined;

/** Detects kustomize (standalone first, it is usually newer) or `kubectl kustomize`, and helm; remembered for a minute. */
export function detectTools(): Promise<RenderTools> {
  if (!toolsCache || Date.now() - toolsCache.at > 60_000) toolsCache = { at: Date.now(), tools: detectToolsNow() };
  return toolsCache.tools;
}

export async function detectToolsNow(): Promise<RenderTools> {
  const kustomize = await findOnPath('kustomize');
  const kubectl = kustomize ? undefined : await findOnPath('kubectl');
  const helm = await findOnPath('helm');
  return {
    kustomize: kustomize
      ? { command: kustomize, args: ['build', '--load-restrictor=LoadRestrictionsNone'] }
      : kubectl
        ? { command: kubectl, args: ['kustomize', '--load-restrictor=LoadRestrictionsNone'] }
        : undefined,
    helm,
  };
}

/** The message shown when a kustomization must be built and no tool exists. */
export const NO_KUSTOMIZE_MESSAGE =
  'Cannot build this kustomization: neither `kustomize` nor `kubectl` was found on PATH. Install kubectl (it includes kustomize) or kustomize, then preview again.';

/** Runs kustomize (execFile, no shell, 120 s); throws with the last lines of its own message. */
export function run(command: string, args: string[], cwd: string, signal?: AbortSignal): Promise<string> {
  return runFile(command, args, { cwd, maxBuffer: 256 * 1024 * 1024, timeout: 120_000, signal, env: process.env, errorLines: 5 });
}

/**
 * kustomize build of the unit's path with `kustomizationText` as its
 * kustomization, in a mirror of the path (flux-build.ts) so the repository is
 * not written; paths of the mirror in kustomize's messages are given back as the repository's.
 */
export async function buildInMirror(unit: RenderUnit, kustomizationText: string, kustomize: NonNullable<RenderTools['kustomize']>, ctx: UnitContext): Promise<string> {
  const mirror = await mirrorForBuild(ctx.root, unit.root, kustomizationText, ctx.signal);
  try {
    return await run(kustomize.command, [...kustomize.args, mirror.dir], mirror.dir, ctx.signal);
  } catch (e) {
    throw new Error((e as Error).message.split(mirror.root).join(mirror.base));
  } finally {
    await mirror.dispose();
  }
}

/** Parses kustomize output (a multi-document YAML stream) into objects. */
export function parseStream(text: string): KubeObject[] {
  return yamlStreamValues(text).filter(isKubeObject);
}

/** Matches a rendered object back to the source document that declares it (best effort). */
export function matchSource(object: KubeObject, docs: SourceDocument[]): SourceDocument | undefined {
  const name = object.metadata.name ?? '';
  const ns = object.metadata.namespace;
  const sameKind = docs.filter((d) => d.kind === object.kind && d.name);
  return (
    sameKind.find((d) => d.apiVersion === object.apiVersion && d.name === name && d.namespace === ns) ??
    sameKind.find((d) => d.name === name) ??
    // namePrefix / nameSuffix: the longest source name contained in the rendered name.
    sameKind.filter((d) => name.includes(d.name!)).sort((a, b) => b.name!.length - a.name!.length)[0]
  );
}
