/**
 * Argo CD Application source options, applied the way Argo CD's repo-server
 * applies them before it renders a source:
 *
 * - `spec.source.kustomize`: the repo-server runs `kustomize edit set
 *   nameprefix / namesuffix / image / replicas / namespace`, `kustomize edit
 *   add label / annotation / component` and appends `patches` in its working
 *   copy of the repository, then runs `kustomize build`. The preview computes
 *   the same edited kustomization ({@link editArgoKustomization}) and builds
 *   it in a temporary mirror of the path (flux-build.ts), so nothing is
 *   written into the user's repository.
 * - `spec.source.directory`: a folder without kustomization or chart is read
 *   file by file, only the top level unless `recurse`, filtered by the
 *   `include` / `exclude` globs ({@link argoDirectoryIncludes}).
 *
 * Image, label and annotation values may use the build environment
 * (`$ARGOCD_APP_NAME`...), substituted with {@link argoEnvsubst} as Argo CD does.
 */
import * as path from 'node:path';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);

/** `spec.source.kustomize` of an Argo CD Application, as far as it changes the build. */
export interface ArgoKustomizeOptions {
  namePrefix?: string;
  nameSuffix?: string;
  /** `kustomize edit set image` arguments: `name=newName:tag`, `name:tag`, `name@digest`... */
  images?: string[];
  replicas?: Array<{ name: string; count: number }>;
  commonLabels?: Record<string, string>;
  forceCommonLabels?: boolean;
  /** `labelWithoutSelector`: labels go into a `labels` entry that leaves selectors alone. */
  labelWithoutSelector?: boolean;
  labelIncludeTemplates?: boolean;
  commonAnnotations?: Record<string, string>;
  forceCommonAnnotations?: boolean;
  /** Whether annotation values go through {@link argoEnvsubst} (Argo CD does it for labels and images always). */
  commonAnnotationsEnvsubst?: boolean;
  namespace?: string;
  /** kustomize `patches` entries, appended as given. */
  patches?: unknown[];
  /** Component folders, relative to the source path. */
  components?: string[];
  ignoreMissingComponents?: boolean;
}

/** `spec.source.directory` of an Argo CD Application. */
export interface ArgoDirectoryOptions {
  recurse?: boolean;
  include?: string;
  exclude?: string;
}

/** The Argo CD source settings a binding carries (binding.ts). */
export interface ArgoSourceOptions {
  kustomize?: ArgoKustomizeOptions;
  directory?: ArgoDirectoryOptions;
  /** The build environment Argo CD gives to tools and to `$VAR` substitution; the revision is not known before the commit. */
  env: Record<string, string>;
}

/** A map's entries as strings (null and undefined left out); undefined when none remain or `v` is not a map. */
export const stringMap = (v: unknown): Record<string, string> | undefined => {
  if (!isObj(v)) return undefined;
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) if (x !== undefined && x !== null) out[k] = String(x);
  return Object.keys(out).length ? out : undefined;
};

/**
 * The build environment of an Application's source, as the repo-server sets
 * it. `ARGOCD_APP_REVISION` and its short forms are absent: a working tree has
 * no revision yet, and Argo CD's substitution turns unknown names into empty
 * strings, which is what the preview does too.
 */
export function argoBuildEnv(app: Obj, source: Obj): Record<string, string> {
  const metadata = isObj(app.metadata) ? app.metadata : {};
  const spec = isObj(app.spec) ? app.spec : {};
  const destination = isObj(spec.destination) ? spec.destination : {};
  const env: Record<string, string> = {};
  const set = (k: string, v: unknown) => {
    if (typeof v === 'string') env[k] = v;
  };
  set('ARGOCD_APP_NAME', metadata.name);
  set('ARGOCD_APP_NAMESPACE', destination.namespace);
  set('ARGOCD_APP_PROJECT_NAME', spec.project);
  set('ARGOCD_APP_SOURCE_REPO_URL', source.repoURL);
  set('ARGOCD_APP_SOURCE_PATH', source.path);
  set('ARGOCD_APP_SOURCE_TARGET_REVISION', source.targetRevision);
  return env;
}

/**
 * Argo CD's `Env.Envsubst`: `$NAME` and `${NAME}` become the variable's value,
 * or an empty string when it is not set; `$$` is a literal `$` (Go's os.Expand).
 */
