/**
 * Navigation over the repository graph, as plain locations: document links
 * (kustomization entries, Flux and Argo CD paths), go to definition (a path
 * or an object reference → the file, folder or declaring document), find
 * references (who names this object; who includes this file), the "built
 * by" lens of a file, and rename of a ConfigMap, Secret or Service within
 * the bindings that render it. References resolve in the unit that renders
 * them (repo-graph.ts), so a generated or prefixed name leads to its
 * declaration.
 */
import * as path from 'node:path';
import type { Position, Range } from '../findings.js';
import type { FileLocation, PathEntry, RefSite } from './graph-types.js';
import type { IndexedDoc } from './index-file.js';
import type { RObj } from './kustomize-identities.js';
import { resolveSite } from './resolve-reference.js';
import { declarationKey, docKey, docOf, generatorKey, type Located, type RepoGraph, type Unit } from './repo-graph.js';

/** A link from a range of a file to a file or folder. */
export interface PathLink {
  range: Range;
  /** Absolute file, or folder when it has no kustomization file. */
  target: string;
  tooltip: string;
}

/** The lens of a document: which units build it, in which clusters. */
export interface BuiltByLens {
  range: Range;
  title: string;
  /** The entries and agent paths that bring the file into those builds. */
  locations: FileLocation[];
}

/** A reference found for rename: where, and the name as written there. */
interface NameUse extends FileLocation {
  written: string;
}

/** Kinds whose name rename updates in the references of its bindings. */
export const RENAMEABLE_KINDS = new Set(['ConfigMap', 'Secret', 'Service']);

export function contains(range: Range, p: Position): boolean {
  const after = p.line > range.start.line || (p.line === range.start.line && p.character >= range.start.character);
  const before = p.line < range.end.line || (p.line === range.end.line && p.character <= range.end.character);
  return after && before;
}

/** What is under the cursor. */
type Hit =
  | { type: 'path'; doc: IndexedDoc; entry: PathEntry }
  | { type: 'site'; doc: IndexedDoc; site: RefSite }
  | { type: 'name'; doc: IndexedDoc; item?: number }
  | { type: 'generator'; doc: IndexedDoc; range: Range; name: string }
  | { type: 'document'; doc: IndexedDoc };

function hitAt(graph: RepoGraph, file: string, p: Position): Hit | undefined {
  const indexed = graph.files.files.get(file);
  if (!indexed) return undefined;
  for (const doc of indexed.docs) {
    if (!contains(doc.range, p) && !(doc.nameRange && contains(doc.nameRange, p))) continue;
    for (const entry of doc.paths) if (contains(entry.range, p)) return { type: 'path', doc, entry };
    for (const site of doc.sites) if (contains(site.range, p)) return { type: 'site', doc, site };
    for (const g of doc.kustomization?.generators ?? []) if (contains(g.range, p)) return { type: 'generator', doc, range: g.range, name: g.name };
    if (doc.nameRange && contains(doc.nameRange, p)) return { type: 'name', doc };
    const item = doc.items?.findIndex((i) => contains(i.nameRange, p)) ?? -1;
    if (item >= 0) return { type: 'name', doc, item };
    return { type: 'document', doc };
  }
  return undefined;
}

/** The file or folder a path entry points at, when it exists. */
export function entryTarget(graph: RepoGraph, file: string, doc: IndexedDoc, entry: PathEntry): string | undefined {
  if (entry.remote) return undefined;
  let base: string;
  if (entry.base === 'kustomization') base = path.dirname(file);
  else if (entry.base === 'root') base = graph.root;
  else {
    const specPath = doc.paths.find((e) => e.field === 'spec.path');
    base = path.resolve(graph.root, specPath?.value ?? '.');
  }
  const target = path.resolve(base, entry.value);
  const kind = graph.model.kindOf(target);
  if (kind === 'file') return target;
  if (kind === 'dir') return graph.files.kustomizationDirs.get(target) ?? (graph.files.chartDirs.has(target) ? chartFile(graph, target) : target);
  return undefined;
}

