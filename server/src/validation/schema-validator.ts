/**
 * Validates a YAML node tree against Kubernetes OpenAPI v3 schema shapes.
 * It walks the YAML AST (not the JS value) so every finding carries the exact
 * key or value range. Unions are resolved by the YAML node's own type, so a
 * value gets one precise message, never "matches multiple schemas".
 */
import { isAlias, isMap, isScalar, isSeq, Scalar, visit, type Alias, type Document, type Node } from 'yaml';
import type { Severity } from '../findings.js';
import type { FlatSchema, SchemaRegistry } from '../schemas/schema-registry.js';
import type { SchemaNode } from '../schemas/schema-types.js';
import { didYouMean, formatPath, isBase64, isDateTime, isQuantity, quoteList } from './text-helpers.js';
import type { CelBudget } from '../cel/cel-rules.js';
import type { CelRule } from '../schemas/schema-types.js';

let celModule: typeof import('../cel/cel-rules.js') | undefined;
/** The CEL evaluator, loaded on the first schema with rules, so validating built-in kinds never pays for it. */
function celRules(): typeof import('../cel/cel-rules.js') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  celModule ??= require('../cel/cel-rules.js') as typeof import('../cel/cel-rules.js');
  return celModule;
}

/** A finding with offsets relative to the start of its document's text. */
export interface RawFinding {
  start: number;
  end: number;
  severity: Severity;
  code: string;
  message: string;
  data?: unknown;
}

/** Settings of one validation walk. */
export interface WalkOptions {
  registry: SchemaRegistry;
  document: Document.Parsed;
  /** Kind name used in messages (`Deployment.spec`). */
  kindLabel: string;
  /** A kustomize patch: required fields are not checked and `$patch` directives are allowed. */
  partial: boolean;
  /** Paths whose values must never be shown (Secret data). */
  isSensitive(path: (string | number)[]): boolean;
  out: RawFinding[];
}

const MAX_DEPTH = 100;
const MAX_NODES = 200_000;
const QUANTITY_DEF = '.api.resource.Quantity';
/** Flux post-build substitution: `${var}` placeholders are replaced before apply, so any type is fine. */
const SUBSTITUTION = /^\$\{[A-Za-z_][A-Za-z0-9_]*(:?[=-][^}]*)?\}$/;
/** A substitution inside a longer string (`${APP}-secret`). */
const EMBEDDED_SUBSTITUTION = /\$\{[A-Za-z_][A-Za-z0-9_]*(:?[=-][^}]*)?\}/;

/** A YAML merge key (`<<`). */
function isMerge(k: unknown): boolean {
  return isScalar(k) && (k.value === '<<' || typeof k.value === 'symbol') && (k as Scalar).source === '<<';
}

/** The plain scalars YAML 1.1 (but not YAML 1.2) reads as booleans, with their value. */
const YAML11_BOOLEANS = new Map<string, boolean>([
  ...['y', 'Y', 'yes', 'Yes', 'YES', 'on', 'On', 'ON'].map((w) => [w, true] as const),
  ...['n', 'N', 'no', 'No', 'NO', 'off', 'Off', 'OFF'].map((w) => [w, false] as const),
]);

type Kind = 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean' | 'null';

function nodeKind(node: Node | null | undefined): Kind {
  if (!node) return 'null';
  if (isMap(node)) return 'object';
  if (isSeq(node)) return 'array';
  if (isScalar(node)) {
    const v = node.value;
    if (v === null || v === undefined) return 'null';
    if (typeof v === 'string') return 'string';
    if (typeof v === 'boolean') return 'boolean';
    if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
    if (typeof v === 'bigint') return 'integer';
    return 'string';
  }
  return 'null';
}

/** The types a schema accepts, or undefined when it accepts anything. */
export function acceptedTypes(s: FlatSchema | SchemaNode): string[] | undefined {
  if (s['x-kubernetes-int-or-string'] || s.format === 'int-or-string') return ['integer', 'string'];
  if (s.type) return [s.type];
  const alts = s.oneOf ?? s.anyOf;
  if (alts && alts.length && alts.every((a) => typeof a.type === 'string')) return [...new Set(alts.map((a) => a.type as string))];
  return undefined;
}

