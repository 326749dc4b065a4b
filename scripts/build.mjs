#!/usr/bin/env node
/**
 * Bundles the extension with esbuild into dist/: the VS Code client, the
 * language server and the CLI. Everything (including node_modules code) is
 * inlined, so the .vsix needs no node_modules.
 *
 *   node scripts/build.mjs               development build (with source maps)
 *   node scripts/build.mjs --production  minified, no source maps (used by `npm run package`)
 *   node scripts/build.mjs --watch       rebuild on change
 *
 * An entry point whose source file does not exist yet is skipped with a
 * warning outside CI and fails the build in CI (env CI=true), so a half-built
 * tree still gives a usable client and server.
 */
import * as esbuild from 'esbuild';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const production = args.has('--production');
const watch = args.has('--watch');
const inCI = process.env.CI === 'true';

/** @type {Array<{ name: string, entry: string, outfile: string, banner?: string, external?: string[] }>} */
const targets = [
  { name: 'client', entry: 'client/src/extension.ts', outfile: 'dist/extension.js', external: ['vscode'] },
  { name: 'server', entry: 'server/src/lsp/server.ts', outfile: 'dist/server.js' },
  { name: 'cli', entry: 'server/src/cli/main.ts', outfile: 'dist/cli.js', banner: '#!/usr/bin/env node' },
  // The CEL evaluator of CRD rules: loaded by the server and the CLI only when a schema has rules.
  { name: 'cel', entry: 'server/src/cel/cel-rules.ts', outfile: 'dist/cel.js' },
];

/**
 * The server and CLI `require('../cel/cel-rules.js')` lazily; in the bundles that require points at
 * dist/cel.js, so the evaluator (and protobuf runtime) is neither compiled nor loaded at startup.
 * @type {import('esbuild').Plugin}
 */
const celInItsOwnBundle = {
  name: 'cel-in-its-own-bundle',
  setup(build) {
    build.onResolve({ filter: /[\\/]cel[\\/]cel-rules\.js$/ }, (args) => (args.kind === 'require-call' ? { path: './cel.js', external: true } : undefined));
  },
};

/**
 * yaml's parser and composer read `process.env.LOG_TOKENS` / `LOG_STREAM` (its
 * own debug logging) once per token and per document; `process.env` is a
 * lookup into the C++ environment, and it cost about 12% of `gitops-lens
 * validate`. The bundles replace those reads with `false`.
 * @type {import('esbuild').Plugin}
 */
const yamlWithoutDebugLogging = {
  name: 'yaml-without-debug-logging',
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/]yaml[\\/]dist[\\/](parse[\\/]parser|compose[\\/]composer)\.js$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      return { contents: text.replace(/node_process\.env\.LOG_(TOKENS|STREAM)/g, 'false'), loader: 'js' };
    });
  },
};

/** @type {import('esbuild').BuildOptions} */
const common = {
  plugins: [yamlWithoutDebugLogging],
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  minify: production,
  sourcemap: production ? false : 'linked',
  logLevel: 'warning',
  legalComments: 'none',
  // Some dependencies ship ESM that reads import.meta.url; in a CJS bundle
  // that must point at the bundle file itself.
  define: { 'import.meta.url': 'importMetaUrl' },
  inject: [join(root, 'scripts', 'import-meta-url.js')],
};

mkdirSync(join(root, 'dist'), { recursive: true });
// The bundles are CommonJS (VS Code loads extensions with require). This marker keeps Node
// reading them as CommonJS even if the repository's package.json becomes "type": "module".
writeFileSync(join(root, 'dist', 'package.json'), '{ "type": "commonjs" }\n');
if (production) {
  // Source maps of an earlier development build must not end up in the .vsix.
  for (const f of readdirSync(join(root, 'dist'))) if (f.endsWith('.map')) rmSync(join(root, 'dist', f));
}
const contexts = [];
let failed = false;
for (const t of targets) {
  if (!existsSync(join(root, t.entry))) {
    const msg = `build: ${t.entry} does not exist; ${t.outfile} not built.`;
    if (inCI) {
      console.error(msg);
      failed = true;
    } else console.warn(`${msg} (skipped outside CI)`);
    continue;
  }
  const options = {
    ...common,
    plugins: t.name === 'cel' ? common.plugins : [...common.plugins, celInItsOwnBundle],
    absWorkingDir: root,
    entryPoints: [t.entry],
    outfile: t.outfile,
    external: t.external ?? [],
    ...(t.banner ? { banner: { js: t.banner } } : {}),
  };
  if (watch) {
    const ctx = await esbuild.context(options);
    await ctx.watch();
    contexts.push(ctx);
  } else {
    try {
      await esbuild.build(options);
    } catch {
      failed = true; // esbuild already printed the errors
    }
  }
}
if (watch) console.log(`build: watching ${contexts.length} bundles…`);
else if (failed) process.exit(1);
else console.log(`build: dist/ ready (${production ? 'production' : 'development'})`);
