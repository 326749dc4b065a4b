/**
 * The broken-reference checks: their diagnostic codes (also the keys of the
 * `gitopsLens.references.checks` setting and of `# gitops-lens-ignore`
 * comments) and one line each for the README, the settings UI and `--help`.
 * Pure constants, shared by the engine, the settings and the client.
 */

/** Every reference check, by code. */
export const REFERENCE_CHECKS = {
  'kustomize-entry-missing': 'A kustomization entry (resources, components, patches, generator files…) that does not exist: kustomize build fails.',
  'source-not-found': 'A Flux sourceRef or chartRef that matches nothing in the repository.',
  'depends-on-not-found': 'A Flux dependsOn that matches no Kustomization / HelmRelease in the repository.',
  'depends-on-cycle': 'A cycle of Flux dependsOn: none of its members ever reconciles.',
  'workload-ref-not-found': 'A ConfigMap, Secret, ServiceAccount or PersistentVolumeClaim that a pod template uses and the binding neither renders nor produces.',
  'selector-matches-nothing': 'A Service, PodDisruptionBudget or NetworkPolicy selector that matches no pod template in its namespace.',
  'backend-not-found': 'An Ingress or Gateway API route backend Service that does not exist.',
  'argo-project-not-found': 'An Argo CD Application whose AppProject does not exist.',
  'argo-destination-denied': 'An Argo CD Application whose destination its AppProject does not allow.',
} as const;

/** A reference check's code. */
export type ReferenceCheck = keyof typeof REFERENCE_CHECKS;

/** All codes, in README order. */
export const REFERENCE_CHECK_CODES = Object.keys(REFERENCE_CHECKS) as ReferenceCheck[];

/** Every check on: the default of `gitopsLens.references.checks`. */
export function allChecksOn(): Record<ReferenceCheck, boolean> {
  return Object.fromEntries(REFERENCE_CHECK_CODES.map((c) => [c, true])) as Record<ReferenceCheck, boolean>;
}