/** Describes a schema's type for people: `integer`, `integer or string`, `quantity`. */
export function describeType(s: FlatSchema): string {
  if (s.definitionName?.endsWith(QUANTITY_DEF)) return 'quantity (number or string such as 500m, 128Mi)';
  const types = acceptedTypes(s);
  if (!types) return s['x-kubernetes-preserve-unknown-fields'] ? 'any (free-form)' : 'any';
  const t = types.join(' or ');
  return s.format && !['int-or-string'].includes(s.format) && types.length === 1 ? `${t} (${s.format})` : t;
}

function describeValue(node: Node | null | undefined, sensitive: boolean): string {
  const k = nodeKind(node);
  if (k === 'object') return 'an object';
  if (k === 'array') return 'an array';
  if (k === 'null') return 'null';
  if (sensitive) return k === 'integer' ? 'an integer (value hidden)' : `a ${k} (value hidden)`;
  const src = (node as Scalar).source ?? String((node as Scalar).value);
  const shown = String(src).length > 60 ? `${String(src).slice(0, 57)}...` : String(src);
  return `${k} ${k === 'string' ? JSON.stringify(shown) : shown}`;
}

function typeMatches(kind: Kind, accepted: string[]): boolean {
  for (const t of accepted) {
    if (t === kind) return true;
    if (t === 'number' && kind === 'integer') return true;
  }
  return false;
}

/** Walks one document's contents. */
export class SchemaWalker {
  private nodes = 0;
  private celBudget?: CelBudget;
  private stopped = false;
  private aliasRange?: [number, number];
  private aliasTargets?: Map<Alias, Node | undefined>;

  constructor(private readonly o: WalkOptions) {}

  /**
   * The node an alias refers to. yaml's `Alias.resolve` walks the whole
   * document for every alias, which made a file with 10,000 anchors take
   * minutes; here one walk maps every alias to the latest anchor of its
   * name before it (the YAML rule), and each lookup is then constant time.
   */
  private resolveAlias(alias: Alias): Node | undefined {
    if (!this.aliasTargets) {
      const targets = new Map<Alias, Node | undefined>();
      const anchors = new Map<string, Node>();
      visit(this.o.document, {
        Node(_, node) {
          if (isAlias(node)) targets.set(node, anchors.get(node.source));
          else if (node.anchor) anchors.set(node.anchor, node);
        },
      });
      this.aliasTargets = targets;
    }
    return this.aliasTargets.has(alias) ? this.aliasTargets.get(alias) : (alias.resolve(this.o.document) as Node | undefined);
  }

  private report(node: { range?: [number, number, number] | null } | null | undefined, fallback: [number, number], severity: Severity, code: string, message: string, data?: unknown): void {
    const r = this.aliasRange ?? (node?.range ? [node.range[0], node.range[1]] : fallback);
    this.o.out.push({ start: r[0], end: Math.max(r[1], r[0]), severity, code, message, ...(data === undefined ? {} : { data }) });
  }

