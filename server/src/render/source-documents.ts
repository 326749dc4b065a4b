/**
 * The preview's view of manifest source: each YAML document of a file with
 * its plain value, identity and range, and a way to find the range of a
 * field path inside it (to put an API server's "invalid field" error on the
 * right key). Parsing itself is the validation engine's job
 * (server/src/manifests/parse-manifests.ts); this adapter only reshapes it.
 */
import type { Range } from '../findings.js';
import { parseManifests, rangeOfPath } from '../manifests/parse-manifests.js';

/** One YAML document of a source file. */
export interface SourceDocument {
  file: string;
  value: unknown;
  apiVersion?: string;
  kind?: string;
  name?: string;
  namespace?: string;
  /** Range of the document's contents (from its first key). */
  range: Range;
  /** Range of a dotted/indexed field path (`spec.replicas`, `spec.containers[0].image`): its key, or the nearest existing ancestor's key. */
  rangeOf(path: string): Range;
}

/** Splits `spec.containers[0].image` / `metadata.labels["a.b/c"]` into keys and indexes. */
export function splitFieldPath(path: string): Array<string | number> {
  const out: Array<string | number> = [];
  const re = /\[(\d+)\]|\["([^"]*)"\]|\[([^\]]*)\]|([^.[\]]+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(path))) {
    if (m[1] !== undefined) out.push(Number(m[1]));
    else if (m[2] !== undefined) out.push(m[2]);
    else if (m[3] !== undefined) out.push(m[3]);
    else if (m[4] !== undefined) out.push(m[4]);
  }
  return out;
}

/** Parses every YAML document of `text`; broken documents are skipped (validation reports them). */
export function parseSourceDocuments(file: string, text: string): SourceDocument[] {
  const parsed = parseManifests(text);
  const out: SourceDocument[] = [];
  for (const doc of parsed.documents) {
    const v = doc.value;
    if (!v || typeof v !== 'object' || Array.isArray(v) || doc.document.errors.length > 0) continue;
    out.push({
      file,
      value: v,
      apiVersion: doc.apiVersion,
      kind: doc.kind,
      name: doc.name,
      namespace: doc.namespace,
      // The contents' range, so that jumping to the object lands on its first key rather than on the `---` marker.
      range: rangeOfPath(parsed, doc, [], 'key'),
      rangeOf: (path: string) => rangeOfPath(parsed, doc, splitFieldPath(path), 'key'),
    });
  }
  return out;
}
