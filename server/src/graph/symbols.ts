/**
 * Symbols of the indexed files: the outline of a file (one symbol per YAML
 * document, `Kind name`, with its top-level keys as children, which is also
 * what breadcrumbs show) and workspace symbols (`kind/name` of every object,
 * generated ConfigMaps and Secrets included, with its rendered namespace).
 */
import * as path from 'node:path';
import type { Range } from '../findings.js';
import type { FileLocation } from './graph-types.js';
import type { IndexedDoc, IndexedFile } from './index-file.js';
import { docKey, type RepoGraph } from './repo-graph.js';

/** One symbol of a file's outline. */
export interface OutlineSymbol {
  name: string;
  detail?: string;
  /** `object`, `kustomization`, `list`, `section` or `document` (no kind). */
  type: 'object' | 'kustomization' | 'list' | 'section' | 'document';
  range: Range;
  selectionRange: Range;
  children?: OutlineSymbol[];
}

/** One object of the workspace. */
export interface ObjectSymbol {
  /** `Deployment/web`. */
  name: string;
  /** Namespace and file, e.g. `podinfo · apps/base/podinfo/release.yaml`. */
  container: string;
  kind: string;
  location: FileLocation;
}

/** The outline of a file. */
export function outlineOf(file: IndexedFile): OutlineSymbol[] {
  const many = file.docs.length > 1;
  return file.docs.map((doc) => documentSymbol(doc, many));
}

function documentSymbol(doc: IndexedDoc, numbered: boolean): OutlineSymbol {
  const children: OutlineSymbol[] = doc.sections.map((s) => ({ name: s.key, type: 'section', range: s.range, selectionRange: s.selectionRange }));
  const type: OutlineSymbol['type'] = doc.kustomization ? 'kustomization' : doc.items ? 'list' : doc.kind ? 'object' : 'document';
  const name = doc.kustomization
    ? doc.kind ?? 'Kustomization'
    : doc.kind
      ? `${doc.kind}${doc.name ? ` ${doc.name}` : ''}`
      : `Document ${doc.index + 1}`;
  const detail = [doc.namespace, doc.apiVersion].filter(Boolean).join(' · ') || (numbered ? `document ${doc.index + 1}` : undefined);
  return {
    name,
    ...(detail ? { detail } : {}),
    type,
    range: doc.range,
    selectionRange: doc.nameRange ?? doc.kindRange ?? { start: doc.range.start, end: doc.range.start },
    ...(children.length ? { children } : {}),
  };
}

/** True when every character of the query appears in order in the text (case-insensitive), as VS Code's own filter does. */
function fuzzy(query: string, text: string): boolean {
  if (!query) return true;
  const q = query.toLowerCase();
  const t = text.toLowerCase();
  if (t.includes(q)) return true;
  let i = 0;
  for (const c of t) if (c === q[i] && ++i === q.length) return true;
  return false;
}

/** Objects whose `kind/name` matches the query; rendered namespaces when a unit renders them. */
export function workspaceSymbols(graph: RepoGraph, query: string, limit = 500): ObjectSymbol[] {
  const out: ObjectSymbol[] = [];
  const rel = (f: string) => path.relative(graph.root, f).split(path.sep).join('/');
  const files = [...graph.files.files.keys()].sort();
  const patches = patchFiles(graph);
  for (const file of files) {
    if (graph.files.isInChart(file) || patches.has(file)) continue;
    for (const doc of graph.files.files.get(file)!.docs) {
      if (doc.kustomization) {
        for (const g of doc.kustomization.generators) {
          const name = `${g.kind}/${g.name}`;
          if (!fuzzy(query, name)) continue;
          out.push({ name, kind: g.kind, container: `generated · ${rel(file)}`, location: { file, range: g.range } });
        }
        continue;
      }
      const objects = doc.items ?? (doc.kind && doc.name ? [{ kind: doc.kind, name: doc.name, namespace: doc.namespace, nameRange: doc.nameRange ?? doc.range }] : []);
      for (const o of objects) {
        const name = `${o.kind}/${o.name}`;
        if (!fuzzy(query, name)) continue;
        const rendered = graph.byDoc.get(docKey(file, doc.index))?.[0]?.o.namespace;
        const ns = rendered || o.namespace;
        out.push({ name, kind: o.kind, container: `${ns ? `${ns} · ` : ''}${rel(file)}`, location: { file, range: o.nameRange } });
        if (out.length >= limit) return out;
      }
    }
  }
  return out;
}

const PATCH_FIELDS = new Set(['patches', 'patchesStrategicMerge', 'patchesJson6902']);

/** Files that kustomizations use as patches: they change objects, they do not declare them. */
export function patchFiles(graph: RepoGraph): Set<string> {
  const out = new Set<string>();
  for (const [target, includes] of graph.includes) if (includes.some((i) => PATCH_FIELDS.has(i.field))) out.add(target);
  return out;
}
