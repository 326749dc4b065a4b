/**
 * The read-only guard: decides, before any socket is opened, whether a request may leave the
 * process. Only GET (get, list, watch) and PATCH whose query has `dryRun=All` pass, never to
 * a subresource that opens a channel to a workload (exec, attach, portforward, proxy), and
 * only to the kubeconfig server's own origin.
 *
 * kube-apiserver decodes the path before it routes it, so the guard looks at what the server
 * will see, not at the text we built: every segment is percent-decoded and checked, an
 * encoded `/` or `\` (which would let a name smuggle in `…/proxy/…`) is refused outright,
 * dot segments are refused, and the check runs on the full URL including a kubeconfig
 * server's path prefix. The transport (read-only-transport.ts) calls it at the last point
 * before a socket, with the URL it is about to send.
 */

/** Thrown (synchronously inside the returned promise chain, before any I/O) for any request that could change a cluster or leave its server. */
export class ReadOnlyViolationError extends Error {
  readonly status = 0;
  readonly reason = 'ReadOnlyViolation';
  constructor(method: string, path: string, why?: string) {
    super(
      why
        ? `GitOps Lens refused to send ${method} ${path.split('?')[0]}: ${why}.`
        : `GitOps Lens never changes a cluster: refused to send ${method} ${path.split('?')[0]}. ` + 'Only GET/LIST/WATCH and PATCH with dryRun=All are allowed.',
    );
    this.name = 'ReadOnlyViolationError';
  }
}

/** Subresources that open interactive or proxied channels; GET on them can still act on workloads, so they are refused too. */
const FORBIDDEN_SUBRESOURCES = new Set(['exec', 'attach', 'portforward', 'proxy']);

/** An encoded slash or backslash: no Kubernetes name contains one, and the API server decodes it into a path separator. */
const ENCODED_SEPARATOR = /%(2f|5c)/i;

/**
 * The problem with one raw (still encoded) path, or undefined when every segment is a safe
 * path segment that names no forbidden subresource.
 */
function pathProblem(rawPath: string): string | undefined {
  if (rawPath.includes('\\')) return 'the path contains a backslash';
  if (ENCODED_SEPARATOR.test(rawPath)) return 'the path contains an encoded "/" or "\\" (no Kubernetes name contains one)';
  for (const raw of rawPath.split('/')) {
    if (!raw) continue;
    let seg: string;
    try {
      seg = decodeURIComponent(raw);
    } catch {
      return `the path segment ${JSON.stringify(raw)} is not valid percent-encoding`;
    }
    if (seg === '.' || seg === '..') return 'the path contains a "." or ".." segment';
    if (seg.includes('/') || seg.includes('\\') || seg.includes('\0')) return 'a path segment decodes to a separator';
    if (FORBIDDEN_SUBRESOURCES.has(seg.toLowerCase())) return `"${seg}" opens a channel to a workload`;
  }
  return undefined;
}

/**
 * The read-only guard for a server-relative request path (`/api/...`, with its query).
 * Allowed: GET on anything but exec/attach/portforward/proxy, and PATCH whose query has
 * `dryRun=All` (every dryRun parameter must be All). A path that is not server-relative
 * (`//host/...`, an absolute URL), has an encoded separator, a dot segment or a forbidden
 * subresource in any decoded segment throws {@link ReadOnlyViolationError}.
 */
export function assertReadOnly(method: string, path: string): void {
  const m = method.toUpperCase();
  if (!path.startsWith('/') || path.startsWith('//')) throw new ReadOnlyViolationError(m, path, 'only server-relative paths are sent, and this one names another host (it is not the kubeconfig server)');
  const q = path.indexOf('?');
  const rawPath = q < 0 ? path : path.slice(0, q);
  const problem = pathProblem(rawPath);
  if (problem) throw new ReadOnlyViolationError(m, path, problem);
  if (m === 'GET') return;
  if (m === 'PATCH') {
    const dryRun = new URLSearchParams(q < 0 ? '' : path.slice(q + 1)).getAll('dryRun');
    if (dryRun.length > 0 && dryRun.every((v) => v === 'All')) return;
  }
  throw new ReadOnlyViolationError(m, path);
}

/**
 * The guard for the URL about to be sent: the same checks as {@link assertReadOnly} on the
 * full path (the kubeconfig server's path prefix included, so a server URL that points into
 * `.../services/x/proxy` is refused too), and the origin must be the server's own, so a
 * hostile answer (an OpenAPI `serverRelativeURL: //other-host/...`) can never send the bearer
 * token elsewhere.
 */
export function assertReadOnlyUrl(method: string, url: URL, server: URL): void {
  const m = method.toUpperCase();
  if (url.origin !== server.origin) throw new ReadOnlyViolationError(m, url.pathname, `${url.origin} is not the kubeconfig server ${server.origin}`);
  const prefix = server.pathname.replace(/\/$/, '');
  if (prefix && !url.pathname.startsWith(`${prefix}/`)) throw new ReadOnlyViolationError(m, url.pathname, `the URL left the kubeconfig server's path ${prefix}`);
  assertReadOnly(m, url.pathname + url.search);
}

/**
 * Why a name or namespace cannot be part of a request path, or undefined when it can. The
 * API server's own rule for path segment names (`ValidatePathSegmentName`): not `.` or `..`,
 * no `/` and no `%`. Checked before any request, so a repository object named
 * `echo/proxy/...` is a validation error, never a GET through a Service proxy.
 */
export function pathSegmentNameProblem(name: string): string | undefined {
  if (name === '.' || name === '..') return `may not be "${name}"`;
  if (/[/%\\]/.test(name)) return 'may not contain "/", "\\" or "%"';
  return undefined;
}
