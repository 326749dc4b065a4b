/**
 * The Flux seam of rendering: a Kustomization with build fields of its own is
 * built the way kustomize-controller builds it (flux-build.ts writes them into
 * a mirror of the path), and postBuild substitution is applied per object.
 */
import { parse as parseYaml } from 'yaml';
import type { KubeObject } from '../cluster/cluster-types.js';
import { fluxKustomizationText } from './flux-build.js';
import { buildInMirror } from './kustomize-build.js';
import { substituteVariables, substitutionDisabled } from './post-build-substitute.js';
import { isKubeObject } from './repo-files.js';
import type { RenderTools, RenderUnit, UnitContext } from './render-types.js';
import { stableYaml } from './stable-yaml.js';

/**
 * kustomize build of a Flux Kustomization's path with the Kustomization's own
 * build settings written into (a mirror of) its kustomization.yaml, as
 * kustomize-controller does.
 */
export async function fluxBuild(unit: RenderUnit, kustomize: NonNullable<RenderTools['kustomize']>, ctx: UnitContext): Promise<string> {
  return buildInMirror(unit, await fluxKustomizationText(unit.root, unit.binding!, ctx.signal), kustomize, ctx);
}

/** Applies a Flux binding's postBuild substitution to one object, as kustomize-controller does on its YAML. */
export function substituteObject(object: KubeObject, vars: Record<string, string>): { object: KubeObject; unset: string[] } {
  if (substitutionDisabled(object)) return { object, unset: [] };
  const text = stableYaml(object);
  if (!text.includes('${')) return { object, unset: [] };
  const r = substituteVariables(text, vars);
  try {
    const parsed = parseYaml(r.text) as unknown;
    return isKubeObject(parsed) ? { object: parsed, unset: r.unset } : { object, unset: r.unset };
  } catch {
    return { object, unset: r.unset };
  }
}
