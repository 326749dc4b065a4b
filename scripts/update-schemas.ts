/**
 * Generates the committed schemas under `schemas/` (`npm run schemas:update`):
 *
 * - bundle: Kubernetes' built-in kinds, from the OpenAPI v3 documents that a real
 *   kube-apiserver serves (`schemas/index.json`, `schemas/definitions/`);
 * - catalog: the ecosystem's CRDs (Flux, Argo CD, cert-manager, Gateway API, …), from each
 *   project's Go module through the Go module proxy at the versions pinned in
 *   scripts/catalog-sources.json (`schemas/catalog/`);
 * - kubernetes: the built-in schemas of older Kubernetes minors, as diffs against the bundle,
 *   and the API lifecycle table (deprecations/removals), from the `k8s.io/kubernetes` and
 *   `k8s.io/api` modules (`schemas/kubernetes/`).
 *
 *   tsx scripts/update-schemas.ts                      all three; the bundle from the project's control plane
 *   --only bundle|catalog|kubernetes                   just one part (repeatable)
 *   tsx scripts/update-schemas.ts --kubeconfig F [--context C]   read from an already running API server
 *   tsx scripts/update-schemas.ts --static DIR --crd F...        offline: a kubernetes api/openapi-spec/v3 folder plus CRD files
 *   --kubeconform-out DIR   also write per-kind JSON schemas in kubeconform's layout (for the benchmark)
 *   --enums-from FILE       zz_generated.openapi.go to read built-in enums from (default: Go module cache)
 *   --out DIR               where to write the bundle (default: schemas/)
 */
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { collectOpenApi } from '../server/src/schemas/openapi-bundle.js';
import { crdToSchemas } from '../server/src/schemas/crd-schemas.js';
import { writeBundle, writeKubeconformSchemas } from '../server/src/schemas/bundle-writer.js';
import type { DefinitionMap, KindEntry } from '../server/src/schemas/schema-types.js';
import { buildCatalog, writeCatalog, type ProjectCrds } from '../server/src/schemas/catalog-writer.js';
import { collectProject, type CatalogSources } from './catalog/collect-crds.js';
import { overlayEnums, updateKubernetesVersions } from './kubernetes/collect-versions.js';

const repoRoot = path.resolve(__dirname, '..');
const MAX_DESCRIPTION = 700;
/** Catalog descriptions are cut shorter: hover shows the gist, and the catalog is twice the size of the bundle. */
const CATALOG_MAX_DESCRIPTION = 400;

type Part = 'bundle' | 'catalog' | 'kubernetes';
interface Args { out: string; only: Set<Part>; staticDir?: string; crds: string[]; kubeconfig?: string; context?: string; kubeconformOut?: string; enumsFrom?: string }

function parseArgs(argv: string[]): Args {
  const args: Args = { out: path.join(repoRoot, 'schemas'), only: new Set(), crds: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--out') args.out = path.resolve(next());
    else if (a === '--static') args.staticDir = path.resolve(next());
    else if (a === '--crd') args.crds.push(path.resolve(next()));
    else if (a === '--kubeconfig') args.kubeconfig = path.resolve(next());
    else if (a === '--context') args.context = next();
    else if (a === '--enums-from') args.enumsFrom = path.resolve(next());
    else if (a === '--kubeconform-out') args.kubeconformOut = path.resolve(next());
    else if (a === '--only') {
      const part = next();
      if (part !== 'bundle' && part !== 'catalog' && part !== 'kubernetes') throw new Error(`--only takes bundle, catalog or kubernetes, not ${part}`);
      args.only.add(part);
    }
    else throw new Error(`unknown argument ${a}`);
  }
  if (args.only.size === 0) args.only = new Set(['bundle', 'catalog', 'kubernetes']);
  return args;
}

