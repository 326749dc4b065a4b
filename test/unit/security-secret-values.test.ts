/**
 * Issue 18, finding 3 (part): Secret values that are not plain strings (a mapping under
 * stringData where a `|` was forgotten, an unquoted number under data) are registered for
 * redaction too, in every form the API server's error echoes them, and masked in plans.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { maskSecret, redact, registerSecretObject } from '../../server/src/secrets/mask-secrets.js';
import { safeKustomizeError } from '../../server/src/render/kustomize-build.js';

test('nested and non-string Secret values are redacted and masked', () => {
  const secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'db' },
    stringData: { url: { dsn: 'postgres://app:NESTED-MARKER-pw@db', port: 5432 }, list: ['LIST-MARKER-item'] },
    data: { pin: 98127364, flag: true },
  };
  registerSecretObject(secret);
  // The API server's own words for such a value (strict decoding of stringData / data).
  const apiError =
    'Secret "db" is invalid: stringData.url: Invalid value: expected string, got &value.valueUnstructured{Value:map[string]interface {}{"dsn":"postgres://app:NESTED-MARKER-pw@db", "port":5432}}; ' +
    'stringData.list: got ["LIST-MARKER-item"]; data.pin: Invalid value: 98127364: illegal base64 data';
  const shown = redact(apiError);
  for (const marker of ['NESTED-MARKER-pw', 'LIST-MARKER-item', '98127364']) assert.ok(!shown.includes(marker), `${marker} in ${shown}`);
  const masked = maskSecret(secret) as any;
  assert.deepEqual(masked.stringData, { url: '***', list: '***' });
  assert.deepEqual(masked.data, { pin: '***', flag: '***' });
});

test('kustomize errors about generator inputs never quote the input', () => {
  const kustomize = 'err="loading KV pairs: literal sources [ab]: invalid literal source ab, expected key=value"';
  const shown = safeKustomizeError(kustomize);
  assert.ok(!shown.includes('[ab]') && !shown.includes('source ab'), shown);
  assert.match(shown, /a literal \(key=value\)/);
  assert.equal(safeKustomizeError('accumulating resources: missing file x.yaml'), 'accumulating resources: missing file x.yaml');
});
