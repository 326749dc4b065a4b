/**
 * Part 3 of `npm run bench:validate`: the reference index on
 * ../shared/corpora/bjw-s-labs-home-ops, measured by
 * scripts/bench/reference-index.ts in child processes (ours, then the `main`
 * branch's server for the memory baseline, built from `git archive main`
 * into a temp folder). Returns the report lines; writeReferenceSection puts
 * them into docs/BENCHMARKS.md between their own markers.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

interface Options {
  repoRoot: string;
  node: string;
  machine: string;
  date: string;
  log: (message: string) => void;
}

const EDITS = Number(process.env.BENCH_REFERENCE_EDITS ?? 40);
const DEFINITIONS = Number(process.env.BENCH_DEFINITIONS ?? 400);

function child(o: Options, bundle: string, config: Record<string, unknown>, dir: string): Promise<any> {
  const file = path.join(dir, `reference-${config.mode}.json`);
  writeFileSync(file, JSON.stringify(config));
  return new Promise((resolve, reject) => {
    const p = spawn(o.node, ['--import', 'tsx', path.join(o.repoRoot, 'scripts', 'bench', 'reference-index.ts'), file], {
      cwd: o.repoRoot, env: { ...process.env, GITOPS_LENS_SERVER_BUNDLE: bundle }, stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('exit', (code) => {
      const line = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0 || !line.startsWith('{')) reject(new Error(`reference bench (${config.mode}) failed (exit ${code}):\n${out}`));
      else resolve(JSON.parse(line));
    });
  });
}

/** Builds the `main` branch's bundles into a temp folder (its own sources, this checkout's node_modules). */
function buildBaseline(o: Options, dir: string): string | undefined {
  try {
    const src = path.join(dir, 'main');
    execFileSync('sh', ['-c', `mkdir -p "${src}" && git -C "${o.repoRoot}" archive main | tar -x -C "${src}"`]);
    symlinkSync(path.join(o.repoRoot, 'node_modules'), path.join(src, 'node_modules'), 'dir');
    execFileSync(o.node, [path.join(src, 'scripts', 'build.mjs')], { cwd: src, stdio: ['ignore', 'ignore', 'inherit'] });
    return path.join(src, 'dist', 'server.js');
  } catch (e) {
    o.log(`no baseline server (main could not be built: ${(e as Error).message.split('\n')[0]})`);
    return undefined;
  }
}

/** Runs the reference benchmark; returns the report lines. */
export async function benchReferences(o: Options): Promise<string[]> {
  const corpus = path.resolve(o.repoRoot, '../shared/corpora/bjw-s-labs-home-ops');
  if (!existsSync(corpus)) return [`reference index: skipped (${corpus} not found)`];
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-references-'));
  try {
    o.log('reference index: ours (dist/server.js)');
    const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');
    const loadBefore = load();
    const ours = await child(o, path.join(o.repoRoot, 'dist', 'server.js'), { mode: 'ours', corpus, edits: EDITS, definitions: DEFINITIONS }, dir);
    const baselineBundle = buildBaseline(o, dir);
    o.log('reference index: baseline (main)');
    const base = baselineBundle ? await child(o, baselineBundle, { mode: 'baseline', corpus, edits: 0, definitions: 0 }, dir) : undefined;
    const c = ours.cold;
    const l = ours.lsp;
    const ms = (x: number) => `${x.toFixed(1)} ms`;
    const lines = [
      `machine: ${o.machine}`,
      `date: ${o.date}; corpus: bjw-s-labs-home-ops (${c.files} YAML files, ${c.units} units, ${c.objects} rendered objects, ${c.findings} findings); load before: ${loadBefore}, after: ${load()}`,
      `cold build, fresh process: ${ms(c.totalMs)} (read + index ${ms(c.readAndIndexMs)}, graph ${ms(c.graphMs)}, checks ${ms(c.checksMs)}; ${ms(c.cpuMs)} CPU)`,
      `language server: first reference run ${ms(l.firstRunMs)} after initialize (scan included; its compute ${ms(l.firstComputeMs ?? NaN)})`,
      `edit of a dependsOn → publishDiagnostics of that binding (debounceMs 0), ${l.edit.samples.length} edits: p50 ${ms(l.edit.p50)}, p95 ${ms(l.edit.p95)}; the server's compute p50 ${ms(l.edit.computeP50)}, p95 ${ms(l.edit.computeP95)} (CPU time p50 ${ms(l.edit.cpuP50)}, p95 ${ms(l.edit.cpuP95)})   (target < 100 ms)`,
      `go to definition, ${l.definition.count} requests over ${Object.entries(l.definition.kinds).map(([k, n]) => `${k} ${n}`).join(', ')}: p50 ${ms(l.definition.p50)}, p95 ${ms(l.definition.p95)}, max ${ms(l.definition.max)}   (target p95 < 20 ms)`,
      base
        ? `server RSS, scan done and the same file open: ${l.rssMiB.toFixed(1)} MiB with the index, ${base.rssMiB.toFixed(1)} MiB for main's server: +${(l.rssMiB - base.rssMiB).toFixed(1)} MiB   (target ≤ 30 MB); after the edits and definitions: ${l.rssAfterRequestsMiB.toFixed(1)} MiB`
        : `server RSS with the index: ${l.rssMiB.toFixed(1)} MiB (no baseline)`,
    ];
    return lines;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Writes the lines into docs/BENCHMARKS.md between `<!-- bench:references:start/end -->` (a section of its own, appended once). */
export function writeReferenceSection(docPath: string, lines: string[]): void {
  const start = '<!-- bench:references:start -->';
  const end = '<!-- bench:references:end -->';
  const block = `${start}\nLast run (written by the script):\n\n\`\`\`\n${lines.join('\n')}\n\`\`\`\n${end}`;
  const doc = existsSync(docPath) ? readFileSync(docPath, 'utf8') : '# Benchmarks\n';
  const next = doc.includes(start) && doc.includes(end)
    ? doc.slice(0, doc.indexOf(start)) + block + doc.slice(doc.indexOf(end) + end.length)
    : `${doc.trimEnd()}\n\n## Reference index (issue 15): \`npm run bench:validate\`\n\n${block}\n`;
  writeFileSync(docPath, next);
}
