/**
 * The broken-reference checks on the shared corpora (../shared/corpora),
 * written by others: they must get no false broken-reference diagnostic. The
 * test measures what each corpus gets (the expected list below is complete;
 * an entry may only be a real defect of the corpus, named with its reason)
 * and prints how the references resolved.
 *
 * It also proves the in-process kustomize identities (server/src/graph/
 * kustomize-identities.ts) against `kubectl kustomize` (kustomize v5): for every
 * kustomization of every corpus that builds without remote bases or Helm
 * charts, the same kinds, namespaces and names (generated names up to their
 * content hash).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { loadRepository } from '../../server/src/graph/reference-index.js';
import { resolveSite } from '../../server/src/graph/resolve-reference.js';
import { docOf } from '../../server/src/graph/repo-graph.js';

const repoRoot = path.resolve(__dirname, '../..');
const corpora = path.resolve(repoRoot, '../shared/corpora');
const NAMES = ['argocd-example-apps', 'bjw-s-labs-home-ops', 'flux2-kustomize-helm-example', 'flux2-monitoring-example', 'flux2-multi-tenancy', 'kube-prometheus', 'podinfo'];
const present = NAMES.every((n) => fs.existsSync(path.join(corpora, n)));
const skip = present ? false : process.env.CI === 'true' ? false : `corpora not found at ${corpora}`;

/**
 * What each corpus gets, exactly. Every entry must be a real defect of the
 * corpus, with the reason. None today: every reference of the seven corpora
 * resolves in the rendered desired state, is produced by a controller the
 * engine models, or may come from a chart that is not rendered.
 */
const EXPECTED: Record<string, string[]> = Object.fromEntries(NAMES.map((n) => [n, []]));

test('the shared corpora get no false broken-reference diagnostic', { skip }, () => {
  for (const name of NAMES) {
    const root = path.join(corpora, name);
    const index = loadRepository(root);
    const got = [...index.findings()].flatMap(([file, list]) => list.map((f) => `${path.relative(root, file).split(path.sep).join('/')}:${f.range.start.line + 1}:${f.range.start.character + 1} ${f.code}`)).sort();
    // The measurement, for the record: how each kind of reference resolved.
    const graph = index.graph();
    const stats: Record<string, number> = {};
    for (const unit of graph.units) for (const o of unit.objects) for (const s of docOf(graph.files, o)?.sites ?? []) {
      const r = resolveSite(graph, { o, unit }, s);
      const key = `${s.kind} ${r.status}`;
      stats[key] = (stats[key] ?? 0) + 1;
    }
    console.log(`[references] ${name}: ${graph.units.length} units, ${graph.units.reduce((n, u) => n + u.objects.length, 0)} rendered objects; sites: ${JSON.stringify(stats)}; findings: ${got.length}`);
    assert.deepEqual(got, EXPECTED[name], `${name}: broken-reference findings`);
  }
});

const run = promisify(execFile);
const KUBECTL = process.env.KUBECTL || '/usr/bin/kubectl';
const kubectlMissing = fs.existsSync(KUBECTL) ? false : process.env.CI === 'true' ? false : `kubectl not found at ${KUBECTL}`;

test('in-process kustomize identities equal kubectl kustomize on every corpus kustomization', { skip: skip || kubectlMissing, timeout: 600_000 }, async () => {
  let compared = 0;
  let skipped = 0;
  const mismatches: string[] = [];
  for (const name of NAMES) {
    const root = path.join(corpora, name);
    const index = loadRepository(root);
    const model = index.graph().model;
    const dirs = [...index.files.kustomizationDirs.keys()].sort().filter((dir) => {
      const k = model.kustomizationOf(dir);
      return k && !k.doc.kustomization?.component && !index.files.isInChart(k.file) && model.build(dir).opaque.length === 0;
    });
    // Two builds at a time: each kubectl is CPU-bound.
    const queue = [...dirs];
    await Promise.all([0, 1].map(async () => {
      for (let dir = queue.shift(); dir; dir = queue.shift()) {
        let out: string;
        try {
          out = (await run(KUBECTL, ['kustomize', '--load-restrictor=LoadRestrictionsNone', dir], { maxBuffer: 1 << 28 })).stdout;
        } catch {
          skipped++;
          continue;
        }
        const real = new Set<string>();
        for (const d of parseAllDocuments(out)) {
          const v = d.toJS() as { kind?: string; metadata?: { name?: string; namespace?: string } } | null;
          if (v?.kind) real.add(`${v.kind}|${v.metadata?.namespace ?? ''}|${v.metadata?.name}`);
        }
        const mine = new Set<string>();
        const hashed: RegExp[] = [];
        for (const o of model.build(dir).objects) {
          if (o.hashed) hashed.push(new RegExp(`^${o.kind}\\|${o.namespace}\\|${o.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-[a-z0-9]{10}$`));
          else mine.add(`${o.kind}|${o.namespace}|${o.name}`);
        }
        const missing = [...real].filter((r) => !mine.has(r) && !hashed.some((h) => h.test(r)));
        const extra = [...mine].filter((m) => !real.has(m)).concat(hashed.filter((h) => ![...real].some((r) => h.test(r))).map(String));
        if (missing.length || extra.length) mismatches.push(`${name}/${path.relative(root, dir)}: kubectl only ${JSON.stringify(missing)}, model only ${JSON.stringify(extra)}`);
        compared++;
      }
    }));
  }
  console.log(`[references] kustomize identities: ${compared} kustomizations compared with kubectl kustomize, ${skipped} that kubectl could not build skipped`);
  assert.deepEqual(mismatches, []);
  assert.ok(compared >= 140, `compared ${compared}`);
});