export function argoEnvsubst(s: string, env: Record<string, string>): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c !== '$' || i + 1 >= s.length) {
      out += c;
      continue;
    }
    const next = s[i + 1]!;
    if (next === '{') {
      const end = s.indexOf('}', i + 2);
      if (end < 0) {
        // os.Expand drops a `${` without its closing brace, with everything after it ("bad syntax").
        return out;
      }
      const name = s.slice(i + 2, end);
      out += name === '$' ? '$' : (env[name] ?? '');
      i = end;
      continue;
    }
    if (next === '$') {
      out += '$';
      i++;
      continue;
    }
    const m = /^[A-Za-z0-9_]+/.exec(s.slice(i + 1));
    if (m) {
      out += env[m[0]] ?? '';
      i += m[0].length;
      continue;
    }
    // A `$` followed by another special character: os.Expand consumes both and writes nothing.
    i++;
  }
  return out;
}

/** Reads `spec.source.kustomize`; undefined when it sets nothing that changes the build. Malformed entries are skipped. */
export function argoKustomizeOptions(source: Obj): ArgoKustomizeOptions | undefined {
  const k = isObj(source.kustomize) ? source.kustomize : undefined;
  if (!k) return undefined;
  const out: ArgoKustomizeOptions = {};
  if (str(k.namePrefix)) out.namePrefix = str(k.namePrefix);
  if (str(k.nameSuffix)) out.nameSuffix = str(k.nameSuffix);
  if (Array.isArray(k.images)) {
    const images = k.images.filter((i): i is string => typeof i === 'string' && i.length > 0);
    if (images.length) out.images = images;
  }
  if (Array.isArray(k.replicas)) {
    const replicas = k.replicas.filter(isObj).flatMap((r) => {
      const name = str(r.name);
      const count = typeof r.count === 'number' ? r.count : typeof r.count === 'string' && /^-?\d+$/.test(r.count.trim()) ? Number(r.count.trim()) : NaN;
      return name && Number.isInteger(count) ? [{ name, count }] : [];
    });
    if (replicas.length) out.replicas = replicas;
  }
  const labels = stringMap(k.commonLabels);
  if (labels) out.commonLabels = labels;
  const annotations = stringMap(k.commonAnnotations);
  if (annotations) out.commonAnnotations = annotations;
  if (str(k.namespace)) out.namespace = str(k.namespace);
  if (Array.isArray(k.patches)) {
    const patches = k.patches.filter(isObj);
    if (patches.length) out.patches = patches;
  }
  if (Array.isArray(k.components)) {
    const components = k.components.filter((c): c is string => typeof c === 'string' && c.length > 0);
    if (components.length) out.components = components;
  }
  const settings = Object.keys(out).length > 0;
  if (k.forceCommonLabels === true) out.forceCommonLabels = true;
  if (k.labelWithoutSelector === true) out.labelWithoutSelector = true;
  if (k.labelIncludeTemplates === true) out.labelIncludeTemplates = true;
  if (k.forceCommonAnnotations === true) out.forceCommonAnnotations = true;
  if (k.commonAnnotationsEnvsubst === true) out.commonAnnotationsEnvsubst = true;
  if (k.ignoreMissingComponents === true) out.ignoreMissingComponents = true;
  return settings ? out : undefined;
}

/** Reads `spec.source.directory`; undefined when absent. */
export function argoDirectoryOptions(source: Obj): ArgoDirectoryOptions | undefined {
  const d = isObj(source.directory) ? source.directory : undefined;
  if (!d) return undefined;
  return {
    ...(d.recurse === true ? { recurse: true } : {}),
    ...(str(d.include) ? { include: str(d.include) } : {}),
    ...(str(d.exclude) ? { exclude: str(d.exclude) } : {}),
  };
}

/** An image override as kustomize's `images` field holds it. */
interface KustomizeImage {
  name: string;
  newName?: string;
  newTag?: string;
  digest?: string;
}

/** Keeps `*` (kustomize's "preserve the current value") for the merge; dropped when nothing is preserved. */
const PRESERVE = '*';

/**
 * Parses a `kustomize edit set image` argument, as kustomize does:
 * `name=newName:tag`, `name=newName@digest`, `name=newName`, `name:tag`,
 * `name@digest`. Throws kustomize's message for anything else.
 */