  /**
   * Validates `node` at `path` against `schema`. `keyRange` is the range of the
   * key that holds the node (where "missing field" findings go).
   */
  walk(node: Node | null | undefined, schema: FlatSchema, path: (string | number)[], keyRange: [number, number], depth = 0): void {
    if (this.stopped) return;
    if (++this.nodes > MAX_NODES) {
      this.stopped = true;
      this.report(undefined, keyRange, 'warning', 'too-complex', `Document is too large to validate completely (over ${MAX_NODES} nodes); validation stopped here.`);
      return;
    }
    if (depth > MAX_DEPTH) {
      this.report(node, keyRange, 'warning', 'too-deep', `Nesting deeper than ${MAX_DEPTH} levels at ${formatPath(path)}: not validated further.`);
      return;
    }
    if (isAlias(node)) {
      const target = this.resolveAlias(node);
      const outer = this.aliasRange;
      this.aliasRange ??= node.range ? [node.range[0], node.range[1]] : keyRange;
      this.walk(target, schema, path, keyRange, depth + 1);
      this.aliasRange = outer;
      return;
    }
    const kind = nodeKind(node);
    // Kubernetes treats an explicit null as "not set", so it is never a type error.
    if (kind === 'null') return;
    const sensitive = this.o.isSensitive(path);
    if (kind === 'string' && SUBSTITUTION.test(String((node as Scalar).value))) return;

    const isQuantityType = schema.definitionName?.endsWith(QUANTITY_DEF) || schema.format === 'quantity';
    let accepted = acceptedTypes(schema);
    let effective = schema;
    // A union: pick the alternative whose type matches the node, so the message is about that one.
    const alts = schema.oneOf ?? schema.anyOf;
    if (alts && !accepted) {
      const pick = alts.find((a) => {
        const f = this.o.registry.child(schema, a)!;
        const t = acceptedTypes(f);
        return t ? typeMatches(kind, t) : false;
      });
      if (pick) {
        effective = { ...schema, ...this.o.registry.child(schema, pick)!, oneOf: undefined, anyOf: undefined, scope: schema.scope };
        accepted = acceptedTypes(effective);
      }
    }
    if (accepted && !typeMatches(kind, accepted)) {
      // kubectl apply (YAML 1.1) reads a plain yes/no/on/off as a boolean, while kustomize and
      // Flux (YAML 1.2) keep it a string that the API server rejects: a portability warning, not an error.
      if (kind === 'string' && accepted.includes('boolean') && (node as Scalar).type === Scalar.PLAIN) {
        const v = String((node as Scalar).value);
        const truth = YAML11_BOOLEANS.get(v);
        if (truth !== undefined) {
          this.report(node, keyRange, 'warning', 'yaml11-boolean',
            `${JSON.stringify(v)} is a boolean only in YAML 1.1 (kubectl apply); kustomize and Flux read it as the string ${JSON.stringify(v)}, which the API rejects. Write ${truth}.`, { path, replacement: String(truth) });
          return;
        }
      }
      const hint = accepted.includes('string') && (kind === 'integer' || kind === 'number' || kind === 'boolean') ? ' Quote the value to make it a string.'
        : accepted.length === 1 && accepted[0] === 'boolean' && kind === 'string' ? ' Use true or false (unquoted).'
        : (accepted.includes('integer') || accepted.includes('number')) && kind === 'string' && /^-?\d+(\.\d+)?$/.test(String((node as Scalar).value)) ? ' Remove the quotes to make it a number.' : '';
      this.report(node, keyRange, 'error', 'type-mismatch', `Expected ${describeType(schema)} at ${formatPath(path)}, got ${describeValue(node, sensitive)}.${hint}`, { path, expected: accepted });
      return;
    }
    const rules = this.o.partial ? undefined : effective['x-kubernetes-validations'];
    const before = this.o.out.length;
    if (kind === 'object') this.walkObject(node as any, effective, path, keyRange, depth);
    else if (kind === 'array') this.walkArray(node as any, effective, path, keyRange, depth);
    else this.checkScalar(node as Scalar, effective, path, kind, sensitive, !!isQuantityType, keyRange);
    // CEL rules assume a value of the schema's shape: after a schema error inside, the schema's message is the useful one.
    if (rules?.length && !this.o.out.slice(before).some((f) => f.severity === 'error')) this.checkCelRules(node as Node, effective, rules, path, keyRange);
  }

