#!/usr/bin/env node
/**
 * Bundles the in-host VS Code tests into test/vscode/.cache/out/ (the
 * extension itself is built by scripts/build.mjs). `vscode` is provided by
 * the extension host, and mocha is loaded from node_modules at run time.
 */
import * as esbuild from 'esbuild';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const suite = readdirSync(join(here, 'suite')).filter((f) => f.endsWith('.ts')).map((f) => join(here, 'suite', f));
const common = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: 'inline', logLevel: 'warning' };
await esbuild.build({ ...common, entryPoints: suite, outdir: join(here, '.cache', 'out', 'suite'), external: ['vscode', 'mocha'] });
await esbuild.build({ ...common, entryPoints: [join(here, 'run-tests.ts')], outdir: join(here, '.cache', 'out'), external: ['@vscode/test-electron'] });
console.log('build-tests: test/vscode/.cache/out ready');
