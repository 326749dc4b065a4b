/**
 * Offline evaluation of a CRD's CEL rules (`x-kubernetes-validations`) with
 * @bufbuild/cel (RE2 regular expressions, so `matches()` runs in linear time)
 * plus the Kubernetes extension functions. A rule that cannot be evaluated
 * here (unknown function, a field the rule expects but the API server would
 * default or set, a Flux `${var}` still to be substituted) yields nothing:
 * only a rule that evaluates to `false` is a finding.
 *
 * Why @bufbuild/cel: of the npm CEL libraries, measured on the 332 distinct rules of the
 * catalog's CRDs, `cel-js` 0.8 could not parse 15 (raw strings `r"""..."""`);
 * `@marcbachmann/cel-js` 8 parsed all but runs `matches()` with JavaScript's backtracking
 * RegExp, which rejects Go syntax such as `(?i)` used by Gateway API rules; `@bufbuild/cel`
 * 0.6 parsed all, uses RE2 semantics, and is checked against the CEL conformance data
 * (`@bufbuild/cel-spec`). It lacks the optional syntax (`.?field`), which none of those rules use.
 *
 * Transition rules (`oldSelf`) are skipped: there is no old object offline.
 * Cost is bounded like the API server's CEL cost limits: before a rule runs,
 * its cost is estimated from the expression size, how deeply its
 * comprehensions nest, and the largest list/map (or string, for `split`) it
 * can iterate; a rule over the per-rule limit, or beyond the document's
 * budget, is not evaluated, so a hostile CRD cannot hang the validator.
 */
import { celEnv, isCelError, parse, plan, type CelEnv } from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';
import { RE2JS } from '@bufbuild/re2';
import type { FlatSchema } from '../schemas/schema-registry.js';
import type { CelRule } from '../schemas/schema-types.js';
import { toCelValue, type SchemaResolver, type ValueStats } from './cel-values.js';
import { kubernetesCelFunctions } from './kubernetes-functions.js';

/** The API server's limit for one rule evaluation (apiextensions PerCallLimit). */
export const CEL_RULE_COST_LIMIT = 1_000_000;
/** The API server's budget for all rules of one object (RuntimeCELCostBudget). */
export const CEL_DOCUMENT_COST_BUDGET = 10_000_000;
/** Longer rule texts are not compiled. */
const MAX_RULE_LENGTH = 20_000;
const MAX_CACHED_PROGRAMS = 4000;

/** Cost left for the rules of one document; create one per document. */
export interface CelBudget {
  remaining: number;
}

/** What evaluating one rule found. */
export interface CelRuleOutcome {
  /** `violated`: the rule is false; `too-costly`: not evaluated because of the cost limits. */
  outcome: 'violated' | 'too-costly';
  rule: CelRule;
  /** The rule's message (or messageExpression result, or a default naming the rule). */
  message: string;
  /** Steps of the rule's `fieldPath`, relative to the node holding the rule. */
  fieldPath: string[];
  /** Estimated cost, for `too-costly`. */
  cost?: number;
}

type Program = { run: (ctx: Record<string, unknown>) => unknown; depth: number; nodes: number; iteratesStrings: boolean };

let environment: CelEnv | undefined;
const programs = new Map<string, Program | Error>();
const regexes = new Map<string, RE2JS>();

function env(): CelEnv {
  environment ??= celEnv({
    funcs: [...strings, ...kubernetesCelFunctions()],
    re2: {
      // The same few patterns are matched against every item of a list: compile each once.
      compile(pattern: string) {
        let re = regexes.get(pattern);
        if (!re) {
          if (regexes.size > 500) regexes.clear();
          re = RE2JS.compile(pattern);
          regexes.set(pattern, re);
        }
        return re;
      },
    },
  });
  return environment;
}

/** Comprehension nesting depth and node count of a parsed expression. */
function measure(expr: any): { depth: number; nodes: number } {
  let nodes = 0;
  const walk = (e: any, level: number): number => {
    if (!e || nodes > 100_000) return level;
    nodes++;
    const k = e.exprKind;
    switch (k?.case) {
      case 'selectExpr':
        return walk(k.value.operand, level);
      case 'callExpr':
        return Math.max(walk(k.value.target, level), ...k.value.args.map((a: any) => walk(a, level)));
      case 'listExpr':
        return Math.max(level, ...k.value.elements.map((a: any) => walk(a, level)));
      case 'structExpr':
        return Math.max(level, ...k.value.entries.map((en: any) => Math.max(walk(en.keyKind?.case === 'mapKey' ? en.keyKind.value : undefined, level), walk(en.value, level))));
      case 'comprehensionExpr': {
        const c = k.value;
        return Math.max(walk(c.iterRange, level), walk(c.accuInit, level), walk(c.loopCondition, level + 1), walk(c.loopStep, level + 1), walk(c.result, level));
      }
      default:
        return level;
    }
  };
  const depth = walk(expr, 0);
  return { depth, nodes };
}

