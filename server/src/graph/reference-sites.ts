/**
 * Which values of a Kubernetes object name another object: pod templates
 * (ConfigMaps, Secrets, ServiceAccounts, PersistentVolumeClaims), Flux
 * sources and dependencies, HelmRelease values sources, Ingress and Gateway
 * API backends, Argo CD projects. Pure: a plain object in, JSON paths and
 * names out; the caller adds the ranges.
 */
import type { RefSite } from './graph-types.js';

/** A site before its range is known. */
export type SiteWithoutRange = Omit<RefSite, 'range'>;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** The path of the pod spec inside an object of `kind`, for the kinds that carry one. */
export function podSpecPath(kind: string | undefined): string[] | undefined {
  switch (kind) {
    case 'Pod':
      return ['spec'];
    case 'PodTemplate':
      return ['template', 'spec'];
    case 'CronJob':
      return ['spec', 'jobTemplate', 'spec', 'template', 'spec'];
    case 'Deployment':
    case 'ReplicaSet':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'Job':
    case 'ReplicationController':
    case 'Rollout':
      return ['spec', 'template', 'spec'];
    default:
      return undefined;
  }
}

/** The value at a path of a plain object. */
export function valueAt(value: unknown, path: ReadonlyArray<string | number>): unknown {
  let v = value;
  for (const step of path) {
    if (typeof step === 'number') v = Array.isArray(v) ? v[step] : undefined;
    else v = isObj(v) ? v[step] : undefined;
    if (v === undefined) return undefined;
  }
  return v;
}

function groupOf(apiVersion: string | undefined): string {
  const a = apiVersion ?? '';
  return a.includes('/') ? a.slice(0, a.indexOf('/')) : '';
}

/** The reference sites of one object. */
export function referenceSites(value: unknown): SiteWithoutRange[] {
  if (!isObj(value)) return [];
  const kind = str(value.kind);
  const group = groupOf(str(value.apiVersion));
  const out: SiteWithoutRange[] = [];
  const spec = isObj(value.spec) ? value.spec : undefined;
  const pod = podSpecPath(kind);
  if (pod && !(kind === 'Rollout' && group !== 'argoproj.io')) {
    const podSpec = valueAt(value, pod);
    if (isObj(podSpec)) podSpecSites(podSpec, pod, out);
  }
  if (kind === 'StatefulSet' && spec && str(spec.serviceName)) {
    out.push({ kind: 'name-only', path: ['spec', 'serviceName'], targetKinds: ['Service'], name: str(spec.serviceName)!, field: 'serviceName' });
  }
  if (!spec) return out;
  if (group === 'kustomize.toolkit.fluxcd.io' && kind === 'Kustomization') {
    sourceRefSite(spec.sourceRef, ['spec', 'sourceRef'], 'sourceRef', out);
    dependsOnSites(spec.dependsOn, 'Kustomization', out);
    const postBuild = isObj(spec.postBuild) ? spec.postBuild : {};
    arr(postBuild.substituteFrom).forEach((r, i) => valuesSite(r, ['spec', 'postBuild', 'substituteFrom', i], 'postBuild.substituteFrom', out));
  } else if (group === 'helm.toolkit.fluxcd.io' && kind === 'HelmRelease') {
    sourceRefSite(spec.chartRef, ['spec', 'chartRef'], 'chartRef', out);
    const chartSpec = valueAt(spec, ['chart', 'spec']);
    if (isObj(chartSpec)) sourceRefSite(chartSpec.sourceRef, ['spec', 'chart', 'spec', 'sourceRef'], 'chart.spec.sourceRef', out);
    dependsOnSites(spec.dependsOn, 'HelmRelease', out);
    arr(spec.valuesFrom).forEach((r, i) => valuesSite(r, ['spec', 'valuesFrom', i], 'valuesFrom', out));
  } else if (group === 'source.toolkit.fluxcd.io' && kind === 'HelmChart') {
    sourceRefSite(spec.sourceRef, ['spec', 'sourceRef'], 'sourceRef', out);
  } else if (group === 'source.extensions.fluxcd.io' && kind === 'ArtifactGenerator') {
    arr(spec.sources).forEach((s, i) => sourceRefSite(s, ['spec', 'sources', i], 'sources', out));
  } else if (group === 'argoproj.io' && kind === 'Application') {
    const project = str(spec.project);
    if (project && !project.includes('{{')) out.push({ kind: 'argo-project', path: ['spec', 'project'], targetKinds: ['AppProject'], name: project, field: 'project' });
  } else if (group === 'networking.k8s.io' && kind === 'Ingress') {
    const backend = (b: unknown, path: Array<string | number>) => {
      const name = str(valueAt(b, ['service', 'name']));
      if (name) out.push({ kind: 'backend', path: [...path, 'service', 'name'], targetKinds: ['Service'], name, field: 'backend.service' });
    };
    backend(spec.defaultBackend, ['spec', 'defaultBackend']);
    arr(spec.rules).forEach((rule, i) =>
      arr(valueAt(rule, ['http', 'paths'])).forEach((p, j) => backend(isObj(p) ? p.backend : undefined, ['spec', 'rules', i, 'http', 'paths', j, 'backend'])),
    );
  } else if (group === 'gateway.networking.k8s.io' && /^(HTTP|GRPC|TLS|TCP|UDP)Route$/.test(kind ?? '')) {
    arr(spec.rules).forEach((rule, i) =>
      arr(isObj(rule) ? rule.backendRefs : undefined).forEach((ref, j) => {
        if (!isObj(ref)) return;
        const name = str(ref.name);
        const refKind = str(ref.kind) ?? 'Service';
        const refGroup = typeof ref.group === 'string' ? ref.group : '';
        // Only core Services are checked: other backends (ServiceImport, custom kinds) have their own controllers.
        if (!name || refKind !== 'Service' || refGroup !== '') return;
        out.push({ kind: 'backend', path: ['spec', 'rules', i, 'backendRefs', j, 'name'], targetKinds: ['Service'], name, ...(str(ref.namespace) ? { namespace: str(ref.namespace) } : {}), field: 'backendRefs' });
      }),
    );
  }
  return out;
}

