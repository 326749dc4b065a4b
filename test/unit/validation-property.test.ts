/**
 * Property: any text through parse → classify → validate (and hover and
 * completion) never throws, and every finding's range lies inside the text.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { Range } from '../../server/src/findings.js';
import { LineIndex } from '../../server/src/manifests/text-positions.js';
import { createDefaultEngine } from '../../server/src/validation/validation-engine.js';

const engine = createDefaultEngine();
engine.updateWorkspaceFile('/p/kustomization.yaml', 'patches: [{path: patch.yaml}]\n');

function assertInside(text: string, range: Range): void {
  const lines = text.split(/\r\n|\r|\n/);
  const ok = (p: { line: number; character: number }) => p.line >= 0 && p.line < lines.length && p.character >= 0 && p.character <= lines[p.line].length;
  assert.ok(ok(range.start) && ok(range.end), `range ${JSON.stringify(range)} outside the text`);
  assert.ok(range.start.line < range.end.line || (range.start.line === range.end.line && range.start.character <= range.end.character), 'range is ordered');
}

// YAML-shaped fragments make the generator reach the validator, not just the parser.
const fragment = fc.constantFrom(
  'apiVersion: apps/v1', 'apiVersion: v1', 'apiVersion: source.toolkit.fluxcd.io/v1', 'kind: Deployment', 'kind: Service', 'kind: Secret',
  'kind: GitRepository', 'metadata:', '  name: x', '  name: Bad_Name', 'spec:', '  replicas: 2', '  replicas: "two"', '  ports:', '    - port: 80',
  '    - targetPort: true', '  template:', '    spec:', '      containers:', '        - name: c', '          image: nginx', '---', '- a', '  - b',
  'data:', '  k: !!binary aGk=', 'a: &x [1,2]', 'b: *x', 'c: *missing', '{', '}', '[', ']', '"', "'", '? complex', ': value', '\t', '%YAML 1.2',
  '...', '#comment', 'key: key: key', '$patch: delete', 'spec: {replicas: ${n}}', '\u0000', '\uFEFF', '😀: 😀',
);
const yamlish = fc.array(fc.oneof(fragment, fc.string({ maxLength: 12 })), { maxLength: 40 }).map((l) => l.join('\n'));
const anyText = fc.oneof(yamlish, fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 200 }));
const file = fc.constantFrom('/p/a.yaml', '/p/patch.yaml', '/p/kustomization.yaml', '/p/chart/templates/x.yaml', '/p/values.yaml');

test('validate never throws and keeps ranges inside the text', () => {
  fc.assert(fc.property(anyText, file, (text, path) => {
    const findings = engine.validate(path, text);
    for (const f of findings) {
      assertInside(text, f.range);
      assert.ok(f.message.length > 0 && f.code.length > 0);
    }
  }), { numRuns: 1500 });
});

test('hover and completion never throw and hover ranges lie inside the text', () => {
  fc.assert(fc.property(yamlish, fc.nat(), fc.nat(), (text, l, c) => {
    const lines = new LineIndex(text);
    const line = l % (lines.lineCount + 1);
    const position = { line, character: c % 40 };
    const h = engine.hover('/p/a.yaml', text, position);
    if (h) assertInside(text, h.range);
    const items = engine.complete('/p/a.yaml', text, position);
    assert.ok(Array.isArray(items));
  }), { numRuns: 800 });
});