/** A chart folder's Chart.yaml (or .yml). */
function chartFile(graph: RepoGraph, dir: string): string {
  const yml = path.join(dir, 'Chart.yml');
  return graph.model.kindOf(yml) === 'file' && graph.model.kindOf(path.join(dir, 'Chart.yaml')) !== 'file' ? yml : path.join(dir, 'Chart.yaml');
}

/** Document links of a file: every path entry whose target exists. */
export function linksOf(graph: RepoGraph, file: string): PathLink[] {
  const out: PathLink[] = [];
  for (const doc of graph.files.files.get(file)?.docs ?? []) {
    for (const entry of doc.paths) {
      const target = entryTarget(graph, file, doc, entry);
      if (target) out.push({ range: entry.range, target, tooltip: `Open ${path.relative(graph.root, target).split(path.sep).join('/') || '.'}` });
    }
  }
  return out;
}

/** Where an object is declared: its `metadata.name`, its List item's name, or its generator entry. */
export function declarationOf(graph: RepoGraph, o: RObj): FileLocation | undefined {
  if (o.generator) return { file: o.generator.file, range: o.generator.entry.range };
  const doc = docOf(graph.files, o);
  if (!doc || !o.file) return undefined;
  if (o.item !== undefined) return { file: o.file, range: doc.items?.[o.item]?.nameRange ?? doc.range };
  return { file: o.file, range: doc.nameRange ?? doc.range };
}

/** The units (with the object) that render a document; a root agent resolves in its own unit. */
function locatedOf(graph: RepoGraph, file: string, doc: IndexedDoc): Located[] {
  const key = docKey(file, doc.index);
  const list = graph.byDoc.get(key) ?? [];
  if (list.length) return list;
  const agent = graph.agents.get(key);
  return agent ? [agent] : [];
}

/** Targets of a reference site, over every unit that renders its document. */
function siteTargets(graph: RepoGraph, file: string, doc: IndexedDoc, site: RefSite): { objects: Located[]; locations: FileLocation[] } {
  const objects: Located[] = [];
  const locations: FileLocation[] = [];
  for (const loc of locatedOf(graph, file, doc)) {
    const r = resolveSite(graph, loc, site);
    if (r.status === 'found' || r.status === 'hashed') {
      for (const t of r.targets) {
        objects.push(t);
        const d = declarationOf(graph, t.o);
        if (d) locations.push(d);
      }
    } else if (r.status === 'produced') {
      for (const p of r.produced) locations.push(p.at);
    }
  }
  return { objects, locations: dedupe(locations) };
}

/** Go to definition: the file or folder of a path, the declaration of a referenced object. */
export function definitionAt(graph: RepoGraph, file: string, p: Position): FileLocation[] {
  const hit = hitAt(graph, file, p);
  if (!hit) return [];
  if (hit.type === 'path') {
    // A folder without a kustomization file (or Chart.yaml) is not a document to open; its link still reveals it.
    const target = entryTarget(graph, file, hit.doc, hit.entry);
    return target && graph.model.kindOf(target) === 'file' ? [{ file: target, range: START }] : [];
  }
  if (hit.type === 'site') return siteTargets(graph, file, hit.doc, hit.site).locations;
  return [];
}

const START: Range = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };

/** Every reference site of the graph, by the declaration key of the object it resolves to. */
function reverseReferences(graph: RepoGraph): Map<string, NameUse[]> {
  const cached = reverseCache.get(graph);
  if (cached) return cached;
  const out = new Map<string, NameUse[]>();
  const seen = new Set<string>();
  const visit = (loc: Located) => {
    const doc = docOf(graph.files, loc.o);
    if (!doc || !loc.o.file) return;
    for (const site of doc.sites) {
      const r = resolveSite(graph, loc, site);
      if (r.status !== 'found' && r.status !== 'hashed') continue;
      for (const t of r.targets) {
        const key = declarationKey(t.o);
        if (!key) continue;
        const id = `${key}|${loc.o.file}|${site.range.start.line}:${site.range.start.character}`;
        if (seen.has(id)) continue;
        seen.add(id);
        const list = out.get(key) ?? [];
        list.push({ file: loc.o.file, range: site.range, written: site.name });
        out.set(key, list);
      }
    }
  };
  for (const unit of graph.units) for (const o of unit.objects) visit({ o, unit });
  for (const agent of graph.agents.values()) visit(agent);
  reverseCache.set(graph, out);
  return out;
}
const reverseCache = new WeakMap<RepoGraph, Map<string, NameUse[]>>();

