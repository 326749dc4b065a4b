/**
 * Every manifest under test/fixtures/invalid has a sidecar `.expected.json`
 * holding the exact diagnostics (1-based ranges, severity, code, message).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { createDefaultEngine } from '../../server/src/validation/validation-engine.js';

const dir = path.resolve(__dirname, '../fixtures/invalid');
const fixtures = fs.readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();

test('there are invalid fixtures, each with its expected diagnostics', () => {
  assert.ok(fixtures.length >= 15);
  for (const f of fixtures) assert.ok(fs.existsSync(path.join(dir, f.replace(/\.yaml$/, '.expected.json'))), `${f} has no .expected.json`);
});

for (const f of fixtures) {
  test(`fixture ${f}`, () => {
    const engine = createDefaultEngine();
    const text = fs.readFileSync(path.join(dir, f), 'utf8');
    const actual = engine.validate(path.join(dir, f), text).map((x) => ({
      line: x.range.start.line + 1,
      column: x.range.start.character + 1,
      endLine: x.range.end.line + 1,
      endColumn: x.range.end.character + 1,
      severity: x.severity,
      code: x.code,
      message: x.message,
    }));
    const expected = JSON.parse(fs.readFileSync(path.join(dir, f.replace(/\.yaml$/, '.expected.json')), 'utf8'));
    assert.deepEqual(actual, expected);
    assert.ok(actual.length >= 1, 'each fixture has at least one diagnostic');
  });
}
