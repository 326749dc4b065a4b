// `npm run demo`: shows what GitOps Lens does on the demo repository in examples/.
// The demo is a list of steps; later issues add drift and preview steps to STEPS.
// Each step runs the real CLI as a child process and prints its output unchanged.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const examples = path.join(repoRoot, 'examples');

/**
 * Runs the CLI from source through tsx, so the demo works on a fresh clone without a build.
 * Resolves to the CLI's exit code.
 */
function runCli(args) {
  const tsxCli = path.join(repoRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs');
  if (!fs.existsSync(tsxCli)) {
    console.error('demo: dependencies are missing. Run "npm ci" first.');
    process.exit(2);
  }
  const result = spawnSync(process.execPath, [tsxCli, path.join(repoRoot, 'server', 'src', 'cli', 'main.ts'), ...args], {
    cwd: repoRoot,
    stdio: 'inherit',
  });
  if (result.error) throw result.error;
  return result.status ?? 2;
}

/** A step: a title, what it shows, and a run function returning true when it behaved as expected. */
const STEPS = [
  {
    title: 'Validate the demo repository',
    explain: 'gitops-lens validate examples/ — the repo has deliberate mistakes (see examples/README.md), so findings and exit code 1 are expected.',
    run: () => {
      const code = runCli(['validate', path.relative(repoRoot, examples)]);
      // 1 = findings, which is what the deliberate mistakes should produce; 0 or 2 means something is off.
      return code === 1;
    },
  },
];

let failed = 0;
for (const [i, step] of STEPS.entries()) {
  console.log(`\n=== Step ${i + 1}/${STEPS.length}: ${step.title} ===`);
  console.log(step.explain + '\n');
  const ok = step.run();
  if (!ok) {
    failed++;
    console.log(`\n(step ${i + 1} did not behave as expected)`);
  }
}
console.log(failed ? `\nDemo finished with ${failed} unexpected step result(s).` : '\nDemo finished.');
process.exit(failed ? 1 : 0);
