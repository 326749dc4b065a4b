/**
 * The wait before retrying a throttled (429) request: full jitter over the
 * exponential bound, Retry-After honoured as a lower bound, one cap.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { retryDelayMs } from '../../server/src/cluster/retry-backoff.js';

test('without Retry-After the wait is uniform in [0, base × 2^attempt)', () => {
  assert.equal(retryDelayMs(0, undefined, { random: () => 0 }), 0);
  assert.equal(retryDelayMs(0, undefined, { random: () => 0.5 }), 500);
  assert.equal(retryDelayMs(2, undefined, { random: () => 0.5 }), 2000);
  assert.equal(retryDelayMs(2, 'not-a-number', { random: () => 0.25 }), 1000);
});

test('Retry-After is a lower bound: jitter is added on top of it', () => {
  assert.equal(retryDelayMs(0, '2', { random: () => 0 }), 2000);
  assert.equal(retryDelayMs(0, '2', { random: () => 0.5 }), 2500);
  assert.equal(retryDelayMs(1, ['3'], { random: () => 0.999 }), 3000 + 0.999 * 2000);
  assert.equal(retryDelayMs(0, '0', { random: () => 0.1 }), 100);
  for (let i = 0; i < 200; i++) assert.ok(retryDelayMs(i % 4, '1') >= 1000);
});

test('every wait is capped, and so is the Retry-After it honours', () => {
  assert.equal(retryDelayMs(10, undefined, { random: () => 0.999, maxMs: 10_000 }), 9990);
  assert.equal(retryDelayMs(0, '60', { random: () => 0.9, maxMs: 10_000 }), 10_000);
  assert.equal(retryDelayMs(3, '9', { random: () => 0.9, maxMs: 10_000 }), 10_000);
});

test('the spread differs between calls (jitter), within its bounds', () => {
  const waits = new Set(Array.from({ length: 50 }, () => retryDelayMs(1, undefined)));
  assert.ok(waits.size > 1, 'waits are not all equal');
  for (const w of waits) assert.ok(w >= 0 && w < 2000, String(w));
});
