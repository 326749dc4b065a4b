/**
 * Remembers server-side dry-run answers so that previewing again with
 * nothing changed makes no dry-run calls. The key is the hash of the desired
 * object and field manager plus the live object's resourceVersion: if either
 * changes, the answer may change and the server is asked again.
 */
import { createHash } from 'node:crypto';
import type { KubeObject } from '../cluster/cluster-types.js';

/** A canonical JSON text: object keys sorted at every level. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** A bounded memo of dry-run results (least recently used entries go first). */
export class DryRunMemo {
  private readonly entries = new Map<string, KubeObject>();
  /** Counters, for tests and the benchmark. */
  readonly stats = { hits: 0, misses: 0 };

  constructor(private readonly capacity = 5000) {}

  /** The memo key of one dry-run. */
  static key(desired: KubeObject, fieldManager: string, liveResourceVersion: string | undefined): string {
    const hash = createHash('sha256').update(fieldManager).update('\0').update(canonicalJson(desired)).digest('hex');
    return `${hash}@${liveResourceVersion ?? 'absent'}`;
  }

  get(key: string): KubeObject | undefined {
    const hit = this.entries.get(key);
    if (hit === undefined) {
      this.stats.misses++;
      return undefined;
    }
    this.stats.hits++;
    this.entries.delete(key);
    this.entries.set(key, hit);
    return structuredClone(hit);
  }

  set(key: string, value: KubeObject): void {
    this.entries.delete(key);
    this.entries.set(key, structuredClone(value));
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string);
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
