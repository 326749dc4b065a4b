/**
 * Manifests that many tests share, as YAML text. Line positions matter to the
 * tests that assert diagnostic ranges, so the layout is fixed: apiVersion,
 * kind, metadata (name, then namespace when given), then spec with replicas
 * on the line after `spec:`.
 */

/** Options of {@link webDeployment}. */
export interface WebDeploymentOptions {
  /** metadata.namespace; omitted when undefined (the binding decides). */
  namespace?: string;
  /** spec.replicas. Default 3. */
  replicas?: number;
  /** The container image. Default nginx:1.27. */
  image?: string;
}

/** The `web` Deployment (selector `app: web`, one container named web) most drift and preview tests use. */
export function webDeployment(o: WebDeploymentOptions = {}): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
${o.namespace === undefined ? '' : `  namespace: ${o.namespace}\n`}spec:
  replicas: ${o.replicas ?? 3}
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
          image: ${o.image ?? 'nginx:1.27'}
`;
}