/** Just enough kubeconfig reading for a client-certificate or token user. */
function clientFromKubeconfig(file: string, contextName?: string) {
  const [doc] = parseAllDocuments(fs.readFileSync(file, 'utf8'));
  const cfg = doc.toJS() as any;
  const ctxName = contextName ?? cfg['current-context'];
  const ctx = cfg.contexts.find((c: any) => c.name === ctxName)?.context;
  if (!ctx) throw new Error(`context ${ctxName} not found in ${file}`);
  const cluster = cfg.clusters.find((c: any) => c.name === ctx.cluster)?.cluster;
  const user = cfg.users.find((u: any) => u.name === ctx.user)?.user ?? {};
  const b64 = (v?: string) => (v ? Buffer.from(v, 'base64') : undefined);
  const readMaybe = (p?: string) => (p ? fs.readFileSync(path.resolve(path.dirname(file), p)) : undefined);
  const ca = b64(cluster['certificate-authority-data']) ?? readMaybe(cluster['certificate-authority']);
  const cert = b64(user['client-certificate-data']) ?? readMaybe(user['client-certificate']);
  const key = b64(user['client-key-data']) ?? readMaybe(user['client-key']);
  const token: string | undefined = user.token;
  const agent = new https.Agent({ ca, cert, key });
  const get = (urlPath: string, redirects = 0): Promise<unknown> => new Promise((resolve, reject) => {
    const url = new URL(urlPath, cluster.server);
    const req = https.get(url, { agent, headers: { Accept: 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        // /openapi/v3 documents are addressed by content hash; a newer hash answers with a redirect.
        if ((res.statusCode === 301 || res.statusCode === 302 || res.statusCode === 307) && res.headers.location && redirects < 5) {
          get(res.headers.location, redirects + 1).then(resolve, reject);
        } else if (res.statusCode !== 200) reject(new Error(`GET ${url.pathname}: HTTP ${res.statusCode} ${body.slice(0, 200)}`));
        else resolve(JSON.parse(body));
      });
    });
    req.on('error', reject);
  });
  return get;
}

async function fetchAllDocs(get: (p: string) => Promise<unknown>): Promise<unknown[]> {
  const root = (await get('/openapi/v3')) as { paths: Record<string, { serverRelativeURL: string }> };
  const docs: unknown[] = [];
  for (const [p, entry] of Object.entries(root.paths)) {
    // Only group-version documents describe kinds; `apis`, `api`, `version` etc. are discovery.
    if (!/^(api\/v1|apis\/[^/]+\/[^/]+)$/.test(p)) continue;
    docs.push(await get(entry.serverRelativeURL));
  }
  return docs;
}

/**
 * Reads every group-version document. CRD schemas are published a moment after the CRDs are
 * established, so this polls until every served version of every installed CRD is there.
 */