function podSpecSites(podSpec: Obj, base: string[], out: SiteWithoutRange[]): void {
  const push = (path: Array<string | number>, targetKind: string, name: unknown, field: string, optional?: unknown) => {
    const n = str(name);
    if (n) out.push({ kind: 'workload', path: [...base, ...path], targetKinds: [targetKind], name: n, field, ...(optional === true ? { optional: true } : {}) });
  };
  if (str(podSpec.serviceAccountName)) push(['serviceAccountName'], 'ServiceAccount', podSpec.serviceAccountName, 'serviceAccountName');
  else if (str(podSpec.serviceAccount)) push(['serviceAccount'], 'ServiceAccount', podSpec.serviceAccount, 'serviceAccount');
  arr(podSpec.imagePullSecrets).forEach((s, i) => push(['imagePullSecrets', i, 'name'], 'Secret', isObj(s) ? s.name : undefined, 'imagePullSecrets'));
  arr(podSpec.volumes).forEach((v, i) => {
    if (!isObj(v)) return;
    if (isObj(v.configMap)) push(['volumes', i, 'configMap', 'name'], 'ConfigMap', v.configMap.name, 'volumes.configMap', v.configMap.optional);
    if (isObj(v.secret)) push(['volumes', i, 'secret', 'secretName'], 'Secret', v.secret.secretName, 'volumes.secret', v.secret.optional);
    if (isObj(v.persistentVolumeClaim)) push(['volumes', i, 'persistentVolumeClaim', 'claimName'], 'PersistentVolumeClaim', v.persistentVolumeClaim.claimName, 'volumes.persistentVolumeClaim');
    arr(valueAt(v, ['projected', 'sources'])).forEach((s, j) => {
      if (!isObj(s)) return;
      if (isObj(s.configMap)) push(['volumes', i, 'projected', 'sources', j, 'configMap', 'name'], 'ConfigMap', s.configMap.name, 'volumes.projected.configMap', s.configMap.optional);
      if (isObj(s.secret)) push(['volumes', i, 'projected', 'sources', j, 'secret', 'name'], 'Secret', s.secret.name, 'volumes.projected.secret', s.secret.optional);
    });
  });
  for (const list of ['initContainers', 'containers', 'ephemeralContainers']) {
    arr(podSpec[list]).forEach((c, i) => {
      if (!isObj(c)) return;
      arr(c.envFrom).forEach((e, j) => {
        if (!isObj(e)) return;
        if (isObj(e.configMapRef)) push([list, i, 'envFrom', j, 'configMapRef', 'name'], 'ConfigMap', e.configMapRef.name, 'envFrom.configMapRef', e.configMapRef.optional);
        if (isObj(e.secretRef)) push([list, i, 'envFrom', j, 'secretRef', 'name'], 'Secret', e.secretRef.name, 'envFrom.secretRef', e.secretRef.optional);
      });
      arr(c.env).forEach((e, j) => {
        const from = isObj(e) && isObj(e.valueFrom) ? e.valueFrom : undefined;
        if (!from) return;
        if (isObj(from.configMapKeyRef)) push([list, i, 'env', j, 'valueFrom', 'configMapKeyRef', 'name'], 'ConfigMap', from.configMapKeyRef.name, 'env.valueFrom.configMapKeyRef', from.configMapKeyRef.optional);
        if (isObj(from.secretKeyRef)) push([list, i, 'env', j, 'valueFrom', 'secretKeyRef', 'name'], 'Secret', from.secretKeyRef.name, 'env.valueFrom.secretKeyRef', from.secretKeyRef.optional);
      });
    });
  }
}

