/**
 * The ReDoS fixture of issue 18, finding 5: a workspace CRD whose OpenAPI `pattern` is
 * `^(a+)+$` (valid RE2, linear in kube-apiserver, exponential in a backtracking engine) and a
 * custom resource whose value makes a backtracking engine try every split of 40 `a`s.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The value that does not match `^(a+)+$` and makes a backtracking engine explode. */
export const REDOS_VALUE = `${'a'.repeat(40)}!`;

/** Writes `crd.yaml` and `widget.yaml` into `dir`; returns their paths. */
export function writeRedosWorkspace(dir: string): { crd: string; cr: string; crText: string } {
  mkdirSync(dir, { recursive: true });
  const crd = join(dir, 'crd.yaml');
  const cr = join(dir, 'widget.yaml');
  writeFileSync(
    crd,
    `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.redos.example.com
spec:
  group: redos.example.com
  names: { kind: Widget, plural: widgets, singular: widget, listKind: WidgetList }
  scope: Namespaced
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
              word:
                type: string
                pattern: '^(a+)+$'
`,
  );
  const crText = `apiVersion: redos.example.com/v1
kind: Widget
metadata:
  name: w
  namespace: default
spec:
  word: "${REDOS_VALUE}"
`;
  writeFileSync(cr, crText);
  return { crd, cr, crText };
}
