/**
 * Issue 18, finding 5 (ReDoS), pure logic: schema patterns follow kube-apiserver's RE2
 * semantics (Go's regexp) in linear time, and every document's validation has a deadline
 * that yields one `validation-timeout` finding instead of a hang. The CLI and the language
 * server (Restricted Mode) are tested on the same hostile CRD in test/cli/security-redos-cli
 * and test/protocol/security-redos-lsp.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileRe2, re2Matches } from '../../server/src/validation/re2-pattern.js';
import { createDefaultEngine } from '../../server/src/validation/validation-engine.js';

test('RE2 semantics: unanchored search like Go regexp.MatchString; RE2-invalid patterns are reported, not guessed', () => {
  assert.equal(re2Matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', 'web-1'), true);
  assert.equal(re2Matches('[0-9]+', 'abc123def'), true, 'unanchored, as in the API server');
  assert.equal(re2Matches('^\\d+$', '١٢٣'), false, '\\d is ASCII in RE2 (JavaScript without u flag agrees, Unicode-aware engines do not)');
  assert.equal(re2Matches('(?i)^abc$', 'ABC'), true, 'inline flags are RE2 syntax');
  assert.equal(re2Matches('^\\p{Greek}+$', 'αβγ'), true, 'Unicode classes');
  assert.equal(re2Matches('^a$', 'a\n'), false, '$ is end of text in RE2, not before a final newline');
  for (const bad of ['(?=a)b', '(a)\\1', 'a{1,1001}']) {
    assert.equal(re2Matches(bad, 'a'), undefined, bad);
    assert.match((compileRe2(bad) as { message: string }).message, /error parsing regexp/);
  }
});

test('^(a+)+$ on 100,000 characters is linear', () => {
  const start = process.hrtime.bigint();
  assert.equal(re2Matches('^(a+)+$', `${'a'.repeat(100_000)}!`), false);
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  console.log(`[reliability] ^(a+)+$ on 100,001 characters: ${ms.toFixed(1)} ms`);
});

test('a workspace CRD pattern ^(a+)+$ does not hang the engine (checked in a worker that is stopped after 20 s)', async () => {
  // A backtracking engine never returns here, so the check runs in a worker the test can stop.
  // The folder is made and removed here: a worker stopped mid-way would leave it behind.
  const dir = mkdtempSync(join(tmpdir(), 'gitops-lens-redos-'));
  test.after(() => rmSync(dir, { recursive: true, force: true }));
  const worker = new Worker(
    `
    const { parentPort, workerData } = require('node:worker_threads');
    require('tsx/cjs');
    const { createDefaultEngine } = require(${JSON.stringify(require.resolve('../../server/src/validation/validation-engine.ts'))});
    const { writeRedosWorkspace } = require(${JSON.stringify(require.resolve('../support/redos-fixture.ts'))});
    const fs = require('node:fs');
    const ws = writeRedosWorkspace(workerData.dir);
    const engine = createDefaultEngine();
    engine.updateWorkspaceFile(ws.crd, fs.readFileSync(ws.crd, 'utf8'));
    parentPort.postMessage(engine.validate(ws.cr, ws.crText).map((f) => f.code));
    `,
    { eval: true, workerData: { dir } },
  );
  const timer = setTimeout(() => void worker.terminate(), 20_000);
  const codes = await new Promise<string[] | undefined>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', () => resolve(undefined));
  });
  clearTimeout(timer);
  await worker.terminate();
  assert.ok(codes, 'validation did not finish within 20 s (backtracking regular expression)');
  assert.ok(codes.includes('pattern-mismatch'), `findings: ${codes.join(', ')}`);
});

test('a document whose validation outlives its deadline gets one validation-timeout finding, not a hang', () => {
  const engine = createDefaultEngine({ documentDeadlineMs: 0 });
  const containers = Array.from({ length: 3000 }, (_, i) => `      - name: c${i}\n        image: nginx:1.27\n        ports:\n        - containerPort: ${8000 + (i % 1000)}`).join('\n');
  const text = `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: big\nspec:\n  selector:\n    matchLabels: { app: big }\n  template:\n    metadata:\n      labels: { app: big }\n    spec:\n      containers:\n${containers}\n`;
  const findings = engine.validate('/ws/big.yaml', text);
  const timeouts = findings.filter((f) => f.code === 'validation-timeout');
  assert.equal(timeouts.length, 1, JSON.stringify(findings.map((f) => f.code)));
  assert.match(timeouts[0].message, /stopped after .* s/);
  // With the default budget the same document validates completely.
  assert.deepEqual(createDefaultEngine().validate('/ws/big.yaml', text).filter((f) => f.severity === 'error'), []);
});
