/**
 * Keeps rendering inside the repository. A preview renders what a repository says, and a
 * hostile repository can say "read /proc/self/environ", "build ../../outside", "render
 * /tmp/x", "use ../values.yaml", or point a generator at /dev/zero. The agents confine their
 * builds to the source root (Flux joins paths with SecureJoin, Argo CD refuses paths outside
 * the repository); so does the preview:
 *
 * - agent paths: Flux `spec.path` is clamped to the root as SecureJoin does; Argo CD
 *   `source.path` outside the repository (or absolute) is refused, as the repo-server does;
 * - every folder and file the renderer or a tool is pointed at must resolve (symbolic links
 *   followed) inside the root;
 * - only regular files under a size cap are read: no device, FIFO or socket, no 5 GB file.
 *
 * Errors are {@link ConfinementError}s with a message that names the offending path
 * relative to the repository and says what to do.
 */
import { promises as fs, type Stats } from 'node:fs';
import * as path from 'node:path';

/** Largest repository file a preview reads or lets a tool read, in bytes (16 MiB). */
export const MAX_SOURCE_FILE_BYTES = 16 * 1024 * 1024;
/** Most files checked in one folder tree before giving up (a tree this big is not a GitOps path). */
export const MAX_TREE_FILES = 50_000;

/** A path the preview refuses to read; the message is safe to show. */
export class ConfinementError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfinementError';
  }
}

/** True when `child` is `parent` or below it (both absolute and normalized). */
export function isWithin(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

const realRoots = new Map<string, Promise<string>>();

/** The root with symbolic links resolved (remembered per root). */
function realRoot(root: string): Promise<string> {
  let p = realRoots.get(root);
  if (!p) {
    p = fs.realpath(root).catch(() => path.resolve(root));
    realRoots.set(root, p);
    if (realRoots.size > 64) realRoots.delete(realRoots.keys().next().value!);
  }
  return p;
}

function shown(root: string, p: string): string {
  const rel = path.relative(root, p);
  return !rel ? '.' : rel.startsWith('..') || path.isAbsolute(rel) ? p : rel;
}

/**
 * Flux `spec.path` resolved the way kustomize-controller does (SecureJoin): the path is
 * cleaned as if the repository root were `/`, so `..` cannot climb above it and an absolute
 * path is taken from the root. Returns the folder and whether it was clamped.
 */
export function fluxSourcePath(root: string, relative: string): { folder: string; clamped: boolean } {
  const cleaned = path.posix.normalize(`/${relative.replace(/\\/g, '/')}`);
  const folder = path.join(root, ...cleaned.split('/').filter(Boolean));
  const naive = path.resolve(root, relative);
  return { folder, clamped: naive !== folder };
}

/**
 * Argo CD `source.path` resolved the way the repo-server does: an absolute path, or one that
 * leaves the repository, is an error (returned, so the caller reports it on the Application).
 */
export function argoSourcePath(root: string, relative: string): { folder: string } | { error: string } {
  if (path.isAbsolute(relative) || /^[a-zA-Z]:[\\/]/.test(relative)) {
    return { error: `source.path ${JSON.stringify(relative)} is absolute; Argo CD only renders paths inside the repository. Use a path relative to the repository root.` };
  }
  const folder = path.resolve(root, relative);
  if (!isWithin(folder, root)) return { error: `source.path ${JSON.stringify(relative)} leaves the repository; Argo CD refuses it ("app path outside root"). Use a path inside the repository.` };
  return { folder };
}

/**
 * Resolves `p` (symbolic links followed) and checks it lies inside `root`; `what` names the
 * field for the message. Resolves the real path; a path that does not exist resolves to
 * itself (the tool will report it missing).
 */
export async function confinedPath(root: string, p: string, what: string): Promise<string> {
  const abs = path.resolve(root, p);
  const realRootPath = await realRoot(root);
  let real: string;
  try {
    real = await fs.realpath(abs);
  } catch {
    real = abs;
  }
  if (!isWithin(abs, root) && !isWithin(abs, realRootPath)) {
    throw new ConfinementError(`${what} ${JSON.stringify(shown(root, abs))} is outside the repository; the preview only reads files inside ${root}.`);
  }
  if (!isWithin(real, realRootPath)) {
    throw new ConfinementError(`${what} ${JSON.stringify(shown(root, abs))} is a link to ${real}, outside the repository; the preview only reads files inside it.`);
  }
  return real;
}

function kindOf(st: Stats): string {
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * Checks that `file` is a regular file inside `root` (links followed) and at most
 * {@link MAX_SOURCE_FILE_BYTES}; throws a {@link ConfinementError} otherwise. A missing file
 * passes (whoever reads it reports it missing).
 */
export async function checkSourceFile(root: string, file: string, what = 'file', maxBytes = MAX_SOURCE_FILE_BYTES): Promise<void> {
  const real = await confinedPath(root, file, what);
  let st: Stats;
  try {
    st = await fs.stat(real);
  } catch {
    return;
  }
  if (st.isDirectory()) return;
  if (!st.isFile()) throw new ConfinementError(`${what} ${JSON.stringify(shown(root, path.resolve(root, file)))} is ${kindOf(st)}; the preview reads regular files only.`);
  if (st.size > maxBytes) {
    throw new ConfinementError(`${what} ${JSON.stringify(shown(root, path.resolve(root, file)))} is ${Math.round(st.size / 1024 / 1024)} MiB; the preview reads files up to ${Math.round(maxBytes / 1024 / 1024)} MiB.`);
  }
}

/**
 * Checks a folder tree a tool will read (a chart, a kustomization folder): every entry is a
 * folder or a regular file under the size cap, and every link resolves inside `root`.
 */
export async function checkSourceTree(root: string, dir: string, what = 'folder', opts: { maxBytes?: number; maxFiles?: number; signal?: AbortSignal } = {}): Promise<void> {
  await confinedPath(root, dir, what);
  const maxFiles = opts.maxFiles ?? MAX_TREE_FILES;
  let seen = 0;
  const walk = async (d: string): Promise<void> => {
    opts.signal?.throwIfAborted();
    let entries: import('node:fs').Dirent[];
    try {
      entries = await fs.readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (++seen > maxFiles) throw new ConfinementError(`${what} ${JSON.stringify(shown(root, dir))} holds more than ${maxFiles} entries; the preview does not read trees this big.`);
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        if (e.name === '.git') continue;
        await walk(p);
      } else if (e.isSymbolicLink()) {
        const real = await confinedPath(root, p, `${what} entry`);
        const st = await fs.stat(real).catch(() => undefined);
        // A link to a folder inside the repository is read by whoever follows it; its own tree is checked where it lives.
        if (st && !st.isDirectory()) await checkSourceFile(root, p, `${what} entry`, opts.maxBytes);
      } else if (!e.isFile()) {
        await checkSourceFile(root, p, `${what} entry`, opts.maxBytes);
      } else {
        const st = await fs.stat(p).catch(() => undefined);
        if (st && st.size > (opts.maxBytes ?? MAX_SOURCE_FILE_BYTES)) await checkSourceFile(root, p, `${what} entry`, opts.maxBytes);
      }
    }
  };
  await walk(dir);
}
