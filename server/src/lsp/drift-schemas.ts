/**
 * Cluster-schema wiring: when a drift service fetches a context's OpenAPI
 * schemas, validation switches to them (and they are cached on disk per
 * context and server); until then, or while the cluster is unreachable,
 * validation uses the cached copy of an earlier connection. Also remembers,
 * per context, which schemas validation uses, for the status bar.
 */
import { join } from 'node:path';
import type { ClusterSchemaInfo, ContextStatus } from '../drift/drift-service.js';
import type { SchemaSource } from '../protocol/protocol.js';
import { ClusterSchemaCache, defaultClusterSchemaCacheDir } from '../schemas/cluster-schema-cache.js';
import type { SchemaRegistryPort, ServerContext } from './server-context.js';

/** Which cluster schemas validation uses, per context, and the on-disk cache they are kept in. */
export class DriftClusterSchemas {
  /** Which cluster schemas validation uses per context: fetched live, or loaded from the on-disk cache. */
  private readonly sources = new Map<string, SchemaSource>();
  private readonly cache: ClusterSchemaCache;

  /** `changed` is called when validation's schemas changed (for the status bar). */
  constructor(
    private readonly ctx: ServerContext,
    private readonly changed: () => void,
  ) {
    // The editor's global storage folder when the client passed one; else the user cache folder (CLI, other editors).
    this.cache = new ClusterSchemaCache(ctx.storagePath ? join(ctx.storagePath, 'cluster-schemas') : defaultClusterSchemaCacheDir());
  }

  /** Where the schemas validation uses for a context come from. */
  sourceOf(context: string): SchemaSource {
    return this.sources.get(context) ?? { kind: 'bundled' };
  }

  /** The options a drift service gets to share list-map keys and fetched schemas with validation; none without a schema registry. */
  serviceOptions(): { listMapKeys?: (apiVersion: string, kind: string, p: Array<string | number>) => string[] | undefined; onClusterSchemas?: (context: string, docs: unknown[], info: ClusterSchemaInfo) => void } {
    const schemas = this.ctx.schemas;
    if (!schemas) return {};
    return {
      listMapKeys: (apiVersion, kind, p) => schemas.listMapKeys(apiVersion, kind, p),
      onClusterSchemas: (context, docs, info) => this.useFetched(schemas, context, docs, info),
    };
  }

  private useFetched(schemas: SchemaRegistryPort, context: string, docs: unknown[], info: ClusterSchemaInfo): void {
    const { ctx } = this;
    schemas.setClusterSchemas(`cluster:${context}`, docs, info.kubernetesVersion);
    const cachedAt = new Date().toISOString();
    this.sources.set(context, { kind: 'cluster', context, ...(info.kubernetesVersion ? { kubernetesVersion: info.kubernetesVersion } : {}) });
    ctx.log.info(`Validation now uses the OpenAPI schemas of context ${context}.`);
    // Persisted so validation keeps this cluster's schemas when it is unreachable later.
    if (info.server) {
      try {
        this.cache.write(info.server, { context, kubernetesVersion: info.kubernetesVersion, cachedAt, documents: info.documents });
      } catch (err) {
        ctx.log.warn(`Could not cache the schemas of context ${context} in ${this.cache.dir}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    ctx.validation.revalidateAll();
    this.changed();
  }

  /**
   * Until a context's schemas have been fetched live (unreachable, unauthorized,
   * still connecting), validation uses the copy cached on disk by an earlier
   * connection to the same context and server, if any. Trusted folders only:
   * the drift service, which reports these states, runs only there.
   */
  loadCached(status: ContextStatus): void {
    const { ctx } = this;
    if (!ctx.schemas || !ctx.cluster.isTrusted || !status.context || !status.server || this.sources.has(status.context)) return;
    const entry = this.cache.read(status.context, status.server);
    if (!entry) return;
    const docs = Object.values(entry.documents);
    if (!docs.length) return;
    ctx.schemas.setClusterSchemas(`cluster:${status.context}`, docs, entry.kubernetesVersion);
    this.sources.set(status.context, {
      kind: 'cluster-cache',
      context: status.context,
      cachedAt: entry.cachedAt,
      ...(entry.kubernetesVersion ? { kubernetesVersion: entry.kubernetesVersion } : {}),
    });
    ctx.log.info(`Validation uses the cached OpenAPI schemas of context ${status.context} (fetched ${entry.cachedAt}) until the cluster is reachable.`);
    ctx.validation.revalidateAll();
  }
}
