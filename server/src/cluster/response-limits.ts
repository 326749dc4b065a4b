/**
 * Bounds on what an API server can make GitOps Lens hold in memory. A hostile or broken
 * server could answer a LIST with a body larger than V8 can turn into a string (about
 * 512 MiB): the CLI crashed with an uncaught ERR_STRING_TOO_LONG (exit 1, "drift found") and
 * the language server kept 1.35 GB and a wedged cache. Every body is now counted while it
 * arrives and cut at a bound, with a settled, safe error (`ResponseTooLarge`); LISTs are
 * paged (read-only-transport.ts) and their pages add up to a second bound.
 */
import { ClusterRequestError } from './cluster-error.js';

const MiB = 1024 * 1024;

/** Largest single answer (or watch event line) read, in bytes. Default 128 MiB: far below V8's string limit, far above any real object or page. */
export const DEFAULT_MAX_RESPONSE_BYTES = 128 * MiB;
/** Largest LIST read, all pages together, in bytes. Default 512 MiB. */
export const DEFAULT_MAX_LIST_BYTES = 512 * MiB;
/** Items per LIST page, as client-go's pager and reflector ask for. */
export const DEFAULT_LIST_PAGE_SIZE = 500;

function mib(bytes: number): string {
  const v = bytes / MiB;
  return `${Number.isInteger(v) ? v : v.toFixed(1)} MiB`;
}

/** The error for an answer over the bound; names the request, never the content. */
export function responseTooLarge(server: string, what: string, limitBytes: number): ClusterRequestError {
  return new ClusterRequestError(
    0,
    'ResponseTooLarge',
    `The API server at ${server} sent an answer larger than ${mib(limitBytes)} for ${what.split('?')[0]}; GitOps Lens stopped reading it. ` +
      'Narrow what is read (fewer kinds or namespaces), or check the server.',
  );
}

/**
 * Collects a body's chunks up to `limit` bytes. `push` returns false once the body went over
 * (the caller stops the request); `text` decodes, turning a decoder failure into an error
 * instead of an exception in an event handler.
 */
export class BoundedBody {
  private readonly chunks: Buffer[] = [];
  private bytes = 0;

  constructor(readonly limit: number) {}

  /** Adds a chunk; false when the body is now over the bound. */
  push(chunk: Buffer): boolean {
    this.bytes += chunk.length;
    if (this.bytes > this.limit) {
      this.chunks.length = 0;
      return false;
    }
    this.chunks.push(chunk);
    return true;
  }

  get size(): number {
    return this.bytes;
  }

  /** The body as UTF-8; throws a plain Error (for the caller to map) if it cannot be decoded. */
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/** True when a response's declared Content-Length is already over the bound. */
export function declaredTooLarge(contentLength: string | string[] | number | undefined, limit: number): boolean {
  const n = Number(Array.isArray(contentLength) ? contentLength[0] : contentLength);
  return Number.isFinite(n) && n > limit;
}
