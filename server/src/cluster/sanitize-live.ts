/**
 * What the process keeps of a live object: no managedFields, no
 * last-applied annotation, and Secret values only as keyed digests. The live
 * cache stores only sanitized objects; drift compares against them.
 */
import type { KubeObject } from './cluster-types.js';
import { isSecret, registerSecretObject, secretDigests } from '../secrets/mask-secrets.js';

/**
 * Strips what must not be stored or shown: managedFields, last-applied, and
 * (for Secrets) values, which become keyed digests so drift can still tell
 * "same" from "differs" without keeping the value.
 */
export function sanitizeLive(obj: KubeObject): KubeObject {
  registerSecretObject(obj);
  const copy = structuredClone(obj);
  delete copy.metadata.managedFields;
  if (copy.metadata.annotations) {
    delete copy.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'];
    if (!Object.keys(copy.metadata.annotations).length) delete copy.metadata.annotations;
  }
  if (isSecret(copy)) {
    const digests = secretDigests(copy as Record<string, unknown>);
    delete copy.stringData;
    if (digests.size) copy.data = Object.fromEntries(digests);
  }
  return copy;
}
