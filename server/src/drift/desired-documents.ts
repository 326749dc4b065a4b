/**
 * The desired documents of a manifest file, for drift: the validator's
 * parseManifests (same limits against hostile input, same document split),
 * keeping only plain objects that parsed cleanly. Helm templates and
 * documents with syntax errors are not compared.
 */
import { parseManifests } from '../manifests/parse-manifests.js';
import type { DesiredDocument } from './compute-drift.js';

/** Parses `text` and returns the documents drift can compare. */
export function desiredDocuments(text: string): DesiredDocument[] {
  if (/\{\{/.test(text)) return [];
  let parsed;
  try {
    parsed = parseManifests(text);
  } catch {
    return [];
  }
  return parsed.documents
    .filter((d) => d.document.errors.length === 0 && d.value && typeof d.value === 'object' && !Array.isArray(d.value))
    .map((d) => ({ document: d.document, value: d.value, apiVersion: d.apiVersion, kind: d.kind, name: d.name, namespace: d.namespace, offset: d.offset }));
}
