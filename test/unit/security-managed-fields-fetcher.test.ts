/**
 * Issue 18, finding 9 (GET amplification), the scheduling: per object at most one GET in
 * flight and one per interval, a newer resourceVersion seen meanwhile fetched once after the
 * interval (so the answer converges), and a global token bucket across objects. The real
 * watch flood against the control plane is test/cluster/security-get-amplification.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManagedFieldsFetcher } from '../../server/src/cluster/managed-fields-fetcher.js';
import type { KubeObject } from '../../server/src/cluster/cluster-types.js';
import { until } from '../support/wait.ts';

function obj(rv: string, manager: string): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', resourceVersion: rv, managedFields: [{ manager, operation: 'Update' }] } } as KubeObject;
}

test('a flood of resourceVersions on one object: one GET in flight, one per interval, and the last version is fetched', async () => {
  const f = new ManagedFieldsFetcher({ minIntervalMs: 200, perSecond: 1000, burst: 1000 });
  let live = 0;
  let gets = 0;
  const answered: string[] = [];
  const fetch = async () => {
    gets++;
    await new Promise((r) => setTimeout(r, 20));
    return obj(String(live), `m${live}`);
  };
  const started = Date.now();
  // 1,000 new resourceVersions in ~0.5 s, as a watch flood delivers them.
  for (let i = 1; i <= 1000; i++) {
    live = i;
    f.want('cm/x', String(i), fetch, () => answered.push(f.get('cm/x')!.rv));
    if (i % 100 === 0) await new Promise((r) => setTimeout(r, 50));
  }
  await until('the last version fetched', () => f.get('cm/x')?.rv === '1000', 5_000);
  const elapsed = Date.now() - started;
  assert.ok(gets <= Math.ceil(elapsed / 200) + 2, `${gets} GETs in ${elapsed} ms`);
  assert.equal(f.get('cm/x')!.fields![0].manager, 'm1000');
  f.dispose();
});

test('the same version is never fetched twice, and the global rate bounds many objects', async () => {
  let t = 0;
  const f = new ManagedFieldsFetcher({ minIntervalMs: 0, perSecond: 2, burst: 3, now: () => t });
  let gets = 0;
  const fetch = async () => (gets++, obj('1', 'm'));
  for (let i = 0; i < 20; i++) f.want(`cm/${i}`, '1', fetch);
  await new Promise((r) => setImmediate(r));
  assert.equal(gets, 3, 'the burst');
  t += 1000; // one second later: two more tokens
  await until('two more GETs', () => gets === 5, 3_000);
  f.want('cm/0', '1', fetch);
  await new Promise((r) => setImmediate(r));
  assert.equal(gets, 5, 'a known version is not fetched again');
  f.dispose();
});

test('a failed GET is answered (callers stop waiting) and not retried for the same version', async () => {
  const f = new ManagedFieldsFetcher({ minIntervalMs: 0 });
  let gets = 0;
  const errors: string[] = [];
  const fetch = async (): Promise<KubeObject | undefined> => {
    gets++;
    throw new Error('forbidden');
  };
  f.want('cm/x', '7', fetch, (e) => e && errors.push(e.message));
  await until('answered', () => f.get('cm/x'), 2_000);
  f.want('cm/x', '7', fetch);
  await new Promise((r) => setImmediate(r));
  assert.equal(gets, 1);
  assert.deepEqual(errors, ['forbidden']);
  assert.equal(f.get('cm/x')!.fields, undefined);
  f.dispose();
});
