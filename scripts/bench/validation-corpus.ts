/**
 * Deterministic corpus of Kubernetes, Flux and Argo CD manifests for
 * `npm run bench:validate`. Every manifest has a globally unique
 * metadata.name, so the per-resource results of kubeconform (which reports
 * file + name) and of our CLI (which reports file + line) can be joined.
 * About 7% of the manifests get exactly one planted mistake of a kind both
 * tools are expected to catch: wrong type, unknown field, bad enum value or
 * missing required field.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';

/** One manifest of the corpus, with where it sits and what (if anything) was planted in it. */
export interface CorpusManifest {
  file: string;
  /** 0-based first and last line of the document in its file. */
  startLine: number;
  endLine: number;
  kind: string;
  apiVersion: string;
  name: string;
  /** The planted mistake, or undefined for a valid manifest. */
  mutation?: string;
}

/** mulberry32: small, fast and deterministic, so the corpus is the same on every run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Obj = Record<string, any>;
type Rand = () => number;

const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const int = (r: Rand, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const TEAMS = ['payments', 'search', 'checkout', 'identity', 'media', 'platform', 'data', 'edge'];
const IMAGES = ['nginx:1.27', 'ghcr.io/acme/api:2.4.1', 'redis:7.4', 'postgres:17', 'busybox:1.36', 'quay.io/acme/worker:0.9.3'];

function labels(r: Rand, app: string): Obj {
  const l: Obj = { 'app.kubernetes.io/name': app, 'app.kubernetes.io/part-of': pick(r, TEAMS) };
  if (r() < 0.5) l['app.kubernetes.io/version'] = `v${int(r, 1, 9)}.${int(r, 0, 20)}.${int(r, 0, 9)}`;
  if (r() < 0.3) l.tier = pick(r, ['frontend', 'backend', 'cache']);
  return l;
}

function meta(r: Rand, name: string, ns: string | undefined, app: string): Obj {
  const m: Obj = { name };
  if (ns) m.namespace = ns;
  m.labels = labels(r, app);
  if (r() < 0.3) m.annotations = { 'acme.io/owner': `${pick(r, TEAMS)}@acme.io`, 'acme.io/revision': String(int(r, 1, 999)) };
  return m;
}

function container(r: Rand, name: string): Obj {
  const c: Obj = { name, image: pick(r, IMAGES) };
  if (r() < 0.6) c.imagePullPolicy = pick(r, ['Always', 'IfNotPresent', 'Never']);
  if (r() < 0.7) c.ports = [{ name: 'http', containerPort: pick(r, [80, 8080, 3000, 9090]), protocol: 'TCP' }];
  if (r() < 0.6) c.env = Array.from({ length: int(r, 1, 6) }, (_, i) => (r() < 0.7
    ? { name: `VAR_${i}`, value: `value-${int(r, 0, 9999)}` }
    : { name: `SECRET_${i}`, valueFrom: { secretKeyRef: { name: 'app-secrets', key: `key-${i}` } } }));
  if (r() < 0.7) c.resources = {
    requests: { cpu: pick(r, ['50m', '100m', '250m', '1']), memory: pick(r, ['64Mi', '128Mi', '512Mi', '1Gi']) },
    limits: { memory: pick(r, ['256Mi', '1Gi', '2Gi']) },
  };
  if (r() < 0.4) c.readinessProbe = { httpGet: { path: '/healthz', port: r() < 0.5 ? 'http' : 8080 }, periodSeconds: int(r, 5, 30) };
  if (r() < 0.3) c.livenessProbe = { tcpSocket: { port: 8080 }, initialDelaySeconds: int(r, 0, 60) };
  if (r() < 0.3) c.volumeMounts = [{ name: 'config', mountPath: '/etc/app', readOnly: true }];
  if (r() < 0.3) c.securityContext = { runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } };
  return c;
}

function podSpec(r: Rand, app: string, restartPolicy?: string): Obj {
  const s: Obj = { containers: Array.from({ length: r() < 0.8 ? 1 : 2 }, (_, i) => container(r, i === 0 ? app : `${app}-sidecar`)) };
  if (restartPolicy) s.restartPolicy = restartPolicy;
  if (r() < 0.3) s.volumes = [{ name: 'config', configMap: { name: `${app}-config` } }];
  if (r() < 0.3) s.serviceAccountName = app;
  if (r() < 0.2) s.nodeSelector = { 'kubernetes.io/os': 'linux' };
  if (r() < 0.2) s.tolerations = [{ key: 'dedicated', operator: 'Equal', value: 'batch', effect: 'NoSchedule' }];
  return s;
}

type Gen = (r: Rand, name: string, ns: string) => Obj;

/** The kinds of the corpus and how often each appears (weights). */
const KINDS: Array<[weight: number, gen: Gen]> = [
  [14, (r, name, ns) => ({
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta(r, name, ns, name),
    spec: {
      replicas: int(r, 1, 10), selector: { matchLabels: { 'app.kubernetes.io/name': name } },
      ...(r() < 0.4 ? { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 } } } : {}),
      template: { metadata: { labels: { 'app.kubernetes.io/name': name } }, spec: podSpec(r, name) },
    },
  })],
  [12, (r, name, ns) => ({
    apiVersion: 'v1', kind: 'Service', metadata: meta(r, name, ns, name),
    spec: {
      type: pick(r, ['ClusterIP', 'ClusterIP', 'NodePort', 'LoadBalancer']),
      selector: { 'app.kubernetes.io/name': name },
      ports: [{ name: 'http', port: pick(r, [80, 443, 8080]), targetPort: r() < 0.5 ? 'http' : 8080, protocol: 'TCP' }],
      ...(r() < 0.2 ? { sessionAffinity: 'ClientIP' } : {}),
    },
  })],
  [12, (r, name, ns) => ({
    apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(r, name, ns, name),
    data: Object.fromEntries(Array.from({ length: int(r, 1, 12) }, (_, i) => [`key-${i}.conf`, r() < 0.2
      ? Array.from({ length: int(r, 2, 20) }, (_, j) => `setting_${j} = ${int(r, 0, 1e6)}`).join('\n') + '\n'
      : `value-${int(r, 0, 1e6)}`])),
  })],
  [8, (r, name, ns) => ({
    apiVersion: 'v1', kind: 'Secret', metadata: meta(r, name, ns, name), type: 'Opaque',
    data: Object.fromEntries(Array.from({ length: int(r, 1, 5) }, (_, i) => [`key-${i}`, Buffer.from(`secret-${int(r, 0, 1e9)}`).toString('base64')])),
  })],
  [7, (r, name, ns) => ({
    apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: meta(r, name, ns, name),
    spec: {
      ingressClassName: 'nginx',
      ...(r() < 0.5 ? { tls: [{ hosts: [`${name}.acme.io`], secretName: `${name}-tls` }] } : {}),
      rules: [{ host: `${name}.acme.io`, http: { paths: [{ path: '/', pathType: pick(r, ['Prefix', 'Exact', 'ImplementationSpecific']), backend: { service: { name, port: { number: 80 } } } }] } }],
    },
  })],
  [6, (r, name, ns) => ({
    apiVersion: 'batch/v1', kind: 'Job', metadata: meta(r, name, ns, name),
    spec: { backoffLimit: int(r, 0, 6), ...(r() < 0.5 ? { ttlSecondsAfterFinished: 3600 } : {}), template: { spec: podSpec(r, name, pick(r, ['Never', 'OnFailure'])) } },
  })],
  [6, (r, name, ns) => ({
    apiVersion: 'batch/v1', kind: 'CronJob', metadata: meta(r, name, ns, name),
    spec: {
      schedule: `${int(r, 0, 59)} ${int(r, 0, 23)} * * *`, concurrencyPolicy: pick(r, ['Allow', 'Forbid', 'Replace']),
      ...(r() < 0.3 ? { suspend: false } : {}),
      jobTemplate: { spec: { template: { spec: podSpec(r, name, 'OnFailure') } } },
    },
  })],
  [5, (r, name, ns) => ({
    apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: meta(r, name, ns, name),
    spec: {
      serviceName: name, replicas: int(r, 1, 5), podManagementPolicy: pick(r, ['OrderedReady', 'Parallel']),
      selector: { matchLabels: { 'app.kubernetes.io/name': name } },
      template: { metadata: { labels: { 'app.kubernetes.io/name': name } }, spec: podSpec(r, name) },
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: pick(r, ['1Gi', '10Gi', '100Gi']) } } } }],
    },
  })],
  [3, (r, name, ns) => ({
    apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: meta(r, name, ns, name),
    spec: { selector: { matchLabels: { 'app.kubernetes.io/name': name } }, template: { metadata: { labels: { 'app.kubernetes.io/name': name } }, spec: podSpec(r, name) } },
  })],
  [4, (r, name, ns) => ({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(r, name, ns, name), ...(r() < 0.3 ? { automountServiceAccountToken: false } : {}) })],
  [3, (r, name, ns) => ({
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: meta(r, name, ns, name),
    rules: [{ apiGroups: [''], resources: ['configmaps', 'secrets'], verbs: ['get', 'list', 'watch'] }],
  })],
  [3, (r, name, ns) => ({
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: meta(r, name, ns, name),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name }, subjects: [{ kind: 'ServiceAccount', name, namespace: ns }],
  })],
  [3, (r, name, ns) => ({
    apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: meta(r, name, ns, name),
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name }, minReplicas: int(r, 1, 3), maxReplicas: int(r, 4, 20),
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: int(r, 50, 90) } } }],
    },
  })],
  [2, (r, name, ns) => ({
    apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: meta(r, name, ns, name),
    spec: { minAvailable: r() < 0.5 ? 1 : '50%', selector: { matchLabels: { 'app.kubernetes.io/name': name } } },
  })],
  [2, (r, name, ns) => ({
    apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: meta(r, name, ns, name),
    spec: { podSelector: { matchLabels: { 'app.kubernetes.io/name': name } }, policyTypes: ['Ingress'], ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress' } } }], ports: [{ protocol: 'TCP', port: 8080 }] }] },
  })],
  [1, (r, name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: meta(r, name, undefined, name) })],
  [4, (r, name) => ({
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', metadata: meta(r, name, 'flux-system', name),
    spec: {
      interval: pick(r, ['1m', '5m', '10m0s']), path: `./apps/${pick(r, TEAMS)}`, prune: r() < 0.8,
      sourceRef: { kind: 'GitRepository', name: 'flux-system' },
      ...(r() < 0.4 ? { dependsOn: [{ name: 'infra-controllers' }], wait: true, timeout: '5m' } : {}),
      ...(r() < 0.3 ? { postBuild: { substitute: { cluster_env: pick(r, ['prod', 'staging']) } } } : {}),
    },
  })],
  [4, (r, name, ns) => ({
    apiVersion: 'helm.toolkit.fluxcd.io/v2', kind: 'HelmRelease', metadata: meta(r, name, ns, name),
    spec: {
      interval: pick(r, ['5m', '30m', '1h']),
      chart: { spec: { chart: pick(r, ['podinfo', 'redis', 'ingress-nginx']), version: `>=${int(r, 1, 9)}.0.0`, sourceRef: { kind: 'HelmRepository', name: 'charts', namespace: 'flux-system' } } },
      ...(r() < 0.5 ? { install: { remediation: { retries: 3 } }, upgrade: { remediation: { retries: 3, remediateLastFailure: true } } } : {}),
      values: { replicaCount: int(r, 1, 5), ingress: { enabled: r() < 0.5 }, resources: { limits: { memory: '512Mi' } } },
    },
  })],
  [2, (r, name) => ({
    apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository', metadata: meta(r, name, 'flux-system', name),
    spec: { interval: '1m', url: `https://git.acme.io/${pick(r, TEAMS)}/${name}.git`, ref: { branch: 'main' } },
  })],
  [2, (r, name) => ({
    apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'HelmRepository', metadata: meta(r, name, 'flux-system', name),
    spec: { interval: '1h', url: `https://charts.acme.io/${name}` },
  })],
  [4, (r, name) => ({
    apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: meta(r, name, 'argocd', name),
    spec: {
      project: 'default',
      source: { repoURL: `https://git.acme.io/${pick(r, TEAMS)}/deploy.git`, targetRevision: 'HEAD', path: `apps/${name}` },
      destination: { server: 'https://kubernetes.default.svc', namespace: name },
      ...(r() < 0.6 ? { syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: ['CreateNamespace=true'] } } : {}),
    },
  })],
];