  /** Evaluates a CRD's `x-kubernetes-validations` at this node; findings go on the rule's fieldPath. */
  private checkCelRules(node: Node, schema: FlatSchema, rules: CelRule[], path: (string | number)[], keyRange: [number, number]): void {
    let value: unknown;
    try {
      value = (node as any).toJS(this.o.document, { maxAliasCount: -1 });
    } catch {
      return;
    }
    const cel = celRules();
    this.celBudget ??= { remaining: cel.CEL_DOCUMENT_COST_BUDGET };
    for (const r of cel.evaluateCelRules(rules, value, schema, this.o.registry, this.celBudget)) {
      const at = formatPath(path) || this.o.kindLabel;
      if (r.outcome === 'too-costly') {
        this.report(undefined, keyRange, 'information', 'cel-cost-limit',
          `CEL rule at ${at} not evaluated: its estimated cost (${r.cost}) is over the limit of ${cel.CEL_RULE_COST_LIMIT} (the API server bounds rule cost the same way). Rule: ${r.rule.rule.slice(0, 200)}`, { path });
        continue;
      }
      const target = this.fieldPathTarget(node, r.fieldPath);
      const fieldPath = [...path, ...r.fieldPath.slice(0, target.depth)];
      this.report(target.node, keyRange, 'error', 'cel-rule', r.message, { path: fieldPath, rule: r.rule.rule, ...(r.rule.reason ? { reason: r.rule.reason } : {}) });
    }
  }

  /** The key node of the deepest existing step of a rule's fieldPath below `node` (undefined: the node's own key). */
  private fieldPathTarget(node: Node, steps: string[]): { node?: Node; depth: number } {
    let current: Node | null | undefined = node;
    let hit: { node?: Node; depth: number } = { depth: 0 };
    for (let i = 0; i < steps.length; i++) {
      if (isAlias(current)) current = this.resolveAlias(current);
      if (!isMap(current)) break;
      const pair = current.items.find((p) => isScalar(p.key) && String(p.key.value) === steps[i]);
      if (!pair) break;
      hit = { node: pair.key as Node, depth: i + 1 };
      current = pair.value as Node | null;
    }
    return hit;
  }

  private checkScalar(node: Scalar, s: FlatSchema, path: (string | number)[], kind: Kind, sensitive: boolean, quantity: boolean, keyRange: [number, number]): void {
    const v = node.value;
    // Formatted only when a finding needs it: most scalars are valid.
    let formatted: string | undefined;
    const at = () => (formatted ??= formatPath(path));
    if (s.enum && s.enum.length && !s.enum.some((e) => e === v)) {
      const suggestion = typeof v === 'string' ? didYouMean(v, s.enum.filter((e): e is string => typeof e === 'string')) : undefined;
      this.report(node, keyRange, 'error', 'invalid-enum',
        `Invalid value ${sensitive ? '' : JSON.stringify(v) + ' '}at ${at()}. Allowed: ${quoteList(s.enum)}.${suggestion ? ` Did you mean ${JSON.stringify(suggestion)}?` : ''}`, { path, allowed: s.enum });
      return;
    }
    if (kind === 'string') {
      const text = String(v);
      // `prefix-${VAR}` is completed by Flux's post-build substitution: its final syntax is unknown here.
      if (EMBEDDED_SUBSTITUTION.test(text)) return;
      if (quantity && !isQuantity(text)) {
        this.report(node, keyRange, 'error', 'invalid-quantity', `Invalid quantity ${JSON.stringify(text)} at ${at()}. Use a number with an optional suffix, such as 500m, 0.5, 128Mi or 2Gi.`, { path });
        return;
      }
      if (s.format === 'byte' && !isBase64(text)) {
        this.report(node, keyRange, 'error', 'invalid-format', `Invalid base64 at ${at()}: this value must be base64-encoded.${sensitive ? ' Put plain text under stringData instead.' : ''}`, { path });
        return;
      }
      if (s.format === 'date-time' && !isDateTime(text)) {
        this.report(node, keyRange, 'error', 'invalid-format', `Invalid date-time ${JSON.stringify(text)} at ${at()}. Use RFC 3339, such as 2024-01-31T12:00:00Z.`, { path });
        return;
      }
      if (s.maxLength !== undefined && text.length > s.maxLength) {
        this.report(node, keyRange, 'error', 'too-long', `Value at ${at()} is ${text.length} characters long; at most ${s.maxLength} are allowed.`, { path });
      } else if (s.minLength !== undefined && text.length < s.minLength) {
        this.report(node, keyRange, 'error', 'too-short', `Value at ${at()} is ${text.length} characters long; at least ${s.minLength} are required.`, { path });
      }
      if (s.pattern) {
        let re: RegExp | undefined;
        try {
          re = new RegExp(s.pattern);
        } catch {
          re = undefined;
        }
        if (re && !re.test(text)) {
          this.report(node, keyRange, 'error', 'pattern-mismatch', `Value ${sensitive ? '' : JSON.stringify(text) + ' '}at ${at()} does not match the required pattern ${s.pattern}.`, { path });
        }
      }
    } else if (kind === 'integer' || kind === 'number') {
      const n = Number(v);
      if (s.format === 'int32' && (n > 2147483647 || n < -2147483648)) {
        this.report(node, keyRange, 'error', 'out-of-range', `Value ${n} at ${at()} is out of range for int32 (-2147483648 to 2147483647).`, { path });
        return;
      }
      if (s.minimum !== undefined && (s.exclusiveMinimum ? n <= s.minimum : n < s.minimum)) {
        this.report(node, keyRange, 'error', 'out-of-range', `Value ${n} at ${at()} is too small: it must be ${s.exclusiveMinimum ? 'greater than' : 'at least'} ${s.minimum}.`, { path });
      } else if (s.maximum !== undefined && (s.exclusiveMaximum ? n >= s.maximum : n > s.maximum)) {
        this.report(node, keyRange, 'error', 'out-of-range', `Value ${n} at ${at()} is too large: it must be ${s.exclusiveMaximum ? 'less than' : 'at most'} ${s.maximum}.`, { path });
      }
    }
  }

