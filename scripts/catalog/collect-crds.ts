/**
 * Reads the CRDs of the catalog's projects (scripts/catalog-sources.json) from
 * their Go modules through the Go module proxy: `go mod download` gives the
 * extracted module, whose CRD files are read, or whose API types are run
 * through controller-gen when only an api submodule is served. Also scans API
 * types for `+kubebuilder:skipversion`: versions the project no longer serves.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { downloadModule, ensureControllerGen } from '../build-control-plane.mjs';
import type { CatalogProject } from '../../server/src/schemas/catalog-types.js';
import type { ProjectCrds } from '../../server/src/schemas/catalog-writer.js';
import { isCrd, newestVersion } from '../../server/src/schemas/crd-schemas.js';

/** One entry of scripts/catalog-sources.json. */
export interface CatalogSource {
  id: string;
  name: string;
  module: string;
  version: string;
  /** Files or folders (searched recursively) inside the module holding CRD YAML. */
  crds?: string[];
  /** Generate the CRDs from the module's API types with controller-gen. */
  generate?: boolean;
  /** Module whose API types are scanned for dropped versions. */
  apiModule?: { module: string; version: string };
  /** Versions removed before the pinned release, which its files no longer mention. */
  retired?: { group: string; versions: string[]; kinds: string[]; removedIn: string; replacement: string }[];
  /** A module that declares a newer `go` than the machine's: the approved toolchain to download it with. */
  goToolchain?: string;
  /** Values another project adds to an enum of these CRDs when it installs them (e.g. Flux Operator). */
  enumAdd?: { crd: string; path: string; values: string[] }[];
}

/** scripts/catalog-sources.json. */
export interface CatalogSources {
  controllerTools: string;
  projects: CatalogSource[];
  refused: { project: string; tried: string[]; answer: string }[];
}

function yamlFiles(p: string): string[] {
  if (!fs.existsSync(p)) throw new Error(`${p} does not exist`);
  if (fs.statSync(p).isDirectory()) return fs.readdirSync(p).sort().flatMap((f) => yamlFiles(path.join(p, f)));
  return /\.ya?ml$/.test(p) ? [p] : [];
}

/** Every CustomResourceDefinition in the given files/folders. */
export function readCrdFiles(paths: string[]): unknown[] {
  const out: unknown[] = [];
  for (const file of paths.flatMap(yamlFiles)) {
    for (const doc of parseAllDocuments(fs.readFileSync(file, 'utf8'), { maxAliasCount: -1 } as never)) {
      const value = doc.toJS({ maxAliasCount: -1 });
      if (isCrd(value)) out.push(value);
    }
  }
  return out;
}