/** The objects a cursor position stands for: the document's, a List item's, a generator's or a reference's target. */
function objectsAt(graph: RepoGraph, file: string, hit: Hit): Located[] {
  if (hit.type === 'site') return siteTargets(graph, file, hit.doc, hit.site).objects;
  if (hit.type === 'generator') return graph.byDoc.get(generatorKey(file, hit.range)) ?? [];
  if (hit.type === 'name' || hit.type === 'document') {
    const list = locatedOf(graph, file, hit.doc);
    return hit.type === 'name' && hit.item !== undefined ? list.filter((l) => l.o.item === hit.item) : list.filter((l) => l.o.item === undefined);
  }
  return [];
}

/**
 * Find references. On an object's name, a reference to it, or a generator's
 * name: every value that names that object (and its declaration when asked).
 * Anywhere else in a file: the kustomization entries and agent paths that
 * include the file (or, for a kustomization, its folder).
 */
export function referencesAt(graph: RepoGraph, file: string, p: Position, includeDeclaration: boolean): FileLocation[] {
  const hit = hitAt(graph, file, p);
  const out: FileLocation[] = [];
  if (hit && hit.type !== 'path' && hit.type !== 'document') {
    const objects = objectsAt(graph, file, hit);
    const reverse = reverseReferences(graph);
    const keys = new Set(objects.map((l) => declarationKey(l.o)).filter((k): k is string => !!k));
    for (const k of keys) out.push(...(reverse.get(k) ?? []).map(({ file: f, range }) => ({ file: f, range })));
    if (includeDeclaration) for (const l of objects) {
      const d = declarationOf(graph, l.o);
      if (d) out.push(d);
    }
    if (out.length || keys.size) return dedupe(out);
  }
  return includesOf(graph, file);
}

/** The entries and agent paths that bring a file (or a kustomization's folder) into a build. */
export function includesOf(graph: RepoGraph, file: string): FileLocation[] {
  const out: FileLocation[] = [];
  for (const inc of graph.includes.get(file) ?? []) out.push(inc.from);
  if (graph.files.kustomizationDirs.get(path.dirname(file)) === file) for (const inc of graph.includes.get(path.dirname(file)) ?? []) out.push(inc.from);
  // A file of a plain folder that a Flux Kustomization renders is included by the agent's path.
  for (const unit of graph.byFile.get(file) ?? []) {
    if (!unit.agent || graph.files.kustomizationDirs.has(unit.root) || !file.startsWith(unit.root + path.sep)) continue;
    for (const inc of unit.includes) if ((inc.field === 'spec.path' || inc.field.startsWith('spec.source')) && inc.target === unit.root) out.push(inc.from);
  }
  return dedupe(out);
}

/** The "built by" lens of each document of a file (one for the file when all its documents have the same builds). */
export function builtByLenses(graph: RepoGraph, file: string): BuiltByLens[] {
  const indexed = graph.files.files.get(file);
  if (!indexed || !indexed.docs.length) return [];
  const unitsOfDoc = (doc: IndexedDoc): Unit[] => {
    const units = new Set<Unit>((graph.byDoc.get(docKey(file, doc.index)) ?? []).map((l) => l.unit));
    if (doc.kustomization || !doc.kind) for (const u of graph.byFile.get(file) ?? []) units.add(u);
    // A loose file is its own unit: nothing builds it.
    return [...units].filter((u) => u.root !== file);
  };
  const locations = includesOf(graph, file);
  const out: BuiltByLens[] = [];
  let previous = '';
  for (const doc of indexed.docs) {
    const units = unitsOfDoc(doc);
    if (!units.length) continue;
    const title = builtByTitle(units);
    if (title === previous) continue;
    previous = title;
    out.push({ range: { start: doc.range.start, end: doc.range.start }, title, locations });
  }
  return out;
}

