/**
 * Flux `spec.postBuild.substitute` variable substitution, applied the way
 * kustomize-controller applies it: on the YAML text of each rendered object,
 * after the kustomize build, skipping objects annotated
 * `kustomize.toolkit.fluxcd.io/substitute: disabled`.
 *
 * Semantics follow fluxcd/pkg/envsubst as documented by Flux:
 * - `${var}` is replaced by the value, or by an empty string when unset
 *   (non-strict mode, the controller's default);
 * - `${var:=default}` and `${var:-default}` use `default` when the variable is
 *   unset or empty;
 * - `$${var}` is an escape and yields the literal `${var}`;
 * - a bare `$var` is left alone, which is what Flux documents as the way to keep
 *   shell variables in embedded scripts.
 */

/** The annotation that switches substitution off for one object. */
export const SUBSTITUTE_ANNOTATION = 'kustomize.toolkit.fluxcd.io/substitute';

/** Flux validates variable names with this expression; names that fail are left untouched. */
const VARIABLE_NAME = /^[_a-zA-Z][_a-zA-Z0-9]*$/;

/** The result of substituting one text: the new text and the names that had no value and no default. */
export interface SubstitutionResult {
  text: string;
  /** Variables referenced without a value or default; they became empty strings, as in Flux's non-strict mode. */
  unset: string[];
}

/**
 * Substitutes `${var}` references in `text` with values from `vars`.
 * Pure; never throws. Unterminated `${` sequences are left as they are.
 */
export function substituteVariables(text: string, vars: Readonly<Record<string, string>>): SubstitutionResult {
  const unset = new Set<string>();
  let out = '';
  let i = 0;
  while (i < text.length) {
    const dollar = text.indexOf('$', i);
    if (dollar < 0) {
      out += text.slice(i);
      break;
    }
    out += text.slice(i, dollar);
    // `$${...}` is the escape for a literal `${...}`.
    if (text.startsWith('$${', dollar)) {
      const close = text.indexOf('}', dollar + 3);
      if (close < 0) {
        out += text.slice(dollar);
        break;
      }
      out += text.slice(dollar + 1, close + 1);
      i = close + 1;
      continue;
    }
    if (text[dollar + 1] !== '{') {
      out += '$';
      i = dollar + 1;
      continue;
    }
    const close = text.indexOf('}', dollar + 2);
    if (close < 0) {
      out += text.slice(dollar);
      break;
    }
    const body = text.slice(dollar + 2, close);
    const operator = /:[=-]/.exec(body);
    const name = operator ? body.slice(0, operator.index) : body;
    if (!VARIABLE_NAME.test(name)) {
      // Not a Flux variable (for example `${ foo }` or a template expression): keep it verbatim.
      out += text.slice(dollar, close + 1);
      i = close + 1;
      continue;
    }
    const value = Object.prototype.hasOwnProperty.call(vars, name) ? vars[name] : undefined;
    if (operator) {
      const fallback = body.slice(operator.index + 2);
      out += value === undefined || value === '' ? fallback : value;
    } else {
      if (value === undefined) unset.add(name);
      out += value ?? '';
    }
    i = close + 1;
  }
  return { text: out, unset: [...unset] };
}

/** True when the object opts out of substitution with the Flux annotation. */
export function substitutionDisabled(object: { metadata?: { annotations?: Record<string, string> } }): boolean {
  return object.metadata?.annotations?.[SUBSTITUTE_ANNOTATION] === 'disabled';
}