export function parseImageArgument(arg: string): KustomizeImage {
  const overwrite = (s: string, allowNameOnly: boolean): { name: string; tag?: string; digest?: string } => {
    const at = s.split('@');
    if (at.length > 1) return { name: at[0]!, digest: at[1]! };
    const m = /^(.*):([a-zA-Z0-9._-]*|\*)$/.exec(s);
    if (m) return { name: m[1]!, tag: m[2]! };
    if (s.length > 0 && allowNameOnly) return { name: s };
    throw new Error(
      `invalid format of image ${JSON.stringify(arg)}, use one of: <image>=<newimage>:<newtag>, <image>=<newimage>@<digest>, <image>=<newimage>, <image>:<newtag>, <image>@<digest>`,
    );
  };
  const eq = arg.split('=');
  if (eq.length === 2) {
    const p = overwrite(eq[1]!, true);
    return { name: eq[0]!, newName: p.name, ...(p.tag !== undefined ? { newTag: p.tag } : {}), ...(p.digest !== undefined ? { digest: p.digest } : {}) };
  }
  const p = overwrite(arg, false);
  return { name: p.name, ...(p.tag !== undefined ? { newTag: p.tag } : {}), ...(p.digest !== undefined ? { digest: p.digest } : {}) };
}

const compact = (i: KustomizeImage): KustomizeImage => ({
  name: i.name,
  ...(i.newName ? { newName: i.newName } : {}),
  ...(i.newTag ? { newTag: i.newTag } : {}),
  ...(i.digest ? { digest: i.digest } : {}),
});

/**
 * `kustomize edit set image`: an argument replaces the file's entry of the
 * same name (its `*` parts keep the entry's value), other entries stay, and
 * the list is sorted by name, as kustomize writes it.
 */
