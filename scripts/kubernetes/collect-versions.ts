/**
 * Builds `schemas/kubernetes/` (see server/src/schemas/kubernetes-versions.ts):
 * for every older minor of scripts/kubernetes-versions.json, the built-in
 * schemas from the `k8s.io/kubernetes` module's `api/openapi-spec/v3` at that
 * release, stored as a diff against the same release's spec of the bundle's
 * version; and the API lifecycle table from the `k8s.io/api` modules.
 * Everything comes through the Go module proxy (`go mod download`).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { downloadModule } from '../build-control-plane.mjs';
import { reachableDefinitions } from '../../server/src/schemas/bundle-writer.js';
import { readGoOpenApiEnums } from '../../server/src/schemas/go-openapi-enums.js';
import { compareMinor, diffDefinitions, minorOf, readGroupVersion, readLifecycleGo, type ApiLifecycle, type KubernetesVersionDiff, type KubernetesVersionsIndex } from '../../server/src/schemas/kubernetes-versions.js';
import { collectOpenApi, type TrimOptions } from '../../server/src/schemas/openapi-bundle.js';
import type { DefinitionMap, KindEntry } from '../../server/src/schemas/schema-types.js';

const repoRoot = path.resolve(__dirname, '..', '..');

/**
 * kube-apiserver does not publish `enum` in /openapi/v3; the generated Go
 * definitions of the same release (in the Go module cache) do. Overlays them;
 * returns how many were added.
 */
export function overlayEnums(definitions: DefinitionMap, kubernetesVersion: string, explicit?: string): number {
  let modCache = path.join(os.homedir(), 'go', 'pkg', 'mod');
  try {
    modCache = execFileSync('go', ['env', 'GOMODCACHE'], { encoding: 'utf8' }).trim() || modCache;
  } catch {
    // Without a Go toolchain on PATH, fall back to the default module cache.
  }
  const file = explicit ?? path.join(modCache, `k8s.io/kubernetes@${kubernetesVersion}`, 'pkg/generated/openapi/zz_generated.openapi.go');
  if (!fs.existsSync(file)) {
    console.warn(`update-schemas: ${file} not found: built-in enums not added (build the control plane first)`);
    return 0;
  }
  let count = 0;
  for (const [def, props] of Object.entries(readGoOpenApiEnums(fs.readFileSync(file, 'utf8')))) {
    const schema = definitions[def];
    for (const [prop, values] of Object.entries(props)) {
      const target = schema?.properties?.[prop];
      if (!target) continue;
      if (target.type === 'array' && target.items && !target.items.$ref) target.items.enum = values;
      else if (target.type !== 'array') target.enum = values;
      else continue;
      count++;
    }
  }
  return count;
}

/**
 * Whether a default kube-apiserver serves a built-in version: GA always; a beta only when it was
 * introduced before 1.24, since Kubernetes turns new beta APIs off by default from 1.24 on
 * (checked against the bundle, read from a real v1.37 API server); alpha never.
 */
function servedByDefault(k: KindEntry, introduced: Map<string, string | undefined>): boolean {
  if (/alpha/.test(k.version)) return false;
  if (!/beta/.test(k.version)) return true;
  const since = introduced.get(`${k.group}/${k.version}/${k.kind}`);
  return since !== undefined && compareMinor(since, '1.24') < 0;
}

/** The built-in kinds and definitions of one release, from its module's api/openapi-spec/v3. */
function readRelease(version: string, trim: TrimOptions, introduced: Map<string, string | undefined>): { definitions: DefinitionMap; kinds: KindEntry[] } {
  const dir = downloadModule('k8s.io/kubernetes', version);
  const specDir = path.join(dir, 'api', 'openapi-spec', 'v3');
  const docs = fs.readdirSync(specDir).filter((f) => /^(api__v1|apis__.+__[^_]+)_openapi\.json$/.test(f))
    .map((f) => JSON.parse(fs.readFileSync(path.join(specDir, f), 'utf8')));
  const { definitions, kinds } = collectOpenApi(docs, trim);
  overlayEnums(definitions, version, path.join(dir, 'pkg/generated/openapi/zz_generated.openapi.go'));
  // The spec documents every API, also those a cluster only serves when asked to; the bundle keeps
  // what a default kube-apiserver serves, and so do the older versions.
  return { definitions, kinds: kinds.filter((k) => k.definition.startsWith('io.k8s.') && servedByDefault(k, introduced)) };
}

