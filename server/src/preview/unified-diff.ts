/**
 * Stable YAML rendering and a small line-based unified diff, so plan diffs
 * read like `kubectl diff` output without depending on an external diff tool.
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

type Op = { kind: ' ' | '-' | '+'; line: string };

/** Longest-common-subsequence line diff; objects are small, so O(n·m) is fine and keeps the code obvious. */
function diffLines(a: string[], b: string[]): Op[] {
  // Trim the common prefix and suffix first: most updates touch a few lines.
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const midA = a.slice(start, endA);
  const midB = b.slice(start, endB);
  const n = midA.length;
  const m = midB.length;
  const table: Uint32Array[] = [];
  for (let i = 0; i <= n; i++) table.push(new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      table[i][j] = midA[i] === midB[j] ? table[i + 1][j + 1] + 1 : Math.max(table[i + 1][j], table[i][j + 1]);
    }
  }
  const ops: Op[] = a.slice(0, start).map((line) => ({ kind: ' ', line }) as Op);
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (midA[i] === midB[j]) {
      ops.push({ kind: ' ', line: midA[i] });
      i++;
      j++;
    } else if (table[i + 1][j] >= table[i][j + 1]) {
      ops.push({ kind: '-', line: midA[i++] });
    } else {
      ops.push({ kind: '+', line: midB[j++] });
    }
  }
  while (i < n) ops.push({ kind: '-', line: midA[i++] });
  while (j < m) ops.push({ kind: '+', line: midB[j++] });
  for (const line of a.slice(endA)) ops.push({ kind: ' ', line });
  return ops;
}

function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/**
 * A unified diff of two texts with `context` lines around each change, with
 * `--- fromLabel` / `+++ toLabel` headers. Returns '' when the texts are equal.
 */
export function unifiedDiff(before: string, after: string, fromLabel: string, toLabel: string, context = 3): string {
  if (before === after) return '';
  const a = splitLines(before);
  const b = splitLines(after);
  const ops = diffLines(a, b);
  const out = [`--- ${fromLabel}`, `+++ ${toLabel}`];
  // Walk the ops, grouping changes that are within 2*context lines of each other into one hunk.
  let idx = 0;
  let lineA = 1;
  let lineB = 1;
  const positions: Array<{ a: number; b: number }> = [];
  for (const op of ops) {
    positions.push({ a: lineA, b: lineB });
    if (op.kind !== '+') lineA++;
    if (op.kind !== '-') lineB++;
  }
  while (idx < ops.length) {
    while (idx < ops.length && ops[idx].kind === ' ') idx++;
    if (idx >= ops.length) break;
    const hunkStart = Math.max(0, idx - context);
    let hunkEnd = idx;
    let lastChange = idx;
    while (hunkEnd < ops.length) {
      if (ops[hunkEnd].kind !== ' ') lastChange = hunkEnd;
      else if (hunkEnd - lastChange > 2 * context) break;
      hunkEnd++;
    }
    const end = Math.min(ops.length, lastChange + context + 1);
    const slice = ops.slice(hunkStart, end);
    const countA = slice.filter((o) => o.kind !== '+').length;
    const countB = slice.filter((o) => o.kind !== '-').length;
    const startA = countA === 0 ? positions[hunkStart].a - 1 : positions[hunkStart].a;
    const startB = countB === 0 ? positions[hunkStart].b - 1 : positions[hunkStart].b;
    out.push(`@@ -${startA},${countA} +${startB},${countB} @@`);
    for (const op of slice) out.push(`${op.kind}${op.line}`);
    idx = end;
  }
  return out.join('\n') + '\n';
}
