/**
 * Runs the in-host suite in a real VS Code downloaded by @vscode/test-electron
 * (`npm run test:vscode`). It is not part of `npm test` because it downloads
 * VS Code (cached under .vscode-test/) and needs a display (use xvfb-run on
 * a headless Linux machine). The editor acceptance tests of the product run
 * in code-server with Chromium under test/e2e; this suite covers activation
 * and the extension ↔ server wiring inside the real extension host.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runTests } from '@vscode/test-electron';

const BAD_DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replica: 3
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web
          image: nginx:1.27
`;

async function main(): Promise<void> {
  // Compiled to test/vscode/.cache/out/, four levels below the repository root.
  const repoRoot = resolve(__dirname, '../../../..');
  const workspace = mkdtempSync(join(tmpdir(), 'gitops-lens-vscode-'));
  writeFileSync(join(workspace, 'bad-deployment.yaml'), BAD_DEPLOYMENT);
  await runTests({
    version: process.env.VSCODE_TEST_VERSION ?? 'stable',
    extensionDevelopmentPath: repoRoot,
    extensionTestsPath: join(__dirname, 'suite', 'index.js'),
    launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes'],
  });
}

main().catch((err) => {
  console.error(`The in-host VS Code tests failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