/** Lifecycle entries of one k8s.io/api release. */
function readLifecycle(apiVersion: string): ApiLifecycle[] {
  const dir = downloadModule('k8s.io/api', apiVersion);
  const out: ApiLifecycle[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(d, e.name));
      else if (e.name === 'zz_generated.prerelease-lifecycle.go') {
        const register = path.join(d, 'register.go');
        const gv = fs.existsSync(register) ? readGroupVersion(fs.readFileSync(register, 'utf8')) : undefined;
        if (gv) out.push(...readLifecycleGo(fs.readFileSync(path.join(d, e.name), 'utf8'), gv.group, gv.version));
      }
    }
  };
  walk(dir);
  return out;
}

/** Writes schemas/kubernetes/: the index with the lifecycle table and one diff per older version. */
export function updateKubernetesVersions(outDir: string, trim: TrimOptions): void {
  const { versions } = JSON.parse(fs.readFileSync(path.join(repoRoot, 'scripts', 'kubernetes-versions.json'), 'utf8')) as { versions: string[] };
  const bundleIndex = JSON.parse(fs.readFileSync(path.join(outDir, '..', 'index.json'), 'utf8')) as { kubernetesVersion: string };
  if (bundleIndex.kubernetesVersion !== versions[0]) {
    throw new Error(`scripts/kubernetes-versions.json starts with ${versions[0]}, but the bundle is ${bundleIndex.kubernetesVersion}: regenerate the bundle first or fix the list`);
  }
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(outDir, { recursive: true });
  const index: KubernetesVersionsIndex = { format: 1, newest: versions[0], versions: [{ version: versions[0] }], lifecycle: [] };
  // Newest release first: a later release's markers are the current word on a version.
  const seen = new Set<string>();
  for (const version of versions) {
    const minor = minorOf(version)!.split('.')[1];
    for (const e of readLifecycle(`v0.${minor}.${version.split('.')[2]}`)) {
      const key = `${e.group}/${e.version}/${e.kind}`;
      if (seen.has(key)) continue;
      seen.add(key);
      index.lifecycle.push(e);
    }
  }
  index.lifecycle.sort((a, b) => `${a.group}/${a.version}/${a.kind}`.localeCompare(`${b.group}/${b.version}/${b.kind}`));
  const introduced = new Map(index.lifecycle.map((e) => [`${e.group}/${e.version}/${e.kind}`, e.introduced]));
  const base = readRelease(versions[0], trim, introduced);
  for (const version of versions.slice(1)) {
    const release = readRelease(version, trim, introduced);
    const names = reachableDefinitions(release.definitions, [...release.kinds.map((k) => k.definition), 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta']);
    const diff: KubernetesVersionDiff = { kubernetesVersion: version, kinds: release.kinds, definitions: diffDefinitions(base.definitions, release.definitions, names) };
    const file = `${version}.json`;
    const text = JSON.stringify(diff) + '\n';
    fs.writeFileSync(path.join(outDir, file), text);
    index.versions.push({ version, file });
    console.log(`kubernetes: ${version}: ${release.kinds.length} kinds, ${Object.keys(diff.definitions).length} definitions differ from ${versions[0]}, ${(text.length / 1024).toFixed(0)} KiB`);
  }
  fs.writeFileSync(path.join(outDir, 'index.json'), JSON.stringify(index) + '\n');
  console.log(`kubernetes: ${index.versions.length} versions, ${index.lifecycle.length} lifecycle entries -> ${path.relative(process.cwd(), outDir) || '.'}`);
}