/** Runs controller-gen on a module's API types, as its `make manifests` does; returns the CRDs. */
function generateCrds(moduleDir: string, controllerTools: string, scratch: string): unknown[] {
  const controllerGen = ensureControllerGen(controllerTools);
  const work = path.join(scratch, 'src');
  fs.cpSync(moduleDir, work, { recursive: true });
  // The module cache is read-only; go may need to write go.sum in the copy.
  for (const entry of ['', ...fs.readdirSync(work, { recursive: true }) as string[]]) {
    const p = path.join(work, entry);
    fs.chmodSync(p, fs.statSync(p).isDirectory() ? 0o755 : 0o644);
  }
  const out = path.join(scratch, 'generated');
  fs.mkdirSync(out, { recursive: true });
  const r = spawnSync(controllerGen, ['crd:crdVersions=v1', 'paths=./...', `output:crd:artifacts:config=${out}`], {
    cwd: work, encoding: 'utf8', env: { ...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '-mod=mod' }, maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`controller-gen failed:\n${r.stderr}${r.stdout}`);
  return readCrdFiles([out]);
}

/**
 * Kinds whose Go type carries `+kubebuilder:skipversion` (the CRD no longer lists that version),
 * with the group from the folder's groupversion_info.go.
 */
export function skippedVersions(apiDir: string): { group: string; version: string; kind: string }[] {
  const out: { group: string; version: string; kind: string }[] = [];
  for (const entry of fs.readdirSync(apiDir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const dir = path.join(apiDir, entry.name);
    const info = path.join(dir, 'groupversion_info.go');
    if (!fs.existsSync(info)) continue;
    const gv = /GroupVersion\s*=\s*schema\.GroupVersion\{\s*Group:\s*"([^"]+)",\s*Version:\s*"([^"]+)"/.exec(fs.readFileSync(info, 'utf8'));
    if (!gv) continue;
    for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.go'))) {
      const text = fs.readFileSync(path.join(dir, f), 'utf8');
      // A marker block (consecutive comment lines, blank lines allowed) directly above `type X struct`.
      for (const m of text.matchAll(/((?:^[ \t]*\/\/.*\n|^[ \t]*\n)+)type\s+(\w+)\s+struct/gm)) {
        const block = m[1];
        if (!/\+kubebuilder:skipversion/.test(block) || !/\+kubebuilder:object:root=true/.test(block) || m[2].endsWith('List')) continue;
        out.push({ group: gv[1], version: gv[2], kind: m[2] });
      }
    }
  }
  return out;
}

/** `go mod download` with an approved newer toolchain, for modules that declare a newer go. */
function downloadWithToolchain(module: string, version: string, toolchain: string): string {
  const r = spawnSync('go', ['mod', 'download', '-json', `${module}@${version}`], {
    cwd: os.tmpdir(), encoding: 'utf8', env: { ...process.env, GOTOOLCHAIN: toolchain, GOFLAGS: '' }, maxBuffer: 16 * 1024 * 1024,
  });
  let parsed: { Dir?: string; Error?: string } | undefined;
  try {
    parsed = JSON.parse(r.stdout);
  } catch {
    parsed = undefined;
  }
  if (r.status !== 0 || !parsed?.Dir) throw new Error(`go mod download ${module}@${version} (GOTOOLCHAIN=${toolchain}) failed: ${parsed?.Error ?? r.stderr.trim()}`);
  return parsed.Dir;
}

/**
 * Adds enum values at a dotted path (`spec.eventSources[].kind`) of every version of a CRD,
 * as a project that patches the CRD at install time does.
 */
export function addEnumValues(crd: any, path: string, values: string[]): number {
  let changed = 0;
  for (const v of crd?.spec?.versions ?? []) {
    let node = v?.schema?.openAPIV3Schema;
    for (const step of path.split('.')) {
      const name = step.replace(/\[\]$/, '');
      node = node?.properties?.[name];
      if (step.endsWith('[]')) node = node?.items;
    }
    if (!Array.isArray(node?.enum)) continue;
    for (const value of values) if (!node.enum.includes(value)) node.enum.push(value);
    changed++;
  }
  return changed;
}

/** Reads one project's CRDs and dropped versions; throws with the proxy's answer when the module is refused. */
export function collectProject(source: CatalogSource, controllerTools: string): ProjectCrds {
  const project: CatalogProject = { id: source.id, name: source.name, module: source.module, version: source.version };
  const dir = source.goToolchain ? downloadWithToolchain(source.module, source.version, source.goToolchain) : downloadModule(source.module, source.version);
  let crds: unknown[];
  if (source.generate) {
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-lens-catalog-'));
    try {
      crds = generateCrds(dir, controllerTools, scratch);
    } finally {
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  } else {
    crds = readCrdFiles((source.crds ?? []).map((p) => path.join(dir, p)));
  }
  if (crds.length === 0) throw new Error(`no CustomResourceDefinition found in ${source.module}@${source.version}`);
  for (const add of source.enumAdd ?? []) {
    const crd = crds.find((c: any) => c.metadata?.name === add.crd);
    if (!crd || addEnumValues(crd, add.path, add.values) === 0) throw new Error(`enumAdd: no enum at ${add.path} in ${add.crd}`);
  }
  const retired: ProjectCrds['retired'] = [];
  if (source.apiModule) {
    const apiDir = source.apiModule.module === source.module && source.apiModule.version === source.version ? dir : downloadModule(source.apiModule.module, source.apiModule.version);
    const skipped = skippedVersions(apiDir);
    for (const s of skipped) {
      const served = crds.flatMap((c: any) => (c.spec?.names?.kind === s.kind && c.spec?.group === s.group ? (c.spec.versions as any[]).filter((v) => v.served !== false).map((v) => v.name as string) : []));
      retired.push({ ...s, removedIn: `${source.name} ${source.version}`, ...(served.length ? { replacement: `${s.group}/${newestVersion(served)}` } : {}) });
    }
  }
  for (const r of source.retired ?? []) {
    for (const version of r.versions) for (const kind of r.kinds) retired.push({ group: r.group, version, kind, removedIn: r.removedIn, replacement: r.replacement });
  }
  return { project, crds, retired };
}