  private walkObject(node: import('yaml').YAMLMap<Node, Node | null>, s: FlatSchema, path: (string | number)[], keyRange: [number, number], depth: number): void {
    const additional = s.additionalProperties;
    const open = s['x-kubernetes-preserve-unknown-fields'] || additional === true || (!s.properties && additional === undefined);
    const seen = new Set<string>();
    for (const pair of this.effectivePairs(node)) {
      if ('merged' in pair) {
        // A key brought in by a YAML merge key (`<<: *defaults`): findings go on the `<<` alias.
        const outer = this.aliasRange;
        this.aliasRange ??= pair.at;
        this.walkPair(pair.key, pair.value, s, path, keyRange, depth, seen, open);
        this.aliasRange = outer;
        continue;
      }
      this.walkPair(pair.key as Node | null, pair.value as Node | null, s, path, keyRange, depth, seen, open);
    }
    if (!this.o.partial && s.required) {
      for (const req of s.required) {
        if (!seen.has(req)) {
          const where = path.length ? `${this.o.kindLabel}.${formatPath(path)}` : this.o.kindLabel;
          this.report(undefined, keyRange, 'error', 'missing-required', `Missing required field ${JSON.stringify(req)} in ${where}.`, { path: [...path, req] });
        }
      }
    }
  }

  /**
   * The pairs of a map with YAML merge keys (`<<`) expanded, as Kubernetes'
   * YAML decoder does: local keys win over merged ones, earlier merged maps
   * over later ones.
   */
  private effectivePairs(node: import('yaml').YAMLMap<Node, Node | null>): ({ key: unknown; value: unknown } | { merged: true; key: Node; value: Node | null; at: [number, number] })[] {
    if (!node.items.some((p) => isMerge(p.key))) return node.items;
    const local = node.items.filter((p) => !isMerge(p.key));
    const present = new Set(local.map((p) => (isScalar(p.key) ? String(p.key.value) : '')));
    const out: ({ key: unknown; value: unknown } | { merged: true; key: Node; value: Node | null; at: [number, number] })[] = [...local];
    for (const p of node.items) {
      if (!isMerge(p.key)) continue;
      const sources = isSeq(p.value) ? p.value.items : [p.value];
      for (const src of sources) {
        const at: [number, number] = (src as Node | null)?.range ? [(src as Node).range![0], (src as Node).range![1]] : [0, 0];
        const target = isAlias(src) ? this.resolveAlias(src) : src;
        if (!isMap(target)) continue;
        for (const mp of target.items) {
          const k = isScalar(mp.key) ? String(mp.key.value) : undefined;
          if (k === undefined || present.has(k)) continue;
          present.add(k);
          out.push({ merged: true, key: mp.key as Node, value: mp.value as Node | null, at });
        }
      }
    }
    return out;
  }