function compile(text: string): Program | Error {
  let p = programs.get(text);
  if (p) return p;
  try {
    if (text.length > MAX_RULE_LENGTH) throw new Error(`rule longer than ${MAX_RULE_LENGTH} characters`);
    const parsed = parse(text);
    const { depth, nodes } = measure(parsed.expr);
    const run = plan(env(), parsed) as (ctx: Record<string, unknown>) => unknown;
    p = { run, depth, nodes, iteratesStrings: /\b(split|findAll|charAt)\s*\(/.test(text) };
  } catch (err) {
    // Stack exhaustion on absurd nesting lands here too.
    p = err instanceof Error ? err : new Error(String(err));
  }
  if (programs.size >= MAX_CACHED_PROGRAMS) programs.clear();
  programs.set(text, p);
  return p;
}

/** True for transition rules, which compare with the previous object and cannot be checked offline. */
export function isTransitionRule(rule: CelRule): boolean {
  return /\boldSelf\b/.test(rule.rule) || (rule.messageExpression !== undefined && /\boldSelf\b/.test(rule.messageExpression));
}

/** Steps of a fieldPath like `.spec.chart`, `.foo['bar.baz']`; empty when absent or unreadable. */
export function parseFieldPath(fieldPath: string | undefined): string[] {
  if (!fieldPath) return [];
  const out: string[] = [];
  const re = /\.([A-Za-z0-9_-]+)|\[\s*'((?:[^'\\]|\\.)*)'\s*\]|\[\s*"((?:[^"\\]|\\.)*)"\s*\]/y;
  let i = 0;
  while (i < fieldPath.length) {
    re.lastIndex = i;
    const m = re.exec(fieldPath);
    if (!m) return out;
    out.push(m[1] ?? (m[2] ?? m[3]).replace(/\\(.)/g, '$1'));
    i = re.lastIndex;
  }
  return out;
}

/** Estimated cost of one rule on values of this size (Kubernetes counts similar units: one per node visited). */
function estimateCost(program: Program, stats: ValueStats): number {
  const range = Math.max(1, stats.maxCollection, program.iteratesStrings ? stats.maxString : 0);
  return program.nodes * Math.pow(range, program.depth);
}

/**
 * Evaluates the rules of one schema node against the manifest `value` at that node.
 * Returns the violated rules (and those skipped for cost), never throws.
 */
export function evaluateCelRules(rules: CelRule[], value: unknown, schema: FlatSchema, resolver: SchemaResolver, budget: CelBudget): CelRuleOutcome[] {
  const active = rules.filter((r) => !isTransitionRule(r));
  if (active.length === 0 || budget.remaining <= 0) return [];
  const stats: ValueStats = { maxCollection: 0, maxString: 0, substitution: false };
  let self: unknown;
  try {
    self = toCelValue(value, schema, resolver, stats);
  } catch {
    return [];
  }
  // The real value is only known once Flux has substituted ${var}: any rule could misfire.
  if (stats.substitution) return [];
  const out: CelRuleOutcome[] = [];
  for (const rule of active) {
    const program = compile(rule.rule);
    if (program instanceof Error) continue;
    const cost = estimateCost(program, stats);
    const fieldPath = parseFieldPath(rule.fieldPath);
    if (cost > CEL_RULE_COST_LIMIT || cost > budget.remaining) {
      out.push({ outcome: 'too-costly', rule, message: rule.message ?? rule.rule, fieldPath, cost });
      budget.remaining = 0;
      break;
    }
    budget.remaining -= cost;
    let result: unknown;
    try {
      result = program.run({ self });
    } catch {
      continue;
    }
    if (result !== false) continue;
    out.push({ outcome: 'violated', rule, message: messageOf(rule, self, stats, budget), fieldPath });
  }
  return out;
}

function messageOf(rule: CelRule, self: unknown, stats: ValueStats, budget: CelBudget): string {
  if (rule.messageExpression) {
    const program = compile(rule.messageExpression);
    if (!(program instanceof Error)) {
      const cost = estimateCost(program, stats);
      if (cost <= budget.remaining) {
        budget.remaining -= cost;
        try {
          const m = program.run({ self });
          if (typeof m === 'string' && m.trim() && !isCelError(m)) return m;
        } catch {
          // Fall back to the static message.
        }
      }
    }
  }
  return rule.message?.trim() || `failed rule: ${rule.rule}`;
}
