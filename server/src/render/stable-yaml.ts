/**
 * Stable YAML rendering: sorted keys, so two renderings of equal objects are
 * byte-identical. Plan diffs (preview) and rendered source maps (render) both
 * print objects with it.
 */
import { Document, stringify } from 'yaml';

/** YAML with sorted keys, so that two renderings of equal objects are byte-identical. */
export function stableYaml(value: unknown): string {
  if (value === undefined || value === null) return '';
  return fastStableYaml(value) ?? stringify(value, { sortMapEntries: true, lineWidth: 0, aliasDuplicateObjects: false });
}

/**
 * When the `yaml` library writes a string quoted or as a block instead of
 * plain (its stringifyString/plainString rules): leading indicator characters,
 * `: ` and ` #`, a trailing space or colon, document markers, line breaks,
 * tabs and control characters; keys over 1024 characters become explicit keys.
 */
const NOT_PLAIN = /^[\n\t ,[\]{}#&*!|>'"%@`]|^[?-]$|^[?-][ \t]|[\n:][ \t]|[ \t]\n|[\n\t ]#|[\n\t :]$/;
/** Text whose rendering depends on where it is (document markers, line breaks, tabs, control characters): left to the library. */
const CONTEXTUAL = /^(?:%|---|\.\.\.)|[\t\n\x00-\x08\x0b-\x1f\x7f-\x9f\u{D800}-\u{DFFF}]/u;
/** The library's own tests of the default (YAML 1.2 core) schema for text that would read back as null, a boolean or a number: such strings are quoted. */
const RESOLVES_TO_OTHER_TYPE: RegExp[] = new Document().schema.tags.flatMap((t) =>
  t.default && t.tag !== 'tag:yaml.org,2002:str' && t.test ? [t.test] : [],
);

/** A scalar exactly as the `yaml` library writes it in block context (plain, or double-quoted printable ASCII), or undefined when this file does not know (then the library renders). */
function plainScalar(v: unknown): string | undefined {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return Number.isSafeInteger(v) && !Object.is(v, -0) ? String(v) : undefined;
  if (typeof v !== 'string' || v.length > 1024 || CONTEXTUAL.test(v)) return undefined;
  if (v.length > 0 && !NOT_PLAIN.test(v) && !RESOLVES_TO_OTHER_TYPE.some((re) => re.test(v))) return v;
  // Not plain: the library double-quotes it, which for printable ASCII without `"` or `\` only adds the quotes (Secret masks: "***").
  return /^[\x20-\x21\x23-\x5b\x5d-\x7e]*$/.test(v) ? `"${v}"` : undefined;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The output of `yaml.stringify(value, { sortMapEntries: true, lineWidth: 0 })`
 * for the common shape of Kubernetes objects (maps, lists of maps and scalars,
 * plain strings, integers, booleans, null), written directly: the library
 * builds a document tree first, which made rendering the plan's YAML the
 * costliest step of a preview. Anything outside that subset (quoted or
 * multi-line strings, non-integer numbers, lists of lists) returns undefined
 * and the library renders the whole value, so the text is the same either way
 * (test/unit/preview-normalize-diff.test.ts compares both on many objects).
 */
export function fastStableYaml(value: unknown): string | undefined {
  if (!isPlainObject(value)) return undefined;
  const out: string[] = [];
  // Returns false as soon as something is outside the subset.
  const map = (m: Record<string, unknown>, indent: string, firstPrefix?: string): boolean => {
    const keys = Object.keys(m).filter((k) => m[k] !== undefined).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    let first = true;
    for (const k of keys) {
      const key = plainScalar(k);
      if (key === undefined) return false;
      const lead = first && firstPrefix !== undefined ? firstPrefix : indent;
      first = false;
      const v = m[k];
      if (isPlainObject(v)) {
        if (Object.keys(v).every((x) => v[x] === undefined)) out.push(`${lead}${key}: {}`);
        else {
          out.push(`${lead}${key}:`);
          if (!map(v, `${indent}  `)) return false;
        }
      } else if (Array.isArray(v)) {
        if (v.length === 0) out.push(`${lead}${key}: []`);
        else {
          out.push(`${lead}${key}:`);
          if (!seq(v, `${indent}  `)) return false;
        }
      } else {
        const s = plainScalar(v);
        if (s === undefined) return false;
        out.push(`${lead}${key}: ${s}`);
      }
    }
    return true;
  };
  const seq = (items: unknown[], indent: string): boolean => {
    for (const item of items) {
      if (isPlainObject(item)) {
        if (Object.keys(item).every((x) => item[x] === undefined)) out.push(`${indent}- {}`);
        else if (!map(item, `${indent}  `, `${indent}- `)) return false;
      } else if (Array.isArray(item) || item === undefined) {
        return false;
      } else {
        const s = plainScalar(item);
        if (s === undefined) return false;
        out.push(`${indent}- ${s}`);
      }
    }
    return true;
  };
  if (Object.keys(value).every((k) => value[k] === undefined)) return undefined;
  return map(value, '') ? `${out.join('\n')}\n` : undefined;
}