type Mutation = [name: string, apply: (o: Obj) => boolean];

/** First container of a pod template, wherever the kind keeps it. */
function firstContainer(o: Obj): Obj | undefined {
  const spec = o.spec?.template?.spec ?? o.spec?.jobTemplate?.spec?.template?.spec;
  return spec?.containers?.[0];
}

/** Planted mistakes; each returns false when it does not apply to the object. */
const MUTATIONS: Mutation[] = [
  ['wrong-type: spec.replicas "three"', (o) => (o.spec?.replicas !== undefined ? ((o.spec.replicas = 'three'), true) : false)],
  ['wrong-type: containerPort string', (o) => { const c = firstContainer(o); return c?.ports ? ((c.ports[0].containerPort = 'http'), true) : false; }],
  ['wrong-type: service port string', (o) => (o.kind === 'Service' ? ((o.spec.ports[0].port = 'eighty'), true) : false)],
  ['wrong-type: ConfigMap data value integer', (o) => (o.kind === 'ConfigMap' ? ((o.data['key-0.conf'] = 42), true) : false)],
  ['wrong-type: Flux prune "yes"', (o) => (o.kind === 'Kustomization' ? ((o.spec.prune = 'yes'), true) : false)],
  ['wrong-type: env list as map', (o) => { const c = firstContainer(o); return c ? ((c.env = { LOG_LEVEL: 'debug' }), true) : false; }],
  ['unknown-field: spec.replicaz', (o) => (o.spec && typeof o.spec === 'object' ? ((o.spec.replicaz = 3), true) : false)],
  ['unknown-field: container.imagePullPolicyy', (o) => { const c = firstContainer(o); return c ? ((c.imagePullPolicyy = 'Always'), true) : false; }],
  ['unknown-field: metadata.labelz', (o) => ((o.metadata.labelz = { a: 'b' }), true)],
  ['unknown-field: top-level specs', (o) => ((o.specs = { x: 1 }), true)],
  ['bad-enum: imagePullPolicy Sometimes', (o) => { const c = firstContainer(o); return c ? ((c.imagePullPolicy = 'Sometimes'), true) : false; }],
  ['bad-enum: Service type Bogus', (o) => (o.kind === 'Service' ? ((o.spec.type = 'Bogus'), true) : false)],
  ['bad-enum: Ingress pathType Regex', (o) => (o.kind === 'Ingress' ? ((o.spec.rules[0].http.paths[0].pathType = 'Regex'), true) : false)],
  ['bad-enum: CronJob concurrencyPolicy Sometimes', (o) => (o.kind === 'CronJob' ? ((o.spec.concurrencyPolicy = 'Sometimes'), true) : false)],
  ['bad-enum: Flux sourceRef.kind GitRepo', (o) => (o.kind === 'Kustomization' ? ((o.spec.sourceRef.kind = 'GitRepo'), true) : false)],
  ['bad-enum: StatefulSet podManagementPolicy Serial', (o) => (o.kind === 'StatefulSet' ? ((o.spec.podManagementPolicy = 'Serial'), true) : false)],
  ['missing-required: Deployment spec.selector', (o) => (o.kind === 'Deployment' ? (delete o.spec.selector, true) : false)],
  ['missing-required: container name', (o) => { const c = firstContainer(o); return c ? (delete c.name, true) : false; }],
  ['missing-required: service port', (o) => (o.kind === 'Service' ? (delete o.spec.ports[0].port, true) : false)],
  ['missing-required: Flux Kustomization spec.sourceRef', (o) => (o.kind === 'Kustomization' ? (delete o.spec.sourceRef, true) : false)],
  ['missing-required: HelmRelease spec.interval', (o) => (o.kind === 'HelmRelease' ? (delete o.spec.interval, true) : false)],
  ['missing-required: Application spec.destination', (o) => (o.kind === 'Application' ? (delete o.spec.destination, true) : false)],
  ['missing-required: GitRepository spec.url', (o) => (o.kind === 'GitRepository' ? (delete o.spec.url, true) : false)],
  ['missing-required: Ingress pathType', (o) => (o.kind === 'Ingress' ? (delete o.spec.rules[0].http.paths[0].pathType, true) : false)],
  ['missing-required: RoleBinding roleRef', (o) => (o.kind === 'RoleBinding' ? (delete o.roleRef, true) : false)],
];

