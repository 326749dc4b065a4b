/**
 * The checks that run before helm renders a chart, so the render stays inside the
 * repository: the chart folder (helm follows links in it and `.Files.Get` reads any of its
 * files), every values file (a HelmRelease's `valuesFiles: [../x]`, an Argo CD `valueFiles`
 * entry) and every `--set-file` must resolve inside the repository and be regular files under
 * the size cap. The errors name the field and the path.
 */
import type { LocalHelmChart } from './render-helm.js';
import { checkSourceFile, checkSourceTree } from './source-confinement.js';

/** Throws a ConfinementError when the chart, a values file or a file parameter would be read outside `root`. */
export async function checkChartSources(root: string, chart: LocalHelmChart, signal?: AbortSignal): Promise<void> {
  for (const f of chart.valueFiles) await checkSourceFile(root, f, 'valuesFiles entry');
  for (const p of chart.fileParameters ?? []) await checkSourceFile(root, p.path, `fileParameters entry ${p.name}`);
  await checkSourceTree(root, chart.chartDir, 'chart', { signal });
}