  private walkPair(keyNode: Node | null, value: Node | null, s: FlatSchema, path: (string | number)[], keyRange: [number, number], depth: number, seen: Set<string>, open: boolean | undefined): void {
    const props = s.properties;
    const additional = s.additionalProperties;
    if (!isScalar(keyNode)) {
      this.report(keyNode, keyRange, 'error', 'invalid-key', `Keys at ${formatPath(path)} must be strings; complex keys are not allowed.`);
      return;
    }
    const key = String(keyNode.value);
    seen.add(key);
    const kr: [number, number] = keyNode.range ? [keyNode.range[0], keyNode.range[1]] : keyRange;
    const childPath = [...path, key];
    const prop = props?.[key];
    if (prop) {
      this.walk(value, this.o.registry.child(s, prop)!, childPath, kr, depth + 1);
    } else if (typeof additional === 'object') {
      this.walk(value, this.o.registry.child(s, additional)!, childPath, kr, depth + 1);
    } else if (this.o.partial && key.startsWith('$')) {
      // Strategic merge patch directives ($patch, $setElementOrder/..., $retainKeys...).
    } else if (!open) {
      const where = path.length ? `${this.o.kindLabel}.${formatPath(path)}` : this.o.kindLabel;
      const suggestion = didYouMean(key, Object.keys(props ?? {}));
      this.report(keyNode, kr, 'error', 'unknown-field',
        `Unknown field ${JSON.stringify(key)} in ${where}.${suggestion ? ` Did you mean ${JSON.stringify(suggestion)}?` : ` Allowed fields: ${quoteList(Object.keys(props ?? {}).sort(), 15)}.`}`,
        { path: childPath, suggestion });
    }
  }

  private walkArray(node: import('yaml').YAMLSeq<Node | null>, s: FlatSchema, path: (string | number)[], keyRange: [number, number], depth: number): void {
    let formatted: string | undefined;
    const at = () => (formatted ??= formatPath(path));
    if (s.maxItems !== undefined && node.items.length > s.maxItems) {
      this.report(undefined, keyRange, 'error', 'too-many-items', `${at()} has ${node.items.length} items; at most ${s.maxItems} are allowed.`, { path });
    } else if (!this.o.partial && s.minItems !== undefined && node.items.length < s.minItems) {
      this.report(undefined, keyRange, 'error', 'too-few-items', `${at()} has ${node.items.length} items; at least ${s.minItems} are required.`, { path });
    }
    const itemSchema = s.items ? this.o.registry.child(s, s.items) : undefined;
    node.items.forEach((item, i) => {
      if (!itemSchema) return;
      const ir: [number, number] = item && (item as Node).range ? [(item as Node).range![0], (item as Node).range![1]] : keyRange;
      this.walk(item, itemSchema, [...path, i], ir, depth + 1);
    });
    // Items of a map-list are identified by their keys; the API server rejects duplicates.
    const mapKeys = s['x-kubernetes-list-type'] === 'map' ? s['x-kubernetes-list-map-keys'] : undefined;
    if (mapKeys?.length && !this.o.partial) {
      const seen = new Map<string, number>();
      node.items.forEach((item, i) => {
        if (!isMap(item)) return;
        const parts: string[] = [];
        let firstKeyNode: Node | undefined;
        for (const k of mapKeys) {
          const pair = item.items.find((p) => isScalar(p.key) && p.key.value === k);
          const value = pair && isScalar(pair.value) ? pair.value.value : undefined;
          if (value === undefined) return;
          firstKeyNode ??= pair!.value as Node;
          parts.push(`${k}=${JSON.stringify(value)}`);
        }
        const id = parts.join(', ');
        if (seen.has(id)) {
          this.report(firstKeyNode, keyRange, 'warning', 'duplicate-list-item', `Duplicate item ${id} in ${at()}[${i}] (same as item ${seen.get(id)}): items of this list must be unique by ${mapKeys.join(', ')}.`, { path: [...path, i] });
        } else seen.set(id, i);
      });
    }
  }
}
