/**
 * A small line-based unified diff, so plan diffs read like `kubectl diff`
 * output without depending on an external diff tool.
 */

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