function sourceRefSite(ref: unknown, path: Array<string | number>, field: string, out: SiteWithoutRange[]): void {
  if (!isObj(ref)) return;
  const name = str(ref.name);
  const kind = str(ref.kind);
  if (!name || !kind) return;
  out.push({ kind: 'source', path: [...path, 'name'], targetKinds: [kind], name, ...(str(ref.namespace) ? { namespace: str(ref.namespace) } : {}), field });
}

function dependsOnSites(list: unknown, targetKind: string, out: SiteWithoutRange[]): void {
  arr(list).forEach((d, i) => {
    if (!isObj(d) || !str(d.name)) return;
    out.push({ kind: 'depends-on', path: ['spec', 'dependsOn', i, 'name'], targetKinds: [targetKind], name: str(d.name)!, ...(str(d.namespace) ? { namespace: str(d.namespace) } : {}), field: 'dependsOn' });
  });
}

function valuesSite(ref: unknown, path: Array<string | number>, field: string, out: SiteWithoutRange[]): void {
  if (!isObj(ref) || !str(ref.name)) return;
  const kind = str(ref.kind) === 'Secret' ? 'Secret' : 'ConfigMap';
  out.push({ kind: 'values-from', path: [...path, 'name'], targetKinds: [kind], name: str(ref.name)!, field, ...(ref.optional === true ? { optional: true } : {}) });
}

/**
 * An object that a controller creates from this one (a Secret from an
 * ExternalSecret, PVCs from a StatefulSet's volumeClaimTemplates…): it counts
 * as rendered when a reference is checked. `name` undefined means the
 * object's own final name; `pattern` names PVCs `<claim>-<statefulset>-<n>`.
 */
export interface ProducedWithoutRange {
  kind: string;
  name?: string;
  path: Array<string | number>;
  pattern?: 'volume-claim-template';
  /** Created in every namespace (ClusterExternalSecret). */
  anyNamespace?: boolean;
}

/** What an object produces, by the controllers the shared corpora use. */
export function producedObjects(value: unknown): ProducedWithoutRange[] {
  if (!isObj(value)) return [];
  const kind = str(value.kind);
  const group = groupOf(str(value.apiVersion));
  const spec = isObj(value.spec) ? value.spec : {};
  const out: ProducedWithoutRange[] = [];
  if (group === 'external-secrets.io' && kind === 'ExternalSecret') {
    const target = str(valueAt(spec, ['target', 'name']));
    out.push(target ? { kind: 'Secret', name: target, path: ['spec', 'target', 'name'] } : { kind: 'Secret', path: ['metadata', 'name'] });
  } else if (group === 'external-secrets.io' && kind === 'ClusterExternalSecret') {
    const name = str(spec.externalSecretName) ?? str(valueAt(value, ['metadata', 'name']));
    const target = str(valueAt(spec, ['externalSecretSpec', 'target', 'name'])) ?? name;
    if (target) out.push({ kind: 'Secret', name: target, path: ['metadata', 'name'], anyNamespace: true });
  } else if (group === 'bitnami.com' && kind === 'SealedSecret') {
    out.push({ kind: 'Secret', path: ['metadata', 'name'] });
  } else if (group === 'isindir.github.com' && kind === 'SopsSecret') {
    arr(spec.secretTemplates).forEach((t, i) => str(valueAt(t, ['name'])) && out.push({ kind: 'Secret', name: str(valueAt(t, ['name']))!, path: ['spec', 'secretTemplates', i, 'name'] }));
  } else if (group === 'onepassword.com' && kind === 'OnePasswordItem') {
    out.push({ kind: 'Secret', path: ['metadata', 'name'] });
  } else if (group === 'cert-manager.io' && kind === 'Certificate') {
    if (str(spec.secretName)) out.push({ kind: 'Secret', name: str(spec.secretName)!, path: ['spec', 'secretName'] });
  } else if (kind === 'StatefulSet') {
    arr(spec.volumeClaimTemplates).forEach((t, i) => {
      const name = str(valueAt(t, ['metadata', 'name']));
      if (name) out.push({ kind: 'PersistentVolumeClaim', name, path: ['spec', 'volumeClaimTemplates', i, 'metadata', 'name'], pattern: 'volume-claim-template' });
    });
  } else if (group === 'source.extensions.fluxcd.io' && kind === 'ArtifactGenerator') {
    arr(spec.artifacts).forEach((a, i) => str(valueAt(a, ['name'])) && out.push({ kind: 'ExternalArtifact', name: str(valueAt(a, ['name']))!, path: ['spec', 'artifacts', i, 'name'] }));
  }
  return out;
}
