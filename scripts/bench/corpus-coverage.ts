/**
 * Schema coverage and wall time of `gitops-lens validate` on each real repository of
 * ../shared/corpora (part of `npm run bench:validate`): how many of its Kubernetes
 * objects had a schema (built-in, catalog or the repository's own CRDs), and which
 * group/version/kinds had none. Uses the CLI's JSON summary (`objects`,
 * `objectsWithSchema`) when it reports them, else counts the objects itself and
 * takes every `no-schema` finding as one object without a schema.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { createDefaultEngine } from '../../server/src/validation/validation-engine.js';

/** The figures of one corpus. */
export interface CorpusCoverage {
  name: string;
  files: number;
  objects: number;
  withSchema: number;
  errors: number;
  warnings: number;
  wallMs: number;
  /** group/version/kind → objects without a schema. */
  missing: Map<string, number>;
}

interface CliReport {
  summary: { files: number; errors: number; warnings: number; objects?: number; objectsWithSchema?: number };
  files: { path: string; findings: { code: string; message: string }[] }[];
}

function countObjects(report: CliReport): number {
  const engine = createDefaultEngine();
  const texts = report.files.map((f) => {
    try {
      return [f.path, readFileSync(f.path, 'utf8')] as const;
    } catch {
      return [f.path, ''] as const;
    }
  });
  for (const [file, text] of texts) engine.updateWorkspaceFile(file, text);
  let n = 0;
  for (const [file, text] of texts) n += engine.classify(file, text).filter((c) => c === 'kubernetes-object').length;
  return n;
}

/** Runs the CLI over each corpus folder `runs` times (median wall time) and reads its coverage. */
export function corpusCoverage(corporaDir: string, cli: string, node: string, runs: number): CorpusCoverage[] {
  if (!existsSync(corporaDir)) return [];
  const out: CorpusCoverage[] = [];
  for (const name of readdirSync(corporaDir).sort()) {
    const dir = path.join(corporaDir, name);
    if (!statSync(dir).isDirectory()) continue;
    const walls: number[] = [];
    let stdout = '';
    for (let i = 0; i < runs; i++) {
      const started = performance.now();
      const r = spawnSync(node, [cli, 'validate', '-o', 'json', dir], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
      walls.push(performance.now() - started);
      stdout = r.stdout;
    }
    const report = JSON.parse(stdout) as CliReport;
    const missing = new Map<string, number>();
    for (const f of report.files) {
      for (const x of f.findings) {
        if (x.code !== 'no-schema') continue;
        const gvk = /no schema for (\S+?)\.?(\s|$)/.exec(x.message)?.[1] ?? '?';
        missing.set(gvk, (missing.get(gvk) ?? 0) + 1);
      }
    }
    const objects = report.summary.objects ?? countObjects(report);
    const noSchema = [...missing.values()].reduce((a, b) => a + b, 0);
    walls.sort((a, b) => a - b);
    out.push({
      name, files: report.summary.files, objects, withSchema: report.summary.objectsWithSchema ?? objects - noSchema,
      errors: report.summary.errors, warnings: report.summary.warnings, wallMs: walls[Math.floor(walls.length / 2)]!, missing,
    });
  }
  return out;
}

/** Lines for the report: one per corpus, then what had no schema. */
export function formatCoverage(rows: CorpusCoverage[]): string[] {
  const lines = ['schema coverage on ../shared/corpora (gitops-lens validate -o json, median wall time):'];
  const width = Math.max(...rows.map((r) => r.name.length));
  for (const r of rows) {
    const pct = r.objects ? (100 * r.withSchema) / r.objects : 100;
    lines.push(`  ${r.name.padEnd(width)}  ${String(r.files).padStart(4)} files  ${String(r.withSchema).padStart(4)}/${String(r.objects).padEnd(4)} objects with a schema (${pct.toFixed(1)}%)  ${r.errors} errors, ${r.warnings} warnings  ${(r.wallMs / 1000).toFixed(2)} s`);
  }
  for (const r of rows) {
    if (!r.missing.size) continue;
    lines.push(`  no schema in ${r.name}: ${[...r.missing].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ×${n}`).join(', ')}`);
  }
  return lines;
}