/** `built by apps/production, apps/staging · cluster production, staging`. */
export function builtByTitle(units: Unit[]): string {
  const labels = [...new Set(units.map((u) => u.label))].sort();
  const shown = labels.length > 3 ? `${labels.slice(0, 3).join(', ')} and ${labels.length - 3} more` : labels.join(', ');
  const clusters = [...new Set(units.map((u) => u.cluster).filter((c): c is string => !!c))].sort();
  return `built by ${shown}${clusters.length ? ` · cluster${clusters.length > 1 ? 's' : ''} ${clusters.join(', ')}` : ''}`;
}

function dedupe(list: FileLocation[]): FileLocation[] {
  const seen = new Set<string>();
  return list.filter((l) => {
    const k = `${l.file}|${l.range.start.line}:${l.range.start.character}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** What can be renamed at a position: the range of the name there and the object's current name. */
export function prepareRenameAt(graph: RepoGraph, file: string, p: Position): { range: Range; name: string; kind: string } | { error: string } | undefined {
  const hit = hitAt(graph, file, p);
  if (!hit || hit.type === 'path' || hit.type === 'document') return undefined;
  const objects = objectsAt(graph, file, hit);
  const o = objects[0]?.o;
  if (!o) return { error: 'No object of this repository is declared with this name: nothing to rename.' };
  if (!RENAMEABLE_KINDS.has(o.kind)) return { error: `Rename updates ConfigMap, Secret and Service names; this is a ${o.kind}.` };
  const range = hit.type === 'site' ? hit.site.range : hit.type === 'generator' ? hit.range : hit.item !== undefined ? hit.doc.items![hit.item].nameRange : hit.doc.nameRange!;
  return { range, name: o.origName, kind: o.kind };
}

/** DNS-1123 subdomain (ConfigMap, Secret) or DNS-1035 label (Service). */
export function validNewName(kind: string, name: string): string | undefined {
  if (kind === 'Service') return /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/.test(name) ? undefined : `"${name}" is not a valid Service name: lowercase letters, digits and '-', starting with a letter, at most 63 characters.`;
  return name.length <= 253 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(name)
    ? undefined
    : `"${name}" is not a valid ${kind} name: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit.`;
}

/**
 * The edits that rename the object at a position: its declaration (or
 * generator entry) and every reference to it in the units that render it.
 * A reference written with the final name (a prefix added) keeps the prefix.
 */
export function renameEdits(graph: RepoGraph, file: string, p: Position, newName: string): Map<string, Array<{ range: Range; newText: string }>> | { error: string } {
  const prepared = prepareRenameAt(graph, file, p);
  if (!prepared) return { error: 'Nothing to rename here: put the cursor on a ConfigMap, Secret or Service name.' };
  if ('error' in prepared) return prepared;
  const invalid = validNewName(prepared.kind, newName);
  if (invalid) return { error: invalid };
  const hit = hitAt(graph, file, p)!;
  const objects = objectsAt(graph, file, hit).filter((l) => RENAMEABLE_KINDS.has(l.o.kind));
  const oldName = objects[0].o.origName;
  const units = new Set(objects.map((l) => l.unit));
  const reverse = reverseReferences(graph);
  const edits = new Map<string, Array<{ range: Range; newText: string }>>();
  const seen = new Set<string>();
  const add = (f: string, range: Range, newText: string) => {
    const k = `${f}|${range.start.line}:${range.start.character}`;
    if (seen.has(k)) return;
    seen.add(k);
    const list = edits.get(f) ?? [];
    list.push({ range, newText });
    edits.set(f, list);
  };
  for (const l of objects) {
    const d = declarationOf(graph, l.o);
    if (d) add(d.file, d.range, newName);
    for (const use of reverse.get(declarationKey(l.o) ?? '') ?? []) {
      // Only the bindings that render this object: another overlay's same-named object is another object.
      const inUnits = (graph.byFile.get(use.file) ?? []).some((u) => units.has(u)) || [...units].some((u) => u.objects.some((o) => o.file === use.file));
      if (!inUnits) continue;
      add(use.file, use.range, use.written === oldName ? newName : use.written.split(oldName).join(newName));
    }
  }
  return edits;
}
