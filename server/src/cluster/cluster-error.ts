/**
 * The error every cluster request fails with: an HTTP status (0 for transport failures and
 * refusals), a machine-readable reason and a message that is safe to show (redacted: no
 * token, no Secret value).
 */
import type { ClusterError } from './cluster-types.js';
import { redact } from '../secrets/mask-secrets.js';

/** An API or transport error, safe to show: it carries no token and no Secret value. */
export class ClusterRequestError extends Error implements ClusterError {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    /** The Status `details.causes` (field path and reason of each problem), when the server gave them. */
    readonly causes?: ReadonlyArray<{ field?: string; reason?: string }>,
  ) {
    super(redact(message));
    this.name = 'ClusterRequestError';
  }
}

/** True when a value is a {@link ClusterError}-shaped error (transport or guard). */
export function isClusterError(e: unknown): e is ClusterError & Error {
  return !!e && typeof e === 'object' && typeof (e as ClusterError).status === 'number' && typeof (e as ClusterError).reason === 'string';
}