const TOTAL_WEIGHT = KINDS.reduce((s, [w]) => s + w, 0);

function pickKind(r: Rand): Gen {
  let x = r() * TOTAL_WEIGHT;
  for (const [w, gen] of KINDS) if ((x -= w) < 0) return gen;
  return KINDS[0]![1];
}

/** Generates one manifest object; `invalid` plants one applicable mistake. */
export function generateManifest(r: Rand, index: number, invalid: boolean): { object: Obj; mutation?: string } {
  const name = `${pick(r, TEAMS)}-${pick(r, ['api', 'web', 'worker', 'db', 'cache', 'jobs'])}-${index.toString().padStart(5, '0')}`;
  const object = pickKind(r)(r, name, pick(r, TEAMS));
  if (!invalid) return { object };
  for (let attempt = 0; attempt < 50; attempt++) {
    const [mname, apply] = pick(r, MUTATIONS);
    if (apply(object)) return { object, mutation: mname };
  }
  return { object };
}

/** How many documents the next file gets: mostly small files, some large ones (up to 150 documents). */
function fileSize(r: Rand): number {
  const x = r();
  if (x < 0.45) return 1;
  if (x < 0.75) return int(r, 2, 5);
  if (x < 0.93) return int(r, 6, 25);
  return int(r, 26, 150);
}

