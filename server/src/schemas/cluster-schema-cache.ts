/**
 * The on-disk cache of a cluster's OpenAPI v3 documents, so validation keeps
 * using a bound cluster's schemas (its Kubernetes version, its CRDs) when the
 * cluster is unreachable later. One JSON file per context + API server: the
 * file name holds a hash of the server URL, and the file holds only what the
 * server published (the OpenAPI documents), its version and the time they
 * were fetched; never the server URL, a user name or any credential.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Format version of the cache files; files of another version are ignored. */
const FORMAT = 1;

/** One cached cluster: its OpenAPI v3 documents keyed by group-version path (`apis/apps/v1`, `api/v1`). */
export interface ClusterSchemaCacheEntry {
  /** The kubeconfig context the documents were fetched through. */
  context: string;
  /** `GET /version` gitVersion of the server, e.g. `v1.37.2`. */
  kubernetesVersion?: string;
  /** ISO time of the fetch. */
  cachedAt: string;
  /** The raw OpenAPI v3 documents, keyed by their path under `/openapi/v3/`. */
  documents: Record<string, unknown>;
}

/**
 * The default cache folder for callers without an editor storage folder (the
 * CLI, tests): `${XDG_CACHE_HOME:-~/.cache}/gitops-lens/cluster-schemas`.
 */
export function defaultClusterSchemaCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(os.homedir(), '.cache');
  return path.join(base, 'gitops-lens', 'cluster-schemas');
}

/** Reads and writes cached cluster schemas in one folder. Every method is synchronous and never throws on I/O errors of reads. */
export class ClusterSchemaCache {
  /** @param dir the cache folder (created on the first write). */
  constructor(readonly dir: string) {}

  /**
   * The file of a context + server. The context name is kept (sanitized) so
   * a person can tell the files apart; the hash of both keeps different
   * servers under the same context name apart without writing the URL down.
   */
  fileFor(context: string, server: string): string {
    const hash = createHash('sha256').update(`${context}\n${server}`).digest('hex').slice(0, 24);
    const readable = context.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 60) || 'context';
    return path.join(this.dir, `${readable}-${hash}.json`);
  }

  /** Stores the documents of a context + server, replacing what was there (atomically: write then rename). */
  write(server: string, entry: ClusterSchemaCacheEntry): string {
    const file = this.fileFor(entry.context, server);
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
    const body = { format: FORMAT, context: entry.context, kubernetesVersion: entry.kubernetesVersion, cachedAt: entry.cachedAt, documents: entry.documents };
    try {
      fs.writeFileSync(tmp, JSON.stringify(body), { mode: 0o600 });
      fs.renameSync(tmp, file);
    } catch (e) {
      fs.rmSync(tmp, { force: true });
      throw e;
    }
    return file;
  }

  /** The cached documents of a context + server, or undefined when absent, unreadable or of another format. */
  read(context: string, server: string): ClusterSchemaCacheEntry | undefined {
    let raw: unknown;
    try {
      raw = JSON.parse(fs.readFileSync(this.fileFor(context, server), 'utf8'));
    } catch {
      return undefined;
    }
    if (!raw || typeof raw !== 'object') return undefined;
    const r = raw as Record<string, unknown>;
    if (r.format !== FORMAT || r.context !== context || typeof r.cachedAt !== 'string') return undefined;
    if (!r.documents || typeof r.documents !== 'object' || Array.isArray(r.documents)) return undefined;
    return {
      context,
      cachedAt: r.cachedAt,
      documents: r.documents as Record<string, unknown>,
      ...(typeof r.kubernetesVersion === 'string' ? { kubernetesVersion: r.kubernetesVersion } : {}),
    };
  }
}
