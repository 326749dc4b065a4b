/**
 * The broken-reference findings `gitops-lens validate` adds to the schema
 * findings: the same checks as the editor (server/src/graph), over the whole
 * repository the paths belong to (a reference is only broken in the context
 * of everything that renders it), reported for the files validated.
 */
import * as path from 'node:path';
import type { Finding } from '../findings.js';
import { loadRepository, repositoryRootOf } from '../graph/reference-index.js';

/**
 * Reference findings for `files` (absolute), computed over the repository
 * that holds `targets` (or `root`): the nearest folder above the first
 * target with a `.git`, else the first target itself.
 */
export function referenceFindingsFor(targets: string[], files: string[], root?: string): Map<string, Finding[]> {
  const out = new Map<string, Finding[]>();
  if (!targets.length) return out;
  const repo = root ? path.resolve(root) : repositoryRootOf(targets[0]);
  const wanted = new Set(files.map((f) => path.resolve(f)));
  const findings = loadRepository(repo).findings();
  for (const [file, list] of findings) if (wanted.has(file)) out.set(file, list);
  return out;
}
