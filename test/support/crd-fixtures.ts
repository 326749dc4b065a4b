/**
 * CustomResourceDefinitions that tests install only in the cluster (never in a
 * workspace), to prove that schemas come from the bound cluster.
 */

/** A namespaced CRD `<plural>.<group>` with one served version `v1` whose `spec.size` is an integer. */
export function integerSizeCrd(group: string, kind: string, plural: string): string {
  return `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: ${plural}.${group}
spec:
  group: ${group}
  scope: Namespaced
  names: { plural: ${plural}, singular: ${kind.toLowerCase()}, kind: ${kind}, listKind: ${kind}List }
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                size: { type: integer }
`;
}
