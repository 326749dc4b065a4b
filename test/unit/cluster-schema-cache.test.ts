/**
 * The on-disk cache of cluster OpenAPI schemas: one file per context + API
 * server (the server URL only hashed into the name), written atomically,
 * read back as written, and unreadable or foreign files ignored.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ClusterSchemaCache, defaultClusterSchemaCacheDir } from '../../server/src/schemas/cluster-schema-cache.js';

const doc = { openapi: '3.0.0', components: { schemas: { 'io.k8s.api.core.v1.ConfigMap': { type: 'object' } } } };

test('cluster schema cache: writes per context + server and reads back; never the server URL', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-lens-schema-cache-'));
  try {
    const cache = new ClusterSchemaCache(path.join(dir, 'nested', 'cluster-schemas'));
    const server = 'https://user:pa55word@10.1.2.3:6443';
    assert.equal(cache.read('prod', server), undefined, 'nothing cached yet');
    const file = cache.write(server, { context: 'prod', kubernetesVersion: 'v1.37.2', cachedAt: '2026-11-27T05:09:00.000Z', documents: { 'api/v1': doc } });
    assert.equal(path.dirname(file), cache.dir);
    assert.match(path.basename(file), /^prod-[0-9a-f]{24}\.json$/);
    assert.deepEqual(cache.read('prod', server), { context: 'prod', kubernetesVersion: 'v1.37.2', cachedAt: '2026-11-27T05:09:00.000Z', documents: { 'api/v1': doc } });
    const stored = fs.readFileSync(file, 'utf8');
    for (const secret of ['pa55word', 'user:', '10.1.2.3', '6443']) assert.ok(!stored.includes(secret), `the cache file does not hold ${secret}`);
    if (process.platform !== 'win32') assert.equal(fs.statSync(file).mode & 0o077, 0, 'only the user can read it');

    // Another server under the same context name, or another context on the same server, is another file.
    assert.equal(cache.read('prod', 'https://10.9.9.9:6443'), undefined);
    assert.equal(cache.read('staging', server), undefined);
    assert.notEqual(cache.fileFor('prod', server), cache.fileFor('prod', 'https://10.9.9.9:6443'));

    // Writing again replaces; no temporary files are left behind.
    cache.write(server, { context: 'prod', cachedAt: '2026-11-27T06:00:00.000Z', documents: {} });
    assert.deepEqual(cache.read('prod', server), { context: 'prod', cachedAt: '2026-11-27T06:00:00.000Z', documents: {} });
    assert.deepEqual(fs.readdirSync(cache.dir).filter((f) => f.endsWith('.tmp')), []);

    // Odd context names are sanitized in the file name, and corrupt files are ignored, not thrown.
    const odd = cache.write(server, { context: '../../etc/a b', cachedAt: 'x', documents: {} });
    assert.equal(path.dirname(odd), cache.dir);
    fs.writeFileSync(cache.fileFor('broken', server), '{not json');
    assert.equal(cache.read('broken', server), undefined);
    fs.writeFileSync(cache.fileFor('other-format', server), JSON.stringify({ format: 99, context: 'other-format', cachedAt: 'x', documents: {} }));
    assert.equal(cache.read('other-format', server), undefined);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('cluster schema cache: the default folder follows XDG_CACHE_HOME, else ~/.cache', () => {
  assert.equal(defaultClusterSchemaCacheDir({ XDG_CACHE_HOME: '/var/cache/me' }), path.join('/var/cache/me', 'gitops-lens', 'cluster-schemas'));
  assert.equal(defaultClusterSchemaCacheDir({}), path.join(os.homedir(), '.cache', 'gitops-lens', 'cluster-schemas'));
  assert.equal(defaultClusterSchemaCacheDir({ XDG_CACHE_HOME: 'relative' }), path.join(os.homedir(), '.cache', 'gitops-lens', 'cluster-schemas'), 'a relative XDG_CACHE_HOME is ignored, as the spec says');
});
