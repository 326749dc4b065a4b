/**
 * The checks that run before kustomize builds a folder, so the build stays inside the
 * repository. kustomize itself now runs with its default load restrictor (a file must lie in
 * or below the kustomization that names it, links resolved), which stops `files:
 * [/proc/self/environ]`, `resources: [../../outside.yaml]` and links to /dev/zero. What the
 * restrictor allows is checked here, over every kustomization the build reaches: a folder
 * reference (`resources`, `components`, plugin configurations) must resolve inside the
 * repository, remote references are not fetched, and generator inputs must be regular files
 * under the size cap. Secret generator literals and env files are registered for redaction
 * first: kustomize echoes them in its errors.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { registerSecretValue } from '../secrets/mask-secrets.js';
import type { RepoIndex } from './repo-index.js';
import { checkSourceFile, confinedPath, ConfinementError, MAX_SOURCE_FILE_BYTES } from './source-confinement.js';

/** Registers a secretGenerator's literal (`key=value`) and env file lines so that no message shows them. */
async function registerSecretInputs(literals: string[], envFiles: string[]): Promise<void> {
  for (const l of literals) {
    registerSecretValue(l);
    const eq = l.indexOf('=');
    if (eq >= 0) registerSecretValue(l.slice(eq + 1));
  }
  for (const f of envFiles) {
    let text: string;
    try {
      const st = await fs.stat(f);
      if (!st.isFile() || st.size > MAX_SOURCE_FILE_BYTES) continue;
      text = await fs.readFile(f, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split(/\r?\n/)) {
      const t = line.trim();
      if (!t || t.startsWith('#')) continue;
      registerSecretValue(t);
      const eq = t.indexOf('=');
      if (eq >= 0) registerSecretValue(t.slice(eq + 1));
    }
  }
}

/**
 * Checks the kustomization at `dir` and every kustomization it reaches; throws a
 * {@link ConfinementError} naming the first reference that would leave the repository, be
 * fetched from the network, or read something that is not a regular file of bounded size.
 */
export async function checkKustomizeSources(index: RepoIndex, dir: string, seen = new Set<string>()): Promise<void> {
  if (seen.has(dir)) return;
  seen.add(dir);
  const k = index.kustomizations.get(dir);
  if (!k) return;
  const where = path.relative(index.root, k.file) || k.file;
  await registerSecretInputs(k.secretLiterals, k.secretEnvFiles);
  if (k.remote.length) {
    throw new ConfinementError(`${where} refers to the remote base ${JSON.stringify(k.remote[0])}; the preview does not fetch remote sources. Preview a kustomization whose resources are in the repository.`);
  }
  for (const d of k.dirs) {
    await confinedPath(index.root, d, `${where}: the folder`);
  }
  for (const f of k.generatorFiles) await checkSourceFile(index.root, f, `${where}: the generator input`);
  for (const d of k.dirs) await checkKustomizeSources(index, d, seen);
}
