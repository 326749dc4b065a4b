/**
 * Regular expressions from schemas and workspace CRDs, evaluated the way kube-apiserver does:
 * with RE2 semantics (Go's `regexp`), in time linear in the input. JavaScript's `RegExp`
 * backtracks, so a CRD `pattern: ^(a+)+$` (valid RE2, harmless in the API server) would
 * hang the validator, the CLI and the language server at 100% CPU, even in Restricted Mode,
 * on a value of a few dozen characters. `@bufbuild/re2` is a pure-JavaScript port of RE2
 * (RE2/J via re2js, tailored for CEL; bundled by esbuild, no native code) with Go's syntax, so
 * the same pattern matches the same strings as in the API server, and patterns RE2 rejects
 * (lookaround, backreferences) are rejected here too. It is also the engine of CEL's
 * `matches()` (cel/cel-rules.ts): one RE2 engine in the product.
 *
 * The one entry point for schema regular expressions: OpenAPI `pattern` now, CEL's
 * `matches()` later (see /work/coord/notes-validation.md for the API note).
 */
import { RE2JS } from '@bufbuild/re2';

/** A compiled pattern. `test` is an unanchored search, like Go's `regexp.MatchString`. */
export interface Re2Pattern {
  readonly source: string;
  test(text: string): boolean;
}

/** A pattern RE2 does not accept; `message` says why (from the RE2 parser). */
export interface Re2PatternError {
  readonly source: string;
  readonly message: string;
}

/** Compiled patterns by source; schemas repeat the same few patterns on many fields. */
const cache = new Map<string, Re2Pattern | Re2PatternError>();
const MAX_CACHED = 2000;

function isPattern(p: Re2Pattern | Re2PatternError): p is Re2Pattern {
  return typeof (p as Re2Pattern).test === 'function';
}

/**
 * Compiles `source` with RE2 semantics. Returns the pattern, or an {@link Re2PatternError}
 * when RE2 rejects it (kube-apiserver refuses such a CRD too). Results are cached.
 */
export function compileRe2(source: string): Re2Pattern | Re2PatternError {
  const hit = cache.get(source);
  if (hit) return hit;
  let result: Re2Pattern | Re2PatternError;
  try {
    const re = RE2JS.compile(source);
    result = { source, test: (text: string) => re.test(text) };
  } catch (e) {
    result = { source, message: e instanceof Error ? e.message : String(e) };
  }
  if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value!);
  cache.set(source, result);
  return result;
}

/**
 * True when `text` matches `source` (unanchored, RE2 semantics, linear time); undefined when
 * the pattern does not compile, so the caller can skip the check rather than guess.
 */
export function re2Matches(source: string, text: string): boolean | undefined {
  const p = compileRe2(source);
  return isPattern(p) ? p.test(text) : undefined;
}
