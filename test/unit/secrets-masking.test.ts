/**
 * Secret masking and redaction: values are replaced by *** with same/differs
 * marks, the last-applied annotation of Secrets is masked, and redact()
 * removes bearer tokens, token fields and every Secret value seen.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MASK, maskSecret, redact, registerSecretObject, secretDigests } from '../../server/src/secrets/mask-secrets.js';

const secret = (value: string) => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 's', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': `{"data":{"k":"${Buffer.from(value).toString('base64')}"}}`, other: 'kept' } },
  data: { k: Buffer.from(value).toString('base64'), same: Buffer.from('unchanged-value').toString('base64') },
});

test('maskSecret replaces values and the last-applied annotation, with same/differs marks', () => {
  const desired = secret('MASK-MARKER-desired');
  const live = secret('MASK-MARKER-live');
  const m = maskSecret(live, desired);
  assert.deepEqual(m.data, { k: `${MASK} (differs)`, same: `${MASK} (same)` });
  assert.equal(m.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'], MASK);
  assert.equal(m.metadata.annotations.other, 'kept');
  assert.ok(!JSON.stringify(m).includes('MARKER'));
  assert.equal(live.data.k, Buffer.from('MASK-MARKER-live').toString('base64'), 'the input is not modified');
  assert.deepEqual(maskSecret(live).data, { k: MASK, same: MASK });
  const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { k: 'v' } };
  assert.equal(maskSecret(cm), cm, 'other kinds pass through');
});

test('stringData and data compare by decoded value through digests', () => {
  const a = secretDigests({ stringData: { k: 'plain' } });
  const b = secretDigests({ data: { k: Buffer.from('plain').toString('base64') } });
  assert.equal(a.get('k'), b.get('k'));
  assert.ok(!a.get('k')!.includes('plain'));
  assert.equal(secretDigests({ data: { k: a.get('k') } }).get('k'), a.get('k'), 'digests pass through');
});

test('redact removes bearer tokens, token fields, JWTs and known Secret values', () => {
  registerSecretObject(secret('REDACT-MARKER-value'));
  const text = [
    'Authorization: Bearer abc.def-ghi_123',
    '{"token":"tok-123456789"}',
    'password=hunter2hunter2',
    'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
    'value REDACT-MARKER-value and its base64 ' + Buffer.from('REDACT-MARKER-value').toString('base64'),
  ].join('\n');
  const out = redact(text, ['extra-secret-xyz']);
  for (const s of ['abc.def-ghi_123', 'tok-123456789', 'hunter2hunter2', 'eyJhbGciOiJIUzI1NiJ9', 'REDACT-MARKER-value', Buffer.from('REDACT-MARKER-value').toString('base64')]) {
    assert.ok(!out.includes(s), `${s} leaked in ${out}`);
  }
  assert.equal(redact('no secrets here'), 'no secrets here');
});
