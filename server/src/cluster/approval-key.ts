/**
 * What an approval of a kubeconfig credential command covers, as one string: the kubeconfig
 * file, the context, the kind, the program, its arguments and, when it has any, a digest of
 * its environment. The environment is part of it because `LD_PRELOAD` (or `PATH`,
 * `NODE_OPTIONS`, …) in an approved `/bin/cat token.json` runs arbitrary code; only a digest
 * is kept, so the key, which the client stores in its global state, holds no secret value.
 * Pure (node:crypto only), shared by the cluster layer and the client through the protocol.
 */
import { createHash } from 'node:crypto';

/** The fields of an approval request the key is made of. */
export interface ApprovalKeyParts {
  kubeconfigPath: string;
  context: string;
  kind: string;
  command: string;
  args: string[];
  /** Digest of the exact environment the command gets ({@link envDigest}); absent when it sets none. */
  envDigest?: string;
}

/** A digest of an exec plugin's `env` (names and values, in order); undefined for none. */
export function envDigest(env: ReadonlyArray<{ name: string; value: string }> | undefined): string | undefined {
  if (!env?.length) return undefined;
  return `sha256:${createHash('sha256').update(JSON.stringify(env.map((e) => [e.name, e.value]))).digest('hex')}`;
}

/** A stable key for remembering an approval. Without an env it is the key earlier versions stored, so their approvals stay valid. */
export function approvalKey(r: ApprovalKeyParts): string {
  const parts: unknown[] = [r.kubeconfigPath, r.context, r.kind, r.command, r.args];
  if (r.envDigest) parts.push(r.envDigest);
  return JSON.stringify(parts);
}
