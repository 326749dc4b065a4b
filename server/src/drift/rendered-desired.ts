/**
 * Desired values as the agent renders them, for drift: a manifest file that
 * a kustomization builds (through an overlay such as apps/production that
 * patches `spec.replicas`) is applied with the overlay's values, so drift
 * must compare the live object with those, not with the file's literals.
 * Rendering is the preview's job (render/render-desired.ts: the same unit
 * selection, Flux/Argo CD bindings and `kubectl kustomize` build); this file
 * only maps rendered objects back onto the desired documents of a file, and
 * gives up (today's file-as-written behaviour) whenever that mapping is not
 * one-to-one.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { renderDesired, type DesiredObject, type RenderOptions } from '../render/render-desired.js';
import type { SourceDocument } from '../render/source-documents.js';
import type { DesiredDocument, RenderedDesired } from './compute-drift.js';

/** A rendered object and the source document of a file it comes from: its declaration, or a patch that targets it. */
export interface RenderedFromSource {
  object: DesiredObject;
  doc: SourceDocument;
}

/** Rendered objects of kustomize units, by the source file they were mapped back to. */
export interface RenderedIndex {
  /**
   * Absolute source file → rendered objects mapped to one of its documents:
   * for a resource file, the objects it declares; for a strategic-merge
   * patch file, the objects its documents patch.
   */
  byFile: Map<string, RenderedFromSource[]>;
  /** The repository root, for labels. */
  root: string;
  /** Every file the rendered units read, for a cache keyed by their modification times. */
  files: string[];
}

/**
 * Renders the kustomize units that build any of `files` (absolute paths)
 * once, with the preview's renderer. Failures (no kubectl, a broken
 * kustomization) yield an empty index: drift then compares files as written.
 */
export async function renderForDrift(root: string, files: string[], extra: Partial<RenderOptions> = {}): Promise<RenderedIndex> {
  const byFile = new Map<string, RenderedFromSource[]>();
  const read = new Set<string>();
  if (!files.length) return { byFile, root, files: [] };
  let objects: DesiredObject[];
  try {
    const result = await renderDesired({ root, paths: files, ...extra });
    objects = result.objects;
    for (const u of result.units) for (const f of u.files) read.add(f);
  } catch {
    return { byFile, root, files: [] };
  }
  const add = (file: string, entry: RenderedFromSource) => {
    const key = path.resolve(file);
    const list = byFile.get(key) ?? [];
    list.push(entry);
    byFile.set(key, list);
  };
  for (const o of objects) {
    // Only kustomize output is a rendering; loose files are their own desired state.
    if (!o.source?.mapped || !o.source.document) continue;
    add(o.source.file, { object: o, doc: o.source.document });
    // The patches the renderer found targeting the object: each patch document maps to it too.
    for (const p of o.source.patches ?? []) if (p.file && path.resolve(p.file) !== path.resolve(o.source.file)) add(p.file, { object: o, doc: p });
  }
  return { byFile, root, files: [...read] };
}

/**
 * The rendered counterpart of one desired document, or undefined when there
 * is none or more than one distinct candidate (a base built by two
 * overlays with different values, a name that more than one rendered object
 * could come from): the caller then keeps the file's values.
 */
export function renderedFor(index: RenderedIndex, filePath: string, doc: DesiredDocument): RenderedDesired | undefined {
  const candidates = (index.byFile.get(path.resolve(filePath)) ?? []).filter(({ object: o, doc: src }) => {
    return (
      src.apiVersion === doc.apiVersion &&
      src.kind === doc.kind &&
      src.name === doc.name &&
      (src.namespace ?? '') === (doc.namespace ?? '') &&
      o.object.apiVersion === doc.apiVersion &&
      o.object.kind === doc.kind &&
      typeof o.object.metadata.name === 'string' &&
      o.object.metadata.name.includes(doc.name ?? '\0')
    );
  });
  if (!candidates.length) return undefined;
  const first = candidates[0].object;
  const firstJson = JSON.stringify(first.object);
  const same = candidates.every((c) => JSON.stringify(c.object.object) === firstJson);
  if (!same) return undefined;
  const label = path.relative(index.root, first.unit).replace(/\\/g, '/') || '.';
  return { value: first.object, label, name: first.object.metadata.name };
}

/** Attaches {@link renderedFor} to each document of a file (in place) and returns them. */
export function withRendered(index: RenderedIndex, filePath: string, docs: DesiredDocument[]): DesiredDocument[] {
  for (const d of docs) {
    const r = renderedFor(index, filePath, d);
    if (r) d.rendered = r;
  }
  return docs;
}

/**
 * Renders for the editor, cached per file: an entry is reused while the
 * workspace's kustomization generation is the same and every file its units
 * read (kustomizations, bases, patches) keeps its size and modification time,
 * so a render happens after a save or a kustomization change, never per
 * keystroke (the caller only asks when the open text equals the file on disk).
 */
export class RenderCache {
  private readonly entries = new Map<string, { generation: number; stamps: Map<string, string>; index: Promise<RenderedIndex> }>();

  constructor(private readonly root: string) {}

  /** The rendered index for `filePath` (absolute), rendering when the cached one is stale. */
  async get(filePath: string, generation: number): Promise<RenderedIndex> {
    const key = path.resolve(filePath);
    const cached = this.entries.get(key);
    if (cached && cached.generation === generation) {
      const index = await cached.index;
      const fresh = await stampsOf([...cached.stamps.keys()]);
      if ([...cached.stamps].every(([f, s]) => fresh.get(f) === s) && this.entries.get(key) === cached) return index;
    }
    const entry = { generation, stamps: new Map<string, string>(), index: renderForDrift(this.root, [key]) };
    this.entries.set(key, entry);
    const index = await entry.index;
    // Stamps taken after the render: a save during it only causes one more render later.
    entry.stamps = await stampsOf([...new Set([key, ...index.files])]);
    return index;
  }

  /** Forgets a closed file's render. */
  delete(filePath: string): void {
    this.entries.delete(path.resolve(filePath));
  }
}

async function stampsOf(files: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  await Promise.all(
    files.map(async (f) => {
      try {
        const st = await fs.stat(f);
        out.set(f, `${st.size}:${st.mtimeMs}`);
      } catch {
        out.set(f, 'absent');
      }
    }),
  );
  return out;
}
