/**
 * The desired documents of a manifest file, for drift: the validator's
 * parseManifests (same limits against hostile input, same document split),
 * keeping only plain objects that parsed cleanly. With the file's path (and
 * the workspace's kustomizations and charts in a WorkspaceIndex) it also
 * uses the validator's classification, so kustomize patches, kustomization
 * files, Helm templates, values files and generator inputs are never
 * compared with the cluster as if they were whole objects (patches may be
 * asked for: drift compares the fields they declare, through the render).
 */
import { parseManifests } from '../manifests/parse-manifests.js';
import { classifyDocument, isHelmTemplate, type WorkspaceIndex } from '../manifests/classify-document.js';
import type { DesiredDocument } from './compute-drift.js';

/** Where a file lies, for {@link desiredDocuments} to classify its documents like validation does. */
export interface DesiredDocumentsContext {
  /** The file's path (absolute, or relative to the same root as the paths given to the index). */
  filePath: string;
  /** The workspace's kustomizations and Helm charts; without it only file-name rules apply. */
  index?: WorkspaceIndex;
  /**
   * Also return kustomize strategic-merge patches, marked `patch: true`:
   * drift compares the fields they declare once the render maps them to the
   * object they patch (see rendered-desired.ts).
   */
  patches?: boolean;
}

/** Parses `text` and returns the documents drift can compare: only Kubernetes objects (and, with `where.patches`, kustomize patches) when `where` is given. */
export function desiredDocuments(text: string, where?: DesiredDocumentsContext): DesiredDocument[] {
  if (/\{\{/.test(text)) return [];
  if (where && isHelmTemplate(where.filePath, text, where.index)) return [];
  let parsed;
  try {
    parsed = parseManifests(text);
  } catch {
    return [];
  }
  return parsed.documents
    .filter((d) => d.document.errors.length === 0 && d.value && typeof d.value === 'object' && !Array.isArray(d.value))
    .map((d) => ({ d, cls: where ? classifyDocument(where.filePath, d, where.index, text) : 'kubernetes-object' }))
    .filter(({ cls }) => cls === 'kubernetes-object' || (cls === 'kustomize-patch' && where?.patches === true))
    .map(({ d, cls }) => ({
      document: d.document,
      value: d.value,
      apiVersion: d.apiVersion,
      kind: d.kind,
      name: d.name,
      namespace: d.namespace,
      offset: d.offset,
      ...(cls === 'kustomize-patch' ? { patch: true } : {}),
    }));
}