async function readFromApiServer(get: (p: string) => Promise<unknown>): Promise<{ docs: unknown[]; version: string }> {
  const version = ((await get('/version')) as { gitVersion: string }).gitVersion;
  const crdList = (await get('/apis/apiextensions.k8s.io/v1/customresourcedefinitions')) as { items: any[] };
  const expected = crdList.items.flatMap((crd) => (crd.spec.versions as any[]).filter((v) => v.served).map((v) => `${crd.spec.group}/${v.name}/${crd.spec.names.kind}`));
  const deadline = Date.now() + 90_000;
  for (;;) {
    const docs = await fetchAllDocs(get);
    const { kinds } = collectOpenApi(docs);
    const have = new Set(kinds.map((k) => `${k.group}/${k.version}/${k.kind}`));
    const missing = expected.filter((k) => !have.has(k));
    if (missing.length === 0) return { docs, version };
    if (Date.now() > deadline) throw new Error(`CRD schemas never appeared in /openapi/v3: ${missing.join(', ')}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** The CRD catalog: every project of scripts/catalog-sources.json, read from its Go module. */
function updateCatalog(outDir: string): void {
  const sources = JSON.parse(fs.readFileSync(path.join(repoRoot, 'scripts', 'catalog-sources.json'), 'utf8')) as CatalogSources;
  const projects: ProjectCrds[] = [];
  const failed: string[] = [];
  for (const source of sources.projects) {
    try {
      const p = collectProject(source, sources.controllerTools);
      projects.push(p);
      console.log(`catalog: ${source.id} ${source.module}@${source.version}: ${p.crds.length} CRDs${p.retired.length ? `, ${p.retired.length} dropped versions` : ''}`);
    } catch (err) {
      failed.push(`${source.id} (${source.module}@${source.version}): ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  // A partial catalog would silently drop schemas that users rely on.
  if (failed.length) throw new Error(`catalog not written, these projects failed:\n  ${failed.join('\n  ')}`);
  const { index, definitions } = buildCatalog(projects, {
    maxDescription: CATALOG_MAX_DESCRIPTION,
    onDuplicate: (kind, kept, dropped) => console.warn(`catalog: ${kind} is defined by ${kept} and ${dropped}; ${kept}'s is kept`),
  });
  const bytes = writeCatalog(outDir, index, definitions);
  console.log(`catalog: ${index.kinds.length} kinds of ${index.projects.length} projects, ${index.retired.length} retired versions, ${index.packages.length} files, ${(bytes / 1024 / 1024).toFixed(2)} MiB -> ${path.relative(process.cwd(), outDir) || '.'}`);
  for (const r of sources.refused) console.log(`catalog: not included: ${r.project} (${r.answer})`);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.only.has('catalog')) updateCatalog(path.join(args.out, 'catalog'));
  if (args.only.has('bundle')) await updateBundle(args);
  if (args.only.has('kubernetes')) updateKubernetesVersions(path.join(args.out, 'kubernetes'), { maxDescription: MAX_DESCRIPTION });
}

async function updateBundle(args: Args): Promise<void> {
  let definitions: DefinitionMap;
  let kinds: KindEntry[];
  let source: string;
  let kubernetesVersion: string;
  let stop: (() => Promise<void>) | undefined;
  if (args.staticDir) {
    const docs = fs.readdirSync(args.staticDir).filter((f) => /^(api__v1|apis__[^_]+(?:_[^_]+)*__[^_]+)_openapi\.json$/.test(f))
      .map((f) => JSON.parse(fs.readFileSync(path.join(args.staticDir!, f), 'utf8')));
    ({ definitions, kinds } = collectOpenApi(docs, { maxDescription: MAX_DESCRIPTION }));
    const crdFiles = args.crds.flatMap((p) => fs.statSync(p).isDirectory() ? fs.readdirSync(p).filter((f) => /\.ya?ml$/.test(f)).map((f) => path.join(p, f)) : [p]);
    for (const file of crdFiles) {
      for (const doc of parseAllDocuments(fs.readFileSync(file, 'utf8'))) {
        const crd = crdToSchemas(doc.toJS(), { maxDescription: MAX_DESCRIPTION });
        Object.assign(definitions, crd.definitions);
        kinds.push(...crd.kinds);
      }
    }
    source = 'static-openapi-spec';
    kubernetesVersion = /kubernetes@(v[\d.]+)/.exec(args.staticDir)?.[1] ?? 'unknown';
  } else {
    let kubeconfig = args.kubeconfig;
    let context = args.context;
    if (!kubeconfig) {
      const cp = await import('../test/support/control-plane.js');
      const plane = await (cp as any).startControlPlane();
      kubeconfig = plane.kubeconfigPath as string;
      context ??= 'admin';
      stop = async () => { await plane.stop?.(); };
    }
    try {
      const get = clientFromKubeconfig(kubeconfig, context);
      const fetched = await readFromApiServer(get);
      ({ definitions, kinds } = collectOpenApi(fetched.docs, { maxDescription: MAX_DESCRIPTION }));
      kubernetesVersion = fetched.version;
      source = 'kube-apiserver';
    } finally {
      await stop?.();
    }
  }
  const enums = overlayEnums(definitions, kubernetesVersion, args.enumsFrom);
  console.log(`enums: ${enums} built-in fields got their allowed values`);
  // CRDs installed in the control plane (Flux, Argo CD) come from the catalog, with their CEL rules
  // and version metadata; the bundle keeps Kubernetes' own kinds.
  const builtin = kinds.filter((k) => definitions[k.definition] && k.definition.startsWith('io.k8s.'));
  const crds: string[] = [];
  const index = writeBundle(args.out, { kubernetesVersion, source, crds }, definitions, builtin);
  let bytes = 0;
  for (const f of fs.readdirSync(path.join(args.out, 'definitions'))) bytes += fs.statSync(path.join(args.out, 'definitions', f)).size;
  console.log(`schemas: ${index.kinds.length} kinds (${crds.length} from CRDs), ${index.packages.length} packages, ${(bytes / 1024 / 1024).toFixed(2)} MiB, Kubernetes ${kubernetesVersion} from ${source} -> ${path.relative(process.cwd(), args.out) || '.'}`);
  if (args.kubeconformOut) {
    const n = writeKubeconformSchemas(args.kubeconformOut, definitions, kinds);
    console.log(`kubeconform schemas: ${n} files -> ${args.kubeconformOut}`);
  }
}

main().catch((err) => {
  console.error(`update-schemas: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
