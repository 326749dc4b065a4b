/**
 * Duplicate keys are detected by parse-manifests itself, in linear time,
 * instead of by yaml's quadratic `uniqueKeys` check. Property: for any
 * YAML-ish text without other syntax errors, there are as many
 * `duplicate-key` findings as yaml with `uniqueKeys: true` reports
 * DUPLICATE_KEY errors, each on the key itself. And a mapping with 100,000
 * keys parses, which took minutes with yaml's check.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseAllDocuments } from 'yaml';
import { parseManifests, splitDocuments } from '../../server/src/manifests/parse-manifests.js';

function yamlDuplicateOffsets(text: string): number[] {
  const out: number[] = [];
  for (const part of splitDocuments(text)) {
    for (const doc of parseAllDocuments(part.text, { prettyErrors: false, uniqueKeys: true, strict: true, merge: true, logLevel: 'error' }) as unknown as Array<{ errors: Array<{ code: string; pos: [number, number] }> }>) {
      if (!Array.isArray(doc?.errors)) continue;
      for (const e of doc.errors) if (e.code === 'DUPLICATE_KEY') out.push(part.offset + e.pos[0]);
    }
  }
  return out.sort((a, b) => a - b);
}

function ourDuplicateOffsets(text: string): number[] {
  const file = parseManifests(text);
  return file.findings.filter((f) => f.code === 'duplicate-key').map((f) => file.lines.offsetAt(f.range.start)).sort((a, b) => a - b);
}

const key = fc.constantFrom('a', 'b', 'a', '"a"', "'a'", '1', '01', 'true', 'null', '~', '<<', '? a', '[x]');
const line = fc.tuple(fc.constantFrom('', '  ', '    '), key, fc.constantFrom(': 1', ': *x', ': &x v', ':', ': {a: 1, a: 2}', ': [a, a]')).map(([i, k, v]) => `${i}${k}${v}`);
const text = fc.array(fc.oneof(line, fc.constantFrom('---', '- a: 1', '  a: 2', '{a: 1, b: 2, a: 3}')), { maxLength: 25 }).map((l) => l.join('\n'));

test('duplicate-key findings match yaml uniqueKeys, one per duplicate, on the key', () => {
  fc.assert(
    fc.property(text, (t) => {
      // In text with other syntax errors yaml composes a different tree while it recovers; the syntax error is what counts there.
      if (parseManifests(t).findings.some((f) => f.code !== 'duplicate-key' && f.severity === 'error')) return;
      const ours = ourDuplicateOffsets(t);
      const theirs = yamlDuplicateOffsets(t);
      assert.equal(ours.length, theirs.length, 'same number of duplicate keys');
      // yaml sometimes points at the line break before the key; ours is on the key itself, at or after yaml's offset.
      ours.forEach((o, i) => assert.ok(o >= theirs[i] && !/\s/.test(t[o] ?? ''), `finding at ${o} is on the key (yaml: ${theirs[i]})`));
    }),
    { numRuns: Number(process.env.DUP_RUNS ?? 2000) },
  );
});

test('a mapping with 100,000 keys parses (linear duplicate check) and a late duplicate is found', () => {
  const lines = ['apiVersion: v1', 'kind: ConfigMap', 'metadata:', '  name: wide', 'data:'];
  for (let i = 0; i < 100_000; i++) lines.push(`  k${i}: v`);
  lines.push('  k5: again');
  const file = parseManifests(lines.join('\n') + '\n', { maxBytes: 10 * 1024 * 1024 });
  const dups = file.findings.filter((f) => f.code === 'duplicate-key');
  assert.equal(dups.length, 1);
  assert.equal(dups[0].range.start.line, lines.length - 1);
});