/** Renders manifests as one multi-document YAML text and records where each document starts and ends. */
export function renderFile(objects: Obj[]): { text: string; spans: Array<[number, number]> } {
  const parts: string[] = [];
  const spans: Array<[number, number]> = [];
  let line = 0;
  for (const [i, o] of objects.entries()) {
    if (i > 0) {
      parts.push('---\n');
      line++;
    }
    const doc = stringify(o, { lineWidth: 0 });
    const lines = doc.split('\n').length - 1;
    spans.push([line, line + lines - 1]);
    parts.push(doc);
    line += lines;
  }
  return { text: parts.join(''), spans };
}

/** Writes `count` manifests under `dir` (folders per environment and team) and returns the manifest table. */
export function writeCorpus(dir: string, count: number, seed: number, invalidRate = 0.07): CorpusManifest[] {
  const r = prng(seed);
  const out: CorpusManifest[] = [];
  let index = 0;
  let fileNo = 0;
  while (index < count) {
    const n = Math.min(fileSize(r), count - index);
    const generated = Array.from({ length: n }, () => generateManifest(r, index++, r() < invalidRate));
    const rel = path.join(pick(r, ['prod', 'staging', 'dev']), pick(r, TEAMS), `manifests-${(fileNo++).toString().padStart(4, '0')}.yaml`);
    const file = path.join(dir, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    const { text, spans } = renderFile(generated.map((g) => g.object));
    writeFileSync(file, text);
    generated.forEach((g, i) => out.push({
      file, startLine: spans[i]![0], endLine: spans[i]![1], kind: g.object.kind, apiVersion: g.object.apiVersion,
      name: g.object.metadata.name, mutation: g.mutation,
    }));
  }
  return out;
}