function setImages(existing: unknown, args: KustomizeImage[]): KustomizeImage[] {
  const byName = new Map<string, KustomizeImage>();
  for (const a of args) byName.set(a.name, a);
  const current = (Array.isArray(existing) ? existing : []).filter(isObj).filter((i) => typeof i.name === 'string') as unknown as KustomizeImage[];
  for (const im of current) {
    const arg = byName.get(im.name);
    if (!arg) {
      byName.set(im.name, im);
      continue;
    }
    byName.set(im.name, {
      name: im.name,
      newName: arg.newName === PRESERVE ? im.newName : arg.newName,
      newTag: arg.newTag === PRESERVE ? im.newTag : arg.newTag,
      digest: arg.digest === PRESERVE ? im.digest : arg.digest,
    });
  }
  return [...byName.values()]
    .map((i) => compact({ name: i.name, newName: i.newName === PRESERVE ? undefined : i.newName, newTag: i.newTag === PRESERVE ? undefined : i.newTag, digest: i.digest === PRESERVE ? undefined : i.digest }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** `kustomize edit add label|annotation`: refuses an existing key unless forced, with kustomize's message. */
function addToMap(existing: unknown, add: Record<string, string>, force: boolean, what: 'label' | 'annotation'): Record<string, string> {
  const out: Record<string, string> = isObj(existing) ? Object.fromEntries(Object.entries(existing).map(([k, v]) => [k, String(v)])) : {};
  for (const [k, v] of Object.entries(add).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (k in out && !force) throw new Error(`${what} ${k} already in kustomization file`);
    out[k] = v;
  }
  return out;
}

/**
 * The kustomization Argo CD's repo-server builds: `kustomization` (the
 * source path's own file, parsed) after its `kustomize edit` commands, in
 * its order: name prefix and suffix replaced, images set (see
 * {@link parseImageArgument}), replicas set (an entry of the same name
 * replaced), labels and annotations added (refused when present unless
 * forced), namespace set, patches appended, components added (existing ones
 * kept once; a missing one fails unless `ignoreMissingComponents`).
 * `env` is the build environment for `$VAR` substitution. Throws
 * kustomize's message when an edit fails.
 */
export function editArgoKustomization(
  kustomization: Record<string, unknown>,
  options: ArgoKustomizeOptions,
  env: Record<string, string>,
  componentExists: (component: string) => boolean = () => true,
): Record<string, unknown> {
  const k: Record<string, unknown> = { ...kustomization };
  if (options.namePrefix) k.namePrefix = options.namePrefix;
  if (options.nameSuffix) k.nameSuffix = options.nameSuffix;
  if (options.images?.length) k.images = setImages(k.images, options.images.map((i) => parseImageArgument(argoEnvsubst(i, env))));
  if (options.replicas?.length) {
    const byName = new Map<string, { name: string; count: number }>();
    for (const r of options.replicas) byName.set(r.name, { name: r.name, count: r.count });
    for (const r of (Array.isArray(k.replicas) ? k.replicas : []).filter(isObj)) {
      if (typeof r.name === 'string' && !byName.has(r.name)) byName.set(r.name, r as { name: string; count: number });
    }
    k.replicas = [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
  if (options.commonLabels) {
    const labels = Object.fromEntries(Object.entries(options.commonLabels).map(([n, v]) => [n, argoEnvsubst(v, env)]));
    if (options.labelWithoutSelector) {
      // kustomize updates a key where a `labels` entry has it (when forced) and adds one entry per new key.
      const entries = (Array.isArray(k.labels) ? k.labels : []).map((e) => (isObj(e) ? { ...e, ...(isObj(e.pairs) ? { pairs: { ...e.pairs } } : {}) } : e));
      for (const [name, value] of Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        const holders = entries.filter((e): e is Obj & { pairs: Obj } => isObj(e) && isObj(e.pairs) && name in e.pairs);
        if (holders.length && !options.forceCommonLabels) throw new Error(`label ${name} already in kustomization file`);
        for (const h of holders) h.pairs[name] = value;
        if (!holders.length) entries.push({ pairs: { [name]: value }, includeSelectors: false, ...(options.labelIncludeTemplates ? { includeTemplates: true } : {}) });
      }
      k.labels = entries;
    } else {
      k.commonLabels = addToMap(k.commonLabels, labels, options.forceCommonLabels === true, 'label');
    }
  }
  if (options.commonAnnotations) {
    const annotations = options.commonAnnotationsEnvsubst
      ? Object.fromEntries(Object.entries(options.commonAnnotations).map(([n, v]) => [n, argoEnvsubst(v, env)]))
      : options.commonAnnotations;
    k.commonAnnotations = addToMap(k.commonAnnotations, annotations, options.forceCommonAnnotations === true, 'annotation');
  }
  if (options.namespace) k.namespace = options.namespace;
  if (options.patches?.length) k.patches = [...(Array.isArray(k.patches) ? k.patches : []), ...options.patches];
  if (options.components?.length) {
    const components = Array.isArray(k.components) ? [...(k.components as unknown[])] : [];
    for (const c of options.components) {
      if (!componentExists(c)) {
        if (options.ignoreMissingComponents) continue;
        throw new Error(`component ${c}: pattern ${c} has no match`);
      }
      if (!components.includes(c)) components.push(c);
    }
    k.components = components;
  }
  return k;
}

/**
 * Argo CD's glob (gobwas/glob without separators, so `*` also matches `/`):
 * `*` and `**` any run of characters, `?` one character, `[abc]` / `[!a-z]`
 * a class, `{a,b}` alternatives, `\` escapes the next character.
 */
export function argoGlobMatch(pattern: string, text: string): boolean {
  const toRegex = (p: string, inBraces: boolean): [string, number] => {
    let out = '';
    let i = 0;
    while (i < p.length) {
      const c = p[i]!;
      if (c === '\\' && i + 1 < p.length) {
        out += p[i + 1]!.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
        i += 2;
      } else if (c === '*') {
        out += '[\\s\\S]*';
        while (p[i] === '*') i++;
      } else if (c === '?') {
        out += '[\\s\\S]';
        i++;
      } else if (c === '[') {
        const end = p.indexOf(']', i + 1);
        if (end < 0) {
          out += '\\[';
          i++;
          continue;
        }
        let body = p.slice(i + 1, end);
        const negate = body.startsWith('!');
        if (negate) body = body.slice(1);
        out += `[${negate ? '^' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`;
        i = end + 1;
      } else if (c === '{') {
        const alternatives: string[] = [];
        let j = i + 1;
        for (;;) {
          const [alt, used] = toRegex(p.slice(j), true);
          alternatives.push(alt);
          j += used;
          if (p[j] === ',') j++;
          else break;
        }
        out += `(?:${alternatives.join('|')})`;
        i = j + 1;
      } else if (inBraces && (c === ',' || c === '}')) {
        return [out, i];
      } else {
        out += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
        i++;
      }
    }
    return [out, i];
  };
  try {
    return new RegExp(`^${toRegex(pattern, false)[0]}$`).test(text);
  } catch {
    return false;
  }
}

/** The files Argo CD reads as manifests in a directory source. */
export const ARGO_MANIFEST_FILE = /\.(ya?ml|json|jsonnet)$/;

/**
 * Whether a directory source reads the file at `rel` (relative to the source
 * path, `/`-separated): only top-level files unless `recurse`, manifests by
 * extension, not matched by `exclude`, matched by `include` when given.
 */
export function argoDirectoryIncludes(rel: string, options: ArgoDirectoryOptions | undefined): boolean {
  const name = path.posix.basename(rel);
  if (!ARGO_MANIFEST_FILE.test(name)) return false;
  if (!options?.recurse && rel.includes('/')) return false;
  if (options?.exclude && argoGlobMatch(options.exclude, rel)) return false;
  if (options?.include && !argoGlobMatch(options.include, rel)) return false;
  return true;
}
