/**
 * Converts a manifest value into the value a CRD's CEL rules see, the way the
 * API server prepares it: defaults from the schema filled in, explicit nulls
 * dropped (Kubernetes treats them as unset), integers as CEL `int` and numbers
 * as `double` by their schema type, and property names that are not CEL
 * identifiers escaped (`x-y` → `x__dash__y`), so `self.x__dash__y` works.
 */
import type { FlatSchema } from '../schemas/schema-registry.js';
import type { SchemaNode } from '../schemas/schema-types.js';

/** Resolves a child schema node (`$ref`, `allOf`) in the scope of its parent; the registry does this. */
export interface SchemaResolver {
  child(parent: FlatSchema, node: SchemaNode | undefined): FlatSchema | undefined;
}

const RESERVED = new Set(['true', 'false', 'null', 'in', 'as', 'break', 'const', 'continue', 'else', 'for', 'function', 'if', 'import', 'let', 'loop', 'package', 'namespace', 'return', 'var', 'void', 'while']);

/** Kubernetes' escaping of a property name for CEL, or undefined when it cannot be accessed. */
export function escapeCelName(name: string): string | undefined {
  if (RESERVED.has(name)) return `__${name}__`;
  if (!/^[a-zA-Z_.\-/][a-zA-Z0-9_.\-/]*$/.test(name)) return undefined;
  return name.replace(/__/g, '__underscores__').replace(/\./g, '__dot__').replace(/-/g, '__dash__').replace(/\//g, '__slash__');
}

/** Values a conversion produces (what @bufbuild/cel accepts as input). */
export type CelInputValue = string | bigint | number | boolean | null | CelInputValue[] | Map<string, CelInputValue>;

/** Statistics used to bound evaluation cost. */
export interface ValueStats {
  /** Largest list or map. */
  maxCollection: number;
  /** Longest string. */
  maxString: number;
  /** A Flux `${var}` substitution was seen: the real value is only known after it. */
  substitution: boolean;
}

const SUBSTITUTION = /\$\{[A-Za-z_][A-Za-z0-9_]*/;

/** Converts `value` (plain JSON from YAML) for the rules of `schema`. */
export function toCelValue(value: unknown, schema: FlatSchema | undefined, resolver: SchemaResolver, stats: ValueStats, depth = 0): CelInputValue {
  if (depth > 100) throw new Error('too deep');
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') {
    if (value.length > stats.maxString) stats.maxString = value.length;
    if (SUBSTITUTION.test(value)) stats.substitution = true;
    return value;
  }
  if (typeof value === 'boolean') return value;
  if (typeof value === 'bigint') return schema?.type === 'number' ? Number(value) : value;
  if (typeof value === 'number') {
    if (schema?.type === 'number') return value;
    return Number.isInteger(value) ? BigInt(value) : value;
  }
  if (Array.isArray(value)) {
    if (value.length > stats.maxCollection) stats.maxCollection = value.length;
    const items = schema ? resolver.child(schema, schema.items) : undefined;
    return value.map((v) => toCelValue(v, items, resolver, stats, depth + 1));
  }
  if (typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    const out = new Map<string, CelInputValue>();
    const props = schema?.properties;
    const additional = schema && typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined;
    for (const [key, v] of Object.entries(obj)) {
      if (v === null || v === undefined) continue;
      const propNode = props?.[key];
      if (props && propNode) {
        const name = escapeCelName(key);
        if (name !== undefined) out.set(name, toCelValue(v, resolver.child(schema!, propNode), resolver, stats, depth + 1));
      } else {
        out.set(key, toCelValue(v, additional ? resolver.child(schema!, additional) : undefined, resolver, stats, depth + 1));
      }
    }
    // The API server defaults before it validates: a rule sees the defaulted object.
    if (props) {
      for (const [key, node] of Object.entries(props)) {
        if (key in obj && obj[key] !== null && obj[key] !== undefined) continue;
        const child = resolver.child(schema!, node);
        if (child?.default === undefined) continue;
        const name = escapeCelName(key);
        if (name !== undefined) out.set(name, toCelValue(structuredClone(child.default), child, resolver, stats, depth + 1));
      }
    }
    if (out.size > stats.maxCollection) stats.maxCollection = out.size;
    return out;
  }
  return null;
}
